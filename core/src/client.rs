//! The clients: [`App`] (operator) and [`Agent`] (workload), async on tokio. Their operations
//! are declared once in [`crate::ops`]; this module holds what they are made of and the
//! methods that are not operations (settings, paging, closing).

use crate::config::{
    CallerType, ClientConfig, GetterError, UserTokenGetter, base_url_is_default, resolve_base_url,
    validate_caller,
};
use crate::error::Error;
use crate::keys::is_valid_key;
use crate::models::{GrantItem, GrantPage};
use crate::options::ListGrantsParams;
use crate::transport::{Attenuation, Idempotency, Inner, Method, Response};
use futures_core::Stream;
use futures_util::{TryStreamExt, stream};
use serde::de::DeserializeOwned;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// Builds any client ([`App`], [`Agent`], or their blocking twins) from a [`ClientConfig`].
/// No I/O happens until the first call.
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
    config: ClientConfig,
    _client: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ClientBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientBuilder").field(&self.config).finish()
    }
}

/// A client a [`ClientBuilder`] can build.
pub trait FromConfig: Sized + sealed::Sealed {
    /// Checks the settings and builds the client.
    fn from_config(config: ClientConfig) -> Result<Self, Error>;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

impl<T: FromConfig> ClientBuilder<T> {
    pub(crate) fn new(api_key: String) -> Self {
        ClientBuilder {
            config: ClientConfig::new(api_key),
            _client: PhantomData,
        }
    }

    /// Replaces every setting but the key's with `config`'s (the key too).
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// See [`ClientConfig::base_url`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = Some(url.into());
        self
    }

    /// See [`ClientConfig::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// See [`ClientConfig::max_retries`].
    pub fn max_retries(mut self, n: u32) -> Self {
        self.config.max_retries = n;
        self
    }

    /// See [`ClientConfig::caller`].
    pub fn caller(mut self, caller: impl Into<String>) -> Self {
        self.config.caller = Some(caller.into());
        self
    }

    /// See [`ClientConfig::caller_type`] (an agent's is always `agent`).
    pub fn caller_type(mut self, caller_type: CallerType) -> Self {
        self.config.caller_type = Some(caller_type);
        self
    }

    /// See [`ClientConfig::user_agent`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = Some(user_agent.into());
        self
    }

    /// See [`ClientConfig::user_token_getter`] (apps only).
    pub fn user_token_getter<F, Fut>(mut self, getter: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, GetterError>> + Send + 'static,
    {
        self.config.user_token_getter = Some(Arc::new(move || Box::pin(getter())));
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<T, Error> {
        T::from_config(self.config)
    }
}

/// Which client a [`Core`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    App,
    Agent,
}

/// Checks `config` for a client of `role` and makes its shared state (no connection pool yet).
pub(crate) fn inner_from(
    config: ClientConfig,
    role: Role,
) -> Result<(Inner, Option<UserTokenGetter>), Error> {
    if config.api_key.is_empty() {
        return Err(Error::invalid("api_key is required"));
    }
    if !is_valid_key(&config.api_key) {
        return Err(Error::invalid("api_key is not a valid Alter API key"));
    }
    if let Some(caller) = &config.caller {
        validate_caller(caller)?;
    }
    if config.timeout.is_zero() {
        return Err(Error::invalid("timeout must be greater than zero"));
    }
    let caller_type = match (role, config.caller_type) {
        (Role::App, t) => t.unwrap_or(CallerType::Service),
        (Role::Agent, None) => CallerType::Agent,
        (Role::Agent, Some(_)) => {
            return Err(Error::invalid(
                "caller_type is an App setting: an Agent's caller type is always agent",
            ));
        }
    };
    if role == Role::Agent && config.user_token_getter.is_some() {
        return Err(Error::invalid(
            "user_token_getter is an App setting: an Agent sends an end-user token only when a call names one",
        ));
    }
    let base_url = resolve_base_url(config.base_url.as_deref())?;
    let production_by_default = base_url_is_default(config.base_url.as_deref());
    let user_agent = config
        .user_agent
        .unwrap_or_else(|| format!("grantline-rust/{}", env!("CARGO_PKG_VERSION")));
    let inner = Inner::new(
        config.api_key,
        base_url,
        config.timeout,
        config.max_retries,
        config.caller,
        caller_type,
        user_agent,
    )
    .hinting_at_base_url(production_by_default);
    Ok((inner, config.user_token_getter))
}

