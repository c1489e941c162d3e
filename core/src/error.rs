//! The one error type of grantline, and the classification of HTTP error responses
//! (docs/wire.md §4, docs/errors.md) into it.

use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

/// Everything that can go wrong in a grantline call.
///
/// Match on the variant for the broad family, and on [`ApiError::kind`] for the exact error the
/// server reported:
///
/// ```
/// use grantline::{Error, ErrorKind};
/// fn describe(err: &Error) -> &'static str {
///     match err {
///         Error::InvalidArgument { .. } => "fix the input",
///         Error::Api(api) if api.kind == ErrorKind::SiblingLabelConflict => "pick another label",
///         Error::Api(_) => "the server said no",
///         Error::Network { .. } | Error::Timeout { .. } => "try again later",
///         _ => "unexpected",
///     }
/// }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad local input, rejected before any I/O.
    #[error("{message}")]
    InvalidArgument {
        /// What was wrong.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The connection failed or broke.
    #[error("{message}")]
    Network {
        /// What failed (never contains secrets).
        message: String,
    },
    /// The request did not complete within the timeout.
    #[error("{message}")]
    Timeout {
        /// What timed out.
        message: String,
    },
    /// A success response whose body does not parse.
    #[error("{message}")]
    ResponseValidation {
        /// What did not parse.
        message: String,
        /// The HTTP status of the response.
        status: u16,
    },
    /// The client was closed.
    #[error("the client has been closed")]
    Closed,
}

/// The exact kind of an error, one per class of docs/errors.md. Bindings map each kind to their
/// own class (see [`ErrorKind::class_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad local input.
    InvalidArgument,
    /// Any API error without a more precise kind (400, 405, 410, …).
    Api,
    /// 401.
    Authentication,
    /// 401 `jwt_validation_error`: the end user must sign in again.
    ReAuthRequired,
    /// 403.
    PermissionDenied,
    /// `grant_revoked`.
    GrantRevoked,
    /// `grant_expired`.
    GrantExpired,
    /// 403 `agent_self_grant_only`.
    AgentSelfGrantOnly,
    /// 403 `agents_cannot_mint`: only an app mints sibling grants.
    AgentsCannotMint,
    /// 403 `grant_not_delegable`: the held grant cannot be delegated (onward); `detail_reason`
    /// in [`ApiError::details`] says why.
    GrantNotDelegable,
    /// 404 (reserved: a 404 is a grant or an agent not found).
    NotFound,
    /// 404 other than an agent.
    GrantNotFound,
    /// 404 `caller_agent_unresolved` / `agent_not_found`.
    AgentNotFound,
    /// 409.
    Conflict,
    /// 409 `sibling_label_conflict`.
    SiblingLabelConflict,
    /// 409 `credential_id_required`.
    CredentialIdRequired,
    /// 409 `end_user_credential_not_assignable`: only developer credentials can be granted.
    EndUserCredentialNotAssignable,
    /// 400 `caller_agent_mismatch`: the caller names another agent than the key's.
    CallerAgentMismatch,
    /// 5xx `caller_agent_resolution_error`: the agent could not be resolved now (transient).
    CallerAgentResolution,
    /// 422.
    UnprocessableEntity,
    /// 429.
    RateLimit,
    /// 5xx.
    Server,
    /// Connection failure.
    Network,
    /// Timeout.
    Timeout,
    /// Unparseable success body.
    ResponseValidation,
    /// The client was closed.
    Closed,
    /// 422 `blocked_destination`: the grant's credential may not go to this URL.
    BlockedDestination,
    /// 403 `credential_revoked`: the credential the grant serves is no longer active.
    CredentialRevoked,
    /// 409 `ambiguous_grant`: several grants match a provider; narrow with label or account.
    AmbiguousGrant,
    /// 404 `no_delegated_grant`: the agent holds no grant for the provider.
    NoDelegatedGrant,
    /// The provider answered a `request` with an error status (≥ 400).
    ProviderApi,
    /// The provider refused the injected credential (401).
    ProviderUnauthorized,
    /// The provider reported missing scopes (403 `insufficient_scope`): re-authorize the grant.
    ScopeReauthRequired,
}

