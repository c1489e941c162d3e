//! The core's models as uniffi records: Kotlin data classes and one sealed class (`GrantItem`),
//! timestamps as `java.time.Instant`. Fields are exactly those of
//! `tests/vectors/model_fields.json` (the Kotlin suite checks them against it); each conversion
//! from the core's type is a plain field-by-field move.

use std::collections::HashMap;
use std::time::SystemTime;

fn at(t: grantline::OffsetDateTime) -> SystemTime {
    t.into()
}

fn opt_at(t: Option<grantline::OffsetDateTime>) -> Option<SystemTime> {
    t.map(Into::into)
}

/// Bounds on a grant's lifetime: what `createManagedSecretGrant` takes as `grantPolicy` and what
/// listed grants carry. Every field is optional; the grant ends at the earliest bound.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GrantPolicy {
    /// Absolute end of the grant (must be in the future when the grant is created).
    #[uniffi(default = None)]
    pub expires_at: Option<SystemTime>,
    /// The grant ends at `createdAt + maxTtlSeconds` at the latest (> 0).
    #[uniffi(default = None)]
    pub max_ttl_seconds: Option<i64>,
    /// Lifetime of each credential handed out through the grant (> 0, ≤ `maxTtlSeconds`).
    #[uniffi(default = None)]
    pub default_ttl_seconds: Option<i64>,
}

impl From<grantline::GrantPolicy> for GrantPolicy {
    fn from(p: grantline::GrantPolicy) -> Self {
        GrantPolicy {
            expires_at: opt_at(p.expires_at),
            max_ttl_seconds: p.max_ttl_seconds.map(|v| v.min(i64::MAX as u64) as i64),
            default_ttl_seconds: p.default_ttl_seconds.map(|v| v.min(i64::MAX as u64) as i64),
        }
    }
}

/// What `createManagedSecretGrant` returns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreateGrantResult {
    /// The new grant's id.
    pub grant_id: String,
    /// `user`, `group`, `system` or `agent`.
    pub principal_type: String,
    /// The grant's label.
    pub label: Option<String>,
    /// When the grant was created.
    pub created_at: SystemTime,
    /// The credential the grant serves.
    pub credential_id: Option<String>,
    /// When the grant ends, if its policy bounds it.
    pub grant_expires_at: Option<SystemTime>,
}

impl From<grantline::CreateGrantResult> for CreateGrantResult {
    fn from(r: grantline::CreateGrantResult) -> Self {
        CreateGrantResult {
            grant_id: r.grant_id,
            principal_type: r.principal_type,
            label: r.label,
            created_at: at(r.created_at),
            credential_id: r.credential_id,
            grant_expires_at: opt_at(r.grant_expires_at),
        }
    }
}

/// What `revokeGrant` returns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RevokeGrantResult {
    /// Always true on success.
    pub success: bool,
    /// The server's message.
    pub message: String,
    /// The revoked grant.
    pub grant_id: String,
    /// When it was revoked.
    pub revoked_at: SystemTime,
}

impl From<grantline::RevokeGrantResult> for RevokeGrantResult {
    fn from(r: grantline::RevokeGrantResult) -> Self {
        RevokeGrantResult {
            success: r.success,
            message: r.message,
            grant_id: r.grant_id,
            revoked_at: at(r.revoked_at),
        }
    }
}

/// One page of `listGrants`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GrantPage {
    /// The grants of this page.
    pub grants: Vec<GrantItem>,
    /// How many grants match in all.
    pub total: i64,
    /// The page size asked for.
    pub limit: i64,
    /// The offset of this page.
    pub offset: i64,
    /// Whether more grants follow.
    pub has_more: bool,
}

impl From<grantline::GrantPage> for GrantPage {
    fn from(p: grantline::GrantPage) -> Self {
        GrantPage {
            grants: p.grants.into_iter().map(GrantItem::from).collect(),
            total: p.total.min(i64::MAX as u64) as i64,
            limit: p.limit.into(),
            offset: p.offset.min(i64::MAX as u64) as i64,
            has_more: p.has_more,
        }
    }
}

