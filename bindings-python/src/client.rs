//! The native clients: `AsyncApp`/`AsyncAgent` (core futures on the fork-aware runtime,
//! completions through [`Completions`]) and `BlockingApp`/`BlockingAgent` (core `blocking`
//! clients, every call inside `py.detach`). The Python layer in `grantline` wraps them.

use crate::convert::{limit, offset, opt_str, req_str, retries, seconds};
use crate::error::{ResultExt, guard, internal, panic_message};
use crate::models::{
    CreateGrantResult, GrantListResult, GrantPolicy, RevokeGrantResult, item_to_py,
};
use crate::runtime::{Completions, ForkAware, Output};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use grantline::{CallerType, ClientBuilder, Error, GetterError, GrantItem, ListGrantsParams};
use pyo3::prelude::*;
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

const USER_AGENT: &str = concat!("grantline-python/", env!("CARGO_PKG_VERSION"));

tokio::task_local! {
    /// The end-user token the Python `user_token_getter` produced for this async call.
    static TASK_TOKEN: Option<String>;
}
thread_local! {
    /// The same for a blocking call on this thread.
    static CALL_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The core getter of a client whose Python `user_token_getter` is resolved in Python per call.
fn resolved_token() -> std::future::Ready<Result<String, GetterError>> {
    let token = TASK_TOKEN
        .try_with(Clone::clone)
        .ok()
        .flatten()
        .or_else(|| CALL_TOKEN.with(|c| c.borrow().clone()));
    std::future::ready(token.ok_or_else(|| "no end-user token was resolved for this call".into()))
}

/// A client's settings, kept so that a forked child can build its own client from them.
#[derive(Clone)]
struct Settings {
    api_key: String,
    base_url: Option<String>,
    timeout: std::time::Duration,
    max_retries: u32,
    caller: Option<String>,
    caller_type: CallerType,
    user_token_getter: bool,
}

impl Settings {
    #[allow(clippy::too_many_arguments)]
    fn from_py(
        py: Python<'_>,
        api_key: &Bound<'_, PyAny>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: &Bound<'_, PyAny>,
        max_retries: &Bound<'_, PyAny>,
        caller: Option<&Bound<'_, PyAny>>,
        caller_type: Option<&Bound<'_, PyAny>>,
        user_token_getter: bool,
    ) -> PyResult<Self> {
        Ok(Settings {
            api_key: req_str(py, api_key, "api_key")?,
            base_url: opt_str(py, base_url, "base_url")?,
            timeout: seconds(py, timeout, "timeout")?,
            max_retries: retries(py, max_retries)?,
            caller: opt_str(py, caller, "caller")?,
            caller_type: match caller_type {
                Some(t) => req_str(py, t, "caller_type")?.parse().py_err(py)?,
                None => CallerType::Agent,
            },
            user_token_getter,
        })
    }

    fn apply<T>(&self, b: ClientBuilder<T>) -> ClientBuilder<T> {
        let mut b = b
            .timeout(self.timeout)
            .max_retries(self.max_retries)
            .user_agent(USER_AGENT);
        if let Some(url) = &self.base_url {
            b = b.base_url(url.clone());
        }
        if let Some(caller) = &self.caller {
            b = b.caller(caller.clone());
        }
        b
    }

    fn app(&self) -> Result<grantline::App, Error> {
        let mut b = self
            .apply(grantline::App::builder(self.api_key.clone()))
            .caller_type(self.caller_type);
        if self.user_token_getter {
            b = b.user_token_getter(resolved_token);
        }
        b.build()
    }

    fn agent(&self) -> Result<grantline::Agent, Error> {
        self.apply(grantline::Agent::builder(self.api_key.clone()))
            .build()
    }
}

/// A fork-aware client: the first one is built now (bad settings fail here).
fn fork_aware<T: Clone + 'static>(
    py: Python<'_>,
    make: impl Fn() -> Result<T, Error> + Send + Sync + 'static,
) -> PyResult<ForkAware<T>> {
    ForkAware::new(make).py_err(py)
}

