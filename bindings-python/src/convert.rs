//! Python values → the core's argument form (JSON values the core reads with its own rules).
//! Only types are converted here: `int`, `float`, `str`, `bool`, `None`, lists, dicts, aware or
//! naive (local time) datetimes, bytes-like values (as `{"base64": ...}`, the core's byte form),
//! and grantline's own principals and policies. A value of any
//! other type is an `InvalidArgumentError` (a `ValueError`) naming the argument.

use crate::error::invalid;
use crate::models::GrantPolicy;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use serde_json::{Map, Value};

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// `obj` (the argument at `path`) as a JSON value.
pub(crate) fn to_value(py: Python<'_>, obj: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    if obj.is_none() {
        Ok(Value::Null)
    } else if obj.is_instance_of::<PyBool>() {
        Ok(Value::Bool(obj.extract()?))
    } else if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            Ok(i.into())
        } else if let Ok(u) = obj.extract::<u64>() {
            Ok(u.into())
        } else {
            Err(invalid(py, format!("{path} is out of range")))
        }
    } else if obj.is_instance_of::<PyFloat>() {
        serde_json::Number::from_f64(obj.extract()?)
            .map(Value::Number)
            .ok_or_else(|| invalid(py, format!("{path} must be a finite number")))
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(Value::String(s.extract()?))
    } else if obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyByteArray>()
        || obj.is_instance_of::<pyo3::types::PyMemoryView>()
    {
        // Bytes (a request body): the core's byte form, `{"base64": ...}`.
        use base64::Engine as _;
        let raw: Vec<u8> = if let Ok(b) = obj.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else {
            obj.call_method0("__bytes__")
                .or_else(|_| py.import("builtins")?.getattr("bytes")?.call1((obj,)))?
                .extract()?
        };
        let mut map = Map::new();
        map.insert(
            "base64".into(),
            Value::String(base64::engine::general_purpose::STANDARD.encode(raw)),
        );
        Ok(Value::Object(map))
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let Ok(k) = k.cast::<PyString>() else {
                return Err(invalid(py, format!("{path} keys must be strings")));
            };
            let k: String = k.extract()?;
            let v = to_value(py, &v, &format!("{path}.{k}"))?;
            map.insert(k, v);
        }
        Ok(Value::Object(map))
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        obj.try_iter()?
            .enumerate()
            .map(|(i, v)| to_value(py, &v?, &format!("{path}[{i}]")))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array)
    } else if let Ok(p) = obj.cast::<GrantPolicy>() {
        Ok(serde_json::to_value(&p.get().0).expect("a policy serializes"))
    } else if let Some(p) = crate::principal::core_principal(obj) {
        Ok(serde_json::to_value(&p).expect("a principal serializes"))
    } else if obj.is_instance(crate::models::datetime_class(py)?)? {
        // A naive datetime means local time, as everywhere in Python (`datetime.timestamp()`).
        let aware = if obj.getattr("tzinfo")?.is_none() {
            obj.call_method0("astimezone")?
        } else {
            obj.clone()
        };
        Ok(Value::String(aware.call_method0("isoformat")?.extract()?))
    } else {
        Err(invalid(
            py,
            format!("{path} has an unsupported type {}", type_name(obj)),
        ))
    }
}

/// A call's keyword arguments as one JSON object. A `principal` must be one of grantline's
/// principal classes (as in the official client), not a dict.
pub(crate) fn args_value(py: Python<'_>, args: &Bound<'_, PyDict>) -> PyResult<Value> {
    let mut map = Map::new();
    for (k, v) in args.iter() {
        let k: String = k.extract()?;
        if k == "principal" && !v.is_none() && crate::principal::core_principal(&v).is_none() {
            return Err(invalid(
                py,
                format!(
                    "principal must be a UserPrincipal, GroupPrincipal, SystemPrincipal or AgentPrincipal, not {}",
                    type_name(&v)
                ),
            ));
        }
        if k == "grant_policy"
            && !(v.is_none() || v.is_instance_of::<PyDict>() || v.cast::<GrantPolicy>().is_ok())
        {
            return Err(invalid(
                py,
                format!(
                    "grant_policy must be a GrantPolicy, a dict or None, not {}",
                    type_name(&v)
                ),
            ));
        }
        let value = to_value(py, &v, &k)?;
        map.insert(k, value);
    }
    Ok(Value::Object(map))
}
