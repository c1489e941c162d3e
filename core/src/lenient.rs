//! Lenient reading of wire fields: a value of the expected JSON type is kept, anything else
//! (null, a wrong type, a nested object) reads as absent. A leaf module: the models and the
//! timestamp parsers both build on it.

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;

/// A field read leniently: a value of the expected JSON type is kept, any other value (null, a
/// wrong type, a nested object) reads as absent. Parsed in place: no `Value`, no error built.
pub(crate) struct Lenient<T>(pub(crate) Option<T>);

/// What a lenient field accepts; every method defaults to "not this type".
pub(crate) trait Accept<'de>: Sized {
    fn from_str(_: Cow<'de, str>) -> Option<Self> {
        None
    }
    fn from_bool(_: bool) -> Option<Self> {
        None
    }
    fn from_i64(_: i64) -> Option<Self> {
        None
    }
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<'de> Accept<'de> for Cow<'de, str> {
    fn from_str(s: Cow<'de, str>) -> Option<Self> {
        Some(s)
    }
}

impl<'de> Accept<'de> for String {
    fn from_str(s: Cow<'de, str>) -> Option<Self> {
        Some(s.into_owned())
    }
}

impl<'de> Accept<'de> for bool {
    fn from_bool(b: bool) -> Option<Self> {
        Some(b)
    }
}

impl<'de> Accept<'de> for i64 {
    fn from_i64(i: i64) -> Option<Self> {
        Some(i)
    }
}

/// A list keeps its string elements and drops the others.
impl<'de> Accept<'de> for Vec<String> {
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Lenient(item)) = seq.next_element::<Lenient<String>>()? {
            out.extend(item);
        }
        Ok(Some(out))
    }
}

impl<'de, T: Accept<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Accept<'de>> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_str(Cow::Borrowed(s))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_str(Cow::Owned(s.to_owned()))))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_str(Cow::Owned(s))))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_bool(b)))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_i64(i)))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
                Ok(Lenient(i64::try_from(u).ok().and_then(T::from_i64)))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                Lenient::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                T::from_seq(seq).map(Lenient)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

pub(crate) fn lenient<'de, D: Deserializer<'de>, T: Accept<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(Lenient::<T>::deserialize(d)?.0)
}

pub(crate) fn lenient_or_default<'de, D: Deserializer<'de>, T: Accept<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Lenient::<T>::deserialize(d)?.0.unwrap_or_default())
}
