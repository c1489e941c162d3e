//! Fault injection, a development/test feature: the next `times` `/sdk` requests whose path
//! starts with `path_prefix` are delayed and/or answered with a canned status, so client retry
//! and timeout behaviour can be tested against a real server. A fault's `stage` says where in
//! the request it strikes, so a test can hold a request at a chosen point (and, say, abandon it
//! there).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// Where in a request a fault strikes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultStage {
    /// Before the body is read: a delay, a canned answer, or both.
    #[default]
    Request,
    /// After the request is authenticated, before its work starts: a delay only.
    Authenticated,
    /// Inside the write transaction of a create or a revoke, after its first write: a delay
    /// only.
    Transaction,
}

tokio::task_local! {
    /// The path of the `/sdk` request being served (set while faults are pending), so stages
    /// below the HTTP layer can match `path_prefix`.
    static REQUEST_PATH: String;
}

/// Runs `fut` as the request for `path`, for [`Faults::pause`] below the HTTP layer.
pub async fn with_request_path<F: Future>(path: String, fut: F) -> F::Output {
    REQUEST_PATH.scope(path, fut).await
}

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
    /// Where the fault strikes (default: before the body is read).
    #[serde(default)]
    pub stage: FaultStage,
    /// The raw body; default a JSON error body.
    #[serde(default)]
    pub body: Option<String>,
    /// Extra response headers (e.g. `x-request-id`), names in any case.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// A header name as HTTP allows it (an RFC 9110 token).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value a response can carry: visible ASCII, spaces and tabs.
fn is_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

impl FaultSpec {
    /// Checks a fault before it is queued; the error says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.status != 0 && !(100..=599).contains(&self.status) {
            return Err("status must be 0 or 100..=599".into());
        }
        if self.stage != FaultStage::Request && (self.status != 0 || self.delay_ms.is_none()) {
            return Err(
                "a fault of a stage other than request only delays: status 0 and delay_ms".into(),
            );
        }
        if !self.path_prefix.starts_with('/') {
            return Err("path_prefix must start with /".into());
        }
        if self
            .retry_after
            .as_deref()
            .is_some_and(|v| !is_header_value(v))
        {
            return Err("retry_after is not a valid header value".into());
        }
        for (name, value) in &self.headers {
            if !is_header_name(name) || !is_header_value(value) {
                return Err(format!("headers: {name:?} is not a valid header"));
            }
        }
        Ok(())
    }
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

    /// Whether any fault is pending.
    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    /// Consumes one use of the first fault of `stage` matching `path`.
    pub fn take(&self, stage: FaultStage, path: &str) -> Option<FaultSpec> {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if list.is_empty() {
            return None;
        }
        let i = list
            .iter()
            .position(|(f, _)| f.stage == stage && path.starts_with(&f.path_prefix))?;
        let spec = list[i].0.clone();
        list[i].1 -= 1;
        if list[i].1 == 0 {
            list.remove(i);
        }
        Some(spec)
    }

    /// Sleeps for a delay-only fault of `stage` matching the current request's path (see
    /// [`with_request_path`]); nothing outside a request.
    pub async fn pause(&self, stage: FaultStage) {
        if let Some(d) = self.delay(stage) {
            tokio::time::sleep(d).await;
        }
    }

    /// Takes a delay-only fault of `stage` matching the current request's path, for work that
    /// runs elsewhere (a write queued for a shared transaction) to sleep there.
    pub fn delay(&self, stage: FaultStage) -> Option<Duration> {
        if self.is_empty() {
            return None;
        }
        REQUEST_PATH
            .try_with(|path| self.take(stage, path))
            .ok()
            .flatten()
            .and_then(|f| f.delay_ms)
            .map(|ms| Duration::from_millis(ms.min(600_000)))
    }

    /// Drops every pending fault.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
