//! Signed HTTP transport: headers, signing, the actor-id cache (docs/wire.md §1.4–1.5), timeouts and
//! retries (docs/architecture.md).

use crate::config::CallerType;
use crate::error::{Error, classify};
use crate::signing::{Identity, SignInput, SigningKey, content_sha256, new_nonce, string_to_sign};
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// Header names built at compile time (a `&str` name is parsed and checked on every insert).
const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const X_ALTER_TIMESTAMP: HeaderName = HeaderName::from_static("x-alter-timestamp");
const X_ALTER_NONCE: HeaderName = HeaderName::from_static("x-alter-nonce");
const X_ALTER_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-alter-content-sha256");
const X_ALTER_CALLER: HeaderName = HeaderName::from_static("x-alter-caller");
const X_ALTER_CALLER_TYPE: HeaderName = HeaderName::from_static("x-alter-caller-type");
const X_ALTER_ACTOR_ID: HeaderName = HeaderName::from_static("x-alter-actor-id");
const X_ALTER_SCOPE_CONSTRAINTS: HeaderName = HeaderName::from_static("x-alter-scope-constraints");
const X_ALTER_REQUEST_RULE: HeaderName = HeaderName::from_static("x-alter-request-rule");
const X_ALTER_SIGNATURE_V2: HeaderName = HeaderName::from_static("x-alter-signature-v2");
const X_ALTER_SIGNATURE: HeaderName = HeaderName::from_static("x-alter-signature");

const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(8);

/// Whether a request may be repeated after the server may have acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// A read: any 5xx and timeouts are retried too.
    Read,
    /// A write: retried only when the server cannot have acted (connect failure, 429, 503).
    Write,
}

/// Per-request attenuation a constrained client sends on every call, inside the signature
/// (`X-Alter-Scope-Constraints`, `X-Alter-Request-Rule`; docs/wire.md §2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Attenuation {
    /// Comma-separated scopes, or none.
    pub(crate) scopes: Option<String>,
    /// The rule as base64url (no padding) compact JSON, or none.
    pub(crate) rule: Option<String>,
}

/// The HTTP methods grantline sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Post,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A successful response.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

/// What every client shares: credentials, settings and the actor-id cache.
pub(crate) struct Inner {
    api_key: String,
    signing_key: SigningKey,
    pub(crate) base_url: String,
    /// `base_url` parsed once: a request's URL is this with the path appended (parsing the whole
    /// URL per request, host and IDNA included, was ~17% of a create's instructions).
    base: Option<url::Url>,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) caller: Option<String>,
    pub(crate) caller_type: CallerType,
    pub(crate) user_agent: String,
    actor_id: OnceLock<String>,
    pub(crate) closed: std::sync::atomic::AtomicBool,
    /// Background writes (a `request`'s audit record), shared with the agents of an app.
    pub(crate) background: std::sync::Arc<crate::background::Background>,
    /// The base URL is the platform's because none was given: connection errors say how to
    /// point the client at a local server.
    default_base_url: bool,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_key", &redact_key(&self.api_key))
            .field("base_url", &self.base_url)
            .field("caller", &self.caller)
            .field("caller_type", &self.caller_type.as_str())
            .field("actor_id", &self.actor_id.get())
            .finish_non_exhaustive()
    }
}

/// `alter_rk_…` for a key: its type prefix only.
pub(crate) fn redact_key(key: &str) -> String {
    let prefix: String = key.split('_').take(2).collect::<Vec<_>>().join("_");
    format!("{prefix}_…(redacted)")
}

impl Inner {
    pub(crate) fn new(
        api_key: String,
        base_url: String,
        timeout: Duration,
        max_retries: u32,
        caller: Option<String>,
        caller_type: CallerType,
        user_agent: String,
    ) -> Self {
        Inner {
            signing_key: SigningKey::derive(&api_key),
            api_key,
            base: url::Url::parse(&base_url).ok(),
            base_url,
            timeout,
            max_retries,
            caller,
            caller_type,
            user_agent,
            actor_id: OnceLock::new(),
            closed: Default::default(),
            background: Default::default(),
            default_base_url: false,
        }
    }

