//! The native clients the Kotlin `App` and `Agent` wrap. Settings arrive as the JSON text of the
//! constructor's arguments and every operation goes through one method, `call(name, args)`: the
//! core reads the arguments (its rules; camelCase names and milliseconds, the JavaScript
//! dialect, which is how the Kotlin layer writes them), runs the call on the runtime, and the
//! result comes back as a typed [`NativeOutcome`].

// `NativeError` is as large as the FFI record it is (uniffi lowers it field by field; a `Box`
// is not an FFI type), and errors are the cold path.
#![allow(clippy::result_large_err)]

use crate::error::NativeError;
use crate::models::{
    CreateGrantResult, DelegationResult, GrantInfo, GrantItem, GrantPage, NativeProviderResponse,
    RevokeGrantResult,
};
use crate::runtime;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use grantline::{Call, ClientConfig, Dialect, Error, ListGrantsParams, Outcome};
use std::sync::Arc;

const USER_AGENT: &str = concat!("grantline-kotlin/", env!("CARGO_PKG_VERSION"));

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

/// What an operation returns.
#[derive(Debug, uniffi::Enum)]
// One value per call, moved once and lowered field by field (a `Box` is not an FFI type).
#[allow(clippy::large_enum_variant)]
pub enum NativeOutcome {
    /// `create_managed_secret_grant`.
    Created { result: CreateGrantResult },
    /// `list_grants`.
    Page { page: GrantPage },
    /// `revoke_grant`.
    Revoked { result: RevokeGrantResult },
    /// `mint_grant`.
    Minted { result: GrantInfo },
    /// `delegate`.
    Delegated { result: DelegationResult },
    /// `revoke_delegation` (which returns nothing).
    DelegationRevoked,
    /// `request`: the provider's answer.
    Responded { response: NativeProviderResponse },
}

fn outcome(outcome: Outcome) -> Result<NativeOutcome, Error> {
    Ok(match outcome {
        Outcome::CreateManagedSecretGrant(r) => NativeOutcome::Created { result: r.into() },
        Outcome::ListGrants(p) => NativeOutcome::Page { page: p.into() },
        Outcome::RevokeGrant(r) => NativeOutcome::Revoked { result: r.into() },
        Outcome::MintGrant(r) => NativeOutcome::Minted { result: r.into() },
        Outcome::Delegate(r) => NativeOutcome::Delegated { result: r.into() },
        Outcome::RevokeDelegation(()) => NativeOutcome::DelegationRevoked,
        Outcome::Request(r) => NativeOutcome::Responded { response: r.into() },
        _ => {
            return Err(Error::ResponseValidation {
                message: "an outcome this version of grantline-kotlin cannot convert".into(),
                status: 200,
            });
        }
    })
}

#[derive(Clone)]
enum Client {
    App(grantline::App),
    Agent(grantline::Agent),
}

/// A native client: an app or an agent of the core.
#[derive(uniffi::Object)]
pub struct NativeClient {
    client: Client,
}

impl std::fmt::Debug for NativeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.client {
            Client::App(a) => a.fmt(f),
            Client::Agent(a) => a.fmt(f),
        }
    }
}

#[uniffi::export]
impl NativeClient {
    /// An app client from the JSON text of its settings.
    #[uniffi::constructor]
    pub fn app(settings: String) -> Result<Arc<Self>, NativeError> {
        let app = grantline::App::new(config(&settings)?)?;
        Ok(Arc::new(NativeClient {
            client: Client::App(app),
        }))
    }

    /// An agent client from the JSON text of its settings.
    #[uniffi::constructor]
    pub fn agent(settings: String) -> Result<Arc<Self>, NativeError> {
        let agent = grantline::Agent::new(config(&settings)?)?;
        Ok(Arc::new(NativeClient {
            client: Client::Agent(agent),
        }))
    }

    /// Runs the operation `name` (snake_case) with the JSON text of its arguments.
    pub async fn call(&self, name: String, args: String) -> Result<NativeOutcome, NativeError> {
        let client = self.client.clone();
        runtime::spawn(async move {
            let call = read_call(&name, &args)?;
            let result = match client {
                Client::App(app) => app.call(call).await,
                Client::Agent(agent) => agent.call(call).await,
            };
            Ok(outcome(result?)?)
        })
        .await
    }

    /// Every grant `list_grants` would page through, for the JSON text of its options.
    pub fn grants(&self, args: String) -> Result<Arc<NativeGrantCursor>, NativeError> {
        let params: ListGrantsParams = grantline::args::from_json(&args, Dialect::JavaScript)?;
        params.validate()?;
        let stream = match &self.client {
            Client::App(app) => app.grants(params).boxed(),
            Client::Agent(agent) => agent.grants(params).boxed(),
        };
        Ok(Arc::new(NativeGrantCursor {
            state: Arc::new(tokio::sync::Mutex::new(CursorState {
                stream,
                pending_error: None,
                done: false,
            })),
        }))
    }

    /// An agent client acting as `agent_id` through this app's key (apps only).
    pub fn get_agent(&self, agent_id: String) -> Result<Arc<NativeClient>, NativeError> {
        match &self.client {
            Client::App(app) => Ok(Arc::new(NativeClient {
                client: Client::Agent(app.get_agent(&agent_id)?),
            })),
            Client::Agent(_) => Err(NativeError::from(Error::InvalidArgument {
                message: "getAgent is an App method".to_owned(),
            })),
        }
    }

