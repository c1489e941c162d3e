//! # grantline
//!
//! Issue, list and revoke grants on Alter managed secrets, from one Rust core that every
//! grantline language package wraps. Speaks Alter's wire protocol exactly
//! (HMAC-signed requests, the official error contract), with retries, timeouts and typed models.
//!
//! ```no_run
//! use grantline::{App, CreateGrantOptions, GrantItem, ListGrantsParams, Principal, RevokeGrantOptions};
//! # async fn run() -> Result<(), grantline::Error> {
//! let app = App::builder("alter_rk_abcdefghijklmnopqrstuv_iwpykn").base_url("http://127.0.0.1:8787").build()?;
//! let grant = app
//!     .create_managed_secret_grant(
//!         "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
//!         Principal::system(Some("cron"))?,
//!         CreateGrantOptions::new(),
//!     )
//!     .await?;
//! for item in app.list_grants(ListGrantsParams::new()).await?.grants {
//!     if let GrantItem::ManagedSecret(g) = item {
//!         println!("{} {:?} {}", g.grant_id, g.label, g.created_at);
//!     }
//! }
//! app.revoke_grant(grant.grant_id, RevokeGrantOptions::new()).await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod args;
mod background;
#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
pub mod config;
pub mod error;
pub mod keys;
mod lenient;
pub mod models;
pub mod ops;
mod options;
pub mod policy;
pub mod principal;
pub mod request;
pub mod schema;
pub mod signing;
mod time_fmt;
mod transport;

pub use args::Dialect;
pub use client::{Agent, App, ClientBuilder, FromConfig};
pub use config::{CallerType, ClientConfig, GetterError, UserTokenGetter};
pub use error::{ApiError, CredentialChoice, Error, ErrorKind, classify, error_tree};
pub use keys::is_valid_key;
pub use models::{
    CreateGrantResult, CredentialKind, DelegationResult, GrantInfo, GrantItem, GrantPage,
    ManagedSecretGrantItem, OAuthGrantItem, RevokeGrantResult, UnknownGrantItem,
};
pub use ops::{Call, ClientKind, OPERATIONS, OperationSpec, Outcome};
pub use options::Body;
pub use options::{
    Constraints, CreateGrantOptions, DelegateOptions, ListGrantsParams, MintGrantOptions,
    RequestOptions, RequestRule, RevokeDelegationOptions, RevokeGrantOptions,
};
pub use policy::GrantPolicy;
pub use principal::Principal;
pub use request::ProviderResponse;
pub use time::OffsetDateTime;
pub use time_fmt::format as format_timestamp;
