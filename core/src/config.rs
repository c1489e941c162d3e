//! Client configuration: every setting of a client, documented once ([`ClientConfig`]), the
//! base-URL rules (docs/wire.md §1.2), caller checks (§1.1) and defaults.

use crate::args::{self, ArgFields};
use crate::error::Error;
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The platform's URL, used when neither the builder nor `ALTER_BASE_URL` names one.
pub const DEFAULT_BASE_URL: &str = "https://backend.alterauth.com";
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// Who is calling, sent as `X-Alter-Caller-Type` together with a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallerType {
    /// A service (the default for [`App`](crate::App)).
    #[default]
    Service,
    /// An agent (always for [`Agent`](crate::Agent)).
    Agent,
}

impl CallerType {
    /// `service` or `agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallerType::Service => "service",
            CallerType::Agent => "agent",
        }
    }
}

impl std::str::FromStr for CallerType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "service" => Ok(CallerType::Service),
            "agent" => Ok(CallerType::Agent),
            other => Err(Error::invalid(format!(
                "caller_type must be \"service\" or \"agent\", not {other:?}"
            ))),
        }
    }
}

/// The boxed error a [`UserTokenGetter`] may fail with.
pub type GetterError = Box<dyn std::error::Error + Send + Sync>;
/// Supplies the end user's JWT for the calls of an [`App`](crate::App) that take one
/// (`list_grants`, `revoke_grant`) when the call names none.
pub type UserTokenGetter = Arc<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<String, GetterError>> + Send>> + Send + Sync,
>;

fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}

fn default_max_retries() -> u32 {
    DEFAULT_MAX_RETRIES
}

fn timeout_arg<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    Ok(args::opt_duration(d)?.unwrap_or(DEFAULT_TIMEOUT))
}

/// Every setting of a client. Builders ([`App::builder`](crate::App::builder)) and bindings
/// construct clients from one; bindings read it from host values with [`crate::args`].
///
/// ```
/// use grantline::{App, ClientConfig};
/// let mut config = ClientConfig::new("alter_rk_abcdefghijklmnopqrstuv_iwpykn");
/// config.base_url = Some("http://127.0.0.1:8787".into());
/// let app = App::new(config)?;
/// assert_eq!(app.base_url(), "http://127.0.0.1:8787");
/// # Ok::<(), grantline::Error>(())
/// ```
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The API key: an app key (`alter_rk_…`) for an [`App`](crate::App), an agent key
    /// (`alter_ak_…`) for an [`Agent`](crate::Agent). Secret: never shown in `Debug`.
    pub api_key: String,
    /// The backend URL (default: `ALTER_BASE_URL`, else `https://backend.alterauth.com`);
    /// `https` required except for loopback hosts.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Per-request timeout (default 30 s); a call's own `timeout` option overrides it.
    #[serde(default = "default_timeout", deserialize_with = "timeout_arg")]
    pub timeout: Duration,
    /// Retries after the first attempt (default 2; 0 disables retries). Reads retry 5xx and
    /// timeouts; writes only what the server cannot have acted on.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// The caller sent as `X-Alter-Caller` (1–255 printable ASCII characters).
    #[serde(default)]
    pub caller: Option<String>,
    /// `service` (an app's default) or `agent` (always, for an agent); sent only with a caller.
    #[serde(default)]
    pub caller_type: Option<CallerType>,
    /// The `User-Agent` (bindings set `grantline-<language>/<version>`; default
    /// `grantline-rust/<version>`).
    #[serde(skip)]
    pub user_agent: Option<String>,
    /// Supplies the end user's JWT for an app's calls that take one, when the call names none.
    #[serde(skip)]
    pub user_token_getter: Option<UserTokenGetter>,
}

