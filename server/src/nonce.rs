//! Nonces seen per key, remembered while their timestamp is inside the window (a replay is 401).
//! In memory, sharded, bounded.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

const SHARDS: usize = 16;
/// Entries per shard before the cache refuses new nonces (each entry is ~32 bytes).
const SHARD_CAP: usize = 1 << 18;

/// The outcome of [`NonceCache::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// First sight; remembered now.
    Fresh,
    /// Seen before within the window.
    Replayed,
    /// The cache is full of live nonces (overload).
    Full,
}

/// Remembered nonces.
#[derive(Debug)]
pub struct NonceCache {
    shards: Vec<Mutex<HashMap<u128, i64>>>,
}

impl Default for NonceCache {
    fn default() -> Self {
        NonceCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl NonceCache {
    /// Records `(key_id, nonce)`, valid until `expires_at` (Unix seconds); `now` prunes.
    pub fn check(&self, key_id: &str, nonce: &str, expires_at: i64, now: i64) -> NonceCheck {
        let digest = Sha256::new()
            .chain_update(key_id.as_bytes())
            .chain_update([0u8])
            .chain_update(nonce.as_bytes())
            .finalize();
        let id = u128::from_le_bytes(digest[..16].try_into().expect("16 bytes"));
        let shard = &self.shards[(id as usize) % SHARDS];
        let mut map = shard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&exp) = map.get(&id)
            && exp >= now
        {
            return NonceCheck::Replayed;
        }
        if map.len() >= SHARD_CAP {
            map.retain(|_, exp| *exp >= now);
            if map.len() >= SHARD_CAP {
                return NonceCheck::Full;
            }
        }
        map.insert(id, expires_at);
        NonceCheck::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_within_window_only() {
        let c = NonceCache::default();
        assert_eq!(c.check("k", "n", 100, 0), NonceCheck::Fresh);
        assert_eq!(c.check("k", "n", 100, 50), NonceCheck::Replayed);
        assert_eq!(c.check("k2", "n", 100, 50), NonceCheck::Fresh);
        assert_eq!(c.check("k", "n", 300, 101), NonceCheck::Fresh);
    }
}
