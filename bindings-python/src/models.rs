//! Frozen pyclasses over the core's typed results, converted without JSON or dict walks.
//! Timestamps become timezone-aware `datetime` objects when read.

use crate::convert::to_value;
use crate::error::{ResultExt, invalid, json_to_py};
use grantline::{GrantItem, GrantPage, OffsetDateTime};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

static DATETIME: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

/// `datetime.datetime` and `datetime.timezone.utc`, looked up once.
fn datetime_types(py: Python<'_>) -> PyResult<&(Py<PyAny>, Py<PyAny>)> {
    DATETIME.get_or_try_init(py, || -> PyResult<_> {
        let m = py.import("datetime")?;
        Ok((
            m.getattr("datetime")?.unbind(),
            m.getattr("timezone")?.getattr("utc")?.unbind(),
        ))
    })
}

/// The `datetime.datetime` class.
pub(crate) fn datetime_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    Ok(datetime_types(py)?.0.bind(py))
}

/// A UTC `datetime.datetime`.
pub(crate) fn to_datetime(py: Python<'_>, t: &OffsetDateTime) -> PyResult<Py<PyAny>> {
    let (cls, utc) = datetime_types(py)?;
    let t = t.to_offset(time::UtcOffset::UTC);
    cls.bind(py)
        .call1((
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond(),
            utc.bind(py),
        ))
        .map(Bound::unbind)
}

fn opt_datetime(py: Python<'_>, t: &Option<OffsetDateTime>) -> PyResult<Option<Py<PyAny>>> {
    t.as_ref().map(|t| to_datetime(py, t)).transpose()
}

/// A timestamp as `repr` shows it: RFC 3339, as on the wire.
fn iso(t: &OffsetDateTime) -> String {
    grantline::format_timestamp(t)
}

fn q(s: &Option<String>) -> String {
    s.as_deref()
        .map_or_else(|| "None".to_owned(), |s| format!("{s:?}"))
}

