//! Date-time parsing and formatting for the wire: RFC 3339 out; RFC 3339 / ISO 8601 in.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

/// Parses RFC 3339 or ISO 8601; a value without an offset is taken as UTC.
pub(crate) fn parse(s: &str) -> Option<OffsetDateTime> {
    parse_utc(s).or_else(|| parse_general(s))
}

fn parse_general(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .ok()
        .or_else(|| {
            PrimitiveDateTime::parse(s, &Iso8601::DEFAULT)
                .ok()
                .map(PrimitiveDateTime::assume_utc)
        })
}

/// The form servers send, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, read directly (a list page holds
/// a hundred or more); `None` for anything else, which the general parsers then read. Gives what
/// RFC 3339 parsing gives (the test `the_utc_form_reads_as_rfc3339_does` checks).
fn parse_utc(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let digit = |i: usize| {
        let d = b[i].wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let mut n = 0;
            for i in 20..20 + digits.len() {
                n = n * 10 + digit(i)?;
            }
            n * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let second = two(17)?;
    if second > 59 {
        return None;
    }
    let date = time::Date::from_calendar_date(
        (two(0)? * 100 + two(2)?) as i32,
        time::Month::try_from(two(5)? as u8).ok()?,
        two(8)? as u8,
    )
    .ok()?;
    let time =
        time::Time::from_hms_nano(two(11)? as u8, two(14)? as u8, second as u8, nanos).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
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
    fn the_utc_form_reads_as_rfc3339_does() {
        for s in [
            "2026-12-01T21:54:54.359510Z",
            "2026-12-01T21:54:54Z",
            "2026-12-01T21:54:54.5Z",
            "2026-12-01T21:54:54.123456789Z",
            "2024-02-29T00:00:00.000000Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
        ] {
            assert_eq!(parse_utc(s), parse_general(s), "{s}");
            assert!(parse_utc(s).is_some(), "{s}");
        }
        // Not the form (or not a valid date): left to the general parsers.
        for s in [
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T23:60:00Z",
            "2026-12-01T23:59:60Z",
            "2026-12-01T21:54:54.Z",
            "2026-12-01T21:54:54.1234567890Z",
            "2026-12-01t21:54:54Z",
            "2026-12-01T21:54:54z",
            "2026-12-01T21:54:54+00:00",
            "2026-12-01T21:54:54",
            "+2026-12-01T21:54:54Z",
            "2026-1a-01T21:54:54Z",
            "2026-12-01T21:54:54.12a4Z",
        ] {
            assert_eq!(parse_utc(s), None, "{s}");
        }
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
