//! Client configuration: base-URL rules (docs/wire.md §1.2), caller checks (§1.1), defaults.

use crate::error::Error;
use std::time::Duration;
use url::Url;

/// The platform's URL, used when neither the builder nor `ALTER_BASE_URL` names one.
pub const DEFAULT_BASE_URL: &str = "https://backend.alterauth.com";
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// Who is calling, sent as `X-Alter-Caller-Type` together with a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
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
        tracing::warn!(base_url = trimmed, "using plain http to a loopback host");
    }
    Ok(trimmed.to_owned())
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
    fn caller_rules() {
        assert!(validate_caller("billing-cron").is_ok());
        assert!(validate_caller("").is_err());
        assert!(validate_caller("x\n").is_err());
        assert!(validate_caller(&"a".repeat(256)).is_err());
        assert!("robot".parse::<CallerType>().is_err());
    }
}
