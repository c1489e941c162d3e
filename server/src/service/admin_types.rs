//! Request and response bodies of the admin API (JSON, snake_case, unknown fields refused).

use serde::{Deserialize, Serialize};

/// `POST /admin/apps`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApp {
    pub name: String,
    /// Use this id instead of a fresh UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `{"app_id"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppCreated {
    pub app_id: String,
}

/// `POST /admin/apps/{app}/agents`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    pub name: String,
    /// Use this id (a UUID) instead of a fresh one (lets tests match fixed vectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `{"agent_id"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentCreated {
    pub agent_id: String,
}

/// `PATCH /admin/apps/{app}/agents/{agent}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetAgentStatus {
    /// `active`, `paused` or `revoked`.
    pub status: String,
}

/// `POST /admin/apps/{app}/keys`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintKey {
    /// `app` or `agent`.
    pub kind: String,
    /// Required for `agent` keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Register this raw key instead of minting one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Use this actor id (a UUID) instead of a fresh one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
}

impl std::fmt::Debug for MintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintKey")
            .field("kind", &self.kind)
            .field("agent_id", &self.agent_id)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `{"key_id","key","actor_id"}`: the raw key is shown once, here.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyMinted {
    pub key_id: String,
    pub key: String,
    pub actor_id: String,
}

impl std::fmt::Debug for KeyMinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMinted")
            .field("key_id", &self.key_id)
            .field("key", &"<redacted>")
            .field("actor_id", &self.actor_id)
            .finish()
    }
}

/// `POST /admin/apps/{app}/idps`: exactly one of the three key sources.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddIdp {
    pub issuer: String,
    pub audience: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs256_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// The claim listing the user's groups (default `groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
}

impl std::fmt::Debug for AddIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddIdp")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field(
                "hs256_secret",
                &self.hs256_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("jwks_file", &self.jwks_file)
            .field("jwks_url", &self.jwks_url)
            .finish()
    }
}

/// `{"idp_id"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdpAdded {
    pub idp_id: String,
}

/// `POST /admin/apps/{app}/idps/{idp}/tokens`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintUserToken {
    pub sub: String,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Default 3600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `{"token"}`.
#[derive(Clone, Serialize, Deserialize)]
pub struct UserToken {
    pub token: String,
}

impl std::fmt::Debug for UserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserToken(<redacted>)")
    }
}

/// `POST /admin/apps/{app}/managed-secrets`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddManagedSecret {
    pub slug: String,
    pub name: String,
    /// Use this id (a UUID) instead of a fresh one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `{"managed_secret_id"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedSecretAdded {
    pub managed_secret_id: String,
}

/// `POST /admin/apps/{app}/managed-secrets/{id}/credentials`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddCredential {
    pub label: String,
    /// `developer` or `end_user`.
    pub kind: String,
    pub value: String,
}

impl std::fmt::Debug for AddCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddCredential")
            .field("label", &self.label)
            .field("kind", &self.kind)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// `{"credential_id"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialAdded {
    pub credential_id: String,
}

/// The principal of a provisioned OAuth grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OAuthPrincipal {
    User { sub: String, idp_id: String },
    System,
    Agent { agent_id: String },
}

/// `POST /admin/apps/{app}/oauth-grants`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionOAuthGrant {
    pub provider_id: String,
    pub principal: OAuthPrincipal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_display_name: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// `{"grant_id"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantProvisioned {
    pub grant_id: String,
}

/// `PUT /admin/apps/{app}/ttl-ceiling`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TtlCeiling {
    pub max_ttl_seconds: Option<i64>,
}

/// One audit record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: String,
    pub actor: String,
    /// `grant.create` or `grant.revoke`.
    pub action: String,
    pub grant_id: Option<String>,
    pub principal_type: Option<String>,
    pub principal: Option<String>,
    pub label: Option<String>,
    pub reason: Option<String>,
    pub at: String,
}

/// `GET /admin/apps/{app}/audit` → `{"records": [...]}`, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
}

// Using a grant (service/token.rs).

/// `PUT /admin/apps/{app}/managed-secrets/{id}/injection`: how the secret's credential goes into
/// a provider request (`{token}` marks it in `format`), and where it may be sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetInjection {
    /// Default `Authorization`.
    #[serde(default = "default_injection_header")]
    pub header: String,
    /// Default `Bearer {token}`.
    #[serde(default = "default_injection_format")]
    pub format: String,
    /// Also send the credential as this query parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_param: Option<String>,
    /// Only these base URLs (`https://api.example.com/v1`) may receive it; absent: any https URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_base_urls: Option<Vec<String>>,
}

fn default_injection_header() -> String {
    "Authorization".into()
}
fn default_injection_format() -> String {
    "Bearer {token}".into()
}

/// `PUT /admin/apps/{app}/oauth-grants/{grant}/token`: the access token an OAuth grant leases.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetGrantToken {
    pub access_token: String,
}

impl std::fmt::Debug for SetGrantToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetGrantToken { access_token: <redacted> }")
    }
}

/// One reported provider call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiCallRecord {
    pub id: String,
    pub actor: String,
    pub grant_id: String,
    pub method: String,
    pub url: String,
    pub response_status: i64,
    pub latency_ms: i64,
    /// provider_id, token_generation, request/response headers and bodies, reason, context.
    pub record: serde_json::Value,
    pub at: String,
}

/// `GET /admin/apps/{app}/api-calls` → `{"records": [...]}`, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiCallPage {
    pub records: Vec<ApiCallRecord>,
}
