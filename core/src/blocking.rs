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
//! use grantline::{CreateGrantOptions, ListGrantsParams, Principal};
//! let app = App::builder("alter_rk_abcdefghijklmnopqrstuv_iwpykn").base_url("http://127.0.0.1:8787").build()?;
//! let grant = app.create_managed_secret_grant("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", Principal::system(None::<String>)?, CreateGrantOptions::new())?;
//! let page = app.list_grants(ListGrantsParams::new().limit(10))?;
//! println!("{} grants, first {:?}", page.total, page.grants.first().map(|g| g.grant_id()));
//! # Ok::<(), grantline::Error>(())
//! ```

use crate::client::{ClientBuilder, Core, FromConfig, sealed};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::models::{GrantItem, GrantPage};
use crate::options::ListGrantsParams;
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
fn run<T, Fut>(core: &Core, call: impl FnOnce(Core) -> Fut) -> Result<T, Error>
where
    Fut: Future<Output = Result<T, Error>>,
{
    let inner = &core.inner;
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
        let future = call(core.with_http(http));
        state.runtime.block_on(future)
    })
}

/// Methods every blocking client has besides its operations (written once for both).
macro_rules! blocking_basics {
    ($Client:ident, $Async:ident) => {
        #[doc = concat!("Blocking [`crate::", stringify!($Async), "`]: the same settings and operations, each call run on the calling thread.")]
        #[derive(Clone)]
        pub struct $Client {
            inner: crate::$Async,
        }

        impl std::fmt::Debug for $Client {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.inner.fmt(f)
            }
        }

        impl sealed::Sealed for $Client {}

        impl FromConfig for $Client {
            fn from_config(config: ClientConfig) -> Result<Self, Error> {
                crate::$Async::from_config(config).map(Self::from_async)
            }
        }

        impl $Client {
            /// Starts building a blocking client for `api_key`.
            pub fn builder(api_key: impl Into<String>) -> ClientBuilder<$Client> {
                ClientBuilder::new(api_key.into())
            }

            /// A blocking client with these settings.
            pub fn new(config: ClientConfig) -> Result<Self, Error> {
                Self::from_config(config)
            }

            /// Wraps an async client's settings (the pools are per thread).
            pub fn from_async(inner: crate::$Async) -> Self {
                $Client { inner }
            }

            /// The async client with the same settings.
            pub fn as_async(&self) -> &crate::$Async {
                &self.inner
            }

            pub(crate) fn run<T, Fut: Future<Output = Result<T, Error>>>(
                &self,
                call: impl FnOnce(Core) -> Fut,
            ) -> Result<T, Error> {
                run(&self.inner.core, call)
            }

            /// The resolved base URL.
            pub fn base_url(&self) -> &str {
                self.inner.base_url()
            }

            /// The actor id the server returned, once it has.
            pub fn actor_id(&self) -> Option<&str> {
                self.inner.actor_id()
            }

            /// A handle whose calls use `timeout` (a call's own `timeout` option still wins).
            pub fn with_timeout(&self, timeout: Duration) -> Self {
                Self::from_async(self.inner.with_timeout(timeout))
            }

            /// Every grant matching `params`, fetched page by page as the iterator advances.
            pub fn grants(
                &self,
                params: ListGrantsParams,
            ) -> impl Iterator<Item = Result<GrantItem, Error>> + Send + 'static + use<> {
                self.clone().into_grants(params)
            }

            /// Like `grants`, but owning a handle to the client, so the iterator can be stored
            /// (bindings keep it inside a host object). Each page is fetched on the thread that
            /// advances the iterator.
            pub fn into_grants(
                self,
                params: ListGrantsParams,
            ) -> impl Iterator<Item = Result<GrantItem, Error>> + Send + 'static {
                paged(params.offset, move |offset| {
                    self.list_grants(ListGrantsParams {
                        offset,
                        ..params.clone()
                    })
                })
            }

            /// See the async client's `with_constraints`.
            pub fn with_constraints(
                &self,
                constraints: crate::options::Constraints,
            ) -> Result<Self, Error> {
                self.inner.with_constraints(constraints).map(Self::from_async)
            }

            /// Closes the client.
            pub fn close(&self) {
                self.inner.close()
            }

            /// Waits (blocking) until the background writes this client started are done, at
            /// most `timeout`; true when none is left. See the async client's `flush`.
            pub fn flush(&self, timeout: Duration) -> bool {
                self.inner.flush_blocking(timeout)
            }

            /// The same as [`Self::flush`] (the async client's name for it).
            pub fn flush_blocking(&self, timeout: Duration) -> bool {
                self.inner.flush_blocking(timeout)
            }

            /// How many background writes are pending.
            pub fn pending_background(&self) -> usize {
                self.inner.pending_background()
            }
        }
    };
}

blocking_basics!(App, App);
blocking_basics!(Agent, Agent);

impl App {
    /// See [`crate::App::get_agent`].
    pub fn get_agent(&self, agent_id: &str) -> Result<Agent, Error> {
        self.inner.get_agent(agent_id).map(Agent::from_async)
    }
}

impl Agent {
    /// See [`crate::Agent::caller`].
    pub fn caller(&self) -> Option<&str> {
        self.inner.caller()
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
