//! `grantline._native`: the PyO3 module under the Python package `grantline`.
//!
//! Every behaviour lives in the `grantline` core crate; this crate converts Python values to
//! core types and core results and errors to Python objects, nothing else.

mod client;
mod convert;
mod error;
mod logging;
mod models;
mod principal;
mod runtime;

use pyo3::prelude::*;
use pyo3::types::PyString;

/// The extension's own allocations (Rust only; Python keeps its allocator). A 100-item page is
/// ~1,500 small allocations; mimalloc halves what glibc malloc costs there (bench in README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Whether `key` is a well-formed Alter API key (never raises).
#[pyfunction]
fn is_valid_key(key: &Bound<'_, PyAny>) -> bool {
    key.cast::<PyString>()
        .ok()
        .and_then(|s| s.to_cow().ok().map(|k| grantline::is_valid_key(&k)))
        .unwrap_or(false)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(is_valid_key, m)?)?;
    m.add_function(wrap_pyfunction!(client::_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(client::operations, m)?)?;
    m.add_function(wrap_pyfunction!(models::_restore, m)?)?;
    m.add_function(wrap_pyfunction!(models::_restore_page, m)?)?;
    m.add_class::<runtime::Completions>()?;
    m.add_class::<client::AsyncApp>()?;
    m.add_class::<client::AsyncAgent>()?;
    m.add_class::<client::AsyncGrantStream>()?;
    m.add_class::<client::BlockingApp>()?;
    m.add_class::<client::BlockingAgent>()?;
    m.add_class::<client::BlockingGrantIter>()?;
    m.add_class::<principal::UserPrincipal>()?;
    m.add_class::<principal::GroupPrincipal>()?;
    m.add_class::<principal::SystemPrincipal>()?;
    m.add_class::<principal::AgentPrincipal>()?;
    m.add_class::<models::GrantPolicy>()?;
    m.add_class::<models::ManagedSecretGrantItem>()?;
    m.add_class::<models::OAuthGrantItem>()?;
    m.add_class::<models::UnknownGrantItem>()?;
    m.add_class::<models::CreateGrantResult>()?;
    m.add_class::<models::RevokeGrantResult>()?;
    m.add_class::<models::GrantListResult>()?;
    m.add_class::<models::GrantInfo>()?;
    m.add_class::<models::DelegationResult>()?;
    m.add_class::<models::ProviderResponse>()?;
    Ok(())
}
