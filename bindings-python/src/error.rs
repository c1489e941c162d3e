//! Core errors → the Python exception classes of `grantline._errors` (docs/errors.md).
//!
//! The classes are defined in Python (so they pickle and subclass `ValueError` where they
//! should); Rust looks the module up once and raises the class named by
//! [`grantline::ErrorKind::class_name`].

use grantline::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};
use serde_json::Value;

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    ERRORS
        .get_or_try_init(py, || py.import("grantline._errors").map(Bound::unbind))?
        .bind(py)
        .getattr(name)
}

/// Maps a core error onto its Python class.
pub(crate) trait IntoPyErr {
    /// The Python exception for this error.
    fn into_py_err(self, py: Python<'_>) -> PyErr;
}

impl IntoPyErr for &Error {
    fn into_py_err(self, py: Python<'_>) -> PyErr {
        build(py, self).unwrap_or_else(|e| e)
    }
}

impl IntoPyErr for Error {
    fn into_py_err(self, py: Python<'_>) -> PyErr {
        (&self).into_py_err(py)
    }
}

/// `Result<T, grantline::Error>` → `PyResult<T>`.
pub(crate) trait ResultExt<T> {
    /// Converts the error with [`IntoPyErr`].
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> ResultExt<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| e.into_py_err(py))
    }
}

/// An `InvalidArgumentError` (also a `ValueError`) for bad local input.
pub(crate) fn invalid(py: Python<'_>, message: impl Into<String>) -> PyErr {
    Error::InvalidArgument {
        message: message.into(),
    }
    .into_py_err(py)
}

/// A `GrantlineError` for a panic inside grantline (a bug): never a `PanicException`.
pub(crate) fn internal(py: Python<'_>, message: &str) -> PyErr {
    match class(py, "GrantlineError")
        .and_then(|c| c.call1((format!("internal error in grantline: {message}"),)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let cls = class(py, err.kind().class_name())?;
    let kwargs = PyDict::new(py);
    match err {
        Error::Api(api) => {
            kwargs.set_item("status", api.status)?;
            kwargs.set_item("code", api.code.as_deref())?;
            kwargs.set_item("request_id", api.request_id.as_deref())?;
            let details = PyDict::new(py);
            for (k, v) in &api.details {
                details.set_item(k, json_to_py(py, v)?)?;
            }
            kwargs.set_item("details", details)?;
            kwargs.set_item("retry_after", api.retry_after.map(|d| d.as_secs_f64()))?;
            kwargs.set_item("label", api.label.as_deref())?;
            kwargs.set_item("grant_id", api.grant_id.as_deref())?;
            let credentials = PyList::empty(py);
            for c in &api.credentials {
                credentials.append(PyTuple::new(py, [&c.credential_id, &c.label])?)?;
            }
            kwargs.set_item("credentials", credentials)?;
        }
        Error::ResponseValidation { status, .. } => kwargs.set_item("status", *status)?,
        _ => {}
    }
    let exc = cls.call((err.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(exc))
}

/// A JSON value as plain Python data (only for error details and unknown items).
pub(crate) fn json_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any().unbind(),
            (_, Some(u)) => u.into_pyobject(py)?.into_any().unbind(),
            _ => n
                .as_f64()
                .unwrap_or(f64::NAN)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// Runs `f`, turning a Rust panic into a `GrantlineError`.
pub(crate) fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(internal(py, &panic_message(&*payload))),
    }
}

/// The message of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a Rust panic".to_owned())
}
