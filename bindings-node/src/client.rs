//! The native clients wrapped by `lib/client.ts`. Settings arrive as the JSON text of the
//! user's options object and every operation goes through one method, `call(queue, token, name,
//! args)`: the core reads the arguments (its rules, JavaScript's names and milliseconds) into its
//! `Call` and runs it on the addon's runtime; the result comes back through the completion queue
//! ([`crate::queue`]) in the packed form ([`crate::pack`]) the TypeScript layer turns into the
//! camelCase objects with `Date`s, or as a structured [`NativeError`] object, never as text to
//! parse. Reading the arguments, the request, parsing and packing all happen on the runtime's
//! thread, not the JS thread.

use crate::error::{NativeError, catch_sync};
use crate::pack::{Items, Packed, Packer};
use crate::queue::NativeQueue;
use futures_util::FutureExt;
use grantline::{Call, ClientConfig, Dialect, Error, GrantItem, ListGrantsParams};
use napi::bindgen_prelude::Either;
use napi_derive::napi;

const USER_AGENT: &str = concat!("grantline-node/", env!("CARGO_PKG_VERSION"));

fn config(settings: &str) -> Result<ClientConfig, Error> {
    let mut config: ClientConfig = grantline::args::from_json(settings, Dialect::JavaScript)?;
    config.user_agent = Some(USER_AGENT.to_owned());
    Ok(config)
}

fn read_call(name: &str, args: &str) -> Result<Call, Error> {
    let value: serde_json::Value =
        serde_json::from_str(args).map_err(|e| Error::InvalidArgument {
            message: format!("the arguments are not valid JSON: {e}"),
        })?;
    Call::from_value(name, value, Dialect::JavaScript)
}

fn read_params(args: &str) -> Result<ListGrantsParams, Error> {
    let params: ListGrantsParams = grantline::args::from_json(args, Dialect::JavaScript)?;
    params.validate()?;
    Ok(params)
}

fn packed(outcome: grantline::Outcome) -> Result<Packed, Error> {
    use grantline::Outcome as O;
    match outcome {
        O::CreateManagedSecretGrant(r) => Ok(Packer::pack(&r)),
        O::ListGrants(p) => Ok(Packer::pack(&p)),
        O::RevokeGrant(r) => Ok(Packer::pack(&r)),
        O::MintGrant(r) => Ok(Packer::pack(&r)),
        O::Delegate(r) => Ok(Packer::pack(&r)),
        O::RevokeDelegation(()) => Ok(Packed::nothing()),
        O::Request(r) => {
            // Not packed: one object per call, its body bytes (which the string table cannot
            // hold) as base64 in a JSON text; `lib/response.ts` decodes it. The call's cost is
            // the lease and the provider's round trip, not this (docs/architecture.md).
            use base64::Engine as _;
            let json = serde_json::json!({
                "status": r.status,
                "headers": r.headers,
                "body_base64": base64::engine::general_purpose::STANDARD.encode(&r.body),
                "grant_id": r.grant_id,
            });
            Ok(Packed {
                text: json.to_string(),
                numbers: Vec::new(),
            })
        }
        _ => Err(Error::ResponseValidation {
            message: "an outcome this version cannot convert".into(),
            status: 200,
        }),
    }
}