macro_rules! getters {
    ($ty:ident { str: [$($s:ident),*], opt_str: [$($o:ident),*], time: [$($t:ident),*], opt_time: [$($ot:ident),*], copy: [$($c:ident),*], clone: [$($cl:ident),*] }) => {
        #[pymethods]
        impl $ty {
            $( #[getter] fn $s(&self) -> &str { &self.0.$s } )*
            $( #[getter] fn $o(&self) -> Option<&str> { self.0.$o.as_deref() } )*
            $( #[getter] fn $t(&self, py: Python<'_>) -> PyResult<Py<PyAny>> { to_datetime(py, &self.0.$t) } )*
            $( #[getter] fn $ot(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> { opt_datetime(py, &self.0.$ot) } )*
            $( #[getter] fn $c(&self) -> _copy_ty!($c) { self.0.$c } )*
            $( #[getter] fn $cl(&self) -> _clone_ty!($cl) { self.0.$cl.clone() } )*
        }
    };
}
macro_rules! _copy_ty {
    (depth) => {
        i64
    };
    (delegable) => {
        bool
    };
    (scope_mismatch) => {
        bool
    };
    (needs_reconnect) => {
        bool
    };
    (success) => {
        bool
    };
}
macro_rules! _clone_ty {
    (scope_constraint) => { Option<Vec<String>> };
    (scopes) => { Vec<String> };
    (delegated_agent_ids) => { Vec<String> };
}

/// A grant on a managed secret.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct ManagedSecretGrantItem(pub(crate) grantline::ManagedSecretGrantItem);

getters!(ManagedSecretGrantItem {
    str: [
        grant_id,
        managed_secret_id,
        managed_secret_slug,
        managed_secret_name,
        status,
        principal_type,
        access_via
    ],
    opt_str: [
        agent_id,
        account_identifier,
        label,
        credential_id,
        parent_grant_id,
        credential_label
    ],
    time: [created_at],
    opt_time: [expires_at, grant_expires_at, last_used_at, delegated_at],
    copy: [depth, delegable],
    clone: [scope_constraint]
});

#[pymethods]
impl ManagedSecretGrantItem {
    #[classattr]
    #[allow(non_upper_case_globals)]
    const __match_args__: (&'static str, &'static str, &'static str) =
        ("grant_id", "managed_secret_slug", "label");

    #[getter]
    fn grant_kind(&self) -> &'static str {
        "managed_secret"
    }
    #[getter]
    fn grant_policy(&self) -> Option<GrantPolicy> {
        self.0.grant_policy.clone().map(GrantPolicy)
    }
    #[getter]
    fn credential_kind(&self) -> Option<&'static str> {
        self.0.credential_kind.map(|k| match k {
            grantline::CredentialKind::Developer => "developer",
            grantline::CredentialKind::EndUser => "end_user",
        })
    }
    fn __repr__(&self) -> String {
        let g = &self.0;
        format!(
            "ManagedSecretGrantItem(grant_id={:?}, managed_secret_slug={:?}, principal_type={:?}, label={}, status={:?}, created_at={})",
            g.grant_id,
            g.managed_secret_slug,
            g.principal_type,
            q(&g.label),
            g.status,
            iso(&g.created_at)
        )
    }
}

/// An OAuth grant.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct OAuthGrantItem(pub(crate) grantline::OAuthGrantItem);

getters!(OAuthGrantItem {
    str: [grant_id, provider_id, status, principal_type, access_via],
    opt_str: [
        account_identifier,
        account_display_name,
        api_base_url,
        label,
        credential_id,
        parent_grant_id
    ],
    time: [created_at],
    opt_time: [expires_at, grant_expires_at, last_used_at, delegated_at],
    copy: [scope_mismatch, needs_reconnect, depth, delegable],
    clone: [scopes, delegated_agent_ids, scope_constraint]
});

#[pymethods]
impl OAuthGrantItem {
    #[classattr]
    #[allow(non_upper_case_globals)]
    const __match_args__: (&'static str, &'static str, &'static str) =
        ("grant_id", "provider_id", "label");

    #[getter]
    fn grant_kind(&self) -> &'static str {
        "oauth"
    }
    #[getter]
    fn grant_policy(&self) -> Option<GrantPolicy> {
        self.0.grant_policy.clone().map(GrantPolicy)
    }
    fn __repr__(&self) -> String {
        let g = &self.0;
        format!(
            "OAuthGrantItem(grant_id={:?}, provider_id={:?}, principal_type={:?}, label={}, status={:?}, created_at={})",
            g.grant_id,
            g.provider_id,
            g.principal_type,
            q(&g.label),
            g.status,
            iso(&g.created_at)
        )
    }
}

/// A grant of a kind this version does not know, kept with its raw fields.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq)]
pub struct UnknownGrantItem(pub(crate) grantline::UnknownGrantItem);

/// Raw JSON fields have no hash; equal items share their kind and id, so those suffice.
impl std::hash::Hash for UnknownGrantItem {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.raw_grant_kind(), self.grant_id()).hash(state);
    }
}

#[pymethods]
impl UnknownGrantItem {
    #[classattr]
    #[allow(non_upper_case_globals)]
    const __match_args__: (&'static str, &'static str) = ("raw_grant_kind", "grant_id");

    /// Always `"unknown"`, so a check of `grant_kind` narrows the item's type; the kind the
    /// server sent is [`raw_grant_kind`](Self::raw_grant_kind).
    #[getter]
    fn grant_kind(&self) -> &'static str {
        "unknown"
    }
    /// The `grant_kind` the server sent (`None` if it sent none).
    #[getter]
    fn raw_grant_kind(&self) -> Option<&str> {
        self.0.grant_kind.as_deref()
    }
    /// The `grant_id` the server sent (`""` if it sent none, so every item has a string id).
    #[getter]
    fn grant_id(&self) -> &str {
        self.0
            .fields
            .get("grant_id")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    #[getter]
    fn label(&self) -> Option<&str> {
        self.0.fields.get("label").and_then(Value::as_str)
    }
    #[getter]
    fn status(&self) -> Option<&str> {
        self.0.fields.get("status").and_then(Value::as_str)
    }
    /// Every field as received.
    #[getter]
    fn fields(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_to_py(py, &Value::Object(self.0.fields.clone()))
    }
    fn __repr__(&self) -> String {
        format!(
            "UnknownGrantItem(raw_grant_kind={}, grant_id={:?})",
            q(&self.0.grant_kind),
            self.grant_id()
        )
    }
}

/// `__reduce__` of a result class: the core value as its wire JSON, rebuilt by [`_restore`].
fn reduce<'py, T: Serialize>(
    py: Python<'py>,
    kind: &str,
    value: &T,
) -> PyResult<Bound<'py, PyTuple>> {
    let wire = serde_json::to_vec(value).map_err(|e| crate::error::internal(py, &e.to_string()))?;
    let restore = py.import("grantline._native")?.getattr("_restore")?;
    (restore, (kind, PyBytes::new(py, &wire))).into_pyobject(py)
}

fn from_wire<T: DeserializeOwned>(py: Python<'_>, wire: &[u8]) -> PyResult<T> {
    serde_json::from_slice(wire)
        .map_err(|e| invalid(py, format!("not a pickled grantline value: {e}")))
}

/// Rebuilds a pickled result (`kind` as written by its `__reduce__`).
#[pyfunction]
pub fn _restore(py: Python<'_>, kind: &str, wire: &[u8]) -> PyResult<Py<PyAny>> {
    match kind {
        "item" => item_to_py(py, from_wire(py, wire)?),
        "create" => Ok(Py::new(py, CreateGrantResult(from_wire(py, wire)?))?.into_any()),
        "revoke" => Ok(Py::new(py, RevokeGrantResult(from_wire(py, wire)?))?.into_any()),
        "grant_info" => Ok(Py::new(py, GrantInfo(from_wire(py, wire)?))?.into_any()),
        "delegation" => Ok(Py::new(py, DelegationResult(from_wire(py, wire)?))?.into_any()),
        _ => Err(invalid(
            py,
            format!("unknown pickled grantline kind {kind:?}"),
        )),
    }
}

/// Rebuilds a pickled page (its items are pickled one by one).
#[pyfunction]
pub fn _restore_page(
    grants: Bound<'_, PyList>,
    total: u64,
    limit: u32,
    offset: u64,
    has_more: bool,
) -> GrantListResult {
    GrantListResult {
        grants: grants.unbind(),
        total,
        limit,
        offset,
        has_more,
    }
}

/// One listed grant as its Python class.
pub(crate) fn item_to_py(py: Python<'_>, item: GrantItem) -> PyResult<Py<PyAny>> {
    Ok(match item {
        GrantItem::ManagedSecret(g) => Py::new(py, ManagedSecretGrantItem(g))?.into_any(),
        GrantItem::OAuth(g) => Py::new(py, OAuthGrantItem(g))?.into_any(),
        GrantItem::Unknown(g) => Py::new(py, UnknownGrantItem(g))?.into_any(),
    })
}

/// What `create_managed_secret_grant` returns.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct CreateGrantResult(pub(crate) grantline::CreateGrantResult);

getters!(CreateGrantResult {
    str: [grant_id, principal_type],
    opt_str: [label, credential_id],
    time: [created_at],
    opt_time: [grant_expires_at],
    copy: [],
    clone: []
});

#[pymethods]
impl CreateGrantResult {
    fn __repr__(&self) -> String {
        let g = &self.0;
        format!(
            "CreateGrantResult(grant_id={:?}, principal_type={:?}, label={}, created_at={})",
            g.grant_id,
            g.principal_type,
            q(&g.label),
            iso(&g.created_at)
        )
    }
}

/// What `mint_grant` returns: the new sibling grant.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct GrantInfo(pub(crate) grantline::GrantInfo);

getters!(GrantInfo {
    str: [grant_id, provider_id, status, principal_type],
    opt_str: [
        account_identifier,
        account_display_name,
        api_base_url,
        label,
        credential_id
    ],
    time: [created_at],
    opt_time: [expires_at, last_used_at],
    copy: [scope_mismatch],
    clone: [scopes]
});

#[pymethods]
impl GrantInfo {
    #[getter]
    fn grant_policy(&self) -> Option<GrantPolicy> {
        self.0.grant_policy.clone().map(GrantPolicy)
    }
    fn __repr__(&self) -> String {
        let g = &self.0;
        format!(
            "GrantInfo(grant_id={:?}, provider_id={:?}, principal_type={:?}, label={}, status={:?})",
            g.grant_id,
            g.provider_id,
            g.principal_type,
            q(&g.label),
            g.status
        )
    }
}

/// What `delegate` returns: the delegation child grant.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct DelegationResult(pub(crate) grantline::DelegationResult);

getters!(DelegationResult {
    str: [grant_id, grant_kind, parent_grant_id, status],
    opt_str: [],
    time: [],
    opt_time: [expires_at],
    copy: [depth, delegable],
    clone: []
});

#[pymethods]
impl DelegationResult {
    fn __repr__(&self) -> String {
        let d = &self.0;
        format!(
            "DelegationResult(grant_id={:?}, parent_grant_id={:?}, depth={}, delegable={}, status={:?})",
            d.grant_id,
            d.parent_grant_id,
            d.depth,
            if d.delegable { "True" } else { "False" },
            d.status
        )
    }
}

/// What `revoke_grant` returns.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash)]
pub struct RevokeGrantResult(pub(crate) grantline::RevokeGrantResult);

getters!(RevokeGrantResult {
    str: [message, grant_id],
    opt_str: [],
    time: [revoked_at],
    opt_time: [],
    copy: [success],
    clone: []
});

#[pymethods]
impl RevokeGrantResult {
    fn __repr__(&self) -> String {
        format!(
            "RevokeGrantResult(success={}, grant_id={:?}, revoked_at={})",
            if self.0.success { "True" } else { "False" },
            self.0.grant_id,
            iso(&self.0.revoked_at)
        )
    }
}

/// One page of `list_grants` (the official client's `UnifiedGrantListResult`).
#[pyclass(frozen, module = "grantline._native", get_all)]
pub struct GrantListResult {
    grants: Py<PyList>,
    total: u64,
    limit: u32,
    offset: u64,
    has_more: bool,
}

impl GrantListResult {
    pub(crate) fn new(py: Python<'_>, page: GrantPage) -> PyResult<Self> {
        let grants = PyList::empty(py);
        for item in page.grants {
            grants.append(item_to_py(py, item)?)?;
        }
        Ok(GrantListResult {
            grants: grants.unbind(),
            total: page.total,
            limit: page.limit,
            offset: page.offset,
            has_more: page.has_more,
        })
    }
}

#[pymethods]
impl GrantListResult {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "GrantListResult(total={}, limit={}, offset={}, has_more={}, grants=<{} items>)",
            self.total,
            self.limit,
            self.offset,
            if self.has_more { "True" } else { "False" },
            self.grants.bind(py).len()
        )
    }
    fn __len__(&self, py: Python<'_>) -> usize {
        self.grants.bind(py).len()
    }
}

