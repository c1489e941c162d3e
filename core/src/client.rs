//! The clients: [`App`] (operator) and [`Agent`] (workload), async on tokio.

use crate::config::{
    CallerType, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, resolve_base_url, validate_caller,
};
use crate::error::Error;
use crate::keys::is_valid_key;
use crate::models::{CreateGrantResult, GrantItem, GrantPage, RevokeGrantResult};
use crate::params::ListGrantsParams;
use crate::policy::GrantPolicy;
use crate::principal::Principal;
use crate::transport::{Idempotency, Inner, Response};
use futures_core::Stream;
use futures_util::{TryStreamExt, stream};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The boxed error a [`UserTokenGetter`] may fail with.
pub type GetterError = Box<dyn std::error::Error + Send + Sync>;
/// Supplies the end user's JWT for `list_grants` and `revoke_grant` on an [`App`].
pub type UserTokenGetter = Arc<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<String, GetterError>> + Send>> + Send + Sync,
>;

/// Builds an [`App`] or an [`Agent`]. No I/O happens until the first call.
///
/// ```
/// use std::time::Duration;
/// let app = grantline::App::builder("alter_rk_abcdefghijklmnopqrstuv_iwpykn")
///     .base_url("http://127.0.0.1:8787")
///     .timeout(Duration::from_secs(10))
///     .max_retries(3)
///     .build()?;
/// assert_eq!(app.base_url(), "http://127.0.0.1:8787");
/// # Ok::<(), grantline::Error>(())
/// ```
#[must_use]
pub struct ClientBuilder<T> {
    api_key: String,
    base_url: Option<String>,
    timeout: Duration,
    max_retries: u32,
    caller: Option<String>,
    caller_type: CallerType,
    user_agent: String,
    user_token_getter: Option<UserTokenGetter>,
    _client: PhantomData<T>,
}

impl<T> fmt::Debug for ClientBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &crate::transport::redact_key(&self.api_key))
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl<T> ClientBuilder<T> {
    fn new(api_key: String, caller_type: CallerType) -> Self {
        ClientBuilder {
            api_key,
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            caller: None,
            caller_type,
            user_agent: format!("grantline-rust/{}", env!("CARGO_PKG_VERSION")),
            user_token_getter: None,
            _client: PhantomData,
        }
    }

    /// The backend URL (default: `ALTER_BASE_URL`, else `https://backend.alterauth.com`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries after the first attempt (default 2; 0 disables retries).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The caller sent as `X-Alter-Caller` (1–255 printable ASCII characters).
    pub fn caller(mut self, caller: impl Into<String>) -> Self {
        self.caller = Some(caller.into());
        self
    }

    /// The `User-Agent` (bindings set `grantline-<lang>/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    fn inner(self) -> Result<(Inner, Option<UserTokenGetter>), Error> {
        if self.api_key.is_empty() {
            return Err(Error::invalid("api_key is required"));
        }
        if !is_valid_key(&self.api_key) {
            return Err(Error::invalid("api_key is not a valid Alter API key"));
        }
        if let Some(caller) = &self.caller {
            validate_caller(caller)?;
        }
        if self.timeout.is_zero() {
            return Err(Error::invalid("timeout must be greater than zero"));
        }
        let base_url = resolve_base_url(self.base_url.as_deref())?;
        let inner = Inner::new(
            self.api_key,
            base_url,
            self.timeout,
            self.max_retries,
            self.caller,
            self.caller_type,
            self.user_agent,
        );
        Ok((inner, self.user_token_getter))
    }
}

impl ClientBuilder<App> {
    /// `service` (default) or `agent`; sent only together with a caller.
    pub fn caller_type(mut self, caller_type: CallerType) -> Self {
        self.caller_type = caller_type;
        self
    }

