//! The native clients. Each takes its settings as one dict (read by the core into a
//! `ClientConfig`) and every operation through one method, `call(name, args)`: the keyword
//! arguments become the core's `Call` (the core's rules, Python's names), the core runs it, and
//! the `Outcome` comes back as a Python object. `AsyncApp`/`AsyncAgent` run calls as core futures
//! on the fork-aware runtime (completions through [`Completions`]); `BlockingApp`/`BlockingAgent`
//! run them on the calling thread inside `py.detach`. The Python layer in `grantline` gives each
//! operation its typed signature.

use crate::convert::args_value;
use crate::error::{ResultExt, guard, internal, panic_message};
use crate::models::item_to_py;
use crate::runtime::{Completions, ForkAware, Output};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use grantline::{Call, ClientConfig, Dialect, Error, GrantItem, ListGrantsParams};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

const USER_AGENT: &str = concat!("grantline-python/", env!("CARGO_PKG_VERSION"));

/// The settings dict → a checked `ClientConfig`.
fn config(py: Python<'_>, settings: &Bound<'_, PyDict>) -> PyResult<ClientConfig> {
    let mut config: ClientConfig =
        grantline::args::from_value(args_value(py, settings)?, Dialect::Python).py_err(py)?;
    config.user_agent = Some(USER_AGENT.to_owned());
    Ok(config)
}

/// One operation's keyword arguments → the core's call (bad values fail here, before any I/O).
fn read_call(py: Python<'_>, name: &str, args: &Bound<'_, PyDict>) -> PyResult<Call> {
    Call::from_value(name, args_value(py, args)?, Dialect::Python).py_err(py)
}

