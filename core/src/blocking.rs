//! Blocking clients with the same surface as the async ones, for code without an async runtime.
//!
//! Each calling thread drives its calls on its own single-threaded runtime with its own
//! connection pool (one context switch per call, nothing shared between threads but the
//! settings and the actor-id cache). After `fork()`, a child builds fresh ones and leaves the
//! inherited ones untouched. Calling from inside an async runtime is rejected: use the async
//! clients there.
//!
//! ```no_run
//! use grantline::blocking::App;
//! use grantline::{ListGrantsParams, Principal};
//! let app = App::builder("alter_rk_abcdefghijklmnopqrstuv_iwpykn").base_url("http://127.0.0.1:8787").build()?;
//! let grant = app.create_managed_secret_grant("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", Principal::system(None::<String>)?, None, None)?;
//! let page = app.list_grants(&ListGrantsParams::new().limit(10))?;
//! println!("{} grants, first {:?}", page.total, page.grants.first().map(|g| g.grant_id()));
//! # Ok::<(), grantline::Error>(())
//! ```

use crate::client::{ClientBuilder, Core};
use crate::error::Error;
use crate::models::{CreateGrantResult, GrantItem, GrantPage, RevokeGrantResult};
use crate::params::ListGrantsParams;
use crate::policy::GrantPolicy;
use crate::principal::Principal;
use crate::transport::Inner;
use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The runtime and connection pools of one thread, tagged with the process that built them.
struct ThreadState {
    pid: u32,
    runtime: tokio::runtime::Runtime,
    pools: Vec<(Weak<Inner>, reqwest::Client)>,
}

thread_local! {
    static STATE: RefCell<Option<ThreadState>> = const { RefCell::new(None) };
}

/// Runs `call` on this thread's runtime with this thread's pool for `inner`.
fn run<T, Fut>(inner: &Arc<Inner>, call: impl FnOnce(Core) -> Fut) -> Result<T, Error>
where
    Fut: Future<Output = Result<T, Error>>,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::invalid(
            "a grantline blocking client was called inside an async runtime; use the async client there",
        ));
    }
    STATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let pid = std::process::id();
        if slot.as_ref().is_some_and(|s| s.pid != pid) {
            // Inherited through fork(): its epoll and sockets belong to the parent. Never drop it.
            std::mem::forget(slot.take());
        }
        if slot.is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::Network {
                    message: format!("cannot start the I/O runtime: {e}"),
                })?;
            *slot = Some(ThreadState {
                pid,
                runtime,
                pools: Vec::new(),
            });
        }
        let state = slot.as_mut().expect("initialised above");
        state.pools.retain(|(owner, _)| owner.strong_count() > 0);
        let http = match state
            .pools
            .iter()
            .find(|(owner, _)| owner.as_ptr() == Arc::as_ptr(inner))
        {
            Some((_, http)) => http.clone(),
            None => {
                let http = inner.http_client()?;
                state.pools.push((Arc::downgrade(inner), http.clone()));
                http
            }
        };
        let future = call(Core::with_http(inner.clone(), http));
        state.runtime.block_on(future)
    })
}

/// Blocking [`crate::App`].
#[derive(Clone)]
pub struct App {
    app: crate::App,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.app.fmt(f)
    }
}

/// Builds a blocking [`App`] from the async builder's settings.
pub struct AppBuilder(ClientBuilder<crate::App>);

impl AppBuilder {
    /// Changes the settings with the async builder's methods.
    pub fn configure(
        self,
        f: impl FnOnce(ClientBuilder<crate::App>) -> ClientBuilder<crate::App>,
    ) -> Self {
        AppBuilder(f(self.0))
    }
    /// See [`ClientBuilder::base_url`].
    pub fn base_url(self, url: impl Into<String>) -> Self {
        AppBuilder(self.0.base_url(url))
    }
    /// See [`ClientBuilder::timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        AppBuilder(self.0.timeout(timeout))
    }
    /// See [`ClientBuilder::max_retries`].
    pub fn max_retries(self, n: u32) -> Self {
        AppBuilder(self.0.max_retries(n))
    }
    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<App, Error> {
        Ok(App {
            app: self.0.build()?,
        })
    }
}

impl App {
    /// Starts building a blocking app client.
    pub fn builder(api_key: impl Into<String>) -> AppBuilder {
        AppBuilder(crate::App::builder(api_key))
    }

    /// Wraps an async client's settings (the pools are per thread).
    pub fn from_async(app: crate::App) -> Self {
        App { app }
    }

    /// The async client with the same settings.
    pub fn as_async(&self) -> &crate::App {
        &self.app
    }

    fn run<T, Fut: Future<Output = Result<T, Error>>>(
        &self,
        call: impl FnOnce(crate::App) -> Fut,
    ) -> Result<T, Error> {
        let app = &self.app;
        run(&app.core.inner, |core| call(app.with_core(core)))
    }

    /// See [`crate::App::create_managed_secret_grant`].
    pub fn create_managed_secret_grant(
        &self,
        managed_secret_id: &str,
        principal: Principal,
        grant_policy: Option<GrantPolicy>,
        credential_id: Option<&str>,
    ) -> Result<CreateGrantResult, Error> {
        self.run(|app| async move {
            app.create_managed_secret_grant(
                managed_secret_id,
                principal,
                grant_policy,
                credential_id,
            )
            .await
        })
    }