/// One listed grant: `when (item) { is GrantItem.ManagedSecret -> …; is GrantItem.OAuth -> …;
/// is GrantItem.Unknown -> … }`. `grantKind` is the discriminator (`managed_secret`, `oauth`,
/// or `unknown` for a kind this version does not know — the server's is `rawGrantKind`).
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum GrantItem {
    /// A grant on a managed secret.
    ManagedSecret {
        /// Always `managed_secret`.
        grant_kind: String,
        /// The grant's id.
        grant_id: String,
        /// The managed secret's id.
        managed_secret_id: String,
        /// The managed secret's slug (what `providerId` filters on).
        managed_secret_slug: String,
        /// The managed secret's display name.
        managed_secret_name: String,
        /// The agent, on agent-principal grants.
        agent_id: Option<String>,
        /// Account identifier, if any.
        account_identifier: Option<String>,
        /// `active`, `expired`, `revoked`, … (free text).
        status: String,
        /// Expiry of the credential currently handed out.
        expires_at: Option<SystemTime>,
        /// When the grant itself ends.
        grant_expires_at: Option<SystemTime>,
        /// When the grant was created.
        created_at: SystemTime,
        /// When the grant was last used.
        last_used_at: Option<SystemTime>,
        /// `user`, `group`, `system` or `agent`.
        principal_type: String,
        /// `ownership` or `ms_delegation`.
        access_via: String,
        /// When the grant was delegated.
        delegated_at: Option<SystemTime>,
        /// The grant's label.
        label: Option<String>,
        /// The credential served.
        credential_id: Option<String>,
        /// The parent grant of a delegated grant.
        parent_grant_id: Option<String>,
        /// The grant's policy.
        grant_policy: Option<GrantPolicy>,
        /// Delegation depth.
        depth: i64,
        /// Whether the grant can be delegated.
        delegable: bool,
        /// Scope constraint, if any.
        scope_constraint: Option<Vec<String>>,
        /// `developer` or `end_user`.
        credential_kind: Option<String>,
        /// The served credential's label.
        credential_label: Option<String>,
    },
    /// An OAuth grant.
    OAuth {
        /// Always `oauth`.
        grant_kind: String,
        /// The grant's id.
        grant_id: String,
        /// The OAuth provider (e.g. `google`).
        provider_id: String,
        /// Granted scopes.
        scopes: Vec<String>,
        /// The connected account.
        account_identifier: Option<String>,
        /// The connected account's display name.
        account_display_name: Option<String>,
        /// The provider API's origin, when it is a bare `https://` origin.
        api_base_url: Option<String>,
        /// `active`, `expired`, `revoked`, … (free text).
        status: String,
        /// Whether the granted scopes no longer match what the provider needs.
        scope_mismatch: bool,
        /// Whether the user must reconnect.
        needs_reconnect: bool,
        /// Expiry of the provider token.
        expires_at: Option<SystemTime>,
        /// When the grant itself ends.
        grant_expires_at: Option<SystemTime>,
        /// When the grant was created.
        created_at: SystemTime,
        /// When the grant was last used.
        last_used_at: Option<SystemTime>,
        /// `user`, `system` or `agent`.
        principal_type: String,
        /// `ownership` or `oauth_delegation`.
        access_via: String,
        /// When the grant was delegated.
        delegated_at: Option<SystemTime>,
        /// Agents the grant is delegated to.
        delegated_agent_ids: Vec<String>,
        /// The grant's label.
        label: Option<String>,
        /// The credential served.
        credential_id: Option<String>,
        /// The parent grant of a delegated grant.
        parent_grant_id: Option<String>,
        /// The grant's policy.
        grant_policy: Option<GrantPolicy>,
        /// Delegation depth.
        depth: i64,
        /// Whether the grant can be delegated.
        delegable: bool,
        /// Scope constraint, if any.
        scope_constraint: Option<Vec<String>>,
    },
    /// A grant of a kind this version does not know, kept with its raw fields.
    Unknown {
        /// Always `unknown`.
        grant_kind: String,
        /// The `grant_kind` the server sent (null if it sent none).
        raw_grant_kind: Option<String>,
        /// The grant's id (`""` when the server sent none, as in Python and TypeScript, so the
        /// id is a `String` on every variant).
        grant_id: String,
        /// The grant's label, when it is a string.
        label: Option<String>,
        /// The grant's status, when it is a string.
        status: Option<String>,
        /// Every field as received: wire name → the value's JSON text.
        fields: HashMap<String, String>,
    },
}