fn read_params(py: Python<'_>, args: &Bound<'_, PyDict>) -> PyResult<ListGrantsParams> {
    let params: ListGrantsParams =
        grantline::args::from_value(args_value(py, args)?, Dialect::Python).py_err(py)?;
    params.validate().py_err(py)?;
    Ok(params)
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

/// The methods every native client class has (field `inner`; `Self::client(py)` gives the core
/// client), written once for the four classes.
macro_rules! client_class {
    ($cls:ident, async) => {
        #[pymethods]
        impl $cls {
            /// Starts the operation `name` with keyword arguments `args`; returns the token its
            /// outcome will carry on `completions`.
            fn call(
                &self,
                py: Python<'_>,
                completions: &Completions,
                name: &str,
                args: &Bound<'_, PyDict>,
            ) -> PyResult<u64> {
                guard(py, || {
                    let call = read_call(py, name, args)?;
                    let client = self.client(py)?;
                    completions.submit(py, async move {
                        client.call(call).await.map(|o| Output::Outcome(Box::new(o)))
                    })
                })
            }

            /// Every grant `list_grants` would page through.
            fn grants(&self, py: Python<'_>, args: &Bound<'_, PyDict>) -> PyResult<AsyncGrantStream> {
                guard(py, || {
                    let params = read_params(py, args)?;
                    Ok(AsyncGrantStream::new(self.client(py)?.grants(params).boxed()))
                })
            }
        }
        client_class!(@common $cls);
    };
    ($cls:ident, blocking) => {
        #[pymethods]
        impl $cls {
            /// Runs the operation `name` with keyword arguments `args` on this thread.
            fn call(&self, py: Python<'_>, name: &str, args: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
                let call = guard(py, || read_call(py, name, args))?;
                let client = self.client(py)?;
                let outcome = blocking(py, move || client.call(call))?;
                crate::runtime::outcome_to_py(py, outcome)
            }

            /// Every grant `list_grants` would page through, each page fetched on the thread
            /// that advances the iterator.
            fn grants(&self, py: Python<'_>, args: &Bound<'_, PyDict>) -> PyResult<BlockingGrantIter> {
                let params = guard(py, || read_params(py, args))?;
                Ok(BlockingGrantIter {
                    iter: Mutex::new(Box::new(self.client(py)?.into_grants(params))),
                })
            }
        }
        client_class!(@common $cls);
    };
    (@common $cls:ident) => {
        #[pymethods]
        impl $cls {
            #[getter]
            fn base_url(&self, py: Python<'_>) -> PyResult<String> {
                Ok(self.client(py)?.base_url().to_owned())
            }

            #[getter]
            fn actor_id(&self, py: Python<'_>) -> PyResult<Option<String>> {
                Ok(self.client(py)?.actor_id().map(str::to_owned))
            }

            fn close(&self, py: Python<'_>) -> PyResult<()> {
                self.client(py)?.close();
                Ok(())
            }

            /// How many background writes (audit records) are pending.
            fn pending_background(&self, py: Python<'_>) -> PyResult<usize> {
                Ok(self.client(py)?.pending_background())
            }

            /// Waits, with the GIL released, until no background write is pending, at most
            /// `timeout` seconds; true when none is.
            fn flush(&self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
                let client = self.client(py)?;
                let timeout = std::time::Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
                blocking(py, move || Ok(client.flush_blocking(timeout)))
            }

            /// A client whose every call carries these constraints (`scopes`, `rule`).
            fn with_constraints(&self, py: Python<'_>, args: &Bound<'_, PyDict>) -> PyResult<Self> {
                let constraints: grantline::Constraints =
                    grantline::args::from_value(args_value(py, args)?, Dialect::Python).py_err(py)?;
                Self::constrained(self, py, constraints)
            }
        }
    };
}

/// An async client: a fork-aware core client (a forked child builds its own from the config).
macro_rules! async_client {
    ($cls:ident, $core:ty) => {
        #[pyclass(frozen, module = "grantline._native")]
        pub struct $cls {
            inner: Arc<ForkAware<$core>>,
        }

        impl $cls {
            fn client(&self, py: Python<'_>) -> PyResult<$core> {
                self.inner.get().py_err(py)
            }

            fn constrained(
                &self,
                py: Python<'_>,
                constraints: grantline::Constraints,
            ) -> PyResult<Self> {
                let parent = self.inner.clone();
                let inner =
                    ForkAware::new(move || parent.get()?.with_constraints(constraints.clone()))
                        .py_err(py)?;
                Ok($cls {
                    inner: Arc::new(inner),
                })
            }
        }

        #[pymethods]
        impl $cls {
            #[new]
            fn new(py: Python<'_>, settings: &Bound<'_, PyDict>) -> PyResult<Self> {
                guard(py, || {
                    let config = config(py, settings)?;
                    let inner = ForkAware::new(move || <$core>::new(config.clone())).py_err(py)?;
                    Ok($cls {
                        inner: Arc::new(inner),
                    })
                })
            }
        }

        client_class!($cls, async);
    };
}

async_client!(AsyncApp, grantline::App);
async_client!(AsyncAgent, grantline::Agent);

#[pymethods]
impl AsyncApp {
    fn get_agent(&self, py: Python<'_>, agent_id: &str) -> PyResult<AsyncAgent> {
        guard(py, || {
            let app = self.inner.clone();
            let agent_id = agent_id.to_owned();
            let inner = ForkAware::new(move || app.get()?.get_agent(&agent_id)).py_err(py)?;
            Ok(AsyncAgent {
                inner: Arc::new(inner),
            })
        })
    }
}

#[pymethods]
impl AsyncAgent {
    #[getter]
    fn caller(&self, py: Python<'_>) -> PyResult<Option<String>> {
        Ok(self.client(py)?.caller().map(str::to_owned))
    }
}

/// A blocking client: the core's blocking client (pools are per thread and per process).
macro_rules! blocking_client {
    ($cls:ident, $core:ty) => {
        #[pyclass(frozen, module = "grantline._native")]
        pub struct $cls {
            inner: $core,
        }

        impl $cls {
            fn client(&self, _py: Python<'_>) -> PyResult<$core> {
                Ok(self.inner.clone())
            }

            fn constrained(
                &self,
                py: Python<'_>,
                constraints: grantline::Constraints,
            ) -> PyResult<Self> {
                Ok($cls {
                    inner: self.inner.with_constraints(constraints).py_err(py)?,
                })
            }
        }

        #[pymethods]
        impl $cls {
            #[new]
            fn new(py: Python<'_>, settings: &Bound<'_, PyDict>) -> PyResult<Self> {
                guard(py, || {
                    Ok($cls {
                        inner: <$core>::new(config(py, settings)?).py_err(py)?,
                    })
                })
            }
        }

        client_class!($cls, blocking);
    };
}

blocking_client!(BlockingApp, grantline::blocking::App);
blocking_client!(BlockingAgent, grantline::blocking::Agent);

#[pymethods]
impl BlockingApp {
    fn get_agent(&self, py: Python<'_>, agent_id: &str) -> PyResult<BlockingAgent> {
        Ok(BlockingAgent {
            inner: self.inner.get_agent(agent_id).py_err(py)?,
        })
    }
}

#[pymethods]
impl BlockingAgent {
    #[getter]
    fn caller(&self) -> Option<String> {
        self.inner.caller().map(str::to_owned)
    }
}

/// What the language layers need of the operation table: `(name, positional, options,
/// user_token_option)` per operation.
#[pyfunction]
pub fn operations(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for op in grantline::OPERATIONS {
        out.append(PyTuple::new(
            py,
            [
                op.name.into_pyobject(py)?.into_any(),
                PyTuple::new(py, op.positional)?.into_any(),
                PyTuple::new(py, (op.options)())?.into_any(),
                op.user_token_option.into_pyobject(py)?.into_any(),
            ],
        )?)?;
    }
    Ok(out)
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
