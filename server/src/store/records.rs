//! Rows, as the store reads and writes them. Instants are microseconds since the epoch.

use std::fmt;

/// A tenant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppRec {
    pub id: String,
    pub name: String,
    pub max_ttl_seconds: Option<i64>,
    pub created_at: i64,
}

/// A managed agent of an app.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentRec {
    pub id: String,
    pub app_id: String,
    pub name: String,
    /// `active`, `paused` or `revoked`.
    pub status: String,
    pub created_at: i64,
}

/// An API key (stored only as its SHA-256).
#[derive(Clone, sqlx::FromRow)]
pub struct KeyRec {
    pub id: String,
    pub app_id: String,
    pub key_hash: String,
    /// `app` or `agent`.
    pub kind: String,
    pub agent_id: Option<String>,
    pub actor_id: String,
    /// `active` or `revoked`.
    pub status: String,
    pub created_at: i64,
}

impl fmt::Debug for KeyRec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRec")
            .field("id", &self.id)
            .field("app_id", &self.app_id)
            .field("key_hash", &"<redacted>")
            .field("kind", &self.kind)
            .field("agent_id", &self.agent_id)
            .field("actor_id", &self.actor_id)
            .field("status", &self.status)
            .finish()
    }
}

/// An identity provider of an app.
#[derive(Clone, sqlx::FromRow)]
pub struct IdpRec {
    pub id: String,
    pub app_id: String,
    pub issuer: String,
    pub audience: String,
    /// The HS256 secret, encrypted under the master key.
    pub hs256_secret: Option<Vec<u8>>,
    pub jwks_file: Option<String>,
    pub jwks_url: Option<String>,
    pub groups_claim: String,
    pub created_at: i64,
}

impl fmt::Debug for IdpRec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpRec")
            .field("id", &self.id)
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

/// A managed-secret provider.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ManagedSecretRec {
    pub id: String,
    pub app_id: String,
    pub slug: String,
    pub name: String,
    pub created_at: i64,
}

/// A credential of a managed-secret provider; its value is encrypted.
#[derive(Clone, sqlx::FromRow)]
pub struct CredentialRec {
    pub id: String,
    pub managed_secret_id: String,
    pub app_id: String,
    pub label: String,
    /// `developer` or `end_user`.
    pub kind: String,
    pub value_enc: Vec<u8>,
    /// `active` or `revoked`.
    pub status: String,
    pub created_at: i64,
}

impl fmt::Debug for CredentialRec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialRec")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("kind", &self.kind)
            .field("value_enc", &"<redacted>")
            .field("status", &self.status)
            .finish()
    }
}

/// A grant row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRec {
    pub id: String,
    pub app_id: String,
    /// `managed_secret` or `oauth`.
    pub kind: String,
    pub provider_slug: String,
    pub managed_secret_id: Option<String>,
    pub credential_id: Option<String>,
    pub principal_type: String,
    pub principal_ref: Option<String>,
    pub principal_subject: String,
    pub idp_id: Option<String>,
    pub label: Option<String>,
    pub sibling_key: Option<String>,
    pub account_identifier: Option<String>,
    pub account_display_name: Option<String>,
    /// JSON array of strings.
    pub scopes: Option<String>,
    /// JSON object.
    pub grant_policy: Option<String>,
    pub grant_expires_at: Option<i64>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
    pub created_by: String,
    /// Delegation chain and tags (schema v3); all empty on a root grant.
    #[sqlx(flatten)]
    pub chain: ChainFields,
}

/// Where a grant sits in a delegation chain, and a minted sibling's tags (docs/domain.md,
/// "Minting and delegation"). Default: a root grant without tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ChainFields {
    /// The grant this one was delegated from.
    pub parent_grant_id: Option<String>,
    /// The root of the chain (the grant the app issued).
    pub root_grant_id: Option<String>,
    /// Hops from the root (root 0).
    pub depth: i64,
    /// 1 when this delegation may be delegated onward.
    pub delegable: i64,
    /// JSON array of scopes this delegation is narrowed to (`None`: its parent's).
    pub scope_constraint: Option<String>,
    /// The agents that handed the grant down, root holder first, space-separated.
    pub chain_agents: Option<String>,
    /// JSON array of a minted sibling's tags.
    pub grant_tags: Option<String>,
}