impl From<grantline::GrantItem> for GrantItem {
    fn from(item: grantline::GrantItem) -> Self {
        use grantline::GrantItem as G;
        match item {
            G::ManagedSecret(g) => GrantItem::ManagedSecret {
                grant_kind: "managed_secret".to_owned(),
                grant_id: g.grant_id,
                managed_secret_id: g.managed_secret_id,
                managed_secret_slug: g.managed_secret_slug,
                managed_secret_name: g.managed_secret_name,
                agent_id: g.agent_id,
                account_identifier: g.account_identifier,
                status: g.status,
                expires_at: opt_at(g.expires_at),
                grant_expires_at: opt_at(g.grant_expires_at),
                created_at: at(g.created_at),
                last_used_at: opt_at(g.last_used_at),
                principal_type: g.principal_type,
                access_via: g.access_via,
                delegated_at: opt_at(g.delegated_at),
                label: g.label,
                credential_id: g.credential_id,
                parent_grant_id: g.parent_grant_id,
                grant_policy: g.grant_policy.map(Into::into),
                depth: g.depth,
                delegable: g.delegable,
                scope_constraint: g.scope_constraint,
                credential_kind: g.credential_kind.map(|k| {
                    match k {
                        grantline::CredentialKind::Developer => "developer",
                        grantline::CredentialKind::EndUser => "end_user",
                    }
                    .to_owned()
                }),
                credential_label: g.credential_label,
            },
            G::OAuth(g) => GrantItem::OAuth {
                grant_kind: "oauth".to_owned(),
                grant_id: g.grant_id,
                provider_id: g.provider_id,
                scopes: g.scopes,
                account_identifier: g.account_identifier,
                account_display_name: g.account_display_name,
                api_base_url: g.api_base_url,
                status: g.status,
                scope_mismatch: g.scope_mismatch,
                needs_reconnect: g.needs_reconnect,
                expires_at: opt_at(g.expires_at),
                grant_expires_at: opt_at(g.grant_expires_at),
                created_at: at(g.created_at),
                last_used_at: opt_at(g.last_used_at),
                principal_type: g.principal_type,
                access_via: g.access_via,
                delegated_at: opt_at(g.delegated_at),
                delegated_agent_ids: g.delegated_agent_ids,
                label: g.label,
                credential_id: g.credential_id,
                parent_grant_id: g.parent_grant_id,
                grant_policy: g.grant_policy.map(Into::into),
                depth: g.depth,
                delegable: g.delegable,
                scope_constraint: g.scope_constraint,
            },
            G::Unknown(u) => {
                let text = |name: &str| {
                    u.fields
                        .get(name)
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                };
                GrantItem::Unknown {
                    grant_kind: "unknown".to_owned(),
                    grant_id: text("grant_id").unwrap_or_default(),
                    label: text("label"),
                    status: text("status"),
                    raw_grant_kind: u.grant_kind,
                    fields: u
                        .fields
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_string()))
                        .collect(),
                }
            }
        }
    }
}