    /// Supplies the end user's JWT for `list_grants` (unless the call names one) and
    /// `revoke_grant`.
    pub fn user_token_getter<F, Fut>(mut self, getter: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, GetterError>> + Send + 'static,
    {
        self.user_token_getter = Some(Arc::new(move || Box::pin(getter())));
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<App, Error> {
        let (inner, getter) = self.inner()?;
        let http = inner.http_client()?;
        Ok(App {
            core: Core {
                inner: Arc::new(inner),
                http,
                timeout: None,
            },
            user_token_getter: getter,
        })
    }
}

impl ClientBuilder<Agent> {
    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Agent, Error> {
        let (inner, _) = self.inner()?;
        let http = inner.http_client()?;
        Ok(Agent {
            core: Core {
                inner: Arc::new(inner),
                http,
                timeout: None,
            },
        })
    }
}

/// What [`App`] and [`Agent`] share: the settings and one connection pool.
#[derive(Clone)]
pub(crate) struct Core {
    pub(crate) inner: Arc<Inner>,
    pub(crate) http: reqwest::Client,
    timeout: Option<Duration>,
}

impl Core {
    pub(crate) fn with_http(inner: Arc<Inner>, http: reqwest::Client) -> Self {
        Core {
            inner,
            http,
            timeout: None,
        }
    }

    async fn post<R: DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
        idempotency: Idempotency,
        what: &str,
    ) -> Result<R, Error> {
        let Response { status, body } = self
            .inner
            .post(&self.http, path, body, idempotency, self.timeout)
            .await?;
        serde_json::from_slice(&body).map_err(|e| malformed(what, status, &e))
    }

    async fn create(
        &self,
        managed_secret_id: &str,
        principal: &Principal,
        policy: Option<&GrantPolicy>,
        credential_id: Option<&str>,
    ) -> Result<CreateGrantResult, Error> {
        if managed_secret_id.is_empty() {
            return Err(Error::invalid(
                "managed_secret_id must be a non-empty string",
            ));
        }
        principal.validate()?;
        if let Some(policy) = policy {
            policy.validate()?;
        }
        if credential_id == Some("") {
            return Err(Error::invalid(
                "credential_id must be a non-empty string when given",
            ));
        }
        #[derive(Serialize)]
        struct Body<'a> {
            principal: &'a Principal,
            grant_policy: &'a GrantPolicy,
            #[serde(skip_serializing_if = "Option::is_none")]
            credential_id: Option<&'a str>,
        }
        let empty = GrantPolicy::default();
        let body = serde_json::to_vec(&Body {
            principal,
            grant_policy: policy.unwrap_or(&empty),
            credential_id,
        })
        .expect("serializing a grant request cannot fail");
        let path = format!(
            "/sdk/managed-secrets/{}/grants",
            encode_segment(managed_secret_id)
        );
        self.post(
            &path,
            body,
            Idempotency::Write,
            "create_managed_secret_grant",
        )
        .await
    }

    async fn list(
        &self,
        params: &ListGrantsParams,
        user_token: Option<&str>,
    ) -> Result<GrantPage, Error> {
        params.validate()?;
        let body = params.body(user_token);
        let Response { status, body } = self
            .inner
            .post(
                &self.http,
                "/sdk/grants/list",
                body,
                Idempotency::Read,
                self.timeout,
            )
            .await?;
        GrantPage::from_slice(&body).map_err(|e| malformed("list_grants", status, &e))
    }

    fn with_timeout(&self, timeout: Duration) -> Self {
        Core {
            timeout: Some(timeout),
            ..self.clone()
        }
    }
}

fn malformed(what: &str, status: u16, e: &serde_json::Error) -> Error {
    Error::ResponseValidation {
        message: format!("the server returned a malformed {what} response: {e}"),
        status,
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A canonical lowercase hyphenated UUID, or an error naming `field`.
fn canonical_uuid(value: &str, field: &str, lenient: bool) -> Result<String, Error> {
    let err = || Error::invalid(format!("{field} must be a valid UUID string"));
    let parsed = uuid::Uuid::try_parse(value.trim()).map_err(|_| err())?;
    let canonical = parsed.hyphenated().to_string();
    if lenient || canonical.eq_ignore_ascii_case(value) {
        Ok(canonical)
    } else {
        Err(err())
    }
}

/// Where the page after `page` starts, if there is one (an empty page ends the walk).
pub(crate) fn next_offset(page: &GrantPage) -> Option<u64> {
    let count = page.grants.len() as u64;
    (page.has_more && count > 0).then_some(page.offset + count)
}

/// Walks every page of a listing as one stream of items; `fetch` loads the page at an offset.
fn paginate<F, Fut>(
    start: u64,
    fetch: F,
) -> impl Stream<Item = Result<GrantItem, Error>> + Send + 'static
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<GrantPage, Error>> + Send + 'static,
{
    stream::try_unfold(Some(start), move |next| {
        let fetched = next.map(&fetch);
        async move {
            let Some(fetched) = fetched else {
                return Ok(None);
            };
            let page = fetched.await?;
            let following = next_offset(&page);
            Ok(Some((
                stream::iter(page.grants.into_iter().map(Ok)),
                following,
            )))
        }
    })
    .try_flatten()
}

/// The operator client: issues, lists and revokes grants for an app.
///
/// Cloning is cheap and shares the connection pool.
///
/// ```no_run
/// use grantline::{App, ListGrantsParams, Principal};
/// # async fn run() -> Result<(), grantline::Error> {
/// let app = App::builder(std::env::var("ALTER_API_KEY").unwrap()).build()?;
/// let grant = app
///     .create_managed_secret_grant("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", Principal::system(Some("nightly-sync"))?, None, None)
///     .await?;
/// let page = app.list_grants(&ListGrantsParams::new().label("nightly-sync")).await?;
/// assert!(page.grants.iter().any(|g| g.grant_id() == grant.grant_id));
/// app.revoke_grant(&grant.grant_id, Some("rotated")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct App {
    pub(crate) core: Core,
    user_token_getter: Option<UserTokenGetter>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "App({:?})", self.core.inner)
    }
}

