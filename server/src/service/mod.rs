//! The rules (docs/domain.md): authentication, grants, principals, policy, visibility, and
//! provisioning. Transport-free (no HTTP types): the HTTP layer reads requests and writes
//! responses, this layer decides, the store persists. Layers: http → service → store
//! (docs/architecture.md).

mod admin;
pub mod admin_types;
mod auth;
mod error;
mod grants;
mod identity;
mod lifecycle;
mod policy;
mod principal;
mod token;
mod views;

pub use auth::{
    AuthFailure, Authenticated, Caller, CallerKind, NonceClaim, RequestHeaders, SignedRequest,
    TIMESTAMP_WINDOW, replayed,
};
pub use error::ApiError;
pub use grants::{
    CreateGrantBody, ListGrantsBody, RevokeGrantBody, map_insert_error, sibling_key_for,
};
pub use lifecycle::{DelegateBody, MAX_DELEGATION_DEPTH, MintGrantBody};
pub use policy::Policy;
pub use principal::PrincipalIn;
pub use token::{
    ApiCallBody, DEFAULT_LEASE_SECONDS, Injection, ScopeMismatchBody, TokenBody, under_base,
};

use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::fault::Faults;
use crate::jwt::JwtVerifier;
use crate::store::Store;
use std::sync::Arc;

/// Everything a request needs: the store, the master key, the clock, the JWKS cache, the faults.
pub struct Service {
    pub store: Arc<dyn Store>,
    pub master: MasterKey,
    pub clock: Arc<dyn Clock>,
    pub jwt: JwtVerifier,
    pub faults: Arc<Faults>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Service")
    }
}

impl Service {
    /// Now, in microseconds since the epoch.
    pub fn now_micros(&self) -> i64 {
        crate::clock::to_micros(self.clock.now())
    }
}

/// A new id for a grant or an audit record: a UUID, time-ordered (version 7), so inserts land
/// at the end of the id indexes instead of on a random page each (measured: fewer pages written
/// per create; `server/README.md`).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `s` as a canonical lowercase UUID, if it is one.
pub fn canonical_uuid(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s).ok().map(|u| u.to_string())
}

/// Checks a string's length in characters (Python `len`).
pub fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ApiError::invalid_request(format!(
            "{field} must be {min} to {max} characters long"
        )));
    }
    Ok(())
}
