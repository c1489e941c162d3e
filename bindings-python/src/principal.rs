//! Principals: frozen pyclasses over the core's `Principal`, validated by the core when built.

use crate::convert::{opt_str, req_str};
use crate::error::{ResultExt, invalid};
use grantline::Principal;
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
        Principal::user(
            req_str(py, user_token, "user_token")?,
            req_str(py, label, "label")?,
        )
        .py_err(py)
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
        Principal::group(
            req_str(py, external_group_id, "external_group_id")?,
            req_str(py, idp_id, "idp_id")?,
            req_str(py, label, "label")?,
        )
        .py_err(py)
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
        Principal::system(opt_str(py, label, "label")?)
            .py_err(py)
            .map(SystemPrincipal)
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
        Principal::agent(opt_str(py, label, "label")?)
            .py_err(py)
            .map(AgentPrincipal)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        reduce::<Self, _>(py, (self.0.label(),))
    }
    fn __repr__(&self) -> String {
        format!("AgentPrincipal(label={})", py_opt(self.0.label()))
    }
}

/// Any of the four principal classes → the core principal.
pub(crate) fn from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Principal> {
    if let Ok(p) = obj.cast::<UserPrincipal>() {
        Ok(p.get().0.clone())
    } else if let Ok(p) = obj.cast::<GroupPrincipal>() {
        Ok(p.get().0.clone())
    } else if let Ok(p) = obj.cast::<SystemPrincipal>() {
        Ok(p.get().0.clone())
    } else if let Ok(p) = obj.cast::<AgentPrincipal>() {
        Ok(p.get().0.clone())
    } else {
        Err(invalid(
            py,
            format!(
                "principal must be a UserPrincipal, GroupPrincipal, SystemPrincipal or AgentPrincipal, not {}",
                obj.get_type().name()?
            ),
        ))
    }
}

fn py_opt(v: Option<&str>) -> String {
    v.map_or_else(|| "None".to_owned(), |v| format!("{v:?}"))
}
