//! Node.js bindings for grantline (napi-rs).
//!
//! This crate only converts: JavaScript arguments (one JSON text per call, built by the
//! TypeScript layer) into core types, core results into their JSON text (the TypeScript layer
//! builds the objects), and core errors into a payload the TypeScript layer turns into the
//! matching `Error` subclass. Every behaviour — validation, signing, HTTP, retries, pagination,
//! error classification — lives in the `grantline` crate.

mod args;
mod client;
mod error;
mod runtime;

pub use client::{NativeAgent, NativeApp};

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

/// Panics inside the runtime; the test suite checks that this rejects with a `GrantlineError`
/// and leaves the process running.
#[napi]
pub async fn panic_for_tests(message: String) -> napi::Result<String> {
    error::guard(async move {
        if !message.is_empty() {
            panic!("{message}");
        }
        Ok(String::new())
    })
    .await
}
