//! Nonces (docs/wire.md §2): a signed request is refused when a request with the same key,
//! timestamp and nonce was accepted within the signature window (a replay: the timestamp and
//! the nonce are both signed, so a captured request can only be sent again as it is). The window
//! lives in the database ([`crate::store::Store::remember_nonce`]), keyed by expiry first, so
//! new nonces land at the end of the index and the sweep deletes a prefix; every instance on the
//! database refuses a nonce any of them accepted.

use sha2::{Digest, Sha256};

/// What the database keeps of `(key id, timestamp, nonce)`: the first 16 bytes of a SHA-256
/// (the nonce itself may be up to 128 bytes of anything).
pub fn digest(key_id: &str, timestamp: i64, nonce: &str) -> [u8; 16] {
    let d = Sha256::new()
        .chain_update(key_id.as_bytes())
        .chain_update([0u8])
        .chain_update(timestamp.to_be_bytes())
        .chain_update(nonce.as_bytes())
        .finalize();
    d[..16].try_into().expect("16 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_separates_equal_nonces() {
        assert_ne!(digest("k", 1, "n"), digest("k2", 1, "n"));
        assert_ne!(digest("k", 1, "n"), digest("kn", 1, ""));
        assert_ne!(digest("k", 1, "n"), digest("k", 2, "n"));
        assert_eq!(digest("k", 1, "n"), digest("k", 1, "n"));
    }
}
