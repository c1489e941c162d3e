//! Create, list and revoke grants (docs/wire.md §3.1–3.3, docs/domain.md).

use super::principal::{PrincipalIn, ResolvedPrincipal};
use super::{ApiError, Policy, Service, canonical_uuid, check_len, views};
use super::{Caller, CallerKind, NonceClaim};
use crate::clock::wire_time;
use crate::store::{AuditRec, GrantRec, ListQuery, StatusFilter, StoreError, Visibility};
use serde::Deserialize;
use serde_json::{Value, json};

/// Body of `POST /sdk/managed-secrets/{id}/grants`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateGrantBody {
    pub principal: PrincipalIn,
    #[serde(default)]
    pub grant_policy: Option<Value>,
    #[serde(default)]
    pub credential_id: Option<String>,
}

fn default_limit() -> i64 {
    100
}

/// Body of `POST /sdk/grants/list`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListGrantsBody {
    #[serde(default = "default_limit")]
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub user_token: Option<String>,
}

/// Body of `POST /sdk/oauth/grants/{id}/revoke`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeGrantBody {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub user_token: Option<String>,
}

/// The key that makes two live grants siblings: same kind, provider, principal and label.
pub fn sibling_key_for(
    app_id: &str,
    kind: &str,
    provider: &str,
    principal_type: &str,
    principal_ref: Option<&str>,
    label: Option<&str>,
) -> Option<String> {
    label.map(|label| {
        format!(
            "{app_id}|{kind}|{provider}|{principal_type}|{}|{label}",
            principal_ref.unwrap_or("")
        )
    })
}

fn sibling_key(app_id: &str, kind: &str, provider: &str, p: &ResolvedPrincipal) -> Option<String> {
    sibling_key_for(
        app_id,
        kind,
        provider,
        p.principal_type,
        p.principal_ref.as_deref(),
        p.label.as_deref(),
    )
}

/// Maps a store conflict on insert to 409 `sibling_label_conflict`.
pub fn map_insert_error(e: StoreError, label: Option<&str>) -> ApiError {
    match e {
        StoreError::Conflict("sibling_label") => ApiError::new(
            409,
            "sibling_label_conflict",
            format!(
                "this principal already holds an active grant labelled {:?} on this provider",
                label.unwrap_or("")
            ),
        )
        .with("label", label.map(str::to_string)),
        other => other.into(),
    }
}

impl Service {
    /// `POST /sdk/managed-secrets/{id}/grants`.
    /// The request's nonce is remembered in the grant's transaction.
    pub async fn create_grant(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        managed_secret_id: &str,
        body: CreateGrantBody,
    ) -> Result<Value, ApiError> {
        body.principal.validate()?;
        if let Some(c) = &body.credential_id {
            check_len("credential_id", c, 1, 255)?;
        }
        let not_found = || {
            ApiError::new(
                404,
                "managed_secret_not_found",
                "no managed secret with this id in this app",
            )
        };
        let ms_id = canonical_uuid(managed_secret_id).ok_or_else(not_found)?;
        let ms = self
            .store
            .get_managed_secret(&caller.app_id, &ms_id)
            .await?
            .ok_or_else(not_found)?;

        // Agents issue grants only for themselves; the agent principal needs an agent caller.
        if matches!(caller.kind, CallerKind::Agent { .. })
            && !matches!(body.principal, PrincipalIn::Agent { .. })
        {
            return Err(ApiError::new(
                403,
                "agent_self_grant_only",
                "an agent may only create grants whose principal is itself (AgentPrincipal)",
            ));
        }

        let now = self.now_micros();
        let policy = Policy::parse(body.grant_policy.as_ref(), now)?;
        let principal = self.resolve_principal(caller, &body.principal).await?;
        let credential_id = self
            .choose_credential(&ms.id, body.credential_id.as_deref())
            .await?;
        let app = self
            .store
            .get_app(&caller.app_id)
            .await?
            .ok_or_else(|| ApiError::internal("caller's app vanished"))?;

        let grant = GrantRec {
            id: super::new_id(),
            app_id: caller.app_id.clone(),
            kind: "managed_secret".into(),
            provider_slug: ms.slug.clone(),
            managed_secret_id: Some(ms.id.clone()),
            credential_id: Some(credential_id),
            principal_type: principal.principal_type.into(),
            principal_ref: principal.principal_ref.clone(),
            principal_subject: principal.subject.clone(),
            idp_id: principal.idp_id.clone(),
            label: principal.label.clone(),
            sibling_key: sibling_key(&caller.app_id, "managed_secret", &ms.id, &principal),
            account_identifier: None,
            account_display_name: None,
            scopes: None,
            grant_policy: (!policy.is_empty()).then(|| policy.to_json().to_string()),
            grant_expires_at: policy.grant_expires_at(now, app.max_ttl_seconds),
            created_at: now,
            revoked_at: None,
            revoke_reason: None,
            created_by: caller.audit_actor.clone(),
            chain: Default::default(),
        };
        let audit = AuditRec {
            id: super::new_id(),
            app_id: grant.app_id.clone(),
            actor: caller.audit_actor.clone(),
            action: "grant.create".into(),
            grant_id: Some(grant.id.clone()),
            principal_type: Some(grant.principal_type.clone()),
            principal: Some(principal.audit_text()),
            label: grant.label.clone(),
            reason: None,
            at: now,
        };
        self.store
            .create_grant(&grant, &audit, nonce.take())
            .await
            .map_err(|e| map_insert_error(e, grant.label.as_deref()))?;
        Ok(views::created(&grant))
    }

