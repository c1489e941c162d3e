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

/// A timestamp as grantline writes it: RFC 3339 in UTC with six fractional digits (nine when the
/// value has nanoseconds), the form grantline-server sends, so a value read and written back
/// keeps its text.
///
/// ```
/// use grantline::{OffsetDateTime, format_timestamp};
/// let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
/// assert_eq!(format_timestamp(&t), "2023-11-14T22:13:20.000000Z");
/// ```
pub fn format(t: &OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let date = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    match t.nanosecond() {
        n if n % 1000 == 0 => format!("{date}.{:06}Z", n / 1000),
        n => format!("{date}.{n:09}Z"),
    }
}

pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(t))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    match crate::lenient::Lenient::<std::borrow::Cow<'de, str>>::deserialize(d)?.0 {
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
            crate::lenient::Lenient::<std::borrow::Cow<'de, str>>::deserialize(d)?
                .0
                .and_then(|s| parse(&s)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> OffsetDateTime {
        parse(s).expect("parses")
    }

    #[test]
    fn formats_in_the_servers_canonical_form() {
        // Microseconds always as six digits, UTC as `Z`: what grantline-server sends and what
        // Python's isoformat gives, so a value read and written back keeps its text.
        for wire in [
            "2026-12-01T21:54:54.359510Z",
            "2026-12-01T21:54:54.000000Z",
            "2023-11-14T22:13:20.123456Z",
        ] {
            assert_eq!(format(&at(wire)), wire);
        }
        assert_eq!(
            format(&at("2026-12-01T23:24:54.5+01:30")),
            "2026-12-01T21:54:54.500000Z"
        );
        assert_eq!(
            format(&at("2026-12-01T21:54:54Z")),
            "2026-12-01T21:54:54.000000Z"
        );
        assert_eq!(
            format(&at("2026-12-01T21:54:54.123456789Z")),
            "2026-12-01T21:54:54.123456789Z"
        );
    }
}
