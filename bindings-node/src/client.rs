//! The native `App` and `Agent` classes wrapped by `lib/client.ts`. Each method takes its
//! arguments as one JSON text and resolves to the core result serialized as JSON text (wire
//! shape), which the TypeScript layer turns into camelCase objects with `Date`s.

use crate::args;
use crate::error::{guard, guard_sync};
use grantline::{Agent, App, Error};
use napi_derive::napi;
use serde::Serialize;

const USER_AGENT: &str = concat!("grantline-node/", env!("CARGO_PKG_VERSION"));

fn to_json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::ResponseValidation {
        message: format!("cannot encode the result: {e}"),
        status: 200,
    })
}

macro_rules! configure {
    ($builder:expr, $opts:expr) => {{
        let mut b = $builder.user_agent(USER_AGENT);
        if let Some(url) = $opts.base_url {
            b = b.base_url(url);
        }
        if let Some(timeout) = $opts.timeout {
            b = b.timeout(timeout);
        }
        if let Some(n) = $opts.max_retries {
            b = b.max_retries(n);
        }
        if let Some(caller) = $opts.caller {
            b = b.caller(caller);
        }
        b
    }};
}

/// The operator client.
#[napi]
pub struct NativeApp {
    inner: App,
}

#[napi]
impl NativeApp {
    /// `options`: JSON of `{ apiKey, baseUrl?, timeout? (ms), maxRetries?, caller?, callerType? }`.
    #[napi(constructor)]
    pub fn new(options: String) -> napi::Result<Self> {
        guard_sync(|| {
            let opts = args::client_options(&options, true)?;
            let caller_type = opts.caller_type;
            let mut builder = configure!(App::builder(opts.api_key.clone()), opts);
            if let Some(t) = caller_type {
                builder = builder.caller_type(t);
            }
            Ok(NativeApp {
                inner: builder.build()?,
            })
        })
    }

    /// The resolved base URL.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// The actor id the server returned, once it has.
    #[napi(getter)]
    pub fn actor_id(&self) -> Option<String> {
        self.inner.actor_id().map(str::to_owned)
    }

    /// `args`: JSON of `{ managedSecretId, options: { principal, grantPolicy?, credentialId? } }`.
    #[napi]
    pub async fn create_managed_secret_grant(&self, args: String) -> napi::Result<String> {
        let app = self.inner.clone();
        guard(async move {
            let a = args::create_args(&args)?;
            let result = app
                .create_managed_secret_grant(
                    &a.managed_secret_id,
                    a.principal,
                    a.grant_policy,
                    a.credential_id.as_deref(),
                )
                .await?;
            to_json(&result)
        })
        .await
    }

    /// `options`: JSON of the `listGrants` options.
    #[napi]
    pub async fn list_grants(&self, options: String) -> napi::Result<String> {
        let app = self.inner.clone();
        guard(async move {
            let params = args::list_params(&options)?;
            to_json(&app.list_grants(&params).await?)
        })
        .await
    }

    /// `args`: JSON of `{ grantId, options: { reason? } }`.
    #[napi]
    pub async fn revoke_grant(&self, args: String) -> napi::Result<String> {
        let app = self.inner.clone();
        guard(async move {
            let (grant_id, reason) = args::revoke_args(&args)?;
            to_json(&app.revoke_grant(&grant_id, reason.as_deref()).await?)
        })
        .await
    }

    /// Every grant matching `options` (JSON of the `listGrants` options), page after page.
    #[napi]
    pub fn iter_grants(&self, options: String) -> napi::Result<NativeGrantCursor> {
        guard_sync(|| {
            let params = args::list_params(&options)?;
            Ok(NativeGrantCursor::new(Box::pin(self.inner.grants(params))))
        })
    }

    /// An agent client acting as `agent_id` through this app's key.
    #[napi]
    pub fn get_agent(&self, args: String) -> napi::Result<NativeAgent> {
        guard_sync(|| {
            let obj = args::object(&args, "arguments")?;
            let agent_id = args::opt_str(&obj, "agentId", "")?
                .ok_or_else(|| crate::error::invalid("agentId is required"))?;
            Ok(NativeAgent {
                inner: self.inner.get_agent(&agent_id)?,
            })
        })
    }

