//! Arguments as a host language writes them, read into the core's typed options with one set of
//! rules for every language.
//!
//! A binding hands the core one JSON object per call (a Python `dict` of keyword arguments
//! converted value by value, or the JSON text of a JavaScript options object) and the
//! [`Dialect`] it was written in. The core renames the keys to its own (snake_case) field names,
//! reads durations in the dialect's unit, deserializes with serde (types, required and unknown
//! fields) and validates the values; every error message names the fields as the caller wrote
//! them. Free-form data (a rule body, a request's JSON body, headers, query and context) is listed
//! in `FREE_FORM`: its keys are kept exactly.

use crate::error::Error;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

/// How a host language writes arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// snake_case names, durations in seconds (Python, and the wire).
    Python,
    /// camelCase names, durations in milliseconds (JavaScript/TypeScript).
    JavaScript,
}

impl Dialect {
    /// A core (snake_case) field name as this dialect writes it.
    pub fn name(self, field: &str) -> String {
        match self {
            Dialect::Python => field.to_owned(),
            Dialect::JavaScript => camel(field),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Dialect::Python => "seconds",
            Dialect::JavaScript => "milliseconds",
        }
    }

    fn per_second(self) -> f64 {
        match self {
            Dialect::Python => 1.0,
            Dialect::JavaScript => 1000.0,
        }
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Types whose fields are argument names (options, principals, policies, client settings).
pub(crate) trait ArgFields {
    /// Every field name, as serde reads them.
    fn fields() -> &'static [&'static str];
    /// The fields with a default other than "not given", and their defaults.
    fn defaults() -> Map<String, Value> {
        Map::new()
    }
}

/// Records the field list serde passes to `deserialize_struct`, without reading anything.
pub(crate) fn struct_fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("probe")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Stop
        }
    }
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// Every argument name the core knows (snake_case), for renaming keys and messages.
fn known_fields() -> &'static BTreeSet<&'static str> {
    static KNOWN: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut set = BTreeSet::new();
        use crate::options::*;
        for fields in [
            CreateGrantOptions::fields(),
            ListGrantsParams::fields(),
            RevokeGrantOptions::fields(),
            MintGrantOptions::fields(),
            DelegateOptions::fields(),
            RevokeDelegationOptions::fields(),
            RequestOptions::fields(),
            Constraints::fields(),
            RequestRule::fields(),
            crate::principal::Principal::fields(),
            crate::policy::GrantPolicy::fields(),
            crate::config::ClientConfig::fields(),
        ] {
            set.extend(fields.iter().copied());
        }
        set.extend(crate::ops::positional_fields());
        set
    })
}

thread_local! {
    /// The dialect of the arguments being read on this thread (durations need the unit).
    static READING: Cell<Dialect> = const { Cell::new(Dialect::Python) };
}

/// Fields whose values are the caller's own data: their keys are never renamed.
const FREE_FORM: &[&str] = &[
    "rule_body",
    // `request`: the caller's own data, sent or recorded exactly as given.
    "json",
    "extra_headers",
    "query_params",
    "path_params",
    "context",
];

