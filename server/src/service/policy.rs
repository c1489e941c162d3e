//! Grant policy (TTL): `expires_at`, `max_ttl_seconds`, `default_ttl_seconds`, and the app's
//! ceiling on top. `grant_expires_at` is the earliest bound.

use super::ApiError;
use crate::clock::{to_micros, wire_time};
use serde_json::{Map, Value};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

/// The longest TTL accepted (100 years), so that instants never overflow.
const MAX_TTL_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// A validated policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Absolute end, microseconds.
    pub expires_at: Option<i64>,
    pub max_ttl_seconds: Option<i64>,
    pub default_ttl_seconds: Option<i64>,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::new(422, "invalid_grant_policy", msg)
}

fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t);
    }
    // Python's fromisoformat also takes naive date-times (read here as UTC), with `T` or space.
    let normalized = s.replacen(' ', "T", 1);
    if let Ok(t) = PrimitiveDateTime::parse(&normalized, &Iso8601::DEFAULT) {
        return Some(t.assume_utc());
    }
    if let Ok(d) = time::Date::parse(s, &Iso8601::DEFAULT) {
        return Some(d.midnight().assume_utc());
    }
    None
}

fn positive_seconds(key: &str, v: &Value) -> Result<i64, ApiError> {
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
        }),
        _ => None,
    }
    .ok_or_else(|| bad(format!("grant_policy.{key} must be an integer")))?;
    if n <= 0 {
        return Err(bad(format!("grant_policy.{key} must be greater than 0")));
    }
    if n > MAX_TTL_SECONDS {
        return Err(bad(format!("grant_policy.{key} is too large")));
    }
    Ok(n)
}

impl Policy {
    /// Validates the wire `grant_policy` (absent, null or an object) at `now` (microseconds).
    pub fn parse(value: Option<&Value>, now: i64) -> Result<Policy, ApiError> {
        let obj = match value {
            None | Some(Value::Null) => return Ok(Policy::default()),
            Some(Value::Object(o)) => o,
            Some(_) => return Err(bad("grant_policy must be an object")),
        };
        let mut p = Policy::default();
        for (k, v) in obj {
            if v.is_null() {
                continue;
            }
            match k.as_str() {
                "expires_at" => {
                    let s = v
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| bad("grant_policy.expires_at must be a date-time string"))?;
                    let t = parse_instant(s).ok_or_else(|| {
                        bad("grant_policy.expires_at is not an ISO 8601 date-time")
                    })?;
                    if t.year() > 9999 {
                        return Err(bad("grant_policy.expires_at is out of range"));
                    }
                    let at = to_micros(t);
                    if at <= now {
                        return Err(bad("grant_policy.expires_at must be in the future"));
                    }
                    p.expires_at = Some(at);
                }
                "max_ttl_seconds" => p.max_ttl_seconds = Some(positive_seconds(k, v)?),
                "default_ttl_seconds" => p.default_ttl_seconds = Some(positive_seconds(k, v)?),
                other => {
                    return Err(bad(format!(
                        "unknown grant_policy key {other:?} (allowed: expires_at, \
                         max_ttl_seconds, default_ttl_seconds)"
                    )));
                }
            }
        }
        if let (Some(d), Some(m)) = (p.default_ttl_seconds, p.max_ttl_seconds)
            && d > m
        {
            return Err(bad(
                "grant_policy.default_ttl_seconds must not exceed max_ttl_seconds",
            ));
        }
        Ok(p)
    }

    /// Whether no bound is set.
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }

    /// The earliest end: `expires_at`, `created + max_ttl`, `created + ceiling`.
    pub fn grant_expires_at(&self, created_at: i64, ceiling_seconds: Option<i64>) -> Option<i64> {
        let ttl_end = |s: i64| created_at.saturating_add(s.saturating_mul(1_000_000));
        [
            self.expires_at,
            self.max_ttl_seconds.map(ttl_end),
            ceiling_seconds.filter(|c| *c > 0).map(ttl_end),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The policy as the wire shows it (keys in the official order), or null when empty.
    pub fn to_json(&self) -> Value {
        if self.is_empty() {
            return Value::Null;
        }
        let mut m = Map::new();
        if let Some(e) = self.expires_at {
            m.insert("expires_at".into(), wire_time(e).into());
        }
        if let Some(s) = self.max_ttl_seconds {
            m.insert("max_ttl_seconds".into(), s.into());
        }
        if let Some(s) = self.default_ttl_seconds {
            m.insert("default_ttl_seconds".into(), s.into());
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000_000_000;

    #[test]
    fn parses_and_bounds() {
        let p = Policy::parse(
            Some(&json!({"max_ttl_seconds": 60, "expires_at": "2030-01-01T00:00:00Z"})),
            NOW,
        )
        .unwrap();
        assert_eq!(p.grant_expires_at(NOW, None), Some(NOW + 60_000_000));
        assert_eq!(p.grant_expires_at(NOW, Some(30)), Some(NOW + 30_000_000));
        assert!(Policy::parse(Some(&json!({"maxTtlSeconds": 1})), NOW).is_err());
        assert!(Policy::parse(Some(&json!({"max_ttl_seconds": 0})), NOW).is_err());
        assert!(Policy::parse(Some(&json!({"max_ttl_seconds": true})), NOW).is_err());
        assert!(Policy::parse(Some(&json!({"max_ttl_seconds": 1.5})), NOW).is_err());
        assert!(Policy::parse(Some(&json!({"expires_at": "2001-01-01T00:00:00Z"})), NOW).is_err());
        assert!(
            Policy::parse(
                Some(&json!({"max_ttl_seconds": 5, "default_ttl_seconds": 6})),
                NOW
            )
            .is_err()
        );
        assert!(Policy::parse(Some(&json!({"expires_at": "2030-01-01T00:00:00"})), NOW).is_ok());
        assert!(
            Policy::parse(
                Some(&json!({"expires_at": "2030-01-01T00:00:00.5+02:00"})),
                NOW
            )
            .is_ok()
        );
        assert!(Policy::parse(Some(&json!({"expires_at": "soon"})), NOW).is_err());
    }
}
