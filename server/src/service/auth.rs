//! Request authentication (docs/wire.md §2) and caller resolution (§3.4): the API key by hash, the
//! content hash, the timestamp window, the legacy or v2 signature in constant time, the nonce,
//! then who is calling (app, service caller, or agent).
//!
//! Transport-free: the HTTP layer hands over a [`SignedRequest`] (method, path, a header lookup,
//! body).

use super::{ApiError, Service};
use grantline::signing::{self, Identity, SignInput, SigningKey};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Accepted clock skew of `X-Alter-Timestamp`, seconds.
pub const TIMESTAMP_WINDOW: i64 = 300;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// The app itself (an app key, possibly with a service caller).
    App,
    /// A managed agent (its key, or an app key impersonating it).
    Agent { agent_id: String },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub app_id: String,
    pub key_id: String,
    pub kind: CallerKind,
    /// What the audit log records as the actor.
    pub audit_actor: String,
}

impl Caller {
    /// The agent id when the caller is an agent.
    pub fn agent_id(&self) -> Option<&str> {
        match &self.kind {
            CallerKind::Agent { agent_id } => Some(agent_id),
            CallerKind::App => None,
        }
    }
}

/// A failed authentication, with the actor id to return when the key was identified.
#[derive(Debug)]
pub struct AuthFailure {
    pub error: ApiError,
    pub actor_id: Option<String>,
}

/// The result of a successful authentication.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub caller: Caller,
    /// `X-Alter-Actor-ID` to return (none when the request carried `X-Alter-Caller`).
    pub actor_id: Option<String>,
    /// The actor id of the key (returned with a replay's 401, as with every failed
    /// authentication).
    pub key_actor_id: String,
    /// The request's nonce, to be remembered by the operation (see [`NonceClaim`]).
    pub nonce: Arc<NonceClaim>,
}

/// A verified request's nonce, not yet remembered. The operation remembers it: a create in the
/// same transaction as the grant (one commit per create), a revoke or a listing before its work;
/// whatever ends a request without doing so (an early error) must call
/// [`Service::remember_nonce`], so that a replay of any request is refused.
#[derive(Debug)]
pub struct NonceClaim {
    /// [`crate::nonce::digest`] of the key, the timestamp and the nonce.
    pub digest: [u8; 16],
    /// Unix seconds: the timestamp plus the window.
    pub expires_at: i64,
    taken: AtomicBool,
}

impl NonceClaim {
    /// The nonce for a store write, once (`None` once something remembered it).
    pub fn take(&self) -> Option<([u8; 16], i64)> {
        (!self.taken.swap(true, Ordering::AcqRel)).then_some((self.digest, self.expires_at))
    }
}

/// 401 `replayed_nonce`.
pub fn replayed() -> ApiError {
    ApiError::new(401, "replayed_nonce", "this nonce was already used")
}

impl Service {
    /// Remembers the nonce unless an operation already did: 401 `replayed_nonce` when another
    /// request (on any instance) used it within the window.
    pub async fn remember_nonce(&self, claim: &NonceClaim) -> Result<(), ApiError> {
        let Some((digest, expires_at)) = claim.take() else {
            return Ok(());
        };
        if self.store.remember_nonce(digest, expires_at).await? {
            Ok(())
        } else {
            Err(replayed())
        }
    }
}

/// Looks up request headers by lowercase name (a header that is not valid text is absent).
pub trait RequestHeaders: Sync {
    /// The value of header `name`.
    fn header(&self, name: &str) -> Option<&str>;
}

/// What authentication reads of one request.
pub struct SignedRequest<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path and query exactly as sent (signed as is).
    pub path_and_query: &'a str,
    /// The request's headers.
    pub headers: &'a dyn RequestHeaders,
    /// The whole body.
    pub body: &'a [u8],
}

impl std::fmt::Debug for SignedRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("path_and_query", &self.path_and_query)
            .finish_non_exhaustive()
    }
}

fn header<'a>(headers: &'a dyn RequestHeaders, name: &str) -> Option<&'a str> {
    headers.header(name)
}