/// Bounds on a grant's lifetime; validated by the core when built.
#[pyclass(frozen, eq, hash, module = "grantline._native")]
#[derive(PartialEq, Hash, Clone)]
pub struct GrantPolicy(pub(crate) grantline::GrantPolicy);

#[pymethods]
impl GrantPolicy {
    #[new]
    #[pyo3(signature = (expires_at=None, max_ttl_seconds=None, default_ttl_seconds=None))]
    fn new(
        py: Python<'_>,
        expires_at: Option<&Bound<'_, PyAny>>,
        max_ttl_seconds: Option<&Bound<'_, PyAny>>,
        default_ttl_seconds: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut map = Map::new();
        for (k, v) in [
            ("expires_at", expires_at),
            ("max_ttl_seconds", max_ttl_seconds),
            ("default_ttl_seconds", default_ttl_seconds),
        ] {
            if let Some(v) = v {
                map.insert(k.to_owned(), to_value(py, v, &format!("grant_policy.{k}"))?);
            }
        }
        grantline::GrantPolicy::from_json(&Value::Object(map))
            .py_err(py)
            .map(GrantPolicy)
    }
    #[getter]
    fn expires_at(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        opt_datetime(py, &self.0.expires_at)
    }
    #[getter]
    fn max_ttl_seconds(&self) -> Option<u64> {
        self.0.max_ttl_seconds
    }
    #[getter]
    fn default_ttl_seconds(&self) -> Option<u64> {
        self.0.default_ttl_seconds
    }
    fn __repr__(&self) -> String {
        let show = |v: Option<u64>| v.map_or_else(|| "None".to_owned(), |v| v.to_string());
        format!(
            "GrantPolicy(expires_at={}, max_ttl_seconds={}, default_ttl_seconds={})",
            self.0
                .expires_at
                .map_or_else(|| "None".to_owned(), |t| iso(&t)),
            show(self.0.max_ttl_seconds),
            show(self.0.default_ttl_seconds)
        )
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let cls = py.get_type::<GrantPolicy>();
        let args = (
            self.expires_at(py)?,
            self.0.max_ttl_seconds,
            self.0.default_ttl_seconds,
        );
        (cls, args).into_pyobject(py)
    }
}

