//! Python arguments → Rust values. Wrong types raise `InvalidArgumentError` (a `ValueError`)
//! before any I/O; the rules on the values themselves are the core's.

use crate::error::invalid;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use std::time::Duration;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// A required `str`.
pub(crate) fn req_str(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => s.extract::<String>(),
        Err(_) => Err(invalid(
            py,
            format!("{name} must be a str, not {}", type_name(obj)),
        )),
    }
}

/// An optional `str` (`None` allowed).
pub(crate) fn opt_str(
    py: Python<'_>,
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<String>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => req_str(py, o, name).map(Some),
    }
}

/// An `int` (not a `bool`).
pub(crate) fn int(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i128> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(invalid(
            py,
            format!("{name} must be an int, not {}", type_name(obj)),
        ));
    }
    obj.extract::<i128>()
        .map_err(|_| invalid(py, format!("{name} is out of range")))
}

/// `limit` as the core's type; values outside it cannot be valid pages.
pub(crate) fn limit(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<u32> {
    let v = int(py, obj, "limit")?;
    u32::try_from(v).map_err(|_| invalid(py, format!("limit must be between 1 and 1000 (got {v})")))
}

/// `offset` as the core's type.
pub(crate) fn offset(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    let v = int(py, obj, "offset")?;
    u64::try_from(v).map_err(|_| invalid(py, format!("offset must be >= 0 (got {v})")))
}

/// `max_retries` as the core's type.
pub(crate) fn retries(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<u32> {
    let v = int(py, obj, "max_retries")?;
    u32::try_from(v).map_err(|_| invalid(py, format!("max_retries must be >= 0 (got {v})")))
}

/// A timeout in seconds (int or float, not bool) as a `Duration`.
pub(crate) fn seconds(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Duration> {
    if obj.is_instance_of::<PyBool>()
        || !(obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>())
    {
        return Err(invalid(
            py,
            format!("{name} must be a number of seconds, not {}", type_name(obj)),
        ));
    }
    let v: f64 = obj.extract()?;
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            invalid(
                py,
                format!("{name} must be a positive number of seconds (got {v})"),
            )
        })
}