/// The class every error class descends from, in every language.
pub const ROOT_CLASS: &str = "GrantlineError";

impl ErrorKind {
    /// Every kind, parents before their children.
    pub const ALL: [ErrorKind; 33] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Api,
        ErrorKind::Authentication,
        ErrorKind::ReAuthRequired,
        ErrorKind::PermissionDenied,
        ErrorKind::GrantRevoked,
        ErrorKind::GrantExpired,
        ErrorKind::AgentSelfGrantOnly,
        ErrorKind::AgentsCannotMint,
        ErrorKind::GrantNotDelegable,
        ErrorKind::NotFound,
        ErrorKind::GrantNotFound,
        ErrorKind::AgentNotFound,
        ErrorKind::Conflict,
        ErrorKind::SiblingLabelConflict,
        ErrorKind::CredentialIdRequired,
        ErrorKind::EndUserCredentialNotAssignable,
        ErrorKind::CallerAgentMismatch,
        ErrorKind::UnprocessableEntity,
        ErrorKind::RateLimit,
        ErrorKind::Server,
        ErrorKind::CallerAgentResolution,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::ResponseValidation,
        ErrorKind::Closed,
        ErrorKind::BlockedDestination,
        ErrorKind::CredentialRevoked,
        ErrorKind::AmbiguousGrant,
        ErrorKind::NoDelegatedGrant,
        ErrorKind::ProviderApi,
        ErrorKind::ProviderUnauthorized,
        ErrorKind::ScopeReauthRequired,
    ];

    /// The kind this one refines; `None` for the kinds directly under [`ROOT_CLASS`]. Every
    /// language's class tree is this tree (`tests/vectors/error_tree.json`).
    pub fn parent(self) -> Option<ErrorKind> {
        use ErrorKind::*;
        match self {
            InvalidArgument | Api | Network | ResponseValidation | Closed | ProviderApi => None,
            BlockedDestination => Some(Api),
            CredentialRevoked => Some(PermissionDenied),
            AmbiguousGrant => Some(Conflict),
            NoDelegatedGrant => Some(NotFound),
            ProviderUnauthorized | ScopeReauthRequired => Some(ProviderApi),
            Authentication | PermissionDenied | NotFound | Conflict | CallerAgentMismatch
            | UnprocessableEntity | RateLimit | Server => Some(Api),
            ReAuthRequired => Some(Authentication),
            GrantRevoked | GrantExpired | AgentSelfGrantOnly | AgentsCannotMint
            | GrantNotDelegable => Some(PermissionDenied),
            GrantNotFound | AgentNotFound => Some(NotFound),
            SiblingLabelConflict | CredentialIdRequired | EndUserCredentialNotAssignable => {
                Some(Conflict)
            }
            CallerAgentResolution => Some(Server),
            Timeout => Some(Network),
        }
    }

    /// The (status, code) pairs the classification maps to this kind; a status of 0 stands for
    /// every 5xx, a code of `None` for any code.
    pub fn wire_cases(self) -> impl Iterator<Item = (u16, Option<&'static str>)> {
        CLASSIFICATION
            .iter()
            .filter(move |(_, _, k)| *k == self)
            .map(|(status, code, _)| (*status, *code))
    }

    /// The class name every binding uses for this kind, e.g. `SiblingLabelConflictError`.
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "InvalidArgumentError",
            ErrorKind::Api => "ApiError",
            ErrorKind::Authentication => "AuthenticationError",
            ErrorKind::ReAuthRequired => "ReAuthRequiredError",
            ErrorKind::PermissionDenied => "PermissionDeniedError",
            ErrorKind::GrantRevoked => "GrantRevokedError",
            ErrorKind::GrantExpired => "GrantExpiredError",
            ErrorKind::AgentSelfGrantOnly => "AgentSelfGrantOnlyError",
            ErrorKind::AgentsCannotMint => "AgentsCannotMintError",
            ErrorKind::GrantNotDelegable => "GrantNotDelegableError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::GrantNotFound => "GrantNotFoundError",
            ErrorKind::AgentNotFound => "AgentNotFoundError",
            ErrorKind::Conflict => "ConflictError",
            ErrorKind::SiblingLabelConflict => "SiblingLabelConflictError",
            ErrorKind::CredentialIdRequired => "CredentialIdRequiredError",
            ErrorKind::EndUserCredentialNotAssignable => "EndUserCredentialNotAssignableError",
            ErrorKind::CallerAgentMismatch => "CallerAgentMismatchError",
            ErrorKind::CallerAgentResolution => "CallerAgentResolutionError",
            ErrorKind::UnprocessableEntity => "UnprocessableEntityError",
            ErrorKind::RateLimit => "RateLimitError",
            ErrorKind::Server => "ServerError",
            ErrorKind::Network => "NetworkError",
            ErrorKind::Timeout => "RequestTimeoutError",
            ErrorKind::ResponseValidation => "ResponseValidationError",
            ErrorKind::Closed => "ClientClosedError",
            ErrorKind::BlockedDestination => "BlockedDestinationError",
            ErrorKind::CredentialRevoked => "CredentialRevokedError",
            ErrorKind::AmbiguousGrant => "AmbiguousGrantError",
            ErrorKind::NoDelegatedGrant => "NoDelegatedGrantError",
            ErrorKind::ProviderApi => "ProviderApiError",
            ErrorKind::ProviderUnauthorized => "ProviderUnauthorizedError",
            ErrorKind::ScopeReauthRequired => "ScopeReauthRequiredError",
        }
    }
}

