//! Core `tracing` events → the Python logger `grantline`.
//!
//! Events are recorded by a small subscriber into a bounded queue (on whatever thread they
//! happen, without touching Python) and handed to `logging` on a Python thread after each call.
//! Core never puts secrets in events (keys and tokens are redacted there).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

static RECORDS: Mutex<Vec<(u8, String)>> = Mutex::new(Vec::new());
static PENDING: AtomicBool = AtomicBool::new(false);
static DEBUG: AtomicBool = AtomicBool::new(false);
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
const MAX_RECORDS: usize = 10_000;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

struct ToPython;

impl<S: Subscriber> Layer<S> for ToPython {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let level = *event.metadata().level();
        let py_level = match level {
            Level::ERROR => 40,
            Level::WARN => 30,
            Level::INFO => 20,
            _ if DEBUG.load(Ordering::Relaxed) => 10,
            _ => return,
        };
        let mut msg = Message(String::new());
        event.record(&mut msg);
        let mut records = RECORDS.lock().unwrap_or_else(|e| e.into_inner());
        if records.len() < MAX_RECORDS {
            records.push((py_level, msg.0));
            PENDING.store(true, Ordering::Release);
        }
    }
}

/// Installs the subscriber (once per process; does nothing if another one is set).
pub(crate) fn install() {
    let subscriber = tracing_subscriber::registry().with(ToPython);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Hands queued records to `logging.getLogger("grantline")`; also reads whether DEBUG is on.
pub(crate) fn flush_pending(py: Python<'_>) -> PyResult<()> {
    let logger = LOGGER.get_or_try_init(py, || {
        py.import("logging")?
            .call_method1("getLogger", ("grantline",))
            .map(Bound::unbind)
    })?;
    let logger = logger.bind(py);
    let debug: bool = logger.call_method1("isEnabledFor", (10,))?.extract()?;
    DEBUG.store(debug, Ordering::Relaxed);
    if !PENDING.swap(false, Ordering::AcqRel) {
        return Ok(());
    }
    let records = std::mem::take(&mut *RECORDS.lock().unwrap_or_else(|e| e.into_inner()));
    for (level, message) in records {
        logger.call_method1("log", (level, message))?;
    }
    Ok(())
}
