//! Using a grant (docs/wire.md §3.5): `POST /sdk/token` leases a grant's credential for one
//! provider request, `POST /sdk/oauth/audit/api-call` records the call the client made with it,
//! `POST /sdk/grants/{id}/report-scope-mismatch` flags a grant whose provider refused its scopes.
//! The rules are in docs/domain.md ("Using a grant").

use super::identity::EndUser;
use super::{ApiError, Caller, CallerKind, NonceClaim, Service, canonical_uuid, check_len};
use crate::clock::wire_time;
use crate::store::{
    ApiCallRec, AuditRec, GrantView, InjectionRec, ListQuery, StatusFilter, Visibility,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The lease of a grant without `default_ttl_seconds`: one hour (never past the grant's end).
pub const DEFAULT_LEASE_SECONDS: i64 = 3600;
/// The most candidates an `ambiguous_grant` refusal lists.
const MAX_CANDIDATES: i64 = 10;
/// Bodies and header maps of an api-call record are kept up to this many bytes of JSON each;
/// a larger one is replaced by a note of its size (clients send at most 10,000 bytes).
pub const MAX_RECORDED_PART: usize = 16 * 1024;
/// Headers a record never keeps, whatever the client sent (the official client strips them too).
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

/// The request a lease is for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntendedRequest {
    pub method: String,
    pub url: String,
}

/// Body of `POST /sdk/token`: a grant by id, or by provider (and account/label/app user).
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    #[serde(default)]
    pub grant_id: Option<String>,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub request: Option<IntendedRequest>,
    #[serde(default)]
    pub user_token: Option<String>,
    #[serde(default)]
    pub app_user_id: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

impl std::fmt::Debug for TokenBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenBody")
            .field("grant_id", &self.grant_id)
            .field("provider_id", &self.provider_id)
            .field(
                "user_token",
                &self.user_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// Body of `POST /sdk/oauth/audit/api-call` (the official client's `APICallAuditLog`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiCallBody {
    pub grant_id: String,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub token_generation: Option<String>,
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub request_headers: Option<Map<String, Value>>,
    #[serde(default)]
    pub request_body: Option<Value>,
    pub response_status: i64,
    #[serde(default)]
    pub response_headers: Option<Map<String, Value>>,
    #[serde(default)]
    pub response_body: Option<Value>,
    pub latency_ms: i64,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
}

/// Body of `POST /sdk/grants/{id}/report-scope-mismatch`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeMismatchBody {
    pub provider_status_code: i64,
    pub provider_error_code: String,
    #[serde(default)]
    pub missing_scopes: Option<Vec<String>>,
    #[serde(default)]
    pub raw_www_authenticate: Option<String>,
    #[serde(default)]
    pub api_endpoint: Option<String>,
    #[serde(default)]
    pub detection_source: Option<String>,
    #[serde(default)]
    pub sdk_correlation_id: Option<String>,
}

/// How a credential goes into a request, as `/sdk/token` answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub header: String,
    pub format: String,
    pub query_param: Option<String>,
    pub allowed_base_urls: Option<Vec<String>>,
}

impl Default for Injection {
    fn default() -> Self {
        Injection {
            header: "Authorization".into(),
            format: "Bearer {token}".into(),
            query_param: None,
            allowed_base_urls: None,
        }
    }
}

/// Headers a credential must never be injected into (the official client refuses them too).
const FORBIDDEN_INJECTION_HEADERS: &[&str] = &[
    "host",
    "cookie",
    "set-cookie",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "proxy-authenticate",
    "forwarded",
];