/// Renames every key that is a known field as `dialect` writes it to the core's name; a key in
/// the other dialect's spelling is left as it is, so serde reports it as unknown.
fn canonical_keys(value: Value, dialect: Dialect) -> Value {
    match value {
        Value::Object(map) if dialect != Dialect::Python => {
            let known = known_fields();
            let mut out = Map::with_capacity(map.len());
            for (key, v) in map {
                let renamed = known
                    .iter()
                    .find(|f| f.contains('_') && camel(f) == key)
                    .map_or_else(
                        || {
                            if key.contains('_') && known.contains(key.as_str()) {
                                // Not this dialect's spelling: keep it unknown to serde (and
                                // out of reach of the renaming of messages).
                                key.replace('_', HIDDEN_UNDERSCORE)
                            } else {
                                key
                            }
                        },
                        |f| (*f).to_owned(),
                    );
                let v = if FREE_FORM.contains(&renamed.as_str()) {
                    v
                } else {
                    canonical_keys(v, dialect)
                };
                out.insert(renamed, v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| canonical_keys(v, dialect))
                .collect(),
        ),
        other => other,
    }
}

/// Stands for `_` in a key written in the other dialect's spelling.
const HIDDEN_UNDERSCORE: &str = "\u{203F}";

/// Writes every known field name in `message` as `dialect` spells it.
fn in_dialect(message: &str, dialect: Dialect) -> String {
    let mut out = message.to_owned();
    if dialect == Dialect::Python {
        return out;
    }
    // Longest names first, so `default_ttl_seconds` is not cut by a shorter name.
    let mut names: Vec<&str> = known_fields()
        .iter()
        .copied()
        .filter(|f| f.contains('_'))
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for name in names {
        out = out.replace(name, &camel(name));
    }
    out.replace(HIDDEN_UNDERSCORE, "_")
}

/// Reads `value` (a JSON object written in `dialect`) into `T`, checking every rule; the error
/// names fields as the caller wrote them.
pub fn from_value<T: DeserializeOwned>(value: Value, dialect: Dialect) -> Result<T, Error> {
    let value = match value {
        Value::Null => Value::Object(Map::new()),
        v => canonical_keys(v, dialect),
    };
    let previous = READING.with(|r| r.replace(dialect));
    let result = serde_path_to_error::deserialize::<_, T>(value);
    READING.with(|r| r.set(previous));
    result.map_err(|e| {
        let path = e.path().to_string();
        let inner = clean(&e.into_inner().to_string());
        let message = if path == "." || inner.starts_with(&path) {
            inner
        } else {
            format!("{path}: {inner}")
        };
        Error::invalid(in_dialect(&message, dialect))
    })
}

/// Reads the JSON text of one call's arguments; see [`from_value`].
pub fn from_json<T: DeserializeOwned>(text: &str, dialect: Dialect) -> Result<T, Error> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid(format!("the arguments are not valid JSON: {e}")))?;
    if !matches!(value, Value::Object(_) | Value::Null) {
        return Err(Error::invalid("the options must be an object"));
    }
    from_value(value, dialect)
}

/// serde's messages without the position suffix (meaningless for a host object).
fn clean(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
    .replace("`", "")
}

/// Rejects a value the core cannot use, naming the field in the reader's dialect.
pub(crate) fn invalid<E: de::Error>(message: impl std::fmt::Display) -> E {
    E::custom(message)
}

/// An optional timeout: a positive number in the dialect's unit (seconds or milliseconds).
pub(crate) fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let dialect = READING.with(Cell::get);
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite() && *v > 0.0)
            .and_then(|v| Duration::try_from_secs_f64(v / dialect.per_second()).ok())
            .filter(|d| !d.is_zero() && *d <= Duration::from_secs(86_400))
            .map(Some)
            .ok_or_else(|| {
                invalid(format!(
                    "timeout must be a positive number of {} up to one day (got {n})",
                    dialect.unit()
                ))
            }),
        Some(other) => Err(invalid(format!(
            "timeout must be a number of {}, not {}",
            dialect.unit(),
            type_name(&other)
        ))),
    }
}

/// A JSON value's type, as a message names it.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::ListGrantsParams;
    use serde_json::json;

    #[test]
    fn names_follow_the_dialect() {
        assert_eq!(camel("default_ttl_seconds"), "defaultTtlSeconds");
        assert_eq!(Dialect::JavaScript.name("end_user_token"), "endUserToken");
        let p: ListGrantsParams = from_value(
            json!({"endUserToken": "t", "limit": 5}),
            Dialect::JavaScript,
        )
        .unwrap();
        assert_eq!((p.end_user_token.as_deref(), p.limit), (Some("t"), 5));
        // The other dialect's spelling is an unknown field, named as written.
        let err =
            from_value::<ListGrantsParams>(json!({"end_user_token": "t"}), Dialect::JavaScript)
                .unwrap_err()
                .to_string();
        assert!(err.contains("unknown field end_user_token"), "{err}");
        assert!(err.contains("endUserToken"), "{err}");
        let err = from_value::<ListGrantsParams>(json!({"endUserToken": "t"}), Dialect::Python)
            .unwrap_err()
            .to_string();
        assert!(err.contains("end_user_token"), "{err}");
    }

    #[test]
    fn durations_in_the_dialects_unit() {
        let p: ListGrantsParams =
            from_value(json!({"timeout": 1500}), Dialect::JavaScript).unwrap();
        assert_eq!(p.timeout, Some(Duration::from_millis(1500)));
        let p: ListGrantsParams = from_value(json!({"timeout": 1.5}), Dialect::Python).unwrap();
        assert_eq!(p.timeout, Some(Duration::from_millis(1500)));
        let err = from_value::<ListGrantsParams>(json!({"timeout": 0}), Dialect::JavaScript)
            .unwrap_err()
            .to_string();
        assert!(err.contains("milliseconds"), "{err}");
    }

    #[test]
    fn field_lists_come_from_serde() {
        assert!(ListGrantsParams::fields().contains(&"end_user_token"));
        assert!(known_fields().contains("max_ttl_seconds"));
    }
}