    /// Marks the base URL as the default one (see the field).
    pub(crate) fn hinting_at_base_url(mut self, default: bool) -> Self {
        self.default_base_url = default;
        self
    }

    /// What a connection error adds when the client went to the platform by default.
    fn base_url_hint(&self) -> &'static str {
        if self.default_base_url {
            " (no base_url was given and ALTER_BASE_URL is not set, so this client used the platform itself; for a local grantline-server pass its URL as base_url or set ALTER_BASE_URL)"
        } else {
            ""
        }
    }

    /// The same credentials and settings acting as another caller, with a fresh actor cache.
    pub(crate) fn with_caller(&self, caller: String, caller_type: CallerType) -> Self {
        let mut inner = Inner::new(
            self.api_key.clone(),
            self.base_url.clone(),
            self.timeout,
            self.max_retries,
            Some(caller),
            caller_type,
            self.user_agent.clone(),
        )
        .hinting_at_base_url(self.default_base_url);
        inner.background = self.background.clone();
        inner
    }

    pub(crate) fn actor_id(&self) -> Option<&str> {
        self.actor_id.get().map(String::as_str)
    }

    /// The URL of a request to `path` (which starts with `/`): the base URL's path, then `path`.
    fn url(&self, path: &str) -> Result<url::Url, Error> {
        let Some(base) = &self.base else {
            return Err(Error::invalid(format!(
                "invalid base_url {:?}",
                self.base_url
            )));
        };
        let mut url = base.clone();
        let joined = format!("{}{path}", base.path().trim_end_matches('/'));
        url.set_path(&joined);
        Ok(url)
    }

    /// A new HTTP client with this configuration (one connection pool).
    pub(crate) fn http_client(&self) -> Result<reqwest::Client, Error> {
        let mut builder = reqwest::Client::builder()
            .user_agent(self.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(20)
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true);
        if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
            let pem = std::fs::read(&path).map_err(|e| {
                Error::invalid(format!(
                    "cannot read SSL_CERT_FILE {}: {e}",
                    path.to_string_lossy()
                ))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::invalid(format!("SSL_CERT_FILE is not a PEM bundle: {e}")))?;
            builder = builder.tls_certs_merge(certs);
        }
        builder.build().map_err(|e| Error::Network {
            message: format!("cannot build the HTTP client: {e}"),
        })
    }

    fn headers(&self, method: &str, path: &str, body: &[u8], att: &Attenuation) -> HeaderMap {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string();
        let nonce = new_nonce();
        let hash = content_sha256(body);
        let identity = Identity {
            caller: self.caller.as_deref(),
            caller_type: self.caller.as_ref().map(|_| self.caller_type.as_str()),
            actor_id: self.actor_id(),
            actor_context: None,
        };
        let signature = self.signing_key.sign(&string_to_sign(&SignInput {
            method,
            path_and_query: path,
            timestamp: &timestamp,
            nonce: &nonce,
            content_sha256: &hash,
            scope_constraints: att.scopes.as_deref(),
            request_rule: att.rule.as_deref(),
            identity,
        }));
        let mut h = HeaderMap::with_capacity(14);
        let value = |s: &str| HeaderValue::from_str(s).expect("header values are printable ASCII");
        let mut key = value(&self.api_key);
        key.set_sensitive(true);
        h.insert(X_API_KEY, key);
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert(X_ALTER_TIMESTAMP, value(&timestamp));
        h.insert(X_ALTER_NONCE, value(&nonce));
        h.insert(X_ALTER_CONTENT_SHA256, value(&hash));
        if let Some(caller) = identity.caller {
            h.insert(X_ALTER_CALLER, value(caller));
            h.insert(X_ALTER_CALLER_TYPE, value(self.caller_type.as_str()));
        }
        if let Some(actor) = identity.actor_id {
            h.insert(X_ALTER_ACTOR_ID, value(actor));
        }
        if let Some(scopes) = &att.scopes {
            h.insert(X_ALTER_SCOPE_CONSTRAINTS, value(scopes));
        }
        if let Some(rule) = &att.rule {
            h.insert(X_ALTER_REQUEST_RULE, value(rule));
        }
        if !identity.is_empty() {
            h.insert(X_ALTER_SIGNATURE_V2, value(&signature));
        }
        h.insert(X_ALTER_SIGNATURE, value(&signature));
        h
    }

    /// Caches `X-Alter-Actor-ID` under the docs/wire.md §1.5 rules: canonical UUID, first one wins.
    fn remember_actor(&self, headers: &HeaderMap) {
        let Some(value) = headers.get(&X_ALTER_ACTOR_ID).and_then(|v| v.to_str().ok()) else {
            return;
        };
        let canonical = uuid::Uuid::try_parse(value)
            .map(|u| u.hyphenated().to_string().eq_ignore_ascii_case(value))
            .unwrap_or(false);
        if !canonical {
            return;
        }
        if let Err(offered) = self.actor_id.set(value.to_owned())
            && self.actor_id() != Some(offered.as_str())
        {
            tracing::warn!("the server returned a different X-Alter-Actor-ID; keeping the first");
        }
    }

    /// Sends a signed request with retries; a status ≥ 400 becomes a classified [`Error::Api`].
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send(
        &self,
        http: &reqwest::Client,
        method: Method,
        path: &str,
        body: Vec<u8>,
        idempotency: Idempotency,
        timeout: Option<Duration>,
        att: &Attenuation,
    ) -> Result<Response, Error> {
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Error::Closed);
        }
        self.send_even_closed(http, method, path, body, idempotency, timeout, att)
            .await
    }

    /// [`Inner::send`] on a closed client too: background writes a call started before
    /// `close()` finish after it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_even_closed(
        &self,
        http: &reqwest::Client,
        method: Method,
        path: &str,
        body: Vec<u8>,
        idempotency: Idempotency,
        timeout: Option<Duration>,
        att: &Attenuation,
    ) -> Result<Response, Error> {
        let url = self.url(path)?;
        let body = Bytes::from(body);
        let timeout = timeout.unwrap_or(self.timeout);
        let mut attempt = 0u32;
        loop {
            let outcome = self
                .attempt(
                    http,
                    method,
                    &url,
                    path,
                    body.clone(),
                    timeout,
                    idempotency,
                    att,
                )
                .await;
            let (err, retryable, wait) = match outcome {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };
            if !retryable || attempt >= self.max_retries {
                return Err(err);
            }
            let delay = wait
                .map(|w| w.min(MAX_RETRY_WAIT))
                .unwrap_or_else(|| backoff(attempt));
            tracing::debug!(path, attempt = attempt + 1, delay_ms = delay.as_millis() as u64, error = %err, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt. On failure: the error, whether it may be retried, and the server's wait.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        http: &reqwest::Client,
        method: Method,
        url: &url::Url,
        path: &str,
        body: Bytes,
        timeout: Duration,
        idempotency: Idempotency,
        att: &Attenuation,
    ) -> Result<Response, (Error, bool, Option<Duration>)> {
        let read = idempotency == Idempotency::Read;
        let builder = match method {
            Method::Post => http.post(url.clone()),
            Method::Delete => http.delete(url.clone()),
        };
        let request = builder
            .headers(self.headers(method.as_str(), path, &body, att))
            .body(body)
            .timeout(timeout);
        tracing::debug!(path, "sending");
        let sent = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            self.remember_actor(response.headers());
            // Only an error needs more of the headers (not a copy of them all per call).
            let header = |name: &str| {
                let value = response.headers().get(name)?.to_str().ok()?;
                Some(value.to_owned())
            };
            let error_headers =
                (status >= 400).then(|| (header("retry-after"), header("x-request-id")));
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, error_headers, body))
        }
        .await;
        let (status, error_headers, body) = match sent {
            Ok(parts) => parts,
            Err(e) if e.is_timeout() => {
                let message = format!(
                    "Request to {} timed out after {:.1?}{}",
                    self.base_url,
                    timeout,
                    self.base_url_hint()
                );
                return Err((Error::Timeout { message }, read, None));
            }
            Err(e) => {
                let connect = e.is_connect();
                let message = format!(
                    "Failed to reach {}: {}{}",
                    self.base_url,
                    error_chain(&e),
                    self.base_url_hint()
                );
                return Err((Error::Network { message }, connect || read, None));
            }
        };
        let Some((retry_after, request_id)) = error_headers else {
            return Ok(Response { status, body });
        };
        let err = classify(status, retry_after.as_deref(), request_id.as_deref(), &body);
        let retryable = status == 429 || status == 503 || (read && status >= 500);
        let wait = err.as_api().and_then(|api| api.retry_after);
        tracing::debug!(path, status, "error response");
        Err((err, retryable, wait))
    }
}