impl Injection {
    /// Checks settings an admin gives (header name, format, query parameter, base URLs).
    pub fn validate(&self) -> Result<(), ApiError> {
        let h = &self.header;
        let valid_name = |s: &str| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if h.len() > 60 || !valid_name(h) {
            return Err(ApiError::invalid_request(
                "injection_header must be a header name: a letter, then letters, digits or '-' \
                 (at most 60)",
            ));
        }
        let lower = h.to_ascii_lowercase();
        if FORBIDDEN_INJECTION_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-forwarded")
        {
            return Err(ApiError::invalid_request(format!(
                "injection_header {h:?} cannot carry a credential"
            )));
        }
        if self.format.len() > 200
            || !self.format.contains("{token}")
            || self.format.chars().any(|c| c.is_control())
        {
            return Err(ApiError::invalid_request(
                "injection_format must contain {token}, have no control characters and be at \
                 most 200 characters long",
            ));
        }
        if let Some(q) = &self.query_param
            && (q.is_empty()
                || q.len() > 100
                || !q
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        {
            return Err(ApiError::invalid_request(
                "injection_query_param must be 1 to 100 letters, digits, '-', '_' or '.'",
            ));
        }
        if let Some(urls) = &self.allowed_base_urls {
            if urls.is_empty() || urls.len() > 20 {
                return Err(ApiError::invalid_request(
                    "allowed_base_urls must list 1 to 20 URLs (omit it to allow any)",
                ));
            }
            for u in urls {
                let parsed = reqwest::Url::parse(u).map_err(|_| {
                    ApiError::invalid_request(format!("allowed_base_urls: {u:?} is not a URL"))
                })?;
                if !destination_scheme_ok(&parsed)
                    || parsed.query().is_some()
                    || parsed.fragment().is_some()
                    || !parsed.username().is_empty()
                {
                    return Err(ApiError::invalid_request(format!(
                        "allowed_base_urls: {u:?} must be an https URL (http only to a loopback \
                         host) without user, query or fragment"
                    )));
                }
            }
        }
        Ok(())
    }

    fn from_rec(rec: InjectionRec) -> Injection {
        Injection {
            header: rec.header,
            format: rec.format,
            query_param: rec.query_param,
            allowed_base_urls: rec
                .allowed_base_urls
                .and_then(|s| serde_json::from_str(&s).ok()),
        }
    }

    /// The row for `managed_secret_id`.
    pub fn to_rec(&self, managed_secret_id: &str, app_id: &str) -> InjectionRec {
        InjectionRec {
            managed_secret_id: managed_secret_id.into(),
            app_id: app_id.into(),
            header: self.header.clone(),
            format: self.format.clone(),
            query_param: self.query_param.clone(),
            allowed_base_urls: self
                .allowed_base_urls
                .as_ref()
                .map(|u| serde_json::to_string(u).expect("strings")),
        }
    }
}

/// https anywhere; http only to a loopback host (as the official client allows).
fn destination_scheme_ok(url: &reqwest::Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

/// Whether `url` lies under `base`: same scheme, host and port, and the base's path is a prefix
/// of the URL's on a segment boundary (`/v1` admits `/v1` and `/v1/x`, not `/v10`).
pub fn under_base(url: &reqwest::Url, base: &reqwest::Url) -> bool {
    if url.scheme() != base.scheme()
        || url.host_str().map(str::to_ascii_lowercase)
            != base.host_str().map(str::to_ascii_lowercase)
        || url.port_or_known_default() != base.port_or_known_default()
    {
        return false;
    }
    let prefix = base.path().trim_end_matches('/');
    let path = url.path();
    path == prefix
        || prefix.is_empty()
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn blocked(message: impl Into<String>) -> ApiError {
    ApiError::new(422, "blocked_destination", message)
}

fn stripped_headers(headers: Option<Map<String, Value>>) -> Value {
    match headers {
        None => Value::Null,
        Some(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !SENSITIVE_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
                .collect(),
        ),
    }
}

/// A part of a record, or a note of its size when it is too large to keep.
fn bounded(v: Value) -> Value {
    let n = serde_json::to_vec(&v).map(|b| b.len()).unwrap_or(0);
    if n > MAX_RECORDED_PART {
        Value::String(format!("<too large to record: {n} bytes>"))
    } else {
        v
    }
}

impl Service {
    /// `POST /sdk/token`: checks that the caller may use the grant now, decrypts its credential
    /// and leases it for one request, recording the use.
    pub async fn lease_token(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        body: TokenBody,
    ) -> Result<Value, ApiError> {
        self.remember_nonce(nonce).await?;
        if let Some(r) = &body.reason {
            check_len("reason", r, 0, 1024)?;
        }
        for (name, v) in [
            ("provider_id", &body.provider_id),
            ("account", &body.account),
            ("label", &body.label),
            ("app_user_id", &body.app_user_id),
        ] {
            if let Some(v) = v {
                check_len(name, v, 1, 1024)?;
            }
        }
        let intended = match &body.request {
            Some(r) => {
                check_len("request.method", &r.method, 1, 16)?;
                check_len("request.url", &r.url, 1, 65_536)?;
                let url = reqwest::Url::parse(&r.url)
                    .map_err(|_| ApiError::invalid_request("request.url is not an absolute URL"))?;
                if !destination_scheme_ok(&url) {
                    return Err(blocked(
                        "a credential goes only to https URLs (http only to a loopback host)",
                    ));
                }
                Some(url)
            }
            None => None,
        };
        let user = match body.user_token.as_deref() {
            Some(t) => Some(self.resolve_user(&caller.app_id, t).await?),
            None => None,
        };
        let view = match (&body.grant_id, &body.provider_id) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ApiError::invalid_request(
                    "pass exactly one of grant_id and provider_id",
                ));
            }
            (Some(id), None) => {
                if body.account.is_some() || body.label.is_some() || body.app_user_id.is_some() {
                    return Err(ApiError::invalid_request(
                        "account, label and app_user_id are only valid with provider_id",
                    ));
                }
                let id = canonical_uuid(id).ok_or_else(ApiError::grant_not_found)?;
                let view = self
                    .store
                    .get_grant(&caller.app_id, &id)
                    .await?
                    .ok_or_else(ApiError::grant_not_found)?;
                self.check_user(caller, &view, user.as_ref())?;
                view
            }
            (None, Some(provider)) => {
                self.resolve_by_provider(caller, provider, &body, user.as_ref())
                    .await?
            }
        };
        let g = &view.grant;
        let now = self.now_micros();
        match g.status(now) {
            "revoked" => {
                return Err(
                    ApiError::new(403, "grant_revoked", "this grant has been revoked")
                        .with("grant_id", g.id.clone()),
                );
            }
            "expired" => {
                return Err(
                    ApiError::new(403, "grant_expired", "this grant has expired")
                        .with("grant_id", g.id.clone())
                        .with("provider_id", g.provider_slug.clone()),
                );
            }
            _ => {}
        }

        // The credential: decrypted here and nowhere else.
        let (secret, generation, injection) = match g.kind.as_str() {
            "managed_secret" => {
                let ms_id = g.managed_secret_id.as_deref().unwrap_or_default();
                let cred_id = g.credential_id.as_deref().unwrap_or_default();
                let cred = self
                    .store
                    .list_credentials(ms_id)
                    .await?
                    .into_iter()
                    .find(|c| c.id == cred_id);
                let Some(cred) = cred.filter(|c| c.status == "active") else {
                    return Err(credential_revoked(&g.id, &g.provider_slug));
                };
                let secret = self
                    .master
                    .decrypt(&cred.value_enc, cred.id.as_bytes())
                    .map_err(|_| ApiError::internal("a credential does not decrypt"))?;
                let injection = self
                    .store
                    .get_injection(ms_id)
                    .await?
                    .map(Injection::from_rec)
                    .unwrap_or_default();
                (secret, cred.id, injection)
            }
            _ => {
                let Some(tok) = self.store.get_grant_token(&caller.app_id, &g.id).await? else {
                    return Err(credential_revoked(&g.id, &g.provider_slug));
                };
                let secret = self
                    .master
                    .decrypt(&tok.value_enc, tok.grant_id.as_bytes())
                    .map_err(|_| ApiError::internal("an access token does not decrypt"))?;
                (secret, tok.generation, Injection::default())
            }
        };
        if let Some(allowed) = &injection.allowed_base_urls {
            let Some(url) = &intended else {
                return Err(ApiError::invalid_request(
                    "this grant's credential goes only to its provider's base URLs: pass \
                     request.url",
                ));
            };
            let ok = allowed
                .iter()
                .filter_map(|b| reqwest::Url::parse(b).ok())
                .any(|b| under_base(url, &b));
            if !ok {
                return Err(blocked(format!(
                    "this grant's credential may only be sent to {}",
                    allowed.join(", ")
                ))
                .with("allowed_base_urls", allowed.clone()));
            }
        }
        let access_token = String::from_utf8(secret)
            .map_err(|_| ApiError::internal("a credential is not text"))?;

        // The lease: default_ttl_seconds (or an hour), within max_ttl_seconds and the grant's end.
        let policy: Value = g
            .grant_policy
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or(Value::Null);
        let mut lease = policy["default_ttl_seconds"]
            .as_i64()
            .unwrap_or(DEFAULT_LEASE_SECONDS);
        if let Some(max) = policy["max_ttl_seconds"].as_i64() {
            lease = lease.min(max);
        }
        if let Some(end) = g.grant_expires_at {
            lease = lease.min((end - now) / 1_000_000);
        }
        let lease = lease.max(0);
        let usage = self.store.get_grant_usage(&caller.app_id, &g.id).await?;
        let audit = AuditRec {
            id: super::new_id(),
            app_id: caller.app_id.clone(),
            actor: caller.audit_actor.clone(),
            action: "grant.use".into(),
            grant_id: Some(g.id.clone()),
            principal_type: Some(g.principal_type.clone()),
            principal: Some(match g.principal_type.as_str() {
                "system" => "system".to_string(),
                t => format!("{t}:{}", g.principal_subject),
            }),
            label: g.label.clone(),
            reason: Some(match (&body.request, &body.reason) {
                (Some(r), Some(why)) => format!("{} {}: {why}", r.method, redact_url(&r.url)),
                (Some(r), None) => format!("{} {}", r.method, redact_url(&r.url)),
                (None, Some(why)) => why.clone(),
                (None, None) => String::new(),
            })
            .filter(|s| !s.is_empty()),
            at: now,
        };
        self.store.record_grant_use(&g.id, &audit).await?;

        let scopes: Value = g
            .scopes
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_else(|| json!([]));
        let mut out = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": lease,
            "expires_at": wire_time(now + lease * 1_000_000),
            "scopes": scopes,
            "grant_id": g.id,
            "provider_id": g.provider_slug,
            "token_generation": generation,
            "scope_mismatch": usage.is_some_and(|u| u.scope_mismatch != 0),
            "injection_header": injection.header,
            "injection_format": injection.format,
        });
        if let Some(q) = &injection.query_param {
            out["additional_injections"] =
                json!([{"target": "query_param", "key": q, "value_source": "token"}]);
        }
        Ok(out)
    }

    /// Whether the caller may use this grant (a grant it may not see is not found).
    fn check_user(
        &self,
        caller: &Caller,
        view: &GrantView,
        user: Option<&EndUser>,
    ) -> Result<(), ApiError> {
        let g = &view.grant;
        match (&caller.kind, g.principal_type.as_str()) {
            // An agent uses its own grants only.
            (CallerKind::Agent { agent_id }, "agent")
                if g.principal_ref.as_deref() == Some(agent_id) =>
            {
                Ok(())
            }
            (CallerKind::Agent { .. }, _) => Err(ApiError::grant_not_found()),
            (CallerKind::App, "system") => Ok(()),
            (CallerKind::App, "agent") => Err(ApiError::new(
                403,
                "agent_key_required",
                "an agent's grant is used with that agent's key",
            )),
            (CallerKind::App, _) => match user {
                None => Err(ApiError::new(
                    403,
                    "user_token_required",
                    "a user or group grant is used with the end user's token (user_token)",
                )),
                Some(u) if u.sees(&g.principal_type, g.principal_ref.as_deref()) => Ok(()),
                Some(_) => Err(ApiError::grant_not_found()),
            },
        }
    }

    /// The one active grant of `provider` the caller may use (narrowed by account, label).
    async fn resolve_by_provider(
        &self,
        caller: &Caller,
        provider: &str,
        body: &TokenBody,
        user: Option<&EndUser>,
    ) -> Result<GrantView, ApiError> {
        let visibility = match (&caller.kind, user) {
            (CallerKind::Agent { agent_id }, _) => Visibility::Agent {
                agent_id: agent_id.clone(),
            },
            (CallerKind::App, Some(u)) => u.visibility(),
            (CallerKind::App, None) => {
                return Err(ApiError::new(
                    403,
                    "user_token_required",
                    "resolving a grant by provider takes the end user's token (user_token)",
                ));
            }
        };
        if let (Some(a), Some(u)) = (&body.app_user_id, user)
            && *a != u.user_id
        {
            return Err(ApiError::invalid_request(
                "app_user_id does not name the user of user_token",
            ));
        }
        let query = ListQuery {
            app_id: caller.app_id.clone(),
            visibility,
            provider: Some(provider.to_string()),
            status: Some(StatusFilter::Active),
            account: body.account.clone(),
            label: body.label.clone(),
            limit: MAX_CANDIDATES + 1,
            offset: 0,
            now: self.now_micros(),
        };
        let (mut rows, _) = self.store.list_grants(&query).await?;
        match rows.len() {
            0 => Err(match caller.agent_id() {
                Some(agent) => ApiError::new(
                    404,
                    "no_delegated_grant",
                    "this agent holds no active grant for this provider",
                )
                .with("provider_id", provider.to_string())
                .with("agent_id", agent.to_string())
                .with("app_user_id", body.app_user_id.clone()),
                None => ApiError::grant_not_found().with("provider_id", provider.to_string()),
            }),
            1 => Ok(rows.remove(0)),
            n => {
                let truncated = n as i64 > MAX_CANDIDATES;
                rows.truncate(MAX_CANDIDATES as usize);
                let candidates: Vec<Value> = rows
                    .iter()
                    .map(|v| {
                        json!({
                            "grant_id": v.grant.id,
                            "label": v.grant.label,
                            "account_identifier": v.grant.account_identifier,
                            "account_display_name": v.grant.account_display_name,
                        })
                    })
                    .collect();
                let ids: Vec<&str> = rows.iter().map(|v| v.grant.id.as_str()).collect();
                let accounts: Vec<&str> = rows
                    .iter()
                    .filter_map(|v| v.grant.account_identifier.as_deref())
                    .collect();
                Err(ApiError::new(
                    409,
                    "ambiguous_grant",
                    "several grants match; pass label, account or grant_id",
                )
                .with("provider_id", provider.to_string())
                .with("candidates", candidates)
                .with("grant_ids", ids)
                .with("account_identifiers", accounts)
                .with("app_user_ids", Vec::<String>::new())
                .with("candidates_truncated", truncated))
            }
        }
    }

    /// `POST /sdk/oauth/audit/api-call`: stores a client's record of a provider call, without
    /// credential headers and with every part bounded.
    pub async fn record_api_call(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        body: ApiCallBody,
    ) -> Result<Value, ApiError> {
        self.remember_nonce(nonce).await?;
        check_len("method", &body.method, 1, 16)?;
        check_len("url", &body.url, 1, 65_536)?;
        if !(0..=999).contains(&body.response_status) {
            return Err(ApiError::invalid_request(
                "response_status must be 0 to 999",
            ));
        }
        if !(0..=86_400_000).contains(&body.latency_ms) {
            return Err(ApiError::invalid_request(
                "latency_ms must be 0 to 86400000",
            ));
        }
        if let Some(r) = &body.reason {
            check_len("reason", r, 0, 1024)?;
        }
        let id = canonical_uuid(&body.grant_id).ok_or_else(ApiError::grant_not_found)?;
        let view = self
            .store
            .get_grant(&caller.app_id, &id)
            .await?
            .ok_or_else(ApiError::grant_not_found)?;
        if let Some(agent) = caller.agent_id()
            && !(view.grant.principal_type == "agent"
                && view.grant.principal_ref.as_deref() == Some(agent))
        {
            return Err(ApiError::grant_not_found());
        }
        let record = json!({
            "provider_id": body.provider_id,
            "token_generation": body.token_generation,
            "request_headers": bounded(stripped_headers(body.request_headers)),
            "request_body": bounded(body.request_body.unwrap_or(Value::Null)),
            "response_headers": bounded(stripped_headers(body.response_headers)),
            "response_body": bounded(body.response_body.unwrap_or(Value::Null)),
            "reason": body.reason,
            "context": bounded(body.context.map(Value::Object).unwrap_or(Value::Null)),
        });
        let rec = ApiCallRec {
            id: super::new_id(),
            app_id: caller.app_id.clone(),
            actor: caller.audit_actor.clone(),
            grant_id: id,
            method: body.method,
            url: body.url,
            response_status: body.response_status,
            latency_ms: body.latency_ms,
            record: record.to_string(),
            at: self.now_micros(),
        };
        self.store.insert_api_call(&rec).await?;
        Ok(json!({"success": true, "id": rec.id}))
    }

    /// `POST /sdk/grants/{id}/report-scope-mismatch`: flags the grant (later leases answer
    /// `scope_mismatch: true`) and records the report.
    pub async fn report_scope_mismatch(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        grant_id: &str,
        body: ScopeMismatchBody,
    ) -> Result<(), ApiError> {
        self.remember_nonce(nonce).await?;
        check_len("provider_error_code", &body.provider_error_code, 1, 64)?;
        let scopes = body.missing_scopes.unwrap_or_default();
        if scopes.len() > 50 || scopes.iter().any(|s| s.is_empty() || s.len() > 256) {
            return Err(ApiError::invalid_request(
                "missing_scopes: at most 50 scopes of 1 to 256 characters",
            ));
        }
        for (name, v, max) in [
            ("raw_www_authenticate", &body.raw_www_authenticate, 4096),
            ("api_endpoint", &body.api_endpoint, 2048),
            ("detection_source", &body.detection_source, 64),
            ("sdk_correlation_id", &body.sdk_correlation_id, 128),
        ] {
            if let Some(v) = v {
                check_len(name, v, 0, max)?;
            }
        }
        let id = canonical_uuid(grant_id).ok_or_else(ApiError::grant_not_found)?;
        let view = self
            .store
            .get_grant(&caller.app_id, &id)
            .await?
            .ok_or_else(ApiError::grant_not_found)?;
        if let Some(agent) = caller.agent_id()
            && !(view.grant.principal_type == "agent"
                && view.grant.principal_ref.as_deref() == Some(agent))
        {
            return Err(ApiError::grant_not_found());
        }
        let audit = AuditRec {
            id: super::new_id(),
            app_id: caller.app_id.clone(),
            actor: caller.audit_actor.clone(),
            action: "grant.scope_mismatch".into(),
            grant_id: Some(id.clone()),
            principal_type: Some(view.grant.principal_type.clone()),
            principal: None,
            label: view.grant.label.clone(),
            reason: Some(format!(
                "provider {} {}; missing: {}",
                body.provider_status_code,
                body.provider_error_code,
                if scopes.is_empty() {
                    "unknown".to_string()
                } else {
                    scopes.join(" ")
                }
            )),
            at: self.now_micros(),
        };
        self.store.flag_scope_mismatch(&id, &audit).await?;
        Ok(())
    }
}