impl App {
    /// Starts building an app client for `api_key`.
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder<App> {
        ClientBuilder::new(api_key.into(), CallerType::Service)
    }

    /// The resolved base URL.
    pub fn base_url(&self) -> &str {
        &self.core.inner.base_url
    }

    /// The actor id the server returned, once it has.
    pub fn actor_id(&self) -> Option<&str> {
        self.core.inner.actor_id()
    }

    /// This client's settings over another connection pool (the blocking clients' per-thread pools).
    pub(crate) fn with_core(&self, core: Core) -> Self {
        App {
            core: Core {
                timeout: self.core.timeout,
                ..core
            },
            user_token_getter: self.user_token_getter.clone(),
        }
    }

    /// A handle sharing this client's pool whose calls use `timeout`.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        App {
            core: self.core.with_timeout(timeout),
            user_token_getter: self.user_token_getter.clone(),
        }
    }

    /// Issues a grant on a managed secret to `principal` (any kind; `Principal::Agent` needs an
    /// agent caller). Never retried once the server may have acted on it.
    pub async fn create_managed_secret_grant(
        &self,
        managed_secret_id: &str,
        principal: Principal,
        grant_policy: Option<GrantPolicy>,
        credential_id: Option<&str>,
    ) -> Result<CreateGrantResult, Error> {
        self.core
            .create(
                managed_secret_id,
                &principal,
                grant_policy.as_ref(),
                credential_id,
            )
            .await
    }

    async fn user_token(&self, explicit: Option<&str>) -> Result<Option<String>, Error> {
        if let Some(token) = explicit {
            return Ok(Some(token.to_owned()));
        }
        let Some(getter) = &self.user_token_getter else {
            return Ok(None);
        };
        match getter().await {
            Ok(token) if !token.is_empty() => Ok(Some(token)),
            Ok(_) => Err(Error::invalid(
                "user_token_getter must return a non-empty string",
            )),
            Err(e) => Err(Error::invalid(format!("user_token_getter failed: {e}"))),
        }
    }

    /// One page of grants.
    pub async fn list_grants(&self, params: &ListGrantsParams) -> Result<GrantPage, Error> {
        params.validate()?;
        let token = self.user_token(params.end_user_token.as_deref()).await?;
        self.core.list(params, token.as_deref()).await
    }

    /// Every grant matching `params`, page after page, as a stream.
    ///
    /// ```no_run
    /// # async fn run(app: grantline::App) -> Result<(), grantline::Error> {
    /// use futures_util::TryStreamExt;
    /// let all: Vec<_> = app.grants(grantline::ListGrantsParams::new()).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn grants(
        &self,
        params: ListGrantsParams,
    ) -> impl Stream<Item = Result<GrantItem, Error>> + Send + 'static {
        let app = self.clone();
        paginate(params.offset, move |offset| {
            let (app, page) = (
                app.clone(),
                ListGrantsParams {
                    offset,
                    ..params.clone()
                },
            );
            async move { app.list_grants(&page).await }
        })
    }

    /// Revokes a grant of either kind. `grant_id` must be a canonical UUID (any case).
    pub async fn revoke_grant(
        &self,
        grant_id: &str,
        reason: Option<&str>,
    ) -> Result<RevokeGrantResult, Error> {
        let grant_id = canonical_uuid(grant_id, "grant_id", false)?;
        let token = self.user_token(None).await?;
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            user_token: Option<&'a str>,
        }
        let body = serde_json::to_vec(&Body {
            reason,
            user_token: token.as_deref(),
        })
        .expect("plain strings");
        let path = format!("/sdk/oauth/grants/{grant_id}/revoke");
        self.core
            .post(&path, body, Idempotency::Write, "revoke_grant")
            .await
    }

    /// An [`Agent`] acting as the managed agent `agent_id` through this app's key
    /// (`X-Alter-Caller: <uuid>`, caller type `agent`). Shares this client's connection pool.
    pub fn get_agent(&self, agent_id: &str) -> Result<Agent, Error> {
        if agent_id.is_empty() {
            return Err(Error::invalid("agent_id is required"));
        }
        if self
            .core
            .inner
            .closed
            .load(std::sync::atomic::Ordering::Acquire)
        {
            return Err(Error::Closed);
        }
        let agent_id = canonical_uuid(agent_id, "agent_id", true)?;
        let inner = self.core.inner.with_caller(agent_id, CallerType::Agent);
        Ok(Agent {
            core: Core::with_http(Arc::new(inner), self.core.http.clone()),
        })
    }

    /// Closes the client: every later call fails with [`Error::Closed`]. Idempotent.
    pub fn close(&self) {
        self.core
            .inner
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

/// The workload client: an agent lists its grants and issues grants for itself.
#[derive(Clone)]
pub struct Agent {
    pub(crate) core: Core,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Agent({:?})", self.core.inner)
    }
}