/// Exponential backoff from 0.5 s to 8 s with jitter: half the step plus a random half.
fn backoff(attempt: u32) -> Duration {
    let step = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(5))
        .min(BACKOFF_MAX);
    let mut r = [0u8; 4];
    let _ = getrandom::fill(&mut r);
    let fraction = u32::from_le_bytes(r) as f64 / u32::MAX as f64;
    step / 2 + step.mul_f64(fraction / 2.0)
}

/// The causes of an error, without the URL's query (there is none) or any header.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(
            backoff(0) >= Duration::from_millis(250) && backoff(0) <= Duration::from_millis(500)
        );
        assert!(backoff(1) >= Duration::from_millis(500) && backoff(1) <= Duration::from_secs(1));
        assert!(backoff(30) <= BACKOFF_MAX && backoff(30) >= BACKOFF_MAX / 2);
    }

    #[test]
    fn request_urls_keep_the_base_path() {
        let inner = |base: &str| {
            Inner::new(
                "alter_rk_abcdefghijklmnopqrstuv_iwpykn".into(),
                base.into(),
                Duration::from_secs(1),
                0,
                None,
                CallerType::Service,
                "ua".into(),
            )
        };
        for (base, want) in [
            (
                "http://127.0.0.1:8787",
                "http://127.0.0.1:8787/sdk/grants/list",
            ),
            (
                "https://api.example.com/v1",
                "https://api.example.com/v1/sdk/grants/list",
            ),
            (
                "https://api.example.com/v1/",
                "https://api.example.com/v1/sdk/grants/list",
            ),
        ] {
            let url = inner(base).url("/sdk/grants/list").unwrap();
            assert_eq!(url.as_str(), want);
            assert_eq!(
                url,
                url::Url::parse(&format!("{}/sdk/grants/list", base.trim_end_matches('/')))
                    .unwrap()
            );
        }
        let id = "/sdk/managed-secrets/a%2Fb%20c/grants";
        let url = inner("http://127.0.0.1:1").url(id).unwrap();
        assert_eq!(url.path(), id, "an encoded segment stays as it is");
        assert!(matches!(
            inner("not a url").url(id),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn keys_are_redacted() {
        assert_eq!(
            redact_key("alter_rk_abcdefghijklmnopqrstuv_iwpykn"),
            "alter_rk_…(redacted)"
        );
        let inner = Inner::new(
            "alter_rk_abcdefghijklmnopqrstuv_iwpykn".into(),
            "http://127.0.0.1:1".into(),
            Duration::from_secs(1),
            0,
            None,
            CallerType::Service,
            "ua".into(),
        );
        assert!(!format!("{inner:?}").contains("abcdefghij"));
    }
}