#[allow(clippy::too_many_arguments)]
fn params(
    py: Python<'_>,
    provider_id: Option<&Bound<'_, PyAny>>,
    status: Option<&Bound<'_, PyAny>>,
    account: Option<&Bound<'_, PyAny>>,
    label: Option<&Bound<'_, PyAny>>,
    end_user_token: Option<&Bound<'_, PyAny>>,
    limit_: &Bound<'_, PyAny>,
    offset_: &Bound<'_, PyAny>,
) -> PyResult<ListGrantsParams> {
    let mut p = ListGrantsParams::new()
        .limit(limit(py, limit_)?)
        .offset(offset(py, offset_)?);
    p.provider_id = opt_str(py, provider_id, "provider_id")?;
    p.status = opt_str(py, status, "status")?;
    p.account = opt_str(py, account, "account")?;
    p.label = opt_str(py, label, "label")?;
    p.end_user_token = opt_str(py, end_user_token, "end_user_token")?;
    // Bad values fail here, before any I/O and before a future is spawned.
    p.validate().py_err(py)?;
    Ok(p)
}

struct CreateArgs {
    managed_secret_id: String,
    principal: grantline::Principal,
    policy: Option<grantline::GrantPolicy>,
    credential_id: Option<String>,
}

fn create_args(
    py: Python<'_>,
    managed_secret_id: &Bound<'_, PyAny>,
    principal: &Bound<'_, PyAny>,
    grant_policy: Option<&Bound<'_, PyAny>>,
    credential_id: Option<&Bound<'_, PyAny>>,
) -> PyResult<CreateArgs> {
    Ok(CreateArgs {
        managed_secret_id: req_str(py, managed_secret_id, "managed_secret_id")?,
        principal: crate::principal::from_py(py, principal)?,
        policy: match grant_policy {
            Some(p) => GrantPolicy::from_py(py, p)?,
            None => None,
        },
        credential_id: opt_str(py, credential_id, "credential_id")?,
    })
}

/// Runs a blocking core call with the GIL released; a panic becomes a `GrantlineError`.
fn blocking<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    let result = py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(f)));
    crate::logging::flush_pending(py)?;
    match result {
        Ok(r) => r.py_err(py),
        Err(payload) => Err(internal(py, &panic_message(&*payload))),
    }
}

// ---------------------------------------------------------------- async