/// A credential the caller may choose (`credential_id_required`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CredentialChoice {
    /// The credential id to pass as `credential_id`.
    pub credential_id: String,
    /// Its label.
    pub label: String,
}

/// An error response from the server, classified.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The exact kind.
    pub kind: ErrorKind,
    /// HTTP status.
    pub status: u16,
    /// The wire `error` code, when the body had one.
    pub code: Option<String>,
    /// Human-readable message (the server's, or a default for the kind).
    pub message: String,
    /// `X-Request-ID` of the response, when present.
    pub request_id: Option<String>,
    /// The error body as an object (`status_code` included), for fields not modelled here.
    pub details: Map<String, Value>,
    /// How long to wait before retrying (429 and 5xx), from `Retry-After` or the body.
    pub retry_after: Option<Duration>,
    /// `sibling_label_conflict`: the conflicting label, when the server said.
    pub label: Option<String>,
    /// `credential_id_required`: the credentials to choose from.
    pub credentials: Vec<CredentialChoice>,
    /// `grant_revoked`: the grant concerned, when the server said.
    pub grant_id: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error {
    /// The exact kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            Error::Api(api) => api.kind,
            Error::Network { .. } => ErrorKind::Network,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::ResponseValidation { .. } => ErrorKind::ResponseValidation,
            Error::Closed => ErrorKind::Closed,
        }
    }

    /// The API error, when the server answered with one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            message: message.into(),
        }
    }
}

/// Upper bound of a `Retry-After` for rate limits and 5xx (docs/wire.md §4.4).
const MAX_RETRY_AFTER: u64 = 3_600;
/// Upper bound of a `Retry-After` for `quota_exceeded`.
const MAX_QUOTA_RETRY_AFTER: u64 = 2_678_400;

