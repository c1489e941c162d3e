//! The admin API's bodies (what `/admin/` takes and answers) and a small HTTP client for it. The
//! operations themselves are methods of [`crate::service::Service`] (`create_app`, `mint_key`,
//! ...): one service layer serves `/sdk` and `/admin`.

pub mod client;

pub use crate::service::admin_types::*;
