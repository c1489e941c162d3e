pub mod error;
pub mod keys;
pub mod models;
pub mod policy;
pub mod principal;
pub mod signing;
mod time_fmt;

pub use error::{ApiError, CredentialChoice, Error, ErrorKind, classify};
pub use keys::is_valid_key;
pub use models::{
    CreateGrantResult, CredentialKind, GrantItem, GrantPage, ManagedSecretGrantItem,
    OAuthGrantItem, RevokeGrantResult, UnknownGrantItem,
};
pub use policy::GrantPolicy;
pub use principal::Principal;
