//! Kotlin/JVM bindings for grantline, through uniffi.
//!
//! This crate only converts, as the Node binding does: a Kotlin call's arguments arrive as the
//! JSON text of one object in the JavaScript dialect (camelCase names, durations in
//! milliseconds — Kotlin names are camelCase too), and the core reads them with its own rules
//! (`Call::from_value`); results go back as uniffi records (typed, with `java.time.Instant`s),
//! and every failure as one [`NativeError`] naming the class of the error tree, which the
//! hand-written Kotlin layer (`bindings-kotlin/src/main/kotlin`) turns into the matching
//! exception. Every behaviour — validation, signing, HTTP, retries, pagination, error
//! classification — lives in the `grantline` crate. Why the uniffi code lives here and not as
//! attributes on the core's types: bindings-kotlin/README.md, "Design".

uniffi::setup_scaffolding!("grantline");

mod client;
mod error;
mod models;
mod runtime;

pub use client::{NativeClient, NativeGrantCursor, NativeOperation, NativeOutcome, operations};
pub use error::{NativeCredential, NativeError};
pub use models::{
    CreateGrantResult, DelegationResult, GrantInfo, GrantItem, GrantPage, GrantPolicy,
    NativeHeader, NativeProviderResponse, RevokeGrantResult,
};

/// Whether `key` has the shape and checksum of an Alter API key (no network call).
#[uniffi::export]
pub fn is_valid_key(key: String) -> bool {
    grantline::is_valid_key(&key)
}

/// The version of the native library.
#[uniffi::export]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// What the core signs and sends for one request (docs/wire.md §2), for the signing vectors.
#[derive(uniffi::Record)]
pub struct SignedRequest {
    /// The canonical path line.
    pub canonical_path: String,
    /// Lowercase hex SHA-256 of the body.
    pub content_sha256: String,
    /// The string the signature covers (v2 form when any identity value is present).
    pub string_to_sign: String,
    /// `X-Alter-Signature`.
    pub signature: String,
    /// `X-Alter-Signature-V2`, sent only with identity values.
    pub signature_v2: Option<String>,
    /// The legacy-form signature (what `signature` is without identity values; not sent with).
    pub legacy_signature: String,
}

/// Signs one request as the core's transport does (docs/wire.md §2): `identity` holds the
/// values of `caller`, `caller-type`, `actor-id` and `actor-context` that are present.
#[uniffi::export]
pub fn sign_request(
    api_key: String,
    method: String,
    path_and_query: String,
    body: String,
    timestamp: String,
    nonce: String,
    identity: std::collections::HashMap<String, String>,
) -> SignedRequest {
    use grantline::signing::{
        Identity, SignInput, SigningKey, canonical_path, content_sha256, legacy_string_to_sign,
        string_to_sign,
    };
    let get = |k: &str| identity.get(k).map(String::as_str);
    let sha = content_sha256(body.as_bytes());
    let input = SignInput {
        method: &method,
        path_and_query: &path_and_query,
        timestamp: &timestamp,
        nonce: &nonce,
        content_sha256: &sha,
        scope_constraints: None,
        request_rule: None,
        identity: Identity {
            caller: get("caller"),
            caller_type: get("caller-type"),
            actor_id: get("actor-id"),
            actor_context: get("actor-context"),
        },
    };
    let text = string_to_sign(&input);
    let key = SigningKey::derive(&api_key);
    let signature = key.sign(&text);
    SignedRequest {
        legacy_signature: key.sign(&legacy_string_to_sign(&input)),
        canonical_path: canonical_path(&path_and_query),
        content_sha256: sha.clone(),
        signature_v2: (!input.identity.is_empty()).then(|| signature.clone()),
        string_to_sign: text,
        signature,
    }
}

/// Panics on the runtime; the suite checks that this becomes a `GrantlineException` and leaves
/// the JVM running.
#[uniffi::export]
pub async fn panic_for_tests(message: String) -> Result<(), NativeError> {
    runtime::spawn(async move {
        if !message.is_empty() {
            panic!("{message}");
        }
        Ok(())
    })
    .await
}