    /// See [`crate::App::list_grants`].
    pub fn list_grants(&self, params: &ListGrantsParams) -> Result<GrantPage, Error> {
        self.run(|app| async move { app.list_grants(params).await })
    }

    /// Every grant matching `params`, fetched page by page as the iterator advances.
    pub fn grants(
        &self,
        params: ListGrantsParams,
    ) -> impl Iterator<Item = Result<GrantItem, Error>> + Send + 'static + use<> {
        self.clone().into_grants(params)
    }

    /// Like [`App::grants`], but owning a handle to the client, so the iterator can be stored
    /// (bindings keep it inside a host object). Each page is fetched on the calling thread.
    pub fn into_grants(
        self,
        params: ListGrantsParams,
    ) -> impl Iterator<Item = Result<GrantItem, Error>> + Send + 'static {
        let start = params.offset;
        paged(start, move |offset| {
            self.list_grants(&ListGrantsParams {
                offset,
                ..params.clone()
            })
        })
    }

    /// See [`crate::App::revoke_grant`].
    pub fn revoke_grant(
        &self,
        grant_id: &str,
        reason: Option<&str>,
    ) -> Result<RevokeGrantResult, Error> {
        self.run(|app| async move { app.revoke_grant(grant_id, reason).await })
    }

    /// See [`crate::App::get_agent`].
    pub fn get_agent(&self, agent_id: &str) -> Result<Agent, Error> {
        Ok(Agent {
            agent: self.app.get_agent(agent_id)?,
        })
    }

    /// Closes the client.
    pub fn close(&self) {
        self.app.close()
    }
}

/// Blocking [`crate::Agent`].
#[derive(Clone)]
pub struct Agent {
    agent: crate::Agent,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.agent.fmt(f)
    }
}

impl Agent {
    /// Starts building a blocking agent client; finish with [`ClientBuilder::build`] and
    /// [`Agent::from_async`], or use [`Agent::new`].
    pub fn new(builder: ClientBuilder<crate::Agent>) -> Result<Self, Error> {
        Ok(Agent {
            agent: builder.build()?,
        })
    }

    /// Wraps an async agent's settings.
    pub fn from_async(agent: crate::Agent) -> Self {
        Agent { agent }
    }

    /// The async client with the same settings.
    pub fn as_async(&self) -> &crate::Agent {
        &self.agent
    }

    fn run<T, Fut: Future<Output = Result<T, Error>>>(
        &self,
        call: impl FnOnce(crate::Agent) -> Fut,
    ) -> Result<T, Error> {
        run(&self.agent.core.inner, |core| call(crate::Agent { core }))
    }

    /// See [`crate::Agent::create_managed_secret_grant`].
    pub fn create_managed_secret_grant(
        &self,
        managed_secret_id: &str,
        principal: Principal,
        grant_policy: Option<GrantPolicy>,
        credential_id: Option<&str>,
    ) -> Result<CreateGrantResult, Error> {
        self.run(|agent| async move {
            agent
                .create_managed_secret_grant(
                    managed_secret_id,
                    principal,
                    grant_policy,
                    credential_id,
                )
                .await
        })
    }

    /// See [`crate::Agent::list_grants`].
    pub fn list_grants(&self, params: &ListGrantsParams) -> Result<GrantPage, Error> {
        self.run(|agent| async move { agent.list_grants(params).await })
    }

    /// Every grant this agent can see, fetched page by page as the iterator advances.
    pub fn grants(
        &self,
        params: ListGrantsParams,
    ) -> impl Iterator<Item = Result<GrantItem, Error>> + Send + 'static + use<> {
        self.clone().into_grants(params)
    }

    /// Like [`Agent::grants`], but consuming the handle; see [`App::into_grants`].
    pub fn into_grants(
        self,
        params: ListGrantsParams,
    ) -> impl Iterator<Item = Result<GrantItem, Error>> + Send + 'static {
        let start = params.offset;
        paged(start, move |offset| {
            self.list_grants(&ListGrantsParams {
                offset,
                ..params.clone()
            })
        })
    }

    /// Closes the client.
    pub fn close(&self) {
        self.agent.close()
    }
}

/// Every item of a listing, page by page. Each page is fetched when `next` needs it, on the
/// thread calling `next` (with that thread's runtime and pool). Fused after an error.
fn paged<F>(start: u64, mut fetch: F) -> impl Iterator<Item = Result<GrantItem, Error>> + Send
where
    F: FnMut(u64) -> Result<GrantPage, Error> + Send,
{
    let mut next = Some(start);
    let mut items = Vec::new().into_iter();
    std::iter::from_fn(move || {
        loop {
            if let Some(item) = items.next() {
                return Some(Ok(item));
            }
            match fetch(next.take()?) {
                Ok(page) => {
                    next = crate::client::next_offset(&page);
                    items = page.grants.into_iter();
                }
                Err(e) => return Some(Err(e)),
            }
        }
    })
}
