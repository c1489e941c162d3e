//! Starting and stopping a server.

use crate::clock::{Clock, SystemClock};
use crate::config::ServerConfig;
use crate::crypto::{MasterKey, random_token};
use crate::fault::Faults;
use crate::http::{AppState, router};
use crate::jwt::JwtVerifier;
use crate::service::Service;
use crate::store::cache::CachedStore;
use crate::store::{Store, StoreError, open_store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "the master key does not open this database (it was created with another key): start with \
         the key it was created with (--master-key-file FILE or GRANTLINE_MASTER_KEY), or name a \
         new --database"
    )]
    WrongMasterKey,
    #[error("{0}")]
    Config(String),
    #[error("provisioning: {0}")]
    Provision(#[from] crate::service::ApiError),
}

const MASTER_KEY_CHECK: &str = "master_key_check";

/// A server running on the current tokio runtime. Dropping it stops it.
pub struct RunningServer {
    base_url: String,
    addr: SocketAddr,
    admin_token: String,
    svc: Arc<Service>,
    store: Arc<dyn Store>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("base_url", &self.base_url)
            .field("admin_token", &"<redacted>")
            .finish()
    }
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin API's bearer token.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The service, to provision directly, without HTTP (`create_app`, `mint_key`, ...).
    pub fn admin(&self) -> &Service {
        &self.svc
    }

    /// The store (benchmarks seed through it).
    pub fn store(&self) -> Arc<dyn Store> {
        self.svc.store.clone()
    }

    /// Stops accepting, lets in-flight requests finish (at most 5 s), closes the database.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.store.close().await;
    }

    /// Waits until the server stops (after [`shutdown`](Self::shutdown) from elsewhere, or a
    /// fatal error).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// A handle that stops the server when `stop()` is called.
    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop.clone())
    }

    /// Becomes true when the server is asked to stop (tasks that live as long as it watch it).
    pub(crate) fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }
}

/// Stops a running server from anywhere.
#[derive(Clone, Debug)]
pub struct Stopper(watch::Sender<bool>);

impl Stopper {
    /// Asks the server to stop.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// How often expired grants are counted ([`crate::store::counts`]).
const EXPIRY_SWEEP: Duration = Duration::from_secs(1);
/// Nonces are kept this long past their expiry, so an instance whose clock is behind the
/// sweeping one's by up to this much still finds them (clock skew between instances).
pub const NONCE_SKEW_MARGIN: i64 = 120;

/// The background work of an instance until it stops, every second: the expiry sweep and the
/// nonce sweep. Every instance on a database runs them; they are idempotent.
async fn maintain(svc: Arc<Service>, mut stopped: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(EXPIRY_SWEEP);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => return,
        }
        if *stopped.borrow() {
            return;
        }
        if let Err(e) = svc.store.sweep_expired(svc.now_micros()).await {
            tracing::warn!(error = %e, "expiry sweep failed");
        }
        let before = svc.clock.now().unix_timestamp() - NONCE_SKEW_MARGIN;
        if let Err(e) = svc.store.sweep_nonces(before).await {
            tracing::warn!(error = %e, "nonce sweep failed");
        }
    }
}

/// Opens the database, checks the master key, binds and starts serving.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let faults = Arc::new(Faults::default());
    let store = open_store(&config.database_url, Some(faults.clone())).await?;
    let master = match config.master_key {
        Some(k) => MasterKey::new(k),
        None => MasterKey::generate().1,
    };
    // The first instance on a database seals a check value with its key; every later one (and
    // every restart) must open it.
    let sealed = master.encrypt(b"grantline", MASTER_KEY_CHECK.as_bytes());
    let sealed = store.meta_init(MASTER_KEY_CHECK, &sealed).await?;
    if master
        .decrypt(&sealed, MASTER_KEY_CHECK.as_bytes())
        .is_err()
    {
        store.close().await;
        return Err(ServerError::WrongMasterKey);
    }
    let store: Arc<dyn Store> = Arc::new(CachedStore::new(store).await?);
    let clock: Arc<dyn Clock> = config.clock.unwrap_or_else(|| Arc::new(SystemClock));
    let svc = Arc::new(Service {
        store: store.clone(),
        master,
        clock,
        jwt: JwtVerifier::new(),
        faults,
    });
    let admin_token = config
        .admin_token
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| random_token("gla_"));
    let state = AppState {
        svc: svc.clone(),
        admin_token: admin_token.clone().into(),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.listen,
        source,
    })?;
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(maintain(svc.clone(), stop.subscribe()));
    let app = router(state);
    let task = tokio::spawn(async move {
        let shutdown = async move {
            while !*stopped.borrow() {
                if stopped.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    let host = match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    Ok(RunningServer {
        base_url: format!("http://{host}:{}", addr.port()),
        addr,
        admin_token,
        svc,
        store,
        stop,
        task: Some(task),
    })
}
