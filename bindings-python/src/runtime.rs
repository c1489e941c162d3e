//! The async path's runtime and completion queue.
//!
//! One tokio runtime per process (one I/O worker), keyed by pid: a forked child builds its own
//! and never touches (or drops) the one it inherited. Core futures run there; when one finishes,
//! its outcome is queued and one byte is written to a socket pair that the asyncio event loop
//! watches (`loop.add_reader`). The loop then drains the queue on its own thread, so no Rust
//! thread ever calls into Python. A cancelled asyncio waiter aborts its task (`cancel`), which
//! then never posts an outcome.

use crate::error::{IntoPyErr, internal, panic_message};
use crate::models::{
    CreateGrantResult, DelegationResult, GrantInfo, GrantListResult, RevokeGrantResult, item_to_py,
};
use futures_util::FutureExt;
use grantline::{Error, GrantItem};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::collections::HashMap;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::AbortHandle;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

static RUNTIME: Mutex<Option<(u32, tokio::runtime::Runtime)>> = Mutex::new(None);

/// This process's runtime (built on first use, and again in a forked child).
pub(crate) fn handle() -> Result<tokio::runtime::Handle, Error> {
    let mut slot = lock(&RUNTIME);
    let pid = std::process::id();
    if slot.as_ref().is_some_and(|(p, _)| *p != pid) {
        // Inherited through fork(): its threads do not exist here and its epoll is the parent's.
        std::mem::forget(slot.take());
    }
    if slot.is_none() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("grantline-io")
            .enable_all()
            .build()
            .map_err(|e| Error::Network {
                message: format!("cannot start the I/O runtime: {e}"),
            })?;
        *slot = Some((pid, runtime));
    }
    Ok(slot.as_ref().expect("set above").1.handle().clone())
}

/// A value of type `T` (a client with its connection pool) rebuilt in a forked child.
pub(crate) struct ForkAware<T> {
    make: Box<dyn Fn() -> Result<T, Error> + Send + Sync>,
    current: Mutex<(u32, T)>,
}

impl<T: Clone> ForkAware<T> {
    pub(crate) fn new(
        make: impl Fn() -> Result<T, Error> + Send + Sync + 'static,
    ) -> Result<Self, Error> {
        let value = make()?;
        Ok(ForkAware {
            make: Box::new(make),
            current: Mutex::new((std::process::id(), value)),
        })
    }

    pub(crate) fn get(&self) -> Result<T, Error> {
        let mut current = lock(&self.current);
        let pid = std::process::id();
        if current.0 != pid {
            let fresh = (self.make)()?;
            // The inherited pool's sockets and tasks belong to the parent: never drop them here.
            std::mem::forget(std::mem::replace(&mut *current, (pid, fresh)));
        }
        Ok(current.1.clone())
    }
}

/// What a finished async call produced.
pub(crate) enum Output {
    /// An operation's result.
    Outcome(Box<grantline::Outcome>),
    /// The next items of a paged listing.
    Items(Vec<GrantItem>),
}

enum Outcome {
    Done(Result<Output, Error>),
    Panicked(String),
}

struct Shared {
    queue: Mutex<Vec<(u64, Outcome)>>,
    /// Every task whose future still exists; its entry goes when the future finishes or is dropped.
    tasks: Mutex<HashMap<u64, Task>>,
    writer: UnixStream,
}

struct Task {
    /// `None` only until `spawn` has returned.
    abort: Option<AbortHandle>,
    cancelled: bool,
}

/// Owned by a task's future: removes its entry when that future is dropped (finished or aborted).
struct Untrack(Arc<Shared>, u64);

impl Drop for Untrack {
    fn drop(&mut self) {
        lock(&self.0.tasks).remove(&self.1);
    }
}

/// One event loop's completion queue; `fileno()` becomes readable when outcomes are waiting.
#[pyclass(frozen, module = "grantline._native")]
pub struct Completions {
    shared: Arc<Shared>,
    reader: UnixStream,
    next: AtomicU64,
    /// The creating process: a forked child's copy must not touch the parent's tasks.
    pid: u32,
}

