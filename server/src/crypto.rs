//! Secrets at rest: AES-256-GCM under the master key, key hashing, random tokens.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use std::fmt;

/// The 32-byte master key; its `Debug` shows nothing.
#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
}

/// A ciphertext could not be opened (wrong master key or corrupted data).
#[derive(Debug, thiserror::Error)]
#[error("cannot decrypt: wrong master key or corrupted value")]
pub struct DecryptError;

const NONCE_LEN: usize = 12;

impl MasterKey {
    /// Wraps raw key bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        MasterKey {
            cipher: Aes256Gcm::new(&bytes.into()),
        }
    }

    /// A fresh random key.
    pub fn generate() -> ([u8; 32], Self) {
        let bytes = random_bytes::<32>();
        (bytes, Self::new(bytes))
    }

    /// Parses 64 hex characters (surrounding whitespace ignored).
    pub fn parse_hex(text: &str) -> Result<[u8; 32], String> {
        let raw = hex::decode(text.trim()).map_err(|_| "master key must be 64 hex characters")?;
        raw.try_into()
            .map_err(|_| "master key must be 64 hex characters (32 bytes)".to_string())
    }

    /// `nonce || ciphertext+tag`; `aad` binds the value to its row.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let nonce = Nonce::from_slice(&nonce_bytes);
        let ct = self
            .cipher
            .encrypt(
                nonce,
                aes_gcm::aead::Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("AES-GCM encryption of a bounded value cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens what [`encrypt`](Self::encrypt) sealed.
    pub fn decrypt(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                aes_gcm::aead::Payload { msg: ct, aad },
            )
            .map_err(|_| DecryptError)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// Lowercase hex SHA-256 of an API key: the only form in which keys are stored.
pub fn hash_key(raw_key: &str) -> String {
    hex::encode(Sha256::digest(raw_key.as_bytes()))
}

/// `N` bytes from the OS random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("the OS random source failed");
    out
}

/// A random URL-safe token of 32 random bytes (hex), for admin tokens and dev secrets.
pub fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(random_bytes::<32>()))
}

/// Constant-time string equality.
pub fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_aad_binding() {
        let (_, key) = MasterKey::generate();
        let sealed = key.encrypt(b"s3cret", b"cred-1");
        assert_eq!(key.decrypt(&sealed, b"cred-1").unwrap(), b"s3cret");
        assert!(key.decrypt(&sealed, b"cred-2").is_err());
        let (_, other) = MasterKey::generate();
        assert!(other.decrypt(&sealed, b"cred-1").is_err());
        assert!(!format!("{key:?}").contains("s3cret"));
    }
}