/// What [`App`] and [`Agent`] are made of: the settings, one connection pool, the role.
#[derive(Clone)]
pub(crate) struct Core {
    pub(crate) inner: Arc<Inner>,
    pub(crate) http: reqwest::Client,
    /// This handle's timeout ([`App::with_timeout`]), under a call's own.
    timeout: Option<Duration>,
    pub(crate) role: Role,
    getter: Option<UserTokenGetter>,
    /// What a constrained client ([`App::with_constraints`]) sends on every call.
    pub(crate) attenuation: Arc<Attenuation>,
}

impl Core {
    pub(crate) fn new(config: ClientConfig, role: Role) -> Result<Self, Error> {
        let (inner, getter) = inner_from(config, role)?;
        let http = inner.http_client()?;
        Ok(Core {
            inner: Arc::new(inner),
            http,
            timeout: None,
            role,
            getter,
            attenuation: Arc::default(),
        })
    }

    /// The same client over another connection pool (the blocking clients' per-thread pools).
    pub(crate) fn with_http(&self, http: reqwest::Client) -> Self {
        Core {
            http,
            ..self.clone()
        }
    }

    pub(crate) async fn post<R: DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
        idempotency: Idempotency,
        timeout: Option<Duration>,
        what: &str,
    ) -> Result<R, Error> {
        self.post_with(path, body, idempotency, timeout, what, |b| {
            serde_json::from_slice(b)
        })
        .await
    }

    /// Sends a signed POST and parses the success body with `parse`.
    pub(crate) async fn post_with<R>(
        &self,
        path: &str,
        body: Vec<u8>,
        idempotency: Idempotency,
        timeout: Option<Duration>,
        what: &str,
        parse: impl FnOnce(&[u8]) -> Result<R, serde_json::Error>,
    ) -> Result<R, Error> {
        let Response { status, body } = self
            .send(Method::Post, path, body, idempotency, timeout)
            .await?;
        parse(&body).map_err(|e| malformed(what, status, &e))
    }

    /// Sends a signed request with this client's settings and attenuation.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        idempotency: Idempotency,
        timeout: Option<Duration>,
    ) -> Result<Response, Error> {
        self.inner
            .send(
                &self.http,
                method,
                path,
                body,
                idempotency,
                timeout.or(self.timeout),
                &self.attenuation,
            )
            .await
    }

    /// The same client, sending `attenuation` on every call; a client that is constrained
    /// already is refused (a second set would replace the first, widening it).
    pub(crate) fn constrained(&self, attenuation: Attenuation) -> Result<Self, Error> {
        if *self.attenuation != Attenuation::default() {
            return Err(Error::invalid(
                "with_constraints cannot be called on a client that is constrained already: call it on the original client",
            ));
        }
        if self.inner.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(Core {
            attenuation: Arc::new(attenuation),
            ..self.clone()
        })
    }

    /// The end-user token of a call: the one it names, else the app's getter's, else none.
    pub(crate) async fn user_token(&self, explicit: Option<&str>) -> Result<Option<String>, Error> {
        if let Some(token) = explicit {
            return Ok(Some(token.to_owned()));
        }
        let Some(getter) = &self.getter else {
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

    fn with_timeout(&self, timeout: Duration) -> Self {
        Core {
            timeout: Some(timeout),
            ..self.clone()
        }
    }

    fn close(&self) {
        self.inner
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

fn malformed(what: &str, status: u16, e: &serde_json::Error) -> Error {
    Error::ResponseValidation {
        message: format!("the server returned a malformed {what} response: {e}"),
        status,
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
pub(crate) fn encode_segment(s: &str) -> String {
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
pub(crate) fn canonical_uuid(value: &str, field: &str, lenient: bool) -> Result<String, Error> {
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

/// Methods every client has besides its operations (written once for [`App`] and [`Agent`]).
macro_rules! client_basics {
    ($Client:ident) => {
        impl $Client {
            /// The resolved base URL.
            pub fn base_url(&self) -> &str {
                &self.core.inner.base_url
            }

            /// The actor id the server returned, once it has.
            pub fn actor_id(&self) -> Option<&str> {
                self.core.inner.actor_id()
            }

            /// A handle sharing this client's pool whose calls use `timeout` (a call's own
            /// `timeout` option still wins).
            pub fn with_timeout(&self, timeout: Duration) -> Self {
                $Client {
                    core: self.core.with_timeout(timeout),
                }
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
                let client = self.clone();
                paginate(params.offset, move |offset| {
                    let (client, page) = (
                        client.clone(),
                        ListGrantsParams {
                            offset,
                            ..params.clone()
                        },
                    );
                    async move { client.list_grants(page).await }
                })
            }

            /// A client sharing this one's pool whose every call carries `constraints`
            /// (scopes and/or a rule, inside the signature). Attenuation only narrows: a client
            /// that is constrained already is refused, so call it on the original client.
            ///
            /// ```no_run
            /// # fn run(app: grantline::App) -> Result<(), grantline::Error> {
            /// let reader = app.with_constraints(grantline::Constraints::scopes(["grants:read"]))?;
            /// # Ok(()) }
            /// ```
            pub fn with_constraints(
                &self,
                constraints: crate::options::Constraints,
            ) -> Result<Self, Error> {
                Ok($Client {
                    core: self.core.constrained(constraints.attenuation()?)?,
                })
            }

            /// Closes the client: every later call fails with [`Error::Closed`]. Idempotent.
            pub fn close(&self) {
                self.core.close()
            }

            /// Waits until the background writes this client started (each `request`'s audit
            /// record) are done, at most `timeout`; true when none is left. `close()` does not
            /// wait: call this after it (the Python and Node packages' `close()` do both).
            pub async fn flush(&self, timeout: Duration) -> bool {
                self.core.inner.background.flush(timeout).await
            }

            /// [`Self::flush`] on a thread that may not block on a runtime (it waits on a
            /// condition variable: bindings call it with their interpreter's lock released).
            pub fn flush_blocking(&self, timeout: Duration) -> bool {
                self.core.inner.background.flush_blocking(timeout)
            }

            /// How many background writes are pending.
            pub fn pending_background(&self) -> usize {
                self.core.inner.background.pending()
            }
        }

        impl fmt::Debug for $Client {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($Client), self.core.inner)
            }
        }

        impl sealed::Sealed for $Client {}

        impl $Client {
            /// This client over another connection pool (the blocking clients' per-thread ones).
            #[cfg(feature = "blocking")]
            pub(crate) fn from_core(core: Core) -> Self {
                $Client { core }
            }
        }
    };
}

/// The operator client: issues, lists and revokes grants for an app.
///
/// Cloning is cheap and shares the connection pool.
///
/// ```no_run
/// use grantline::{App, CreateGrantOptions, ListGrantsParams, Principal, RevokeGrantOptions};
/// # async fn run() -> Result<(), grantline::Error> {
/// let app = App::builder(std::env::var("ALTER_APP_KEY").unwrap()).build()?;
/// let grant = app
///     .create_managed_secret_grant(
///         "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
///         Principal::system(Some("nightly-sync"))?,
///         CreateGrantOptions::new(),
///     )
///     .await?;
/// let page = app.list_grants(ListGrantsParams::new().label("nightly-sync")).await?;
/// assert!(page.grants.iter().any(|g| g.grant_id() == grant.grant_id));
/// app.revoke_grant(grant.grant_id, RevokeGrantOptions::new().reason("rotated")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct App {
    pub(crate) core: Core,
}

client_basics!(App);

impl FromConfig for App {
    fn from_config(config: ClientConfig) -> Result<Self, Error> {
        Ok(App {
            core: Core::new(config, Role::App)?,
        })
    }
}

impl App {
    /// Starts building an app client for `api_key`.
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder<App> {
        ClientBuilder::new(api_key.into())
    }

    /// An app client with these settings.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Self::from_config(config)
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
            core: Core {
                inner: Arc::new(inner),
                http: self.core.http.clone(),
                timeout: self.core.timeout,
                role: Role::Agent,
                getter: None,
                attenuation: self.core.attenuation.clone(),
            },
        })
    }
}

/// The workload client: an agent lists its grants and issues grants for itself.
#[derive(Clone)]
pub struct Agent {
    pub(crate) core: Core,
}

client_basics!(Agent);

impl FromConfig for Agent {
    fn from_config(config: ClientConfig) -> Result<Self, Error> {
        Ok(Agent {
            core: Core::new(config, Role::Agent)?,
        })
    }
}

impl Agent {
    /// Starts building an agent client for `api_key` (caller type `agent`).
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder<Agent> {
        ClientBuilder::new(api_key.into())
    }

    /// An agent client with these settings.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Self::from_config(config)
    }

    /// The impersonated agent id, for agents made by [`App::get_agent`].
    pub fn caller(&self) -> Option<&str> {
        self.core.inner.caller.as_deref()
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