fn credential_revoked(grant_id: &str, provider: &str) -> ApiError {
    ApiError::new(
        403,
        "credential_revoked",
        "the credential this grant serves is no longer active",
    )
    .with("grant_id", grant_id.to_string())
    .with("provider_id", provider.to_string())
}

/// `scheme://host[:port]/path` of a URL: what an audit line names of a third party's URL (the
/// query may carry secrets).
fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<unparsable url>".into(),
    }
}

// Provisioning (the admin API).

impl Service {
    /// Sets how a managed secret's credential is injected, and where it may go.
    pub async fn set_injection(
        &self,
        app_id: &str,
        managed_secret_id: &str,
        req: crate::service::admin_types::SetInjection,
    ) -> Result<crate::service::admin_types::SetInjection, ApiError> {
        let app = self.app(app_id).await?;
        let not_found = || ApiError::not_found("managed secret");
        let ms_id = canonical_uuid(managed_secret_id).ok_or_else(not_found)?;
        self.store
            .get_managed_secret(&app.id, &ms_id)
            .await?
            .ok_or_else(not_found)?;
        let injection = Injection {
            header: req.header.clone(),
            format: req.format.clone(),
            query_param: req.query_param.clone(),
            allowed_base_urls: req.allowed_base_urls.clone(),
        };
        injection.validate()?;
        self.store
            .set_injection(&injection.to_rec(&ms_id, &app.id))
            .await?;
        Ok(req)
    }