/// Pickling and dicts for a result class whose core value `$value` (of `self` as `$s`) has the
/// wire shape: `__reduce__` (rebuilt by [`_restore`]), `to_dict()`, and `model_dump()` as the
/// official client's pydantic models have it (timestamps as RFC 3339 strings, as they are there).
macro_rules! wire_value {
    ($ty:ident, $kind:literal, |$s:ident| $value:expr) => {
        #[pymethods]
        impl $ty {
            fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                let $s = self;
                reduce(py, $kind, &$value)
            }
            /// Every field in its wire form: a JSON-ready dict.
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                let $s = self;
                to_dict(py, &$value)
            }
            /// `to_dict()` under the official client's (pydantic) name.
            #[pyo3(signature = (mode = "python"))]
            fn model_dump(&self, py: Python<'_>, mode: &str) -> PyResult<Py<PyAny>> {
                check_mode(py, mode)?;
                self.to_dict(py)
            }
        }
    };
}

fn to_dict<T: Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let json =
        serde_json::to_value(value).map_err(|e| crate::error::internal(py, &e.to_string()))?;
    json_to_py(py, &json)
}

fn check_mode(py: Python<'_>, mode: &str) -> PyResult<()> {
    match mode {
        "python" | "json" => Ok(()),
        _ => Err(invalid(
            py,
            format!("mode must be \"python\" or \"json\", not {mode:?}"),
        )),
    }
}