/// The calls `App` and `Agent` share, for one async class (its field `inner` is fork-aware).
macro_rules! async_client {
    ($cls:ident, $core:ty) => {
        impl $cls {
            fn get(&self, py: Python<'_>) -> PyResult<$core> {
                self.inner.get().py_err(py)
            }
        }

        #[pymethods]
        impl $cls {
            #[getter]
            fn base_url(&self, py: Python<'_>) -> PyResult<String> {
                Ok(self.get(py)?.base_url().to_owned())
            }

            #[getter]
            fn actor_id(&self, py: Python<'_>) -> PyResult<Option<String>> {
                Ok(self.get(py)?.actor_id().map(str::to_owned))
            }

            #[pyo3(signature = (completions, managed_secret_id, principal, grant_policy, credential_id))]
            fn create(
                &self,
                py: Python<'_>,
                completions: &Completions,
                managed_secret_id: &Bound<'_, PyAny>,
                principal: &Bound<'_, PyAny>,
                grant_policy: Option<&Bound<'_, PyAny>>,
                credential_id: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<u64> {
                guard(py, || {
                    let a =
                        create_args(py, managed_secret_id, principal, grant_policy, credential_id)?;
                    let client = self.get(py)?;
                    completions.submit(py, async move {
                        client
                            .create_managed_secret_grant(
                                &a.managed_secret_id,
                                a.principal,
                                a.policy,
                                a.credential_id.as_deref(),
                            )
                            .await
                            .map(Output::Create)
                    })
                })
            }

            #[pyo3(signature = (completions, provider_id, status, account, label, end_user_token, limit, offset))]
            #[allow(clippy::too_many_arguments)]
            fn list(
                &self,
                py: Python<'_>,
                completions: &Completions,
                provider_id: Option<&Bound<'_, PyAny>>,
                status: Option<&Bound<'_, PyAny>>,
                account: Option<&Bound<'_, PyAny>>,
                label: Option<&Bound<'_, PyAny>>,
                end_user_token: Option<&Bound<'_, PyAny>>,
                limit: &Bound<'_, PyAny>,
                offset: &Bound<'_, PyAny>,
            ) -> PyResult<u64> {
                guard(py, || {
                    let p = params(
                        py, provider_id, status, account, label, end_user_token, limit, offset,
                    )?;
                    let client = self.get(py)?;
                    completions.submit(py, async move {
                        client.list_grants(&p).await.map(Output::Page)
                    })
                })
            }

            #[pyo3(signature = (provider_id, status, account, label, end_user_token, limit, offset))]
            #[allow(clippy::too_many_arguments)]
            fn grants(
                &self,
                py: Python<'_>,
                provider_id: Option<&Bound<'_, PyAny>>,
                status: Option<&Bound<'_, PyAny>>,
                account: Option<&Bound<'_, PyAny>>,
                label: Option<&Bound<'_, PyAny>>,
                end_user_token: Option<&Bound<'_, PyAny>>,
                limit: &Bound<'_, PyAny>,
                offset: &Bound<'_, PyAny>,
            ) -> PyResult<AsyncGrantStream> {
                guard(py, || {
                    let p = params(
                        py, provider_id, status, account, label, end_user_token, limit, offset,
                    )?;
                    Ok(AsyncGrantStream::new(self.get(py)?.grants(p).boxed()))
                })
            }

            fn close(&self, py: Python<'_>) -> PyResult<()> {
                self.get(py)?.close();
                Ok(())
            }
        }
    };
}

/// The async operator client.
#[pyclass(frozen, module = "grantline._native")]
pub struct AsyncApp {
    inner: Arc<ForkAware<grantline::App>>,
}

async_client!(AsyncApp, grantline::App);

#[pymethods]
impl AsyncApp {
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: &Bound<'_, PyAny>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: &Bound<'_, PyAny>,
        max_retries: &Bound<'_, PyAny>,
        caller: Option<&Bound<'_, PyAny>>,
        caller_type: &Bound<'_, PyAny>,
        has_user_token_getter: bool,
    ) -> PyResult<Self> {
        guard(py, || {
            let settings = Settings::from_py(
                py,
                api_key,
                base_url,
                timeout,
                max_retries,
                caller,
                Some(caller_type),
                has_user_token_getter,
            )?;
            let app = fork_aware(py, move || settings.app())?;
            Ok(AsyncApp {
                inner: Arc::new(app),
            })
        })
    }

    #[pyo3(signature = (completions, grant_id, reason, user_token))]
    fn revoke(
        &self,
        py: Python<'_>,
        completions: &Completions,
        grant_id: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
        user_token: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        guard(py, || {
            let grant_id = req_str(py, grant_id, "grant_id")?;
            let reason = opt_str(py, reason, "reason")?;
            let token = opt_str(py, user_token, "user_token")?;
            let app = self.get(py)?;
            completions.submit(
                py,
                TASK_TOKEN.scope(token, async move {
                    app.revoke_grant(&grant_id, reason.as_deref())
                        .await
                        .map(Output::Revoke)
                }),
            )
        })
    }

    fn get_agent(&self, py: Python<'_>, agent_id: &Bound<'_, PyAny>) -> PyResult<AsyncAgent> {
        guard(py, || {
            let agent_id = req_str(py, agent_id, "agent_id")?;
            let app = self.inner.clone();
            let inner = fork_aware(py, move || app.get()?.get_agent(&agent_id))?;
            Ok(AsyncAgent { inner })
        })
    }
}

/// The async workload client.
#[pyclass(frozen, module = "grantline._native")]
pub struct AsyncAgent {
    inner: ForkAware<grantline::Agent>,
}

async_client!(AsyncAgent, grantline::Agent);

#[pymethods]
impl AsyncAgent {
    #[new]
    fn new(
        py: Python<'_>,
        api_key: &Bound<'_, PyAny>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: &Bound<'_, PyAny>,
        max_retries: &Bound<'_, PyAny>,
        caller: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let settings = Settings::from_py(
                py,
                api_key,
                base_url,
                timeout,
                max_retries,
                caller,
                None,
                false,
            )?;
            let inner = fork_aware(py, move || settings.agent())?;
            Ok(AsyncAgent { inner })
        })
    }

    #[getter]
    fn caller(&self, py: Python<'_>) -> PyResult<Option<String>> {
        Ok(self.get(py)?.caller().map(str::to_owned))
    }
}