impl ClientConfig {
    /// Every setting at its default, for `api_key`.
    pub fn new(api_key: impl Into<String>) -> Self {
        ClientConfig {
            api_key: api_key.into(),
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            caller: None,
            caller_type: None,
            user_agent: None,
            user_token_getter: None,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_key", &crate::transport::redact_key(&self.api_key))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("caller", &self.caller)
            .field("caller_type", &self.caller_type)
            .field("user_agent", &self.user_agent)
            .field("user_token_getter", &self.user_token_getter.is_some())
            .finish()
    }
}

impl ArgFields for ClientConfig {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
}

/// Resolves and checks the base URL: the explicit value, else `ALTER_BASE_URL`, else the default.
/// Trailing slashes are stripped; `https` is required except for loopback hosts.
pub fn resolve_base_url(explicit: Option<&str>) -> Result<String, Error> {
    let raw = match explicit {
        Some(url) => url.to_owned(),
        None => match std::env::var("ALTER_BASE_URL") {
            Ok(url) => url,
            Err(std::env::VarError::NotPresent) => DEFAULT_BASE_URL.to_owned(),
            Err(std::env::VarError::NotUnicode(_)) => String::new(),
        },
    };
    let trimmed = raw.trim_end_matches('/');
    let bad = |why: &str| Error::invalid(format!("invalid base_url {trimmed:?}: {why}"));
    if trimmed.is_empty() {
        return Err(bad("it is empty"));
    }
    let url = Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be https (or http for localhost)"));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(bad("it has no host"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("it must not contain credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    let host = host.to_ascii_lowercase();
    let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1");
    if url.scheme() == "http" && !loopback {
        return Err(bad(
            "must use https:// in production (plain http only for localhost, 127.0.0.1 or ::1)",
        ));
    }
    if url.scheme() == "http" {
        warn_once_plain_http(trimmed);
    }
    Ok(trimmed.to_owned())
}

/// Whether no base URL was given and `ALTER_BASE_URL` is unset: the client talks to the
/// platform itself, which a first try against a local server did not mean (errors say so).
pub fn base_url_is_default(explicit: Option<&str>) -> bool {
    explicit.is_none() && std::env::var_os("ALTER_BASE_URL").is_none()
}

/// Plain http to a loopback host is fine for a local server; said once per URL per process, as
/// a log record (level info, target `grantline`): not shown unless logging asks for it (at warn,
/// Python's last-resort handler printed it on stderr for every local run).
fn warn_once_plain_http(base_url: &str) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if !warned.iter().any(|u| u == base_url) {
        warned.push(base_url.to_owned());
        tracing::info!(base_url, "using plain http to a loopback host");
    }
}

/// Checks a caller: 1–255 characters of printable ASCII.
pub fn validate_caller(caller: &str) -> Result<(), Error> {
    let ok =
        (1..=255).contains(&caller.len()) && caller.bytes().all(|b| (0x20..=0x7e).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "caller must be 1 to 255 characters of printable ASCII",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let ok = |u: &str| resolve_base_url(Some(u));
        assert_eq!(ok("https://x.com/").unwrap(), "https://x.com");
        assert_eq!(
            ok("https://x.com/prefix//").unwrap(),
            "https://x.com/prefix"
        );
        assert_eq!(
            ok("http://127.0.0.1:8787").unwrap(),
            "http://127.0.0.1:8787"
        );
        assert_eq!(ok("http://LOCALHOST:1").unwrap(), "http://LOCALHOST:1");
        assert!(ok("http://[::1]:8000").is_ok());
        for bad in [
            "",
            "/",
            "ftp://x.com",
            "http://example.com",
            "https://u:p@x.com",
            "https://x.com?a=1",
            "https://x.com#f",
            "https://x.com:99999",
            "not a url",
        ] {
            assert!(
                matches!(ok(bad), Err(Error::InvalidArgument { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_default_base_url_is_known() {
        assert!(!base_url_is_default(Some("http://127.0.0.1:1")));
    }

    #[test]
    fn caller_rules() {
        assert!(validate_caller("billing-cron").is_ok());
        assert!(validate_caller("").is_err());
        assert!(validate_caller("x\n").is_err());
        assert!(validate_caller(&"a".repeat(256)).is_err());
        assert!("robot".parse::<CallerType>().is_err());
    }
}