impl Completions {
    /// Runs `call` on the runtime; its outcome is delivered through this queue under the token.
    pub(crate) fn submit<F>(&self, py: Python<'_>, call: F) -> PyResult<u64>
    where
        F: Future<Output = Result<Output, Error>> + Send + 'static,
    {
        let handle = handle().map_err(|e| e.into_py_err(py))?;
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        let untrack = Untrack(self.shared.clone(), token);
        let task = Task {
            abort: None,
            cancelled: false,
        };
        lock(&self.shared.tasks).insert(token, task);
        let spawned = handle.spawn(async move {
            let outcome = match AssertUnwindSafe(call).catch_unwind().await {
                Ok(result) => Outcome::Done(result),
                Err(payload) => Outcome::Panicked(panic_message(&*payload)),
            };
            let shared = &untrack.0;
            let cancelled = lock(&shared.tasks)
                .remove(&token)
                .is_none_or(|t| t.cancelled);
            if cancelled {
                return; // nobody waits for this outcome any more
            }
            lock(&shared.queue).push((token, outcome));
            // A full socket already wakes the reader; nothing else can go wrong worth reporting.
            let _ = (&shared.writer).write(&[1]);
        });
        let cancelled = match lock(&self.shared.tasks).get_mut(&token) {
            Some(t) if !t.cancelled => {
                t.abort = Some(spawned.abort_handle());
                false
            }
            Some(_) => true,
            None => false, // already finished
        };
        if cancelled {
            spawned.abort();
        }
        Ok(token)
    }
}

#[pymethods]
impl Completions {
    #[new]
    fn new() -> PyResult<Self> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(Completions {
            shared: Arc::new(Shared {
                queue: Mutex::new(Vec::new()),
                tasks: Mutex::new(HashMap::new()),
                writer,
            }),
            reader,
            next: AtomicU64::new(1),
            pid: std::process::id(),
        })
    }

    /// Aborts the call under `token`; whether it was still running (if so, no outcome follows).
    fn cancel(&self, token: u64) -> bool {
        if std::process::id() != self.pid {
            return false;
        }
        let abort = match lock(&self.shared.tasks).get_mut(&token) {
            Some(t) if !t.cancelled => {
                t.cancelled = true;
                t.abort.take()
            }
            _ => return false,
        };
        if let Some(abort) = abort {
            abort.abort();
        }
        true
    }

    /// How many calls are still running (an aborted one until its future has been dropped).
    fn pending(&self) -> usize {
        if std::process::id() != self.pid {
            return 0;
        }
        lock(&self.shared.tasks).len()
    }

    /// The file descriptor to watch for readability.
    fn fileno(&self) -> i32 {
        self.reader.as_raw_fd()
    }

    /// Every finished call as `(token, ok, value_or_exception)`.
    fn drain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut buf = [0u8; 256];
        loop {
            match (&self.reader).read(&mut buf) {
                Ok(0) => break,
                Ok(n) if n < buf.len() => break,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let done = std::mem::take(&mut *lock(&self.shared.queue));
        let out = PyList::empty(py);
        for (token, outcome) in done {
            let (ok, value): (bool, Py<PyAny>) = match outcome {
                Outcome::Done(Ok(output)) => match output_to_py(py, output) {
                    Ok(v) => (true, v),
                    Err(e) => (false, e.into_value(py).into_any()),
                },
                Outcome::Done(Err(e)) => (false, e.into_py_err(py).into_value(py).into_any()),
                Outcome::Panicked(msg) => (false, internal(py, &msg).into_value(py).into_any()),
            };
            out.append(PyTuple::new(
                py,
                [
                    token.into_pyobject(py)?.into_any(),
                    ok.into_pyobject(py)?.to_owned().into_any(),
                    value.into_bound(py),
                ],
            )?)?;
        }
        crate::logging::flush_pending(py)?;
        Ok(out)
    }
}

/// An operation's result as its Python object (one arm per result type).
pub(crate) fn outcome_to_py(py: Python<'_>, outcome: grantline::Outcome) -> PyResult<Py<PyAny>> {
    use grantline::Outcome as O;
    Ok(match outcome {
        O::CreateManagedSecretGrant(r) => Py::new(py, CreateGrantResult(r))?.into_any(),
        O::ListGrants(p) => Py::new(py, GrantListResult::new(py, p)?)?.into_any(),
        O::RevokeGrant(r) => Py::new(py, RevokeGrantResult(r))?.into_any(),
        O::MintGrant(r) => Py::new(py, GrantInfo(r))?.into_any(),
        O::Delegate(r) => Py::new(py, DelegationResult(r))?.into_any(),
        O::RevokeDelegation(()) => py.None(),
        O::Request(r) => Py::new(py, crate::models::ProviderResponse(r))?.into_any(),
        _ => return Err(internal(py, "an outcome this version cannot convert")),
    })
}

fn output_to_py(py: Python<'_>, output: Output) -> PyResult<Py<PyAny>> {
    match output {
        Output::Outcome(outcome) => outcome_to_py(py, *outcome),
        Output::Items(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(item_to_py(py, item)?)?;
            }
            Ok(list.into_any().unbind())
        }
    }
}