wire_value!(
    ManagedSecretGrantItem,
    "item",
    |s| GrantItem::ManagedSecret(s.0.clone())
);
wire_value!(OAuthGrantItem, "item", |s| GrantItem::OAuth(s.0.clone()));
wire_value!(UnknownGrantItem, "item", |s| GrantItem::Unknown(
    s.0.clone()
));
wire_value!(CreateGrantResult, "create", |s| s.0);
wire_value!(RevokeGrantResult, "revoke", |s| s.0);
wire_value!(GrantInfo, "grant_info", |s| s.0);
wire_value!(DelegationResult, "delegation", |s| s.0);

#[pymethods]
impl GrantListResult {
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let restore = py.import("grantline._native")?.getattr("_restore_page")?;
        let args = (
            self.grants.clone_ref(py),
            self.total,
            self.limit,
            self.offset,
            self.has_more,
        );
        (restore, args).into_pyobject(py)
    }
    /// The page in its wire form: a JSON-ready dict, each item as its `to_dict()`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let grants = PyList::empty(py);
        for item in self.grants.bind(py).iter() {
            grants.append(item.call_method0("to_dict")?)?;
        }
        let d = PyDict::new(py);
        d.set_item("grants", grants)?;
        d.set_item("total", self.total)?;
        d.set_item("limit", self.limit)?;
        d.set_item("offset", self.offset)?;
        d.set_item("has_more", self.has_more)?;
        Ok(d)
    }
    /// `to_dict()` under the official client's (pydantic) name.
    #[pyo3(signature = (mode = "python"))]
    fn model_dump<'py>(&self, py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyDict>> {
        check_mode(py, mode)?;
        self.to_dict(py)
    }
}

/// A provider's answer to `request()`, read like an httpx response: `status_code`, `headers`
/// (a dict, names in lower case, a repeated header's values joined by ", "), `content`,
/// `text`, `json()`.
#[pyclass(frozen, module = "grantline._native")]
pub struct ProviderResponse(pub grantline::ProviderResponse);

#[pymethods]
impl ProviderResponse {
    /// The HTTP status.
    #[getter]
    fn status_code(&self) -> u16 {
        self.0.status
    }
    /// The headers (a new dict on each read).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.0.headers {
            match d.get_item(k)? {
                Some(prev) => {
                    let joined = format!("{}, {v}", prev.extract::<String>()?);
                    d.set_item(k, joined)?;
                }
                None => d.set_item(k, v)?,
            }
        }
        Ok(d)
    }
    /// The body.
    #[getter]
    fn content<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.body)
    }
    /// The body as text (UTF-8; invalid bytes replaced).
    #[getter]
    fn text(&self) -> String {
        self.0.text()
    }
    /// The grant the call used.
    #[getter]
    fn grant_id(&self) -> &str {
        &self.0.grant_id
    }
    /// The body parsed as JSON (`json.loads`).
    fn json(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py.import("json")?
            .call_method1("loads", (PyBytes::new(py, &self.0.body),))
            .map(Bound::unbind)
    }
    fn __repr__(&self) -> String {
        format!("<ProviderResponse [{}]>", self.0.status)
    }
}