fn unauthorized(code: &'static str, msg: &str) -> ApiError {
    ApiError::new(401, code, msg)
}

impl Service {
    /// Authenticates one `/sdk` request.
    pub async fn authenticate(
        &self,
        req: &SignedRequest<'_>,
    ) -> Result<Authenticated, AuthFailure> {
        authenticate(self, req).await
    }
}

async fn authenticate(
    svc: &Service,
    req: &SignedRequest<'_>,
) -> Result<Authenticated, AuthFailure> {
    let SignedRequest {
        method,
        path_and_query,
        headers,
        body,
    } = *req;
    let fail = |error: ApiError, actor: Option<&str>| AuthFailure {
        error,
        actor_id: actor.map(str::to_string),
    };
    let Some(api_key) = header(headers, "x-api-key").filter(|k| !k.is_empty()) else {
        return Err(fail(
            unauthorized("missing_auth", "the x-api-key header is required"),
            None,
        ));
    };
    if !grantline::keys::is_valid_key(api_key) {
        return Err(fail(unauthorized("invalid_key", "invalid API key"), None));
    }
    let key = match svc
        .store
        .find_key_by_hash(&crate::crypto::hash_key(api_key))
        .await
    {
        Ok(Some(k)) => k,
        Ok(None) => return Err(fail(unauthorized("invalid_key", "invalid API key"), None)),
        Err(e) => return Err(fail(ApiError::from(e), None)),
    };
    let actor = Some(key.actor_id.as_str());
    if key.status != "active" {
        return Err(fail(
            unauthorized("key_revoked", "this API key has been revoked"),
            actor,
        ));
    }

    let required = |name: &'static str| {
        header(headers, name)
            .ok_or_else(|| unauthorized("missing_auth", &format!("the {name} header is required")))
    };
    let (timestamp, nonce, content_hash, signature) = match (
        required("x-alter-timestamp"),
        required("x-alter-nonce"),
        required("x-alter-content-sha256"),
        required("x-alter-signature"),
    ) {
        (Ok(t), Ok(n), Ok(c), Ok(s)) => (t, n, c, s),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return Err(fail(e, actor));
        }
    };

    let actual_hash = signing::content_sha256(body);
    if !crate::crypto::ct_eq(&content_hash.to_ascii_lowercase(), &actual_hash) {
        return Err(fail(
            unauthorized(
                "content_hash_mismatch",
                "X-Alter-Content-SHA256 does not match the request body",
            ),
            actor,
        ));
    }

    let now = svc.clock.now().unix_timestamp();
    let ts: i64 = match timestamp.parse() {
        Ok(t) if timestamp.bytes().all(|b| b.is_ascii_digit()) => t,
        _ => {
            return Err(fail(
                unauthorized("stale_timestamp", "X-Alter-Timestamp must be Unix seconds"),
                actor,
            ));
        }
    };
    if (ts - now).abs() > TIMESTAMP_WINDOW {
        return Err(fail(
            unauthorized(
                "stale_timestamp",
                "X-Alter-Timestamp is outside the accepted window of 300 seconds",
            ),
            actor,
        ));
    }
    if nonce.is_empty() || nonce.len() > 128 {
        return Err(fail(
            unauthorized("invalid_signature", "X-Alter-Nonce is malformed"),
            actor,
        ));
    }

    let caller_h = header(headers, "x-alter-caller");
    let caller_type_h = header(headers, "x-alter-caller-type");
    let identity = Identity {
        caller: caller_h,
        caller_type: caller_type_h,
        actor_id: header(headers, "x-alter-actor-id"),
        actor_context: header(headers, "x-alter-context"),
    };
    let input = SignInput {
        method,
        path_and_query,
        timestamp,
        nonce,
        content_sha256: content_hash,
        scope_constraints: header(headers, "x-alter-scope-constraints"),
        request_rule: header(headers, "x-alter-request-rule"),
        identity,
    };
    let to_sign = signing::string_to_sign(&input);
    let signing_key = SigningKey::derive(api_key);
    let mut ok = signing_key.verify(&to_sign, signature);
    if !identity.is_empty() {
        // v2: both headers must carry the v2 digest (no strip-all downgrade).
        ok &= match header(headers, "x-alter-signature-v2") {
            Some(v2) => signing_key.verify(&to_sign, v2),
            None => false,
        };
    }
    if !ok {
        return Err(fail(
            unauthorized("invalid_signature", "the request signature does not verify"),
            actor,
        ));
    }

    // Remembered by the operation (in the database, until the timestamp leaves the window):
    // every instance on it refuses the nonce from then on.
    let claim = NonceClaim {
        digest: crate::nonce::digest(&key.id, ts, nonce),
        expires_at: ts + TIMESTAMP_WINDOW,
        taken: AtomicBool::new(false),
    };

    let caller = resolve_caller(svc, &key, caller_h, caller_type_h)
        .await
        .map_err(|e| fail(e, actor))?;
    Ok(Authenticated {
        caller,
        actor_id: if caller_h.is_some() {
            None
        } else {
            Some(key.actor_id.clone())
        },
        key_actor_id: key.actor_id.clone(),
        nonce: Arc::new(claim),
    })
}