    /// The credential a new grant serves: the named one, or the provider's only active
    /// developer credential.
    async fn choose_credential(
        &self,
        managed_secret_id: &str,
        requested: Option<&str>,
    ) -> Result<String, ApiError> {
        let creds = self.store.list_credentials(managed_secret_id).await?;
        if let Some(req) = requested {
            let not_found = || {
                ApiError::new(
                    404,
                    "credential_not_found",
                    "credential_id is not an active credential of this managed secret",
                )
            };
            let id = canonical_uuid(req).ok_or_else(not_found)?;
            let cred = creds
                .iter()
                .find(|c| c.id == id && c.status == "active")
                .ok_or_else(not_found)?;
            if cred.kind != "developer" {
                return Err(ApiError::new(
                    409,
                    "end_user_credential_not_assignable",
                    "an end-user credential cannot be assigned to a grant",
                ));
            }
            return Ok(cred.id.clone());
        }
        let devs: Vec<_> = creds
            .iter()
            .filter(|c| c.kind == "developer" && c.status == "active")
            .collect();
        match devs.as_slice() {
            [] => Err(ApiError::new(
                404,
                "credential_not_found",
                "this managed secret has no active developer credential",
            )),
            [one] => Ok(one.id.clone()),
            many => {
                let list: Vec<Value> = many
                    .iter()
                    .map(|c| json!({"id": c.id, "label": c.label}))
                    .collect();
                Err(ApiError::new(
                    409,
                    "credential_id_required",
                    "this managed secret holds several developer credentials; pass credential_id",
                )
                .with("details", json!({ "credentials": list })))
            }
        }
    }

    /// `POST /sdk/grants/list`.
    pub async fn list_grants(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        body: ListGrantsBody,
    ) -> Result<Value, ApiError> {
        // The listing only reads: it runs while the nonce is written, and a replay's result is
        // dropped.
        let (remembered, listing) =
            tokio::join!(self.remember_nonce(nonce), self.listing(caller, body));
        remembered?;
        listing
    }