    /// Closes the client; later calls fail with `ClientClosedError`.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}

/// The workload client.
#[napi]
pub struct NativeAgent {
    inner: Agent,
}

#[napi]
impl NativeAgent {
    /// `options`: JSON of `{ apiKey, baseUrl?, timeout? (ms), maxRetries?, caller? }`.
    #[napi(constructor)]
    pub fn new(options: String) -> napi::Result<Self> {
        guard_sync(|| {
            let opts = args::client_options(&options, false)?;
            let builder = configure!(Agent::builder(opts.api_key.clone()), opts);
            Ok(NativeAgent {
                inner: builder.build()?,
            })
        })
    }

    /// The resolved base URL.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// The impersonated agent id, for agents made by `App.getAgent`.
    #[napi(getter)]
    pub fn caller(&self) -> Option<String> {
        self.inner.caller().map(str::to_owned)
    }

    /// The actor id the server returned, once it has.
    #[napi(getter)]
    pub fn actor_id(&self) -> Option<String> {
        self.inner.actor_id().map(str::to_owned)
    }

    /// Same arguments as `NativeApp.createManagedSecretGrant`; only agent principals.
    #[napi]
    pub async fn create_managed_secret_grant(&self, args: String) -> napi::Result<String> {
        let agent = self.inner.clone();
        guard(async move {
            let a = args::create_args(&args)?;
            let result = agent
                .create_managed_secret_grant(
                    &a.managed_secret_id,
                    a.principal,
                    a.grant_policy,
                    a.credential_id.as_deref(),
                )
                .await?;
            to_json(&result)
        })
        .await
    }

    /// Same options as `NativeApp.listGrants`.
    #[napi]
    pub async fn list_grants(&self, options: String) -> napi::Result<String> {
        let agent = self.inner.clone();
        guard(async move {
            let params = args::list_params(&options)?;
            to_json(&agent.list_grants(&params).await?)
        })
        .await
    }

    /// Every grant matching `options` (JSON of the `listGrants` options), page after page.
    #[napi]
    pub fn iter_grants(&self, options: String) -> napi::Result<NativeGrantCursor> {
        guard_sync(|| {
            let params = args::list_params(&options)?;
            Ok(NativeGrantCursor::new(Box::pin(self.inner.grants(params))))
        })
    }

    /// Closes the client.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}

type ItemStream =
    futures_util::stream::BoxStream<'static, Result<grantline::GrantItem, grantline::Error>>;

struct CursorState {
    stream: ItemStream,
    pending_error: Option<Error>,
    done: bool,
}

/// Every grant matching a listing, page after page (the core's `grants` stream), handed to
/// JavaScript one page's worth of items at a time.
#[napi]
pub struct NativeGrantCursor {
    state: std::sync::Arc<tokio::sync::Mutex<CursorState>>,
}

impl NativeGrantCursor {
    fn new(stream: ItemStream) -> Self {
        NativeGrantCursor {
            state: std::sync::Arc::new(tokio::sync::Mutex::new(CursorState {
                stream,
                pending_error: None,
                done: false,
            })),
        }
    }
}

#[napi]
impl NativeGrantCursor {
    /// The next items as a JSON array: those of the next page; `[]` once every page was read.
    #[napi]
    pub async fn next_batch(&self) -> napi::Result<String> {
        use futures_util::{FutureExt, StreamExt};
        let state = self.state.clone();
        guard(async move {
            let mut state = state.lock().await;
            if let Some(err) = state.pending_error.take() {
                state.done = true;
                return Err(err);
            }
            if state.done {
                return Ok("[]".to_owned());
            }
            let mut items = Vec::new();
            match state.stream.next().await {
                None => {
                    state.done = true;
                    return Ok("[]".to_owned());
                }
                Some(item) => items.push(item?),
            }
            // The rest of the page is already parsed: take it without waiting.
            while let Some(next) = state.stream.next().now_or_never() {
                match next {
                    None => {
                        state.done = true;
                        break;
                    }
                    Some(Ok(item)) => items.push(item),
                    Some(Err(err)) => {
                        state.pending_error = Some(err);
                        break;
                    }
                }
            }
            to_json(&items)
        })
        .await
    }
}
