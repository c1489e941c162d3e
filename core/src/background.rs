//! Work a call leaves behind: a `request`'s audit record and scope-mismatch report are written
//! after the call has returned, never failing it, and `flush` waits for them.
//!
//! They run on one process-wide runtime of their own (one worker thread, built on first use and
//! again in a forked child), not on the caller's: a blocking client's runtime only runs while
//! its thread is inside a call, so a write left on it would wait for the next call. Each client
//! keeps a connection pool for this runtime (pooled connections belong to the runtime that
//! opened them). docs/request.md explains the choice.

use crate::error::Error;
use std::future::Future;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

static RUNTIME: Mutex<Option<(u32, tokio::runtime::Runtime)>> = Mutex::new(None);

/// The background runtime's handle (built on first use, and again after `fork()`).
fn handle() -> Result<tokio::runtime::Handle, Error> {
    let mut slot = lock(&RUNTIME);
    let pid = std::process::id();
    if slot.as_ref().is_some_and(|(p, _)| *p != pid) {
        // Inherited through fork(): its threads do not exist here. Never drop it.
        std::mem::forget(slot.take());
    }
    if slot.is_none() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("grantline-background")
            .enable_all()
            .build()
            .map_err(|e| Error::Network {
                message: format!("cannot start the background runtime: {e}"),
            })?;
        *slot = Some((pid, runtime));
    }
    Ok(slot.as_ref().expect("set above").1.handle().clone())
}

/// The background writes of one client (and the agents made from it).
#[derive(Default)]
pub(crate) struct Background {
    /// The pid that counted, and how many writes are pending in it (a forked child inherits a
    /// count whose tasks do not exist there: it counts from zero).
    pending: Mutex<(u32, usize)>,
    idle: Condvar,
    idle_async: tokio::sync::Notify,
    /// The pool for the background runtime, with the pid that built it.
    http: Mutex<Option<(u32, reqwest::Client)>>,
}

impl Background {
    /// The connection pool background writes use (a new one in a forked child).
    pub(crate) fn http(
        &self,
        make: impl FnOnce() -> Result<reqwest::Client, Error>,
    ) -> Result<reqwest::Client, Error> {
        let mut slot = lock(&self.http);
        let pid = std::process::id();
        if let Some((p, client)) = slot.as_ref()
            && *p == pid
        {
            return Ok(client.clone());
        }
        if let Some(old) = slot.take() {
            std::mem::forget(old);
        }
        let client = make()?;
        *slot = Some((pid, client.clone()));
        Ok(client)
    }

    /// Runs `work` in the background; it counts as pending until it ends. A failure to start
    /// the runtime drops the work (a background write never fails the call).
    pub(crate) fn spawn(
        self: &std::sync::Arc<Self>,
        work: impl Future<Output = ()> + Send + 'static,
    ) {
        let Ok(handle) = handle() else {
            tracing::warn!("background runtime unavailable; an audit record was not written");
            return;
        };
        {
            let mut p = lock(&self.pending);
            let pid = std::process::id();
            if p.0 != pid {
                *p = (pid, 0);
            }
            p.1 += 1;
        }
        let this = self.clone();
        handle.spawn(async move {
            work.await;
            let mut p = lock(&this.pending);
            p.1 = p.1.saturating_sub(1);
            if p.1 == 0 {
                this.idle.notify_all();
                this.idle_async.notify_waiters();
            }
        });
    }

    /// How many writes are pending.
    pub(crate) fn pending(&self) -> usize {
        let p = lock(&self.pending);
        if p.0 == std::process::id() { p.1 } else { 0 }
    }

    /// Waits until no write is pending, at most `timeout`; true when none is.
    pub(crate) async fn flush(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.idle_async.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.pending() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.pending() == 0;
            }
        }
    }

    /// [`Background::flush`] for a thread without a runtime.
    pub(crate) fn flush_blocking(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let pid = std::process::id();
        let mut p = lock(&self.pending);
        while p.0 == pid && p.1 > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            p = self
                .idle
                .wait_timeout(p, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}