/// What `mintGrant` returns: the new sibling grant.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GrantInfo {
    /// The new grant's id.
    pub grant_id: String,
    /// The OAuth provider id or managed-secret slug.
    pub provider_id: String,
    /// The grant's scopes (OAuth).
    pub scopes: Vec<String>,
    /// Account identifier.
    pub account_identifier: Option<String>,
    /// Account display name.
    pub account_display_name: Option<String>,
    /// The provider's API origin (a bare `https://` origin, else null).
    pub api_base_url: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    /// Whether the grant lacks scopes the provider now asks for.
    pub scope_mismatch: bool,
    /// When the grant ends.
    pub expires_at: Option<SystemTime>,
    /// When the grant was created.
    pub created_at: SystemTime,
    /// When the grant was last used.
    pub last_used_at: Option<SystemTime>,
    /// `user`, `group`, `system` or `agent`.
    pub principal_type: String,
    /// The grant's label.
    pub label: Option<String>,
    /// The credential served.
    pub credential_id: Option<String>,
    /// The grant's policy.
    pub grant_policy: Option<GrantPolicy>,
}

impl From<grantline::GrantInfo> for GrantInfo {
    fn from(g: grantline::GrantInfo) -> Self {
        GrantInfo {
            grant_id: g.grant_id,
            provider_id: g.provider_id,
            scopes: g.scopes,
            account_identifier: g.account_identifier,
            account_display_name: g.account_display_name,
            api_base_url: g.api_base_url,
            status: g.status,
            scope_mismatch: g.scope_mismatch,
            expires_at: opt_at(g.expires_at),
            created_at: at(g.created_at),
            last_used_at: opt_at(g.last_used_at),
            principal_type: g.principal_type,
            label: g.label,
            credential_id: g.credential_id,
            grant_policy: g.grant_policy.map(Into::into),
        }
    }
}

/// What `delegate` returns: the delegation child grant.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DelegationResult {
    /// The child grant's id.
    pub grant_id: String,
    /// `oauth` or `managed_secret`.
    pub grant_kind: String,
    /// The grant the calling agent delegated.
    pub parent_grant_id: String,
    /// Hops from the credential's root grant (≥ 1).
    pub depth: i64,
    /// Whether the child may delegate onward.
    pub delegable: bool,
    /// The child's status.
    pub status: String,
    /// When the child ends.
    pub expires_at: Option<SystemTime>,
}

impl From<grantline::DelegationResult> for DelegationResult {
    fn from(d: grantline::DelegationResult) -> Self {
        DelegationResult {
            grant_id: d.grant_id,
            grant_kind: d.grant_kind,
            parent_grant_id: d.parent_grant_id,
            depth: d.depth,
            delegable: d.delegable,
            status: d.status,
            expires_at: opt_at(d.expires_at),
        }
    }
}

/// One header of a [`NativeProviderResponse`], as received.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NativeHeader {
    /// The name, in lower case.
    pub name: String,
    /// The value.
    pub value: String,
}

/// What `request` returns, as the native library hands it over; the Kotlin layer wraps it in its
/// `ProviderResponse` (headers joined by name, `text()`), as Node's does.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct NativeProviderResponse {
    /// The HTTP status.
    pub status: u16,
    /// The headers in the order received (a repeated header repeats).
    pub headers: Vec<NativeHeader>,
    /// The body, unchanged.
    pub body: Vec<u8>,
    /// The grant the call used.
    pub grant_id: String,
}

impl std::fmt::Debug for NativeProviderResponse {
    // The body is the provider's, not ours to print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeProviderResponse")
            .field("status", &self.status)
            .field("headers", &self.headers.len())
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("grant_id", &self.grant_id)
            .finish()
    }
}

impl From<grantline::ProviderResponse> for NativeProviderResponse {
    fn from(r: grantline::ProviderResponse) -> Self {
        NativeProviderResponse {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| NativeHeader { name, value })
                .collect(),
            body: r.body.to_vec(),
            grant_id: r.grant_id,
        }
    }
}
