//! API-key format (docs/wire.md §1.6): scoped keys `alter_<type>_<random>_<checksum>` and legacy
//! `alter_key_<40>` keys.

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const LEGACY_PREFIX: &str = "alter_key_";
const LEGACY_BODY_LEN: usize = 40;
const RANDOM_LEN: usize = 22;
const CHECKSUM_LEN: usize = 6;

/// The kind of an API key, read from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `alter_rk_…`: runtime/application key, used with [`App`](crate::App).
    App,
    /// `alter_ak_…`: agent key, used with [`Agent`](crate::Agent).
    Agent,
    /// `alter_dk_…`: derived, short-lived key.
    Derived,
    /// `alter_pk_…`: publishable key.
    Publishable,
    /// `alter_key_…`: legacy key without checksum.
    Legacy,
}

impl KeyType {
    /// The two-letter tag of a scoped key (`rk`, `ak`, `dk`, `pk`), or `None` for legacy keys.
    pub fn tag(self) -> Option<&'static str> {
        match self {
            KeyType::App => Some("rk"),
            KeyType::Agent => Some("ak"),
            KeyType::Derived => Some("dk"),
            KeyType::Publishable => Some("pk"),
            KeyType::Legacy => None,
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "rk" => Some(KeyType::App),
            "ak" => Some(KeyType::Agent),
            "dk" => Some(KeyType::Derived),
            "pk" => Some(KeyType::Publishable),
            _ => None,
        }
    }
}

/// The 6-character checksum of a scoped key: CRC-32 of `"<type>:<random>"`, cut into six 5-bit
/// groups from the least significant bit, each mapped to the lowercase base32 alphabet.
///
/// ```
/// assert_eq!(grantline::keys::key_checksum("rk", "abcdefghijklmnopqrstuv"), "iwpykn");
/// ```
pub fn key_checksum(key_type: &str, random: &str) -> String {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(key_type.as_bytes());
    hasher.update(b":");
    hasher.update(random.as_bytes());
    let crc = hasher.finalize();
    (0..CHECKSUM_LEN)
        .map(|i| BASE32[((crc >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// The type of a well-formed key, or `None` when the key is malformed.
///
/// ```
/// use grantline::keys::{key_type, KeyType};
/// assert_eq!(key_type("alter_rk_abcdefghijklmnopqrstuv_iwpykn"), Some(KeyType::App));
/// assert_eq!(key_type("sk_live_123"), None);
/// ```
pub fn key_type(key: &str) -> Option<KeyType> {
    if let Some(body) = key.strip_prefix(LEGACY_PREFIX) {
        let ok = body.len() == LEGACY_BODY_LEN
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        return ok.then_some(KeyType::Legacy);
    }
    let rest = key.strip_prefix("alter_")?;
    let mut parts = rest.split('_');
    let (tag, random, checksum) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let kind = KeyType::from_tag(tag)?;
    let in_alphabet =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| BASE32.contains(&b));
    let ok = in_alphabet(random, RANDOM_LEN)
        && in_alphabet(checksum, CHECKSUM_LEN)
        && key_checksum(tag, random) == checksum;
    ok.then_some(kind)
}

/// Whether `key` is a well-formed Alter API key. Never panics.
///
/// ```
/// assert!(grantline::is_valid_key("alter_rk_abcdefghijklmnopqrstuv_iwpykn"));
/// assert!(!grantline::is_valid_key("alter_rk_abcdefghijklmnopqrstuv_iwpyka"));
/// ```
pub fn is_valid_key(key: &str) -> bool {
    key_type(key).is_some()
}

/// A fresh, random, well-formed key of the given type (what the server mints).
///
/// ```
/// use grantline::keys::{generate_key, key_type, KeyType};
/// let key = generate_key(KeyType::Agent);
/// assert_eq!(key_type(&key), Some(KeyType::Agent));
/// ```
pub fn generate_key(kind: KeyType) -> String {
    match kind.tag() {
        Some(tag) => {
            let random = random_chars(BASE32, RANDOM_LEN);
            let checksum = key_checksum(tag, &random);
            format!("alter_{tag}_{random}_{checksum}")
        }
        None => {
            const LEGACY: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            format!("{LEGACY_PREFIX}{}", random_chars(LEGACY, LEGACY_BODY_LEN))
        }
    }
}

/// `len` characters drawn uniformly from `alphabet` (whose length divides 256).
fn random_chars(alphabet: &[u8], len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Value {
        let text = include_str!("../../tests/vectors/key_format.json");
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn checksum_vectors() {
        for case in vectors()["checksum"].as_array().unwrap() {
            let got = key_checksum(
                case["type"].as_str().unwrap(),
                case["random"].as_str().unwrap(),
            );
            assert_eq!(got, case["checksum"].as_str().unwrap());
        }
    }

    #[test]
    fn valid_and_invalid_vectors() {
        let v = vectors();
        for key in v["valid"].as_array().unwrap() {
            assert!(is_valid_key(key.as_str().unwrap()), "{key}");
        }
        for key in v["invalid"].as_array().unwrap() {
            assert!(!is_valid_key(key.as_str().unwrap()), "{key}");
        }
    }

    #[test]
    fn generated_keys_are_valid_and_distinct() {
        for kind in [
            KeyType::App,
            KeyType::Agent,
            KeyType::Derived,
            KeyType::Publishable,
            KeyType::Legacy,
        ] {
            let a = generate_key(kind);
            assert_eq!(key_type(&a), Some(kind), "{a}");
            assert_ne!(a, generate_key(kind));
        }
    }

    #[test]
    fn non_ascii_input_is_rejected_without_panic() {
        assert!(!is_valid_key("alter_rk_ééééééééééé_iwpykn"));
        assert!(!is_valid_key("alter_key_éééééééééééééééééééé"));
    }
}