    /// Stores the access token an OAuth grant leases (replacing any earlier one).
    pub async fn set_grant_token(
        &self,
        app_id: &str,
        grant_id: &str,
        req: crate::service::admin_types::SetGrantToken,
    ) -> Result<Value, ApiError> {
        let app = self.app(app_id).await?;
        let not_found = || ApiError::not_found("grant");
        let id = canonical_uuid(grant_id).ok_or_else(not_found)?;
        let view = self
            .store
            .get_grant(&app.id, &id)
            .await?
            .ok_or_else(not_found)?;
        if view.grant.kind != "oauth" {
            return Err(ApiError::invalid_request(
                "only an OAuth grant stores its own token (a managed-secret grant serves its \
                 credential)",
            ));
        }
        check_len("access_token", &req.access_token, 1, 65_536)?;
        if req.access_token.chars().any(|c| c.is_control()) {
            return Err(ApiError::invalid_request(
                "access_token must have no control characters",
            ));
        }
        let generation = uuid::Uuid::new_v4().to_string();
        self.store
            .set_grant_token(&crate::store::GrantTokenRec {
                grant_id: id.clone(),
                app_id: app.id,
                value_enc: self
                    .master
                    .encrypt(req.access_token.as_bytes(), id.as_bytes()),
                generation: generation.clone(),
                created_at: self.now_micros(),
            })
            .await?;
        Ok(json!({"grant_id": id, "token_generation": generation}))
    }

    /// Reported provider calls of an app, newest first.
    pub async fn api_calls(
        &self,
        app_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<crate::service::admin_types::ApiCallPage, ApiError> {
        use crate::service::admin_types::{ApiCallPage, ApiCallRecord};
        let app = self.app(app_id).await?;
        if !(1..=1000).contains(&limit) || offset < 0 {
            return Err(ApiError::invalid_request(
                "limit must be 1..=1000 and offset >= 0",
            ));
        }
        let records = self
            .store
            .list_api_calls(&app.id, limit, offset)
            .await?
            .into_iter()
            .map(|r| ApiCallRecord {
                id: r.id,
                actor: r.actor,
                grant_id: r.grant_id,
                method: r.method,
                url: r.url,
                response_status: r.response_status,
                latency_ms: r.latency_ms,
                record: serde_json::from_str(&r.record).unwrap_or(Value::Null),
                at: wire_time(r.at),
            })
            .collect();
        Ok(ApiCallPage { records })
    }
}