/// How a status and code become a kind. Rows are tried in order; `None` matches anything.
/// A status of 0 stands for every 5xx.
const CLASSIFICATION: &[(u16, Option<&str>, ErrorKind)] = &[
    (401, Some("jwt_validation_error"), ErrorKind::ReAuthRequired),
    (401, None, ErrorKind::Authentication),
    (403, Some("grant_revoked"), ErrorKind::GrantRevoked),
    (403, Some("grant_expired"), ErrorKind::GrantExpired),
    (
        403,
        Some("credential_revoked"),
        ErrorKind::CredentialRevoked,
    ),
    (
        403,
        Some("agent_self_grant_only"),
        ErrorKind::AgentSelfGrantOnly,
    ),
    (403, Some("agents_cannot_mint"), ErrorKind::AgentsCannotMint),
    (
        403,
        Some("grant_not_delegable"),
        ErrorKind::GrantNotDelegable,
    ),
    (403, None, ErrorKind::PermissionDenied),
    (
        404,
        Some("caller_agent_unresolved"),
        ErrorKind::AgentNotFound,
    ),
    (404, Some("agent_not_found"), ErrorKind::AgentNotFound),
    (404, Some("no_delegated_grant"), ErrorKind::NoDelegatedGrant),
    (404, None, ErrorKind::GrantNotFound),
    (
        409,
        Some("sibling_label_conflict"),
        ErrorKind::SiblingLabelConflict,
    ),
    (
        409,
        Some("credential_id_required"),
        ErrorKind::CredentialIdRequired,
    ),
    (
        409,
        Some("end_user_credential_not_assignable"),
        ErrorKind::EndUserCredentialNotAssignable,
    ),
    (409, Some("ambiguous_grant"), ErrorKind::AmbiguousGrant),
    (409, None, ErrorKind::Conflict),
    (400, Some("grant_revoked"), ErrorKind::GrantRevoked),
    (
        400,
        Some("credential_revoked"),
        ErrorKind::CredentialRevoked,
    ),
    (
        400,
        Some("caller_agent_mismatch"),
        ErrorKind::CallerAgentMismatch,
    ),
    (
        502,
        Some("caller_agent_mismatch"),
        ErrorKind::CallerAgentMismatch,
    ),
    (
        500,
        Some("caller_agent_resolution_error"),
        ErrorKind::CallerAgentResolution,
    ),
    (
        503,
        Some("caller_agent_resolution_error"),
        ErrorKind::CallerAgentResolution,
    ),
    (
        422,
        Some("blocked_destination"),
        ErrorKind::BlockedDestination,
    ),
    (422, None, ErrorKind::UnprocessableEntity),
    (429, None, ErrorKind::RateLimit),
    (0, None, ErrorKind::Server),
];

fn default_message(kind: ErrorKind, status: u16) -> String {
    match kind {
        ErrorKind::ReAuthRequired => {
            "The end user's token was rejected; they must sign in again".into()
        }
        ErrorKind::Authentication => "Unauthorized — check your API key".into(),
        ErrorKind::GrantRevoked => "The grant has been revoked".into(),
        ErrorKind::GrantExpired => "The grant has expired".into(),
        ErrorKind::AgentSelfGrantOnly => "An agent may only issue grants for itself".into(),
        ErrorKind::AgentsCannotMint => "Agents cannot mint grants; use an app key".into(),
        ErrorKind::GrantNotDelegable => "This grant cannot be delegated onward".into(),
        ErrorKind::PermissionDenied => "Access denied by policy".into(),
        ErrorKind::AgentNotFound => "The agent could not be resolved".into(),
        ErrorKind::GrantNotFound => "Grant not found".into(),
        ErrorKind::SiblingLabelConflict => {
            "An active grant with this label already exists for this principal".into()
        }
        ErrorKind::CredentialIdRequired => {
            "This managed secret holds several developer credentials; pass credential_id".into()
        }
        ErrorKind::EndUserCredentialNotAssignable => {
            "An end-user credential cannot be assigned to a grant".into()
        }
        ErrorKind::CallerAgentMismatch => "The caller does not match the key's agent".into(),
        ErrorKind::CallerAgentResolution => {
            "The agent could not be resolved right now; retry later".into()
        }
        ErrorKind::Conflict => format!("Conflict (HTTP {status})"),
        ErrorKind::BlockedDestination => {
            "Destination is not permitted. Check the provider host and URL.".into()
        }
        ErrorKind::CredentialRevoked => "The credential this grant serves has been revoked".into(),
        ErrorKind::AmbiguousGrant => "Several grants match; pass label, account or grant_id".into(),
        ErrorKind::NoDelegatedGrant => "The agent holds no grant for this provider".into(),
        ErrorKind::RateLimit => "Rate limit exceeded".into(),
        ErrorKind::Server => format!("Backend unavailable (HTTP {status})"),
        _ => format!("Unexpected backend error (HTTP {status})"),
    }
}