    /// A client sharing this one's connections whose every call carries the constraints given
    /// as JSON text (`{"scopes": [...], "rule": {"ruleType": ..., "ruleBody": {...}}}`); the
    /// core checks them, and refuses a client that is constrained already.
    pub fn with_constraints(&self, constraints: String) -> Result<Arc<NativeClient>, NativeError> {
        let constraints: grantline::Constraints =
            grantline::args::from_json(&constraints, Dialect::JavaScript)?;
        let client = match &self.client {
            Client::App(app) => Client::App(app.with_constraints(constraints)?),
            Client::Agent(agent) => Client::Agent(agent.with_constraints(constraints)?),
        };
        Ok(Arc::new(NativeClient { client }))
    }

    /// The resolved base URL.
    pub fn base_url(&self) -> String {
        match &self.client {
            Client::App(a) => a.base_url().to_owned(),
            Client::Agent(a) => a.base_url().to_owned(),
        }
    }

    /// The actor id the server returned, once it has.
    pub fn actor_id(&self) -> Option<String> {
        match &self.client {
            Client::App(a) => a.actor_id().map(str::to_owned),
            Client::Agent(a) => a.actor_id().map(str::to_owned),
        }
    }

    /// The impersonated agent id, for agents made by `getAgent`.
    pub fn caller(&self) -> Option<String> {
        match &self.client {
            Client::App(_) => None,
            Client::Agent(a) => a.caller().map(str::to_owned),
        }
    }

    /// Waits until the background writes this client started (each `request`'s audit record)
    /// are done, at most `timeout`; true when none is left. Blocks the calling (JVM) thread on a
    /// condition variable, never on the runtime, so it is safe from any thread.
    pub fn flush(&self, timeout: std::time::Duration) -> bool {
        match &self.client {
            Client::App(a) => a.flush_blocking(timeout),
            Client::Agent(a) => a.flush_blocking(timeout),
        }
    }

    /// How many background writes this client started are still pending.
    pub fn pending_background(&self) -> u64 {
        match &self.client {
            Client::App(a) => a.pending_background() as u64,
            Client::Agent(a) => a.pending_background() as u64,
        }
    }

    /// Closes the client; later calls fail with `ClientClosedError`. Idempotent. (Not `close`:
    /// that is uniffi's, which frees the handle; the Kotlin layer leaves that to the cleaner so
    /// a closed client still answers with `ClientClosedException`.)
    pub fn close_client(&self) {
        match &self.client {
            Client::App(a) => a.close(),
            Client::Agent(a) => a.close(),
        }
    }
}

/// One operation of the core's table, named as Kotlin names it.
#[derive(Debug, uniffi::Record)]
pub struct NativeOperation {
    /// The core's (snake_case) name, what `call` takes.
    pub name: String,
    /// The Kotlin method name.
    pub method: String,
    /// The required arguments, in order.
    pub positional: Vec<String>,
    /// The options.
    pub options: Vec<String>,
    /// The option an app's `userTokenGetter` fills when the call names no end-user token.
    pub user_token_option: Option<String>,
    /// `App`, `Agent`: the clients that have it.
    pub clients: Vec<String>,
}

/// The core's operation table (`grantline::OPERATIONS`), names in Kotlin's spelling.
#[uniffi::export]
pub fn operations() -> Vec<NativeOperation> {
    let d = Dialect::JavaScript;
    grantline::OPERATIONS
        .iter()
        .map(|op| NativeOperation {
            name: op.name.to_owned(),
            method: d.name(op.name),
            positional: op.positional.iter().map(|p| d.name(p)).collect(),
            options: (op.options)().iter().map(|p| d.name(p)).collect(),
            user_token_option: op.user_token_option.map(|o| d.name(o)),
            clients: op
                .clients
                .iter()
                .map(|c| match c {
                    grantline::ClientKind::App => "App".to_owned(),
                    grantline::ClientKind::Agent => "Agent".to_owned(),
                })
                .collect(),
        })
        .collect()
}

type ItemStream = BoxStream<'static, Result<grantline::GrantItem, Error>>;

struct CursorState {
    stream: ItemStream,
    pending_error: Option<Error>,
    done: bool,
}

/// Every grant matching a listing, page after page (the core's `grants` stream), handed to
/// Kotlin one page's worth of items at a time.
#[derive(uniffi::Object)]
pub struct NativeGrantCursor {
    state: Arc<tokio::sync::Mutex<CursorState>>,
}

#[uniffi::export]
impl NativeGrantCursor {
    /// The items of the next page (empty once every page was read).
    pub async fn next_page(&self) -> Result<Vec<GrantItem>, NativeError> {
        let state = self.state.clone();
        runtime::spawn(async move {
            let mut state = state.lock().await;
            if let Some(err) = state.pending_error.take() {
                state.done = true;
                return Err(err.into());
            }
            if state.done {
                return Ok(Vec::new());
            }
            let mut items = Vec::new();
            match state.stream.next().await {
                None => {
                    state.done = true;
                    return Ok(items);
                }
                Some(item) => items.push(GrantItem::from(item?)),
            }
            // The rest of the page is already parsed: take it without waiting.
            while let Some(next) = state.stream.next().now_or_never() {
                match next {
                    None => {
                        state.done = true;
                        break;
                    }
                    Some(Ok(item)) => items.push(item.into()),
                    Some(Err(err)) => {
                        state.pending_error = Some(err);
                        break;
                    }
                }
            }
            Ok(items)
        })
        .await
    }
}