    async fn listing(&self, caller: &Caller, body: ListGrantsBody) -> Result<Value, ApiError> {
        if !(1..=1000).contains(&body.limit) {
            return Err(ApiError::invalid_request(
                "limit must be between 1 and 1000",
            ));
        }
        if body.offset < 0 {
            return Err(ApiError::invalid_request("offset must be 0 or more"));
        }
        if body.offset > 1_000_000_000 {
            return Err(ApiError::invalid_request("offset is too large"));
        }
        for (name, v) in [
            ("provider_id", &body.provider_id),
            ("account", &body.account),
            ("label", &body.label),
            ("status", &body.status),
        ] {
            if let Some(v) = v {
                check_len(name, v, 1, 1024)?;
            }
        }
        let status = match body.status.as_deref() {
            None => None,
            Some("active") => Some(StatusFilter::Active),
            Some("expired") => Some(StatusFilter::Expired),
            Some("revoked") => Some(StatusFilter::Revoked),
            Some(_) => {
                return Err(ApiError::invalid_request(
                    "status must be one of active, expired, revoked",
                ));
            }
        };
        let visibility = match (&caller.kind, body.user_token.as_deref()) {
            (CallerKind::Agent { agent_id }, token) => {
                if let Some(t) = token {
                    // Verified, but an agent only ever sees its own grants.
                    self.resolve_user(&caller.app_id, t).await?;
                }
                Visibility::Agent {
                    agent_id: agent_id.clone(),
                }
            }
            (CallerKind::App, Some(t)) => self.resolve_user(&caller.app_id, t).await?.visibility(),
            (CallerKind::App, None) => Visibility::App,
        };
        let now = self.now_micros();
        let query = ListQuery {
            app_id: caller.app_id.clone(),
            visibility,
            provider: body.provider_id,
            status,
            account: body.account,
            label: body.label,
            limit: body.limit,
            offset: body.offset,
            now,
        };
        let (rows, total) = self.store.list_grants(&query).await?;
        let page = self.page_context(&caller.app_id, &rows).await?;
        let grants: Vec<Value> = rows
            .iter()
            .map(|v| views::list_item(v, now, &page))
            .collect();
        let has_more = body.offset + (grants.len() as i64) < total;
        Ok(json!({
            "grants": grants,
            "total": total,
            "limit": body.limit,
            "offset": body.offset,
            "has_more": has_more,
        }))
    }

    /// `POST /sdk/oauth/grants/{id}/revoke` (both grant kinds; app callers only).
    pub async fn revoke_grant(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        grant_id: &str,
        body: RevokeGrantBody,
    ) -> Result<Value, ApiError> {
        self.remember_nonce(nonce).await?;
        if matches!(caller.kind, CallerKind::Agent { .. }) {
            return Err(ApiError::new(
                403,
                "permission_denied",
                "only app callers may revoke grants",
            ));
        }
        if let Some(r) = &body.reason {
            check_len("reason", r, 0, 1024)?;
        }
        let id = canonical_uuid(grant_id).ok_or_else(ApiError::grant_not_found)?;
        let view = self
            .store
            .get_grant(&caller.app_id, &id)
            .await?
            .ok_or_else(ApiError::grant_not_found)?;
        let g = view.grant;
        if let Some(t) = body.user_token.as_deref() {
            let user = self.resolve_user(&caller.app_id, t).await?;
            if !user.sees(&g.principal_type, g.principal_ref.as_deref()) {
                return Err(ApiError::grant_not_found());
            }
        }
        let revoked = || {
            ApiError::new(403, "grant_revoked", "this grant is already revoked")
                .with("grant_id", id.clone())
        };
        if g.revoked_at.is_some() {
            return Err(revoked());
        }
        let now = self.now_micros();
        let audit = AuditRec {
            id: super::new_id(),
            app_id: caller.app_id.clone(),
            actor: caller.audit_actor.clone(),
            action: "grant.revoke".into(),
            grant_id: Some(id.clone()),
            principal_type: Some(g.principal_type.clone()),
            principal: Some(match g.principal_type.as_str() {
                "system" => "system".to_string(),
                t => format!("{t}:{}", g.principal_subject),
            }),
            label: g.label.clone(),
            reason: body.reason.clone(),
            at: now,
        };
        if !self
            .store
            .revoke_grant(&caller.app_id, &id, body.reason.as_deref(), &audit)
            .await?
        {
            return Err(revoked());
        }
        Ok(json!({
            "success": true,
            "message": "Grant revoked",
            "grant_id": id,
            "revoked_at": wire_time(now),
        }))
    }
}