/// Classifies an error response (status ≥ 400) from its status, headers and raw body, following
/// docs/wire.md §4. `retry_after_header` and `request_id_header` are the raw header values.
///
/// ```
/// use grantline::{classify, ErrorKind};
/// let body = br#"{"error":"sibling_label_conflict","message":"taken","label":"ops"}"#;
/// let err = classify(409, None, None, body);
/// let api = err.as_api().unwrap();
/// assert_eq!(api.kind, ErrorKind::SiblingLabelConflict);
/// assert_eq!(api.label.as_deref(), Some("ops"));
/// ```
pub fn classify(
    status: u16,
    retry_after_header: Option<&str>,
    request_id_header: Option<&str>,
    body: &[u8],
) -> Error {
    let (mut data, is_json) = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut obj)) => match obj.remove("detail") {
            Some(Value::Object(inner)) => (inner, true),
            Some(other) => {
                obj.insert("detail".into(), other);
                (obj, true)
            }
            None => (obj, true),
        },
        Ok(_) => (
            Map::from_iter([("message".into(), "Unknown error".into())]),
            true,
        ),
        Err(_) => (
            Map::from_iter([(
                "message".into(),
                format!("Backend returned a non-JSON error (HTTP {status})").into(),
            )]),
            false,
        ),
    };
    data.insert("status_code".into(), status.into());
    let code = data.get("error").and_then(Value::as_str).map(str::to_owned);
    let kind = CLASSIFICATION
        .iter()
        .find(|(s, c, _)| {
            let status_matches = *s == status || (*s == 0 && status >= 500);
            status_matches && c.is_none_or(|c| code.as_deref() == Some(c))
        })
        .map_or(ErrorKind::Api, |row| row.2);
    let message = match data.get("message").and_then(Value::as_str) {
        Some(m) if !m.is_empty() => m.to_owned(),
        _ => match data.get("detail").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => d.to_owned(),
            _ => default_message(kind, status),
        },
    };
    let retry_after = match kind {
        ErrorKind::RateLimit | ErrorKind::Server | ErrorKind::CallerAgentResolution => {
            let cap = if code.as_deref() == Some("quota_exceeded") {
                MAX_QUOTA_RETRY_AFTER
            } else {
                MAX_RETRY_AFTER
            };
            let body_value = (is_json && kind == ErrorKind::RateLimit)
                .then(|| data.get("retry_after"))
                .flatten();
            parse_retry_after(retry_after_header, body_value, cap)
        }
        _ => None,
    };
    let string_field = |name: &str| data.get(name).and_then(Value::as_str).map(str::to_owned);
    let credentials = match kind {
        ErrorKind::CredentialIdRequired => data
            .get("details")
            .and_then(|d| d.get("credentials"))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|c| {
                        Some(CredentialChoice {
                            credential_id: c.get("id")?.as_str()?.to_owned(),
                            label: c.get("label")?.as_str()?.to_owned(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Error::Api(Box::new(ApiError {
        kind,
        status,
        label: string_field("label").filter(|_| kind == ErrorKind::SiblingLabelConflict),
        grant_id: string_field("grant_id").filter(|_| kind == ErrorKind::GrantRevoked),
        code,
        message,
        request_id: request_id_header.map(str::to_owned),
        details: data,
        retry_after,
        credentials,
    }))
}

/// `Retry-After` (docs/wire.md §4.4): the header as ASCII delta-seconds first, else a non-negative
/// integral number in the body, capped at `cap` seconds. HTTP-dates are not supported.
pub(crate) fn parse_retry_after(
    header: Option<&str>,
    body: Option<&Value>,
    cap: u64,
) -> Option<Duration> {
    let from_header = header
        .map(str::trim)
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_digit()))
        .map(|h| {
            let digits = h.trim_start_matches('0');
            if digits.len() > 19 {
                u64::MAX
            } else {
                digits.parse::<u64>().unwrap_or(0)
            }
        });
    let from_body = || match body? {
        Value::Number(n) => n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            (f >= 0.0 && f.fract() == 0.0 && f.is_finite()).then_some(if f > u64::MAX as f64 {
                u64::MAX
            } else {
                f as u64
            })
        }),
        _ => None,
    };
    from_header
        .or_else(from_body)
        .map(|s| Duration::from_secs(s.min(cap)))
}

