//! Date-time parsing and formatting for the wire: RFC 3339 out; RFC 3339 / ISO 8601 in.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

/// Parses RFC 3339 or ISO 8601; a value without an offset is taken as UTC.
pub(crate) fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .ok()
        .or_else(|| {
            PrimitiveDateTime::parse(s, &Iso8601::DEFAULT)
                .ok()
                .map(PrimitiveDateTime::assume_utc)
        })
}

/// RFC 3339, e.g. `2026-11-25T09:00:00.123456Z`.
pub(crate) fn format(t: &OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(t))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    match crate::models::Lenient::<std::borrow::Cow<'de, str>>::deserialize(d)?.0 {
        Some(raw) => parse(&raw)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid date-time {raw:?}"))),
        None => Err(serde::de::Error::custom("expected a date-time string")),
    }
}

pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<OffsetDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    /// Lenient: anything that is not a parseable date-time string becomes `None`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        Ok(
            crate::models::Lenient::<std::borrow::Cow<'de, str>>::deserialize(d)?
                .0
                .and_then(|s| parse(&s)),
        )
    }
}