impl Agent {
    /// Starts building an agent client for `api_key` (caller type `agent`).
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder<Agent> {
        ClientBuilder::new(api_key.into(), CallerType::Agent)
    }

    /// The resolved base URL.
    pub fn base_url(&self) -> &str {
        &self.core.inner.base_url
    }

    /// The impersonated agent id, for agents made by [`App::get_agent`].
    pub fn caller(&self) -> Option<&str> {
        self.core.inner.caller.as_deref()
    }

    /// The actor id the server returned, once it has.
    pub fn actor_id(&self) -> Option<&str> {
        self.core.inner.actor_id()
    }

    /// A handle sharing this client's pool whose calls use `timeout`.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Agent {
            core: self.core.with_timeout(timeout),
        }
    }

    /// Issues a grant for the agent itself. Only `Principal::Agent` is accepted: an agent cannot
    /// grant to anyone else, and other principals are rejected before any I/O.
    pub async fn create_managed_secret_grant(
        &self,
        managed_secret_id: &str,
        principal: Principal,
        grant_policy: Option<GrantPolicy>,
        credential_id: Option<&str>,
    ) -> Result<CreateGrantResult, Error> {
        if !matches!(principal, Principal::Agent { .. }) {
            return Err(Error::invalid(format!(
                "an Agent issues grants only for itself: use an agent principal, not a {} principal",
                principal.kind()
            )));
        }
        self.core
            .create(
                managed_secret_id,
                &principal,
                grant_policy.as_ref(),
                credential_id,
            )
            .await
    }

    /// One page of the grants this agent can see.
    pub async fn list_grants(&self, params: &ListGrantsParams) -> Result<GrantPage, Error> {
        self.core
            .list(params, params.end_user_token.as_deref())
            .await
    }

    /// Every grant this agent can see, as a stream.
    pub fn grants(
        &self,
        params: ListGrantsParams,
    ) -> impl Stream<Item = Result<GrantItem, Error>> + Send + 'static {
        let agent = self.clone();
        paginate(params.offset, move |offset| {
            let (agent, page) = (
                agent.clone(),
                ListGrantsParams {
                    offset,
                    ..params.clone()
                },
            );
            async move { agent.list_grants(&page).await }
        })
    }

    /// Closes the client. Idempotent.
    pub fn close(&self) {
        self.core
            .inner
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_send_and_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<App>();
        check::<Agent>();
    }

    #[test]
    fn uuid_rules() {
        let id = "9B1DEB4D-3B7D-4BAD-9BDD-2B0D7B3DCB6D";
        assert_eq!(
            canonical_uuid(id, "grant_id", false).unwrap(),
            id.to_lowercase()
        );
        assert!(canonical_uuid("9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d", "grant_id", false).is_err());
        assert!(
            canonical_uuid("{9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d}", "grant_id", false).is_err()
        );
        assert_eq!(
            canonical_uuid(
                "urn:uuid:9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
                "agent_id",
                true
            )
            .unwrap(),
            "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
        );
        assert!(canonical_uuid("", "grant_id", false).is_err());
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_segment("9b1deb4d-3b7d"), "9b1deb4d-3b7d");
    }
}
