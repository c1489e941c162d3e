//! Fault injection, a development/test feature: the next `times` `/sdk` requests whose path
//! starts with `path_prefix` are delayed and/or answered with a canned status, so client retry
//! and timeout behaviour can be tested against a real server.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

fn one() -> u32 {
    1
}

/// One injected fault.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Applies to `/sdk` requests whose path starts with this.
    pub path_prefix: String,
    /// The status to answer; 0 = only delay, then proceed normally.
    pub status: u16,
    /// How many requests it applies to (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// A `Retry-After` header value.
    #[serde(default)]
    pub retry_after: Option<String>,
    /// Sleep this long first.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// The raw body; default a JSON error body.
    #[serde(default)]
    pub body: Option<String>,
    /// Extra response headers (e.g. `x-request-id`), names in any case.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// The pending faults.
#[derive(Debug, Default)]
pub struct Faults(Mutex<Vec<(FaultSpec, u32)>>);

impl Faults {
    /// Queues a fault.
    pub fn add(&self, spec: FaultSpec) {
        let n = spec.times;
        if n > 0 {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((spec, n));
        }
    }

    /// Consumes one use of the first fault matching `path`.
    pub fn take(&self, path: &str) -> Option<FaultSpec> {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if list.is_empty() {
            return None;
        }
        let i = list
            .iter()
            .position(|(f, _)| path.starts_with(&f.path_prefix))?;
        let spec = list[i].0.clone();
        list[i].1 -= 1;
        if list[i].1 == 0 {
            list.remove(i);
        }
        Some(spec)
    }

    /// Drops every pending fault.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