/// The error class tree as data: every class with its parent chain and the wire cases that
/// produce it. `tests/vectors/error_tree.json` is this, and each language's suite checks its
/// classes against that file.
pub fn error_tree() -> Value {
    let mut classes = vec![serde_json::json!({
        "class": ROOT_CLASS, "parents": [], "kind": null, "wire": [],
    })];
    for kind in ErrorKind::ALL {
        let mut parents = Vec::new();
        let mut up = kind.parent();
        while let Some(p) = up {
            parents.push(Value::from(p.class_name()));
            up = p.parent();
        }
        parents.push(Value::from(ROOT_CLASS));
        let wire: Vec<Value> = kind
            .wire_cases()
            .map(|(status, code)| {
                serde_json::json!({
                    "status": if status == 0 { Value::from("5xx") } else { Value::from(status) },
                    "code": code,
                })
            })
            .collect();
        classes.push(serde_json::json!({
            "class": kind.class_name(),
            "parents": parents,
            "kind": format!("{kind:?}"),
            "wire": wire,
        }));
    }
    serde_json::json!({
        "about": "The error class tree every grantline language implements (generated from core/src/error.rs by `cargo test -p grantline --lib vectors` with GRANTLINE_BLESS=1): each class, its ancestors nearest first, the core ErrorKind, and the HTTP (status, error code) pairs classified into it (status \"5xx\" = any 5xx; code null = any code). Kinds without wire cases come from local checks, the network, or a 404 with an agent code.",
        "classes": classes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_vectors() {
        let v: Value =
            serde_json::from_str(include_str!("../../tests/vectors/errors.json")).unwrap();
        for case in v["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let headers = &case["headers"];
            let err = classify(
                case["status"].as_u64().unwrap() as u16,
                headers["retry-after"].as_str(),
                headers["x-request-id"].as_str(),
                case["body"].as_str().unwrap().as_bytes(),
            );
            let exp = &case["expected"];
            let api = err.as_api().unwrap();
            assert_eq!(
                api.kind.class_name(),
                exp["kind"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(api.code.as_deref(), exp["code"].as_str(), "{name}");
            assert_eq!(api.message, exp["message"].as_str().unwrap(), "{name}");
            assert_eq!(
                api.retry_after.map(|d| d.as_secs()),
                exp["retry_after_seconds"].as_u64(),
                "{name}"
            );
            assert_eq!(api.label.as_deref(), exp["label"].as_str(), "{name}");
            assert_eq!(api.grant_id.as_deref(), exp["grant_id"].as_str(), "{name}");
            assert_eq!(
                api.request_id.as_deref(),
                exp["request_id"].as_str(),
                "{name}"
            );
            assert_eq!(
                serde_json::to_value(&api.credentials).unwrap(),
                exp["credentials"],
                "{name}"
            );
            assert_eq!(api.status, case["status"].as_u64().unwrap() as u16);
            assert_eq!(api.details["status_code"], case["status"], "{name}");
        }
    }
}
