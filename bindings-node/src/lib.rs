//! Node.js bindings for grantline (napi-rs).
//!
//! This crate only converts: JavaScript arguments (one JSON text per call, read by the core with
//! its rules) into the core's calls, results into a packed form the TypeScript layer builds the
//! objects from ([`pack`]), delivered through one completion queue ([`queue`]), and core errors
//! into [`error::NativeError`] objects the TypeScript layer turns into the matching `Error`
//! subclass. Every behaviour — validation, signing, HTTP, retries, pagination, error
//! classification — lives in the `grantline` crate.

mod client;
mod error;
mod pack;
mod queue;
mod runtime;

pub use client::{NativeAgent, NativeApp, operations};
pub use queue::NativeQueue;

/// mimalloc for the addon's own allocations: a page is ~1,700 small strings parsed and freed
/// per call on the I/O thread, where glibc's malloc took ~15% of a list call's CPU (measured:
/// docs/architecture.md, "Node: the packed transfer"). V8's memory is not affected.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// The packed form's field order as the packer writes it (JSON text; see `pack.rs`). The suite
/// compares it with `tests/vectors/model_fields.json`, which the TypeScript decoder is generated
/// from.
#[napi]
pub fn packed_layout() -> String {
    pack::layouts().to_string()
}

/// Panics inside the runtime (an empty message: succeeds with an empty result); the test suite
/// checks that this becomes a `GrantlineError` and leaves the process running.
#[napi]
pub fn panic_for_tests(queue: &NativeQueue, token: u32, message: String) {
    queue.submit(token, async move {
        if !message.is_empty() {
            panic!("{message}");
        }
        Ok(pack::Packer::pack(&pack::Items(&[])))
    });
}
