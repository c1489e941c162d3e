//! Grant lifetime policy (docs/wire.md §3.1, docs/domain.md).

use crate::error::Error;
use crate::time_fmt;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// Bounds on a grant's lifetime. Every field is optional; the grant ends at the earliest bound.
///
/// ```
/// use grantline::GrantPolicy;
/// let policy = GrantPolicy::new().max_ttl_seconds(3600).default_ttl_seconds(600);
/// assert!(policy.validate().is_ok());
/// assert!(GrantPolicy::new().max_ttl_seconds(0).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct GrantPolicy {
    /// Absolute end of the grant (must be in the future when the grant is created).
    #[serde(skip_serializing_if = "Option::is_none", with = "time_fmt::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The grant ends at `created_at + max_ttl_seconds` at the latest (> 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ttl_seconds: Option<u64>,
    /// Lifetime of each credential handed out through the grant (> 0, ≤ `max_ttl_seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_ttl_seconds: Option<u64>,
}

const KEYS: [&str; 3] = ["expires_at", "max_ttl_seconds", "default_ttl_seconds"];

impl crate::args::ArgFields for GrantPolicy {
    fn fields() -> &'static [&'static str] {
        &KEYS
    }
}

impl GrantPolicy {
    /// An empty policy (no bound beyond the app's ceiling).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the absolute end.
    pub fn expires_at(mut self, at: OffsetDateTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets the maximum lifetime in seconds.
    pub fn max_ttl_seconds(mut self, seconds: u64) -> Self {
        self.max_ttl_seconds = Some(seconds);
        self
    }

    /// Sets the per-credential lifetime in seconds.
    pub fn default_ttl_seconds(mut self, seconds: u64) -> Self {
        self.default_ttl_seconds = Some(seconds);
        self
    }

    /// True when no field is set (sent as `{}`).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Checks the local rules: TTLs > 0 and `default_ttl_seconds` ≤ `max_ttl_seconds`.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, value) in [
            ("max_ttl_seconds", self.max_ttl_seconds),
            ("default_ttl_seconds", self.default_ttl_seconds),
        ] {
            if value == Some(0) {
                return Err(Error::invalid(format!(
                    "grant_policy.{name} must be a positive integer"
                )));
            }
        }
        if let (Some(max), Some(default)) = (self.max_ttl_seconds, self.default_ttl_seconds)
            && default > max
        {
            return Err(Error::invalid(format!(
                "grant_policy.default_ttl_seconds ({default}) must not exceed max_ttl_seconds ({max})"
            )));
        }
        Ok(())
    }

    /// Reads a policy given as a JSON object (the shape of a Python dict or a JS object), with the
    /// official client's rules: only the three keys, null values dropped, TTLs positive integers
    /// (bools and strings rejected, `3.0` read as 3), `expires_at` an ISO-8601 string.
    ///
    /// ```
    /// use grantline::GrantPolicy;
    /// let p = GrantPolicy::from_json(&serde_json::json!({"max_ttl_seconds": 3600.0}))?;
    /// assert_eq!(p.max_ttl_seconds, Some(3600));
    /// assert!(GrantPolicy::from_json(&serde_json::json!({"maxTtlSeconds": 1})).is_err());
    /// # Ok::<(), grantline::Error>(())
    /// ```
    pub fn from_json(value: &Value) -> Result<Self, Error> {
        let Value::Object(map) = value else {
            return Err(Error::invalid(
                "grant_policy must be an object with expires_at, max_ttl_seconds or default_ttl_seconds",
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(Error::invalid(format!(
                "grant_policy has an unknown key {unknown:?}; allowed: expires_at, max_ttl_seconds, default_ttl_seconds"
            )));
        }
        let ttl = |name: &str| -> Result<Option<u64>, Error> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_u64()
                    .or_else(|| {
                        n.as_f64()
                            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19)
                            .map(|f| f as u64)
                    })
                    .filter(|v| *v > 0)
                    .map(Some)
                    .ok_or_else(|| {
                        Error::invalid(format!("grant_policy.{name} must be a positive integer"))
                    }),
                Some(_) => Err(Error::invalid(format!(
                    "grant_policy.{name} must be a positive integer"
                ))),
            }
        };
        let expires_at = match map.get("expires_at") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(parse_expires_at(s)?),
            Some(_) => {
                return Err(Error::invalid(
                    "grant_policy.expires_at must be an ISO-8601 date-time string",
                ));
            }
        };
        let policy = GrantPolicy {
            expires_at,
            max_ttl_seconds: ttl("max_ttl_seconds")?,
            default_ttl_seconds: ttl("default_ttl_seconds")?,
        };
        policy.validate()?;
        Ok(policy)
    }

    /// Reads a policy echoed by the server, leniently: malformed fields are dropped.
    pub(crate) fn from_response(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(GrantPolicy {
            expires_at: map
                .get("expires_at")
                .and_then(Value::as_str)
                .and_then(time_fmt::parse),
            max_ttl_seconds: map.get("max_ttl_seconds").and_then(Value::as_u64),
            default_ttl_seconds: map.get("default_ttl_seconds").and_then(Value::as_u64),
        })
    }
}

/// Parses an `expires_at` string: RFC 3339 / ISO 8601, `Z` or an offset; a value without an offset
/// is taken as UTC.
pub fn parse_expires_at(s: &str) -> Result<OffsetDateTime, Error> {
    time_fmt::parse(s).ok_or_else(|| {
        Error::invalid(format!(
            "grant_policy.expires_at is not an ISO-8601 date-time: {s:?}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_in_fixed_order_and_drops_nulls() {
        let p = GrantPolicy::from_json(&json!({"default_ttl_seconds": 5, "expires_at": "2030-01-01T00:00:00Z", "max_ttl_seconds": null})).unwrap();
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"expires_at":"2030-01-01T00:00:00.000000Z","default_ttl_seconds":5}"#
        );
        assert_eq!(serde_json::to_string(&GrantPolicy::new()).unwrap(), "{}");
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            json!({"max_ttl_seconds": true}),
            json!({"max_ttl_seconds": "60"}),
            json!({"max_ttl_seconds": 3.5}),
            json!({"max_ttl_seconds": 0}),
            json!({"max_ttl_seconds": -1}),
            json!({"default_ttl_seconds": 10, "max_ttl_seconds": 5}),
            json!({"expires_at": ""}),
            json!({"expires_at": "tomorrow"}),
            json!({"expires_at": 5}),
            json!({"restrictions": {}}),
            json!([1]),
        ] {
            assert!(
                matches!(
                    GrantPolicy::from_json(&bad),
                    Err(Error::InvalidArgument { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn accepts_offsets_and_naive_times() {
        let a = parse_expires_at("2030-01-01T02:00:00+02:00").unwrap();
        let b = parse_expires_at("2030-01-01T00:00:00").unwrap();
        assert_eq!(a, b);
    }
}
