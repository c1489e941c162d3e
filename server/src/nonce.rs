//! Nonces (docs/wire.md §2): a signed request's nonce is refused while another request of the
//! same key used it within the signature window. The window lives in the database
//! ([`crate::store::Store::remember_nonce`]), so every instance on it refuses a nonce any of them
//! accepted; expired nonces are swept.

use sha2::{Digest, Sha256};

/// What the database keeps of `(key id, nonce)`: the first 16 bytes of a SHA-256 (the nonce
/// itself may be up to 128 bytes of anything).
pub fn digest(key_id: &str, nonce: &str) -> [u8; 16] {
    let d = Sha256::new()
        .chain_update(key_id.as_bytes())
        .chain_update([0u8])
        .chain_update(nonce.as_bytes())
        .finalize();
    d[..16].try_into().expect("16 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_separates_equal_nonces() {
        assert_ne!(digest("k", "n"), digest("k2", "n"));
        assert_ne!(digest("k", "n"), digest("kn", ""));
        assert_eq!(digest("k", "n"), digest("k", "n"));
    }
}