impl GrantRec {
    /// Whether this grant is a delegation (a grant another agent handed down).
    pub fn is_delegation(&self) -> bool {
        self.chain.parent_grant_id.is_some()
    }

    /// The root of this grant's chain (itself, for a root).
    pub fn root_id(&self) -> &str {
        self.chain.root_grant_id.as_deref().unwrap_or(&self.id)
    }

    /// Whether the holder may delegate it onward: a delegation when it was made delegable; a
    /// root grant when an agent holds it (docs/domain.md).
    pub fn is_delegable(&self) -> bool {
        if self.is_delegation() {
            self.chain.delegable != 0
        } else {
            self.principal_type == "agent"
        }
    }

    /// The agents a delegation's chain passes through, root holder first.
    pub fn chain_agent_ids(&self) -> impl Iterator<Item = &str> {
        self.chain
            .chain_agents
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// `active`, `expired` or `revoked`, at `now`.
    pub fn status(&self, now: i64) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.grant_expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

/// A grant with the names of its provider and credential.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantView {
    #[sqlx(flatten)]
    pub grant: GrantRec,
    pub ms_slug: Option<String>,
    pub ms_name: Option<String>,
    pub credential_label: Option<String>,
    pub credential_kind: Option<String>,
}

/// An audit record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRec {
    pub id: String,
    pub app_id: String,
    pub actor: String,
    /// `grant.create`, `grant.revoke`, `grant.mint`, `grant.delegate`, `delegation.revoke`.
    pub action: String,
    pub grant_id: Option<String>,
    pub principal_type: Option<String>,
    pub principal: Option<String>,
    pub label: Option<String>,
    pub reason: Option<String>,
    pub at: i64,
}

/// Who may see which grants.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Every grant of the app.
    App,
    /// The grants of one app user and of the given groups.
    User {
        user_id: String,
        group_ids: Vec<String>,
    },
    /// The grants whose principal is this agent.
    Agent { agent_id: String },
}

/// A grant status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Expired,
    Revoked,
}

/// One page of a grant listing.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub app_id: String,
    pub visibility: Visibility,
    pub provider: Option<String>,
    pub status: Option<StatusFilter>,
    pub account: Option<String>,
    pub label: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// "now" for the status filter.
    pub now: i64,
}

// Using a grant (schema v4): injection settings, OAuth access tokens, usage, api-call records.

/// How a managed secret's credential is injected into a provider request, and where it may go.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InjectionRec {
    pub managed_secret_id: String,
    pub app_id: String,
    /// Header name (`Authorization`, `X-Api-Key`, ...).
    pub header: String,
    /// Header value with `{token}` where the credential goes.
    pub format: String,
    /// Also send the credential as this query parameter.
    pub query_param: Option<String>,
    /// JSON array of allowed base URLs; `None`: any https URL.
    pub allowed_base_urls: Option<String>,
}

/// The access token of a provisioned OAuth grant (encrypted; AAD = grant id).
#[derive(Clone, sqlx::FromRow)]
pub struct GrantTokenRec {
    pub grant_id: String,
    pub app_id: String,
    pub value_enc: Vec<u8>,
    /// A UUID that changes with the token.
    pub generation: String,
    pub created_at: i64,
}

impl fmt::Debug for GrantTokenRec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantTokenRec")
            .field("grant_id", &self.grant_id)
            .field("value_enc", &"<redacted>")
            .field("generation", &self.generation)
            .finish()
    }
}

/// When a grant last leased its credential.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantUsageRec {
    pub grant_id: String,
    pub app_id: String,
    pub last_used_at: i64,
    pub uses: i64,
    /// 1 once a client reported that the provider refused the grant's scopes.
    pub scope_mismatch: i64,
}

/// A provider call a client reported (`POST /sdk/oauth/audit/api-call`), sanitised.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiCallRec {
    pub id: String,
    pub app_id: String,
    pub actor: String,
    pub grant_id: String,
    pub method: String,
    pub url: String,
    pub response_status: i64,
    pub latency_ms: i64,
    /// The rest of the record, a JSON object.
    pub record: String,
    pub at: i64,
}