/// The methods both native clients have (field `inner`: the core client).
macro_rules! native_client {
    ($Native:ident, $Core:ty, $doc:literal, $created:literal) => {
        #[doc = $doc]
        #[napi]
        pub struct $Native {
            inner: $Core,
        }

        #[napi]
        impl $Native {
            /// A client from the JSON text of its settings, or why not.
            #[napi(ts_return_type = $created)]
            pub fn create(settings: String) -> Either<$Native, NativeError> {
                match catch_sync(|| <$Core>::new(config(&settings)?)) {
                    Ok(inner) => Either::A($Native { inner }),
                    Err(e) => Either::B(*e),
                }
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

            /// Starts the operation `name` with the JSON text of its arguments; its result
            /// (packed) or `NativeError` arrives through `queue` under `token`.
            #[napi]
            pub fn call(&self, queue: &NativeQueue, token: u32, name: String, args: String) {
                let client = self.inner.clone();
                queue.submit(token, async move {
                    let call = read_call(&name, &args)?;
                    packed(client.call(call).await?)
                });
            }

            /// Every grant `listGrants` would page through (JSON text of its options).
            #[napi(ts_return_type = "NativeGrantCursor | NativeError")]
            pub fn grants(&self, args: String) -> Either<NativeGrantCursor, NativeError> {
                match catch_sync(|| read_params(&args)) {
                    Ok(params) => {
                        Either::A(NativeGrantCursor::new(Box::pin(self.inner.grants(params))))
                    }
                    Err(e) => Either::B(*e),
                }
            }

            /// The same client whose every call carries these constraints (JSON text of
            /// `{ scopes?, rule? }`), or why not.
            #[napi(ts_return_type = $created)]
            pub fn with_constraints(&self, constraints: String) -> Either<$Native, NativeError> {
                let made = catch_sync(|| {
                    let c: grantline::Constraints =
                        grantline::args::from_json(&constraints, Dialect::JavaScript)?;
                    self.inner.with_constraints(c)
                });
                match made {
                    Ok(inner) => Either::A($Native { inner }),
                    Err(e) => Either::B(*e),
                }
            }

            /// Closes the client; later calls fail with `ClientClosedError`.
            #[napi]
            pub fn close(&self) {
                self.inner.close();
            }

            /// Waits until the background writes (audit records) are done, at most
            /// `timeout_ms`; true when none is left.
            #[napi]
            pub async fn flush(&self, timeout_ms: u32) -> bool {
                let client = self.inner.clone();
                client
                    .flush(std::time::Duration::from_millis(timeout_ms.into()))
                    .await
            }

            /// How many background writes are pending.
            #[napi]
            pub fn pending_background(&self) -> u32 {
                self.inner.pending_background() as u32
            }
        }
    };
}

native_client!(
    NativeApp,
    grantline::App,
    "The operator client.",
    "NativeApp | NativeError"
);
native_client!(
    NativeAgent,
    grantline::Agent,
    "The workload client.",
    "NativeAgent | NativeError"
);

#[napi]
impl NativeApp {
    /// An agent client acting as `agent_id` through this app's key, or why not.
    #[napi(ts_return_type = "NativeAgent | NativeError")]
    pub fn get_agent(&self, agent_id: String) -> Either<NativeAgent, NativeError> {
        match catch_sync(|| self.inner.get_agent(&agent_id)) {
            Ok(inner) => Either::A(NativeAgent { inner }),
            Err(e) => Either::B(*e),
        }
    }
}

#[napi]
impl NativeAgent {
    /// The impersonated agent id, for agents made by `App.getAgent`.
    #[napi(getter)]
    pub fn caller(&self) -> Option<String> {
        self.inner.caller().map(str::to_owned)
    }
}

/// The core's operation table as JSON text: `[{name, positional, options, userTokenOption}]`
/// (names camelCase), for the TypeScript layer.
#[napi]
pub fn operations() -> String {
    let d = Dialect::JavaScript;
    let ops: Vec<serde_json::Value> = grantline::OPERATIONS
        .iter()
        .map(|op| {
            serde_json::json!({
                "name": op.name,
                "method": d.name(op.name),
                "positional": op.positional.iter().map(|p| d.name(p)).collect::<Vec<_>>(),
                "options": (op.options)().iter().map(|p| d.name(p)).collect::<Vec<_>>(),
                "userTokenOption": op.user_token_option.map(|o| d.name(o)),
            })
        })
        .collect();
    serde_json::Value::Array(ops).to_string()
}

type ItemStream = futures_util::stream::BoxStream<'static, Result<GrantItem, Error>>;

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
    /// Starts loading the next items (those of the next page; none once every page was read):
    /// packed as a bare item list, or a `NativeError`, through `queue` under `token`.
    #[napi]
    pub fn next_batch(&self, queue: &NativeQueue, token: u32) {
        use futures_util::StreamExt;
        let state = self.state.clone();
        queue.submit(token, async move {
            let mut state = state.lock().await;
            if let Some(err) = state.pending_error.take() {
                state.done = true;
                return Err(err);
            }
            let mut items = Vec::new();
            if state.done {
                return Ok(Packer::pack(&Items(&items)));
            }
            match state.stream.next().await {
                None => {
                    state.done = true;
                    return Ok(Packer::pack(&Items(&items)));
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
            Ok(Packer::pack(&Items(&items)))
        });
    }
}
