//! Principals: frozen pyclasses over the core's `Principal`, validated by the core when built.

use crate::convert::to_value;
use crate::error::ResultExt;
use grantline::{Dialect, Principal};
use pyo3::PyTypeInfo;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// `__reduce__`: the class and its constructor's arguments (pickle, `copy`).
fn reduce<'py, C: PyTypeInfo, A: IntoPyObject<'py>>(
    py: Python<'py>,
    args: A,
) -> PyResult<Bound<'py, PyTuple>> {
    (py.get_type::<C>(), args).into_pyobject(py)
}

/// A principal of `kind` from its constructor's arguments, read by the core's rules.
fn build(
    py: Python<'_>,
    kind: &str,
    fields: &[(&str, Option<&Bound<'_, PyAny>>)],
) -> PyResult<Principal> {
    let mut map = serde_json::Map::new();
    map.insert("type".into(), kind.into());
    for (name, value) in fields {
        if let Some(v) = value {
            map.insert((*name).to_owned(), to_value(py, v, name)?);
        }
    }
    grantline::args::from_value(serde_json::Value::Object(map), Dialect::Python).py_err(py)
}

macro_rules! principal_common {
    ($ty:ident) => {
        #[pymethods]
        impl $ty {
            /// The wire `type`.
            #[getter(r#type)]
            fn kind(&self) -> &'static str {
                self.0.kind()
            }
            #[getter]
            fn label(&self) -> Option<&str> {
                self.0.label()
            }
        }
    };
}

/// An end user, by a JWT from one of the app's identity providers.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct UserPrincipal(pub(crate) Principal);
principal_common!(UserPrincipal);

#[pymethods]
impl UserPrincipal {
    #[new]
    fn new(
        py: Python<'_>,
        user_token: &Bound<'_, PyAny>,
        label: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        build(
            py,
            "user",
            &[("user_token", Some(user_token)), ("label", Some(label))],
        )
        .map(UserPrincipal)
    }
    /// The end user's token (a secret: never shown by `repr`).
    #[getter]
    fn user_token(&self) -> &str {
        match &self.0 {
            Principal::User { user_token, .. } => user_token,
            _ => "",
        }
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce::<Self, _>(py, (self.user_token(), self.0.label()))
    }
    fn __repr__(&self) -> String {
        format!(
            "UserPrincipal(user_token=<redacted>, label={:?})",
            self.0.label().unwrap_or("")
        )
    }
}

/// Every member of an IDP group.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct GroupPrincipal(pub(crate) Principal);
principal_common!(GroupPrincipal);

#[pymethods]
impl GroupPrincipal {
    #[new]
    fn new(
        py: Python<'_>,
        external_group_id: &Bound<'_, PyAny>,
        idp_id: &Bound<'_, PyAny>,
        label: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        build(
            py,
            "group",
            &[
                ("external_group_id", Some(external_group_id)),
                ("idp_id", Some(idp_id)),
                ("label", Some(label)),
            ],
        )
        .map(GroupPrincipal)
    }
    #[getter]
    fn external_group_id(&self) -> &str {
        match &self.0 {
            Principal::Group {
                external_group_id, ..
            } => external_group_id,
            _ => "",
        }
    }
    #[getter]
    fn idp_id(&self) -> &str {
        match &self.0 {
            Principal::Group { idp_id, .. } => idp_id,
            _ => "",
        }
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce::<Self, _>(
            py,
            (self.external_group_id(), self.idp_id(), self.0.label()),
        )
    }
    fn __repr__(&self) -> String {
        format!(
            "GroupPrincipal(external_group_id={:?}, idp_id={:?}, label={:?})",
            self.external_group_id(),
            self.idp_id(),
            self.0.label().unwrap_or("")
        )
    }
}

/// The system (no identity).
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct SystemPrincipal(pub(crate) Principal);
principal_common!(SystemPrincipal);

#[pymethods]
impl SystemPrincipal {
    #[new]
    #[pyo3(signature = (label=None))]
    fn new(py: Python<'_>, label: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        build(py, "system", &[("label", label)]).map(SystemPrincipal)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce::<Self, _>(py, (self.0.label(),))
    }
    fn __repr__(&self) -> String {
        format!("SystemPrincipal(label={})", py_opt(self.0.label()))
    }
}

/// The calling agent itself.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct AgentPrincipal(pub(crate) Principal);
principal_common!(AgentPrincipal);

#[pymethods]
impl AgentPrincipal {
    #[new]
    #[pyo3(signature = (label=None))]
    fn new(py: Python<'_>, label: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        build(py, "agent", &[("label", label)]).map(AgentPrincipal)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce::<Self, _>(py, (self.0.label(),))
    }
    fn __repr__(&self) -> String {
        format!("AgentPrincipal(label={})", py_opt(self.0.label()))
    }
}

/// Any of the four principal classes → the core principal.
/// The core principal inside one of the principal classes, if `obj` is one.
pub(crate) fn core_principal(obj: &Bound<'_, PyAny>) -> Option<Principal> {
    if let Ok(p) = obj.cast::<UserPrincipal>() {
        Some(p.get().0.clone())
    } else if let Ok(p) = obj.cast::<GroupPrincipal>() {
        Some(p.get().0.clone())
    } else if let Ok(p) = obj.cast::<SystemPrincipal>() {
        Some(p.get().0.clone())
    } else if let Ok(p) = obj.cast::<AgentPrincipal>() {
        Some(p.get().0.clone())
    } else {
        None
    }
}

fn py_opt(v: Option<&str>) -> String {
    v.map_or_else(|| "None".to_owned(), |v| format!("{v:?}"))
}