/// Applies the caller rules of docs/wire.md §3.4.
async fn resolve_caller(
    svc: &Service,
    key: &crate::store::KeyRec,
    caller: Option<&str>,
    caller_type: Option<&str>,
) -> Result<Caller, ApiError> {
    let caller = caller.filter(|c| !c.is_empty());
    let caller_type = caller_type.unwrap_or("service");
    if caller.is_some() && !matches!(caller_type, "agent" | "service") {
        return Err(ApiError::invalid_request(
            "X-Alter-Caller-Type must be 'agent' or 'service'",
        ));
    }
    let base = |kind: CallerKind, actor: String| Caller {
        app_id: key.app_id.clone(),
        key_id: key.id.clone(),
        kind,
        audit_actor: actor,
    };
    if key.kind == "agent" {
        let agent_id = key.agent_id.clone().unwrap_or_default();
        let agent = svc
            .store
            .get_agent(&key.app_id, &agent_id)
            .await?
            .ok_or_else(|| ApiError::new(401, "invalid_key", "the key's agent no longer exists"))?;
        match agent.status.as_str() {
            "active" => {}
            "paused" => return Err(ApiError::new(401, "agent_inactive", "the agent is paused")),
            _ => {
                return Err(ApiError::new(
                    401,
                    "agent_revoked",
                    "the agent has been revoked",
                ));
            }
        }
        if let Some(c) = caller
            && let Ok(uuid) = uuid::Uuid::parse_str(c)
            && uuid.to_string() != agent.id
        {
            return Err(ApiError::new(
                400,
                "caller_agent_mismatch",
                "X-Alter-Caller names a different agent than the one bound to this key",
            ));
        }
        return Ok(base(
            CallerKind::Agent {
                agent_id: agent.id.clone(),
            },
            format!("agent:{}", agent.id),
        ));
    }
    match (caller, caller_type) {
        (Some(c), "agent") => {
            let unresolved = || {
                ApiError::new(
                    404,
                    "caller_agent_unresolved",
                    "X-Alter-Caller does not name an active agent of this app",
                )
            };
            let id = uuid::Uuid::parse_str(c)
                .map_err(|_| unresolved())?
                .to_string();
            let agent = svc
                .store
                .get_agent(&key.app_id, &id)
                .await?
                .filter(|a| a.status == "active")
                .ok_or_else(unresolved)?;
            Ok(base(
                CallerKind::Agent {
                    agent_id: agent.id.clone(),
                },
                format!("agent:{} (via app key {})", agent.id, key.id),
            ))
        }
        (Some(c), _) => Ok(base(CallerKind::App, format!("service:{c}"))),
        (None, _) => Ok(base(CallerKind::App, format!("app_key:{}", key.id))),
    }
}
