//! `grantline-server`: a local, stateful, Alter-compatible backend with an embedded database.
//!
//! ```no_run
//! # async fn demo() -> Result<(), grantline_server::ServerError> {
//! use grantline_server::{ServerConfig, start_dev};
//! let (server, tenant) = start_dev(ServerConfig::ephemeral()).await?;
//! println!("{} {}", server.base_url(), tenant.app_id);
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod dev;
pub mod fault;
pub mod http;
pub mod jwt;
pub mod nonce;
pub mod server;
pub mod service;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::ServerConfig;
pub use dev::{DevTenant, provision_demo, start_dev};
pub use fault::FaultSpec;
pub use server::{RunningServer, ServerError, Stopper, start};
pub use service::ApiError;