struct StreamState {
    stream: BoxStream<'static, Result<GrantItem, Error>>,
    stashed: Option<Error>,
}

/// Every page of a listing; `next_batch` delivers the items that are ready (empty at the end).
#[pyclass(frozen, module = "grantline._native")]
pub struct AsyncGrantStream {
    state: Arc<tokio::sync::Mutex<StreamState>>,
}

impl AsyncGrantStream {
    fn new(stream: BoxStream<'static, Result<GrantItem, Error>>) -> Self {
        AsyncGrantStream {
            state: Arc::new(tokio::sync::Mutex::new(StreamState {
                stream,
                stashed: None,
            })),
        }
    }
}

#[pymethods]
impl AsyncGrantStream {
    fn next_batch(&self, py: Python<'_>, completions: &Completions) -> PyResult<u64> {
        let state = self.state.clone();
        completions.submit(py, async move {
            let mut state = state.lock().await;
            if let Some(e) = state.stashed.take() {
                return Err(e);
            }
            let mut items = match state.stream.next().await {
                None => return Ok(Output::Items(Vec::new())),
                Some(item) => vec![item?],
            };
            // Hand over the rest of the page without another round trip per item.
            while let Some(Some(next)) = state.stream.next().now_or_never() {
                match next {
                    Ok(item) => items.push(item),
                    Err(e) => {
                        state.stashed = Some(e);
                        break;
                    }
                }
            }
            Ok(Output::Items(items))
        })
    }
}

// ---------------------------------------------------------------- blocking

