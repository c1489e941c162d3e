//! Alter request signing (docs/wire.md §2): signing-key derivation, path/query canonicalisation, the
//! legacy and v2 strings to sign, and HMAC-SHA256 signatures. Pure functions, no I/O.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// SHA-256 of the empty input, the content hash of a request without a body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const SIGNING_KEY_LABEL: &[u8] = b"alter-signing-v1";

/// The per-key HMAC key: HMAC-SHA256(key = API key bytes, message = `alter-signing-v1`).
///
/// Its `Debug` never shows the bytes.
///
/// ```
/// use grantline::signing::SigningKey;
/// let key = SigningKey::derive("alter_rk_abcdefghijklmnopqrstuv_iwpykn");
/// assert_eq!(key.to_hex(), "d686d74251939c285fe8fa5ad18c0e2003f1ca17a5346e7838389386c1ac079f");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// Derives the signing key of `api_key`.
    pub fn derive(api_key: &str) -> Self {
        let mut mac =
            HmacSha256::new_from_slice(api_key.as_bytes()).expect("HMAC takes any key length");
        mac.update(SIGNING_KEY_LABEL);
        SigningKey(mac.finalize().into_bytes().into())
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    /// Lowercase hex HMAC-SHA256 of `string_to_sign`.
    pub fn sign(&self, string_to_sign: &str) -> String {
        let mut mac = self.mac();
        mac.update(string_to_sign.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `signature_hex` is the signature of `string_to_sign`, compared in constant time.
    pub fn verify(&self, string_to_sign: &str, signature_hex: &str) -> bool {
        let Ok(expected) = hex::decode(signature_hex) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(string_to_sign.as_bytes());
        mac.verify_slice(&expected).is_ok()
    }

    /// The key as lowercase hex (for test vectors; treat it as a secret).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// Lowercase hex SHA-256 of `body`.
pub fn content_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// 16 random bytes as 32 lowercase hex characters.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    hex::encode(bytes)
}

/// The identity values that turn a request into a v2 (identity-bound) signature. A value that is
/// `None` or empty adds no line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    /// `X-Alter-Caller`.
    pub caller: Option<&'a str>,
    /// `X-Alter-Caller-Type`.
    pub caller_type: Option<&'a str>,
    /// `X-Alter-Actor-ID`.
    pub actor_id: Option<&'a str>,
    /// `X-Alter-Context`, the exact header string.
    pub actor_context: Option<&'a str>,
}

impl Identity<'_> {
    fn lines(&self) -> [(&'static str, Option<&str>); 4] {
        [
            ("caller", self.caller),
            ("caller-type", self.caller_type),
            ("actor-id", self.actor_id),
            ("actor-context", self.actor_context),
        ]
    }

    /// True when no identity value is present, so the legacy form is signed.
    pub fn is_empty(&self) -> bool {
        self.lines()
            .iter()
            .all(|(_, v)| v.is_none_or(str::is_empty))
    }
}

/// Everything a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// HTTP method (upper-cased when signed).
    pub method: &'a str,
    /// Path and query relative to the base URL, e.g. `/sdk/grants/list`.
    pub path_and_query: &'a str,
    /// Unix seconds, decimal.
    pub timestamp: &'a str,
    /// 32 lowercase hex characters.
    pub nonce: &'a str,
    /// Lowercase hex SHA-256 of the body bytes.
    pub content_sha256: &'a str,
    /// `X-Alter-Scope-Constraints`, if any.
    pub scope_constraints: Option<&'a str>,
    /// `X-Alter-Request-Rule`, if any.
    pub request_rule: Option<&'a str>,
    /// Identity values (v2 lines).
    pub identity: Identity<'a>,
}

/// The legacy string to sign (docs/wire.md §2.3), whatever the identity.
pub fn legacy_string_to_sign(input: &SignInput<'_>) -> String {
    let mut s = String::with_capacity(160);
    s.push_str(&input.method.to_ascii_uppercase());
    for line in [
        canonical_path(input.path_and_query).as_str(),
        input.timestamp,
        input.nonce,
        input.content_sha256,
        input.scope_constraints.unwrap_or(""),
    ] {
        s.push('\n');
        s.push_str(line);
    }
    if let Some(rule) = input.request_rule {
        s.push_str("\nrequest-rule:");
        s.push_str(rule);
    }
    s
}

/// The string to sign: the v2 form (docs/wire.md §2.4) when any identity value is present, otherwise
/// the legacy form.
///
/// ```
/// use grantline::signing::{string_to_sign, Identity, SignInput};
/// let input = SignInput {
///     method: "POST",
///     path_and_query: "/sdk/grants/list",
///     timestamp: "1700000000",
///     nonce: "00112233445566778899aabbccddeeff",
///     content_sha256: "79cca47b16046efc521110b1af7825c6ea1893f0513b5314c7d4cc8cc4bed0fb",
///     scope_constraints: None,
///     request_rule: None,
///     identity: Identity { actor_id: Some("6fa459ea-ee8a-3ca4-894e-db77e160355e"), ..Default::default() },
/// };
/// assert!(string_to_sign(&input).ends_with("\n\nactor-id:6fa459ea-ee8a-3ca4-894e-db77e160355e"));
/// ```
pub fn string_to_sign(input: &SignInput<'_>) -> String {
    let mut s = legacy_string_to_sign(input);
    for (label, value) in input.identity.lines() {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            s.push('\n');
            s.push_str(label);
            s.push(':');
            s.push_str(v);
        }
    }
    s
}

