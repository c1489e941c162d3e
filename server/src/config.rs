//! How a server is configured.

use crate::clock::Clock;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

/// Configuration of one server instance.
#[derive(Clone)]
pub struct ServerConfig {
    /// `sqlite::memory:`, `sqlite:///path/file.db`, `sqlite://relative.db`, a plain path, or
    /// `postgres://user@host:port/db` (the database is created if it does not exist).
    pub database_url: String,
    /// Where to listen (port 0 = any free port).
    pub listen: SocketAddr,
    /// The bearer token of the admin API; generated when `None`.
    pub admin_token: Option<String>,
    /// The master key that encrypts credential values at rest; generated when `None`.
    pub master_key: Option<[u8; 32]>,
    /// The clock; the system clock when `None`.
    pub clock: Option<Arc<dyn Clock>>,
}

/// The default listen address of `grantline-server serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

impl ServerConfig {
    /// 127.0.0.1 on any free port, a fresh in-memory database, generated secrets.
    pub fn ephemeral() -> Self {
        ServerConfig {
            database_url: "sqlite::memory:".to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_token: None,
            master_key: None,
            clock: None,
        }
    }

    /// Sets the clock (builder style).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Sets the database URL (builder style).
    pub fn with_database(mut self, url: impl Into<String>) -> Self {
        self.database_url = url.into();
        self
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::ephemeral()
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("database_url", &self.database_url)
            .field("listen", &self.listen)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("clock", &self.clock.as_ref().map(|_| "<custom>"))
            .finish()
    }
}