/// The calls `App` and `Agent` share, for one blocking class (field `inner`: the core client).
macro_rules! blocking_client {
    ($cls:ident) => {
        #[pymethods]
        impl $cls {
            #[getter]
            fn base_url(&self) -> &str {
                self.inner.as_async().base_url()
            }

            #[getter]
            fn actor_id(&self) -> Option<String> {
                self.inner.as_async().actor_id().map(str::to_owned)
            }

            #[pyo3(signature = (managed_secret_id, principal, grant_policy, credential_id))]
            fn create(
                &self,
                py: Python<'_>,
                managed_secret_id: &Bound<'_, PyAny>,
                principal: &Bound<'_, PyAny>,
                grant_policy: Option<&Bound<'_, PyAny>>,
                credential_id: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<CreateGrantResult> {
                let a = guard(py, || {
                    create_args(py, managed_secret_id, principal, grant_policy, credential_id)
                })?;
                blocking(py, || {
                    self.inner.create_managed_secret_grant(
                        &a.managed_secret_id,
                        a.principal,
                        a.policy,
                        a.credential_id.as_deref(),
                    )
                })
                .map(CreateGrantResult)
            }

            #[pyo3(signature = (provider_id, status, account, label, end_user_token, limit, offset))]
            #[allow(clippy::too_many_arguments)]
            fn list(
                &self,
                py: Python<'_>,
                provider_id: Option<&Bound<'_, PyAny>>,
                status: Option<&Bound<'_, PyAny>>,
                account: Option<&Bound<'_, PyAny>>,
                label: Option<&Bound<'_, PyAny>>,
                end_user_token: Option<&Bound<'_, PyAny>>,
                limit: &Bound<'_, PyAny>,
                offset: &Bound<'_, PyAny>,
            ) -> PyResult<GrantListResult> {
                let p = guard(py, || {
                    params(py, provider_id, status, account, label, end_user_token, limit, offset)
                })?;
                let page = blocking(py, || self.inner.list_grants(&p))?;
                GrantListResult::new(py, page)
            }

            #[pyo3(signature = (provider_id, status, account, label, end_user_token, limit, offset))]
            #[allow(clippy::too_many_arguments)]
            fn grants(
                &self,
                py: Python<'_>,
                provider_id: Option<&Bound<'_, PyAny>>,
                status: Option<&Bound<'_, PyAny>>,
                account: Option<&Bound<'_, PyAny>>,
                label: Option<&Bound<'_, PyAny>>,
                end_user_token: Option<&Bound<'_, PyAny>>,
                limit: &Bound<'_, PyAny>,
                offset: &Bound<'_, PyAny>,
            ) -> PyResult<BlockingGrantIter> {
                let p = guard(py, || {
                    params(py, provider_id, status, account, label, end_user_token, limit, offset)
                })?;
                Ok(BlockingGrantIter {
                    iter: Mutex::new(Box::new(self.inner.clone().into_grants(p))),
                })
            }

            fn close(&self) {
                self.inner.close();
            }
        }
    };
}

/// The blocking operator client.
#[pyclass(frozen, module = "grantline._native")]
pub struct BlockingApp {
    inner: grantline::blocking::App,
}

blocking_client!(BlockingApp);

#[pymethods]
impl BlockingApp {
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: &Bound<'_, PyAny>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: &Bound<'_, PyAny>,
        max_retries: &Bound<'_, PyAny>,
        caller: Option<&Bound<'_, PyAny>>,
        caller_type: &Bound<'_, PyAny>,
        has_user_token_getter: bool,
    ) -> PyResult<Self> {
        guard(py, || {
            let settings = Settings::from_py(
                py,
                api_key,
                base_url,
                timeout,
                max_retries,
                caller,
                Some(caller_type),
                has_user_token_getter,
            )?;
            Ok(BlockingApp {
                inner: grantline::blocking::App::from_async(settings.app().py_err(py)?),
            })
        })
    }

    #[pyo3(signature = (grant_id, reason, user_token))]
    fn revoke(
        &self,
        py: Python<'_>,
        grant_id: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
        user_token: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RevokeGrantResult> {
        let (grant_id, reason, token) = guard(py, || {
            Ok((
                req_str(py, grant_id, "grant_id")?,
                opt_str(py, reason, "reason")?,
                opt_str(py, user_token, "user_token")?,
            ))
        })?;
        blocking(py, || {
            CALL_TOKEN.with(|c| *c.borrow_mut() = token);
            let result = self.inner.revoke_grant(&grant_id, reason.as_deref());
            CALL_TOKEN.with(|c| *c.borrow_mut() = None);
            result
        })
        .map(RevokeGrantResult)
    }

    fn get_agent(&self, py: Python<'_>, agent_id: &Bound<'_, PyAny>) -> PyResult<BlockingAgent> {
        guard(py, || {
            let agent_id = req_str(py, agent_id, "agent_id")?;
            Ok(BlockingAgent {
                inner: self.inner.get_agent(&agent_id).py_err(py)?,
            })
        })
    }
}

/// The blocking workload client.
#[pyclass(frozen, module = "grantline._native")]
pub struct BlockingAgent {
    inner: grantline::blocking::Agent,
}

blocking_client!(BlockingAgent);

#[pymethods]
impl BlockingAgent {
    #[new]
    fn new(
        py: Python<'_>,
        api_key: &Bound<'_, PyAny>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: &Bound<'_, PyAny>,
        max_retries: &Bound<'_, PyAny>,
        caller: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let settings = Settings::from_py(
                py,
                api_key,
                base_url,
                timeout,
                max_retries,
                caller,
                None,
                false,
            )?;
            Ok(BlockingAgent {
                inner: grantline::blocking::Agent::from_async(settings.agent().py_err(py)?),
            })
        })
    }

    #[getter]
    fn caller(&self) -> Option<String> {
        self.inner.as_async().caller().map(str::to_owned)
    }
}

type ItemIter = Box<dyn Iterator<Item = Result<GrantItem, Error>> + Send>;

/// Every page of a listing as a Python iterator (the GIL is released while a page loads).
#[pyclass(frozen, module = "grantline._native")]
pub struct BlockingGrantIter {
    iter: Mutex<ItemIter>,
}

#[pymethods]
impl BlockingGrantIter {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let next = blocking(py, || {
            let mut iter = self.iter.lock().map_err(|_| Error::Closed)?;
            iter.next().transpose()
        })?;
        next.map(|item| item_to_py(py, item)).transpose()
    }
}

/// Test hook: panics inside grantline, on the calling thread (`blocking=True`) or on the runtime.
#[pyfunction]
#[pyo3(signature = (completions=None))]
pub fn _panic_for_test(py: Python<'_>, completions: Option<&Completions>) -> PyResult<u64> {
    match completions {
        None => blocking(py, || -> Result<u64, Error> {
            panic!("deliberate test panic")
        }),
        Some(c) => c.submit(py, async { panic!("deliberate test panic (async)") }),
    }
}