/// The signed path line (docs/wire.md §2.2): the fully percent-decoded path, then the query parsed as
/// `parse_qsl`, sorted by name then value, and re-encoded with `quote_plus` rules.
///
/// ```
/// assert_eq!(grantline::signing::canonical_path("/sdk/keys?b=2&a=1%20x&a=0"), "/sdk/keys?a=0&a=1+x&b=2");
/// ```
pub fn canonical_path(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, q),
        None => (path_and_query, ""),
    };
    let mut out = percent_decode(path.as_bytes(), false);
    if query.is_empty() {
        return out;
    }
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (name, value) = seg.split_once('=').unwrap_or((seg, ""));
            (
                percent_decode(name.as_bytes(), true),
                percent_decode(value.as_bytes(), true),
            )
        })
        .collect();
    pairs.sort();
    out.push('?');
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        quote_plus_into(name, &mut out);
        out.push('=');
        quote_plus_into(value, &mut out);
    }
    out
}

/// Python's `unquote` (or `unquote_plus` when `plus_is_space`): `%XX` becomes the byte, a `%` not
/// followed by two hex digits stays literal, and invalid UTF-8 becomes U+FFFD.
fn percent_decode(input: &[u8], plus_is_space: bool) -> String {
    let mut bytes = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        let hex_pair = if b == b'%' {
            input
                .get(i + 1..i + 3)
                .and_then(|h| Some(hex_value(h[0])? << 4 | hex_value(h[1])?))
        } else {
            None
        };
        match hex_pair {
            Some(decoded) => {
                bytes.push(decoded);
                i += 3;
            }
            None => {
                bytes.push(if plus_is_space && b == b'+' { b' ' } else { b });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Python's `quote_plus(s, safe='')`.
fn quote_plus_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Value {
        serde_json::from_str(include_str!("../../tests/vectors/signing.json")).unwrap()
    }

    #[test]
    fn signing_key_vector() {
        let v = vectors();
        let case = &v["signing_key_hex"];
        let key = SigningKey::derive(case["api_key"].as_str().unwrap());
        assert_eq!(key.to_hex(), case["expected"].as_str().unwrap());
        assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    }

    #[test]
    fn canonical_path_vectors() {
        for case in vectors()["canonical_path"].as_array().unwrap() {
            let got = canonical_path(case["in"].as_str().unwrap());
            assert_eq!(got, case["out"].as_str().unwrap(), "{case}");
        }
    }

    #[test]
    fn canonical_path_edge_cases() {
        assert_eq!(canonical_path("/a%2Fb%zz%4"), "/a/b%zz%4");
        assert_eq!(canonical_path("/p?a+b=c+d"), "/p?a+b=c+d");
        assert_eq!(canonical_path("/p?a=%FF"), "/p?a=%EF%BF%BD");
        assert_eq!(canonical_path("/p%FF"), "/p\u{FFFD}");
        assert_eq!(canonical_path("/p?b&a=1=2"), "/p?a=1%3D2&b=");
    }

    #[test]
    fn signature_vectors() {
        for case in vectors()["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let exp = &case["expected"];
            let id = &case["identity"];
            let body = case["body"].as_str().unwrap();
            let hash = content_sha256(body.as_bytes());
            assert_eq!(hash, exp["content_sha256"].as_str().unwrap(), "{name}");
            let input = SignInput {
                method: case["method"].as_str().unwrap(),
                path_and_query: case["path_and_query"].as_str().unwrap(),
                timestamp: case["timestamp"].as_str().unwrap(),
                nonce: case["nonce"].as_str().unwrap(),
                content_sha256: &hash,
                scope_constraints: None,
                request_rule: None,
                identity: Identity {
                    caller: id["caller"].as_str(),
                    caller_type: id["caller-type"].as_str(),
                    actor_id: id["actor-id"].as_str(),
                    actor_context: id["actor-context"].as_str(),
                },
            };
            assert_eq!(
                canonical_path(input.path_and_query),
                exp["canonical_path"].as_str().unwrap()
            );
            let sts = string_to_sign(&input);
            assert_eq!(sts, exp["string_to_sign"].as_str().unwrap(), "{name}");
            let key = SigningKey::derive(case["api_key"].as_str().unwrap());
            let sig = key.sign(&sts);
            assert_eq!(sig, exp["x_alter_signature"].as_str().unwrap(), "{name}");
            assert!(key.verify(&sts, &sig));
            assert!(!key.verify(&sts, &sig[..62]));
            assert!(!key.verify(&sts, "zz"));
            assert_eq!(
                input.identity.is_empty(),
                exp["x_alter_signature_v2"].is_null(),
                "{name}"
            );
            if let Some(legacy) = exp["legacy_signature_not_sent"].as_str() {
                assert_eq!(key.sign(&legacy_string_to_sign(&input)), legacy, "{name}");
            }
        }
    }

    #[test]
    fn empty_body_hash() {
        assert_eq!(content_sha256(b""), EMPTY_SHA256);
    }

    #[test]
    fn request_rule_and_constraints_lines() {
        let input = SignInput {
            method: "get",
            path_and_query: "/x",
            timestamp: "1",
            nonce: "n",
            content_sha256: "h",
            scope_constraints: Some("a,b"),
            request_rule: Some("eyJ9"),
            identity: Identity {
                caller: Some(""),
                ..Default::default()
            },
        };
        assert!(input.identity.is_empty());
        assert_eq!(
            string_to_sign(&input),
            "GET\n/x\n1\nn\nh\na,b\nrequest-rule:eyJ9"
        );
    }

    #[test]
    fn nonces_are_fresh_hex() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }
}
