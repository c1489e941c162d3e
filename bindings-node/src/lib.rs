//! Node.js bindings for grantline (napi-rs).
//!
//! This crate only converts: JavaScript arguments (one JSON text per call, read by the core with
//! its rules) into the core's calls, results into their JSON text (the TypeScript layer builds
//! the objects), and core errors into [`error::NativeError`] objects the TypeScript layer turns
//! into the matching `Error` subclass. Every behaviour — validation, signing, HTTP, retries,
//! pagination, error classification — lives in the `grantline` crate.

mod client;
mod error;
mod runtime;

pub use client::{NativeAgent, NativeApp, operations};

use napi_derive::napi;

/// Whether `key` has the shape and checksum of an Alter API key.
#[napi]
pub fn is_valid_key(key: String) -> bool {
    grantline::is_valid_key(&key)
}

/// The version of the native addon.
#[napi]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Panics inside the runtime; the test suite checks that this becomes a `GrantlineError` and
/// leaves the process running.
#[napi]
pub async fn panic_for_tests(
    message: String,
) -> napi::bindgen_prelude::Either<String, error::NativeError> {
    error::catch(async move {
        if !message.is_empty() {
            panic!("{message}");
        }
        Ok(String::new())
    })
    .await
}
