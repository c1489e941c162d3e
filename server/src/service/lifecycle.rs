//! The rest of a grant's life (docs/domain.md, "Minting and delegation"; docs/wire.md §3):
//! minting a sibling grant, delegating a grant to another agent, revoking a delegation, and what
//! a listing shows of delegation chains.
//!
//! A delegation is a grant row of its own whose principal is the agent it was handed to, with
//! its place in the chain (`parent_grant_id`, `root_grant_id`, `depth`, `delegable`,
//! `scope_constraint`, `chain_agents`): listing, counts, revocation and the audit log treat it
//! like any grant. The rules that need the database at the moment of writing (the parent still
//! live, one live delegation per agent) are checked by the store under the chain's root row.

use super::grants::{map_insert_error, sibling_key_for};
use super::views::{self, PageContext};
use super::{ApiError, Caller, CallerKind, NonceClaim, Policy, Service, canonical_uuid, check_len};
use crate::store::{AuditRec, ChainFields, GrantRec, GrantView, StoreError};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// How deep a chain goes: the grant an app issued is depth 0, its delegations 1, 2, 3. A
/// delegation at this depth cannot be made delegable (`no_onward_hop`).
pub const MAX_DELEGATION_DEPTH: i64 = 3;
/// At most this many scopes in a `scope_constraint`, each at most this long.
const MAX_SCOPE_ATOMS: usize = 100;
const MAX_SCOPE_ATOM_LEN: usize = 512;
/// At most this many `grant_tags` on a mint, each 1 to 64 characters.
const MAX_TAGS: usize = 20;
/// The longest delegation TTL accepted (100 years, as grant policies).
const MAX_TTL_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// Body of `POST /sdk/grants/{id}/mint`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintGrantBody {
    pub label: String,
    #[serde(default)]
    pub grant_policy: Option<Value>,
    #[serde(default)]
    pub grant_tags: Option<Vec<String>>,
}

/// Body of `POST /sdk/grants/{id}/delegate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateBody {
    pub to_agent_id: String,
    #[serde(default)]
    pub delegable: Option<bool>,
    #[serde(default)]
    pub scope_constraint: Option<Vec<String>>,
    #[serde(default)]
    pub ttl_seconds: Option<i64>,
}

fn not_delegable(reason: &'static str, message: &str) -> ApiError {
    ApiError::new(403, "grant_not_delegable", message).with("detail_reason", reason)
}

fn invalid_scope(message: impl Into<String>) -> ApiError {
    ApiError::new(422, "invalid_scope_constraint", message)
}

fn agent_not_found() -> ApiError {
    ApiError::new(
        404,
        "agent_not_found",
        "to_agent_id names no active agent of this app",
    )
}

fn revoked(id: &str) -> ApiError {
    ApiError::new(403, "grant_revoked", "this grant is revoked").with("grant_id", id)
}

fn expired() -> ApiError {
    ApiError::new(403, "grant_expired", "this grant has expired")
}

/// An RFC 6749 scope-token: printable ASCII except space, `"` and `\`.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SCOPE_ATOM_LEN
        && s != "*"
        && s.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

fn json_strings(text: Option<&str>) -> Option<Vec<String>> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

impl Service {
    /// `POST /sdk/grants/{id}/mint`: a sibling of grant `source_id` (same credential binding,
    /// same principal) with its own label and policy. Apps only.
    pub async fn mint_grant(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        source_id: &str,
        body: MintGrantBody,
    ) -> Result<Value, ApiError> {
        if matches!(caller.kind, CallerKind::Agent { .. }) {
            return Err(ApiError::new(
                403,
                "agents_cannot_mint",
                "agents cannot mint grants: an app key mints a sibling grant",
            ));
        }
        check_len("label", &body.label, 1, 255)?;
        let tags = match &body.grant_tags {
            None => None,
            Some(tags) => {
                if tags.len() > MAX_TAGS {
                    return Err(ApiError::invalid_request(format!(
                        "grant_tags holds at most {MAX_TAGS} tags"
                    )));
                }
                for t in tags {
                    check_len("grant_tags[]", t, 1, 64)?;
                }
                Some(serde_json::to_string(tags).expect("strings serialize"))
            }
        };
        let now = self.now_micros();
        let policy = Policy::parse(body.grant_policy.as_ref(), now)?;
        if policy.default_ttl_seconds.is_some() {
            return Err(ApiError::new(
                422,
                "invalid_grant_policy",
                "a minted grant's policy takes no default_ttl_seconds",
            ));
        }
        let id = canonical_uuid(source_id).ok_or_else(ApiError::grant_not_found)?;
        let src = self
            .store
            .get_grant(&caller.app_id, &id)
            .await?
            .ok_or_else(ApiError::grant_not_found)?
            .grant;
        match src.status(now) {
            "revoked" => return Err(revoked(&id)),
            "expired" => return Err(expired()),
            _ => {}
        }
        if src.is_delegation() {
            return Err(ApiError::new(
                403,
                "mint_source_is_delegation",
                "a delegation cannot be minted from: mint from the grant the app issued",
            ));
        }
        let app = self
            .store
            .get_app(&caller.app_id)
            .await?
            .ok_or_else(|| ApiError::internal("caller's app vanished"))?;
        let provider_key = src
            .managed_secret_id
            .as_deref()
            .unwrap_or(&src.provider_slug);
        let grant = GrantRec {
            id: super::new_id(),
            app_id: caller.app_id.clone(),
            kind: src.kind.clone(),
            provider_slug: src.provider_slug.clone(),
            managed_secret_id: src.managed_secret_id.clone(),
            credential_id: src.credential_id.clone(),
            principal_type: src.principal_type.clone(),
            principal_ref: src.principal_ref.clone(),
            principal_subject: src.principal_subject.clone(),
            idp_id: src.idp_id.clone(),
            label: Some(body.label.clone()),
            sibling_key: sibling_key_for(
                &caller.app_id,
                &src.kind,
                provider_key,
                &src.principal_type,
                src.principal_ref.as_deref(),
                Some(&body.label),
            ),
            account_identifier: src.account_identifier.clone(),
            account_display_name: src.account_display_name.clone(),
            scopes: src.scopes.clone(),
            grant_policy: (!policy.is_empty()).then(|| policy.to_json().to_string()),
            grant_expires_at: policy.grant_expires_at(now, app.max_ttl_seconds),
            created_at: now,
            revoked_at: None,
            revoke_reason: None,
            created_by: caller.audit_actor.clone(),
            chain: ChainFields {
                grant_tags: tags,
                ..ChainFields::default()
            },
        };
        let audit = AuditRec {
            id: super::new_id(),
            app_id: grant.app_id.clone(),
            actor: caller.audit_actor.clone(),
            action: "grant.mint".into(),
            grant_id: Some(grant.id.clone()),
            principal_type: Some(grant.principal_type.clone()),
            principal: Some(principal_text(&grant)),
            label: grant.label.clone(),
            reason: Some(format!("minted from grant {id}")),
            at: now,
        };
        self.store
            .create_grant(&grant, &audit, nonce.take())
            .await
            .map_err(|e| map_insert_error(e, grant.label.as_deref()))?;
        let mut info = views::grant_info(&grant, now);
        info["source_grant_id"] = id.into();
        Ok(info)
    }

    /// `POST /sdk/grants/{id}/delegate`: the calling agent hands a grant it holds to another
    /// active agent of its app, one level deeper; never longer-lived, wider or deeper than its
    /// parent allows.
    pub async fn delegate(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        grant_id: &str,
        body: DelegateBody,
    ) -> Result<Value, ApiError> {
        self.remember_nonce(nonce).await?;
        let Some(me) = caller.agent_id() else {
            return Err(ApiError::new(
                403,
                "agent_key_required",
                "only an agent delegates a grant it holds: use an agent key",
            ));
        };
        check_len("to_agent_id", &body.to_agent_id, 1, 255)?;
        if let Some(ttl) = body.ttl_seconds
            && !(1..=MAX_TTL_SECONDS).contains(&ttl)
        {
            return Err(ApiError::invalid_request(
                "ttl_seconds must be a positive integer (at most 100 years)",
            ));
        }
        let now = self.now_micros();
        // The parent: a grant the caller holds (any other is "not found", opaque).
        let id = canonical_uuid(grant_id).ok_or_else(ApiError::grant_not_found)?;
        let parent = self
            .store
            .get_grant(&caller.app_id, &id)
            .await?
            .map(|v| v.grant)
            .filter(|g| g.principal_type == "agent" && g.principal_ref.as_deref() == Some(me))
            .ok_or_else(ApiError::grant_not_found)?;
        match parent.status(now) {
            "revoked" => return Err(revoked(&id)),
            "expired" => return Err(expired()),
            _ => {}
        }
        let inactive = self.inactive_agents(&caller.app_id, &[&parent]).await?;
        if parent.chain_agent_ids().any(|a| inactive.contains(a)) {
            return Err(not_delegable(
                "chain_suspended",
                "an agent that handed this grant down is paused or revoked",
            ));
        }
        if !parent.is_delegable() {
            return Err(not_delegable(
                "holder_not_delegable",
                "this grant was handed down without the right to delegate it onward",
            ));
        }
        let depth = parent.chain.depth + 1;
        let delegable = body.delegable.unwrap_or(false);
        if depth > MAX_DELEGATION_DEPTH || (delegable && depth >= MAX_DELEGATION_DEPTH) {
            return Err(not_delegable(
                "no_onward_hop",
                "a delegable child would exceed the chain's depth ceiling",
            ));
        }
        // The agent it goes to: active, of this app, not the caller, not up this chain.
        let to = canonical_uuid(&body.to_agent_id).ok_or_else(agent_not_found)?;
        if to == me || parent.chain_agent_ids().any(|a| a == to) {
            return Err(ApiError::new(
                422,
                "invalid_delegation_target",
                "a grant is delegated to another agent, never to itself or back up its chain",
            ));
        }
        match self.store.get_agent(&caller.app_id, &to).await? {
            Some(a) if a.status == "active" => {}
            _ => return Err(agent_not_found()),
        }
        // Scopes: narrowed, never widened; without a constraint the parent's is inherited.
        let parent_scopes = json_strings(parent.scopes.as_deref()).unwrap_or_default();
        let parent_effective =
            json_strings(parent.chain.scope_constraint.as_deref()).unwrap_or(parent_scopes);
        let constraint = match body.scope_constraint {
            None => parent.chain.scope_constraint.clone(),
            Some(atoms) => {
                if parent.kind != "oauth" {
                    return Err(invalid_scope(
                        "a managed-secret grant has no provider scopes to narrow",
                    ));
                }
                if atoms.is_empty() || atoms.len() > MAX_SCOPE_ATOMS {
                    return Err(invalid_scope(format!(
                        "scope_constraint holds 1 to {MAX_SCOPE_ATOMS} scopes"
                    )));
                }
                let mut seen = HashSet::new();
                let mut kept = Vec::new();
                for a in atoms {
                    if !is_scope_token(&a) {
                        return Err(invalid_scope(format!(
                            "{a:?} is not a scope (printable ASCII without spaces, not \"*\")"
                        )));
                    }
                    if !parent_effective.contains(&a) {
                        return Err(invalid_scope(format!(
                            "{a:?} is not within the parent grant's scopes: a delegation only narrows"
                        )));
                    }
                    if seen.insert(a.clone()) {
                        kept.push(a);
                    }
                }
                Some(serde_json::to_string(&kept).expect("strings serialize"))
            }
        };
        // Lifetime: the earliest of the TTL, the parent's end and the app's ceiling.
        let app = self
            .store
            .get_app(&caller.app_id)
            .await?
            .ok_or_else(|| ApiError::internal("caller's app vanished"))?;
        let ttl_end = |s: i64| now.saturating_add(s.saturating_mul(1_000_000));
        let expires = [
            body.ttl_seconds.map(ttl_end),
            parent.grant_expires_at,
            app.max_ttl_seconds.filter(|c| *c > 0).map(ttl_end),
        ]
        .into_iter()
        .flatten()
        .min();
        let chain_agents = parent
            .chain_agent_ids()
            .chain(std::iter::once(me))
            .collect::<Vec<_>>()
            .join(" ");
        let child = GrantRec {
            id: super::new_id(),
            app_id: caller.app_id.clone(),
            kind: parent.kind.clone(),
            provider_slug: parent.provider_slug.clone(),
            managed_secret_id: parent.managed_secret_id.clone(),
            credential_id: parent.credential_id.clone(),
            principal_type: "agent".into(),
            principal_ref: Some(to.clone()),
            principal_subject: to.clone(),
            idp_id: None,
            label: parent.label.clone(),
            sibling_key: None,
            account_identifier: parent.account_identifier.clone(),
            account_display_name: parent.account_display_name.clone(),
            scopes: parent.scopes.clone(),
            grant_policy: None,
            grant_expires_at: expires,
            created_at: now,
            revoked_at: None,
            revoke_reason: None,
            created_by: caller.audit_actor.clone(),
            chain: ChainFields {
                parent_grant_id: Some(parent.id.clone()),
                root_grant_id: Some(parent.root_id().to_string()),
                depth,
                delegable: delegable as i64,
                scope_constraint: constraint,
                chain_agents: Some(chain_agents),
                grant_tags: None,
            },
        };
        let audit = AuditRec {
            id: super::new_id(),
            app_id: child.app_id.clone(),
            actor: caller.audit_actor.clone(),
            action: "grant.delegate".into(),
            grant_id: Some(child.id.clone()),
            principal_type: Some("agent".into()),
            principal: Some(principal_text(&child)),
            label: child.label.clone(),
            reason: Some(format!("delegated from grant {id}")),
            at: now,
        };
        match self.store.delegate_grant(&child, &audit).await {
            Ok(()) => Ok(views::delegation(&child, now)),
            Err(StoreError::Conflict("parent_revoked")) => Err(revoked(&id)),
            Err(StoreError::Conflict("delegation_exists")) => {
                let existing = self
                    .store
                    .find_delegation(&caller.app_id, &id, &to)
                    .await?
                    .map(|g| g.id);
                Err(ApiError::new(
                    409,
                    "delegation_exists",
                    "this grant is delegated to this agent already: revoke that delegation first",
                )
                .with("existing_grant_id", existing))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `DELETE /sdk/grants/{id}/delegations/{agent_id}` (an app names the agent) and
    /// `DELETE /sdk/grants/{id}/delegations/me` (an agent, its own): revokes that delegation and
    /// every delegation below it; the grant itself stays. Idempotent: no live delegation is no
    /// error.
    pub async fn revoke_delegation(
        &self,
        caller: &Caller,
        nonce: &NonceClaim,
        grant_id: &str,
        whose: &str,
    ) -> Result<(), ApiError> {
        self.remember_nonce(nonce).await?;
        let agent = match (&caller.kind, whose) {
            (CallerKind::App, "me") => {
                return Err(ApiError::new(
                    403,
                    "agent_key_required",
                    "delegations/me revokes the calling agent's own delegation: use an agent key",
                ));
            }
            (CallerKind::Agent { .. }, w) if w != "me" => {
                return Err(ApiError::new(
                    403,
                    "use_self_revoke_path",
                    "an agent revokes only its own delegation, at delegations/me",
                ));
            }
            (CallerKind::Agent { agent_id }, _) => agent_id.clone(),
            (CallerKind::App, w) => canonical_uuid(w).ok_or_else(|| {
                ApiError::new(404, "agent_not_found", "agent_id is not an agent id")
            })?,
        };
        let id = canonical_uuid(grant_id).ok_or_else(ApiError::grant_not_found)?;
        let grant = self
            .store
            .get_grant(&caller.app_id, &id)
            .await?
            .ok_or_else(ApiError::grant_not_found)?
            .grant;
        // The delegation of this grant to that agent; an agent may also name its delegation
        // itself.
        let target = match self
            .store
            .find_delegation(&caller.app_id, &id, &agent)
            .await?
        {
            Some(child) => Some(child),
            None if grant.is_delegation()
                && grant.principal_ref.as_deref() == Some(agent.as_str())
                && grant.revoked_at.is_none()
                && caller.agent_id().is_some() =>
            {
                Some(grant)
            }
            None => None,
        };
        let Some(child) = target else {
            return Ok(());
        };
        let audit = AuditRec {
            id: super::new_id(),
            app_id: caller.app_id.clone(),
            actor: caller.audit_actor.clone(),
            action: "delegation.revoke".into(),
            grant_id: Some(child.id.clone()),
            principal_type: Some("agent".into()),
            principal: Some(principal_text(&child)),
            label: child.label.clone(),
            reason: Some(format!(
                "delegation of grant {} revoked",
                child.chain.parent_grant_id.as_deref().unwrap_or("")
            )),
            at: self.now_micros(),
        };
        // false: revoked meanwhile by someone else, which is what was asked.
        self.store
            .revoke_grant(
                &caller.app_id,
                &child.id,
                Some("delegation revoked"),
                &audit,
            )
            .await?;
        Ok(())
    }

    /// The agents among those of `grants`' chains that are not active (paused, revoked, gone).
    async fn inactive_agents(
        &self,
        app_id: &str,
        grants: &[&GrantRec],
    ) -> Result<HashSet<String>, ApiError> {
        let mut ids: Vec<String> = grants
            .iter()
            .flat_map(|g| g.chain_agent_ids())
            .map(str::to_string)
            .collect();
        ids.sort();
        ids.dedup();
        let mut inactive = HashSet::new();
        for a in ids {
            let active = self
                .store
                .get_agent(app_id, &a)
                .await?
                .is_some_and(|r| r.status == "active");
            if !active {
                inactive.insert(a);
            }
        }
        Ok(inactive)
    }

    /// What a listing's page shows of delegation chains: suspended delegations, and the agents
    /// an agent's OAuth grant is delegated to. Reads nothing for a page without either.
    pub(super) async fn page_context(
        &self,
        app_id: &str,
        rows: &[GrantView],
    ) -> Result<PageContext, ApiError> {
        let grants: Vec<&GrantRec> = rows.iter().map(|v| &v.grant).collect();
        let inactive_agents = self.inactive_agents(app_id, &grants).await?;
        let holders: Vec<String> = rows
            .iter()
            .map(|v| &v.grant)
            .filter(|g| g.kind == "oauth" && g.principal_type == "agent")
            .map(|g| g.id.clone())
            .collect();
        let mut delegated_to: HashMap<String, Vec<String>> = HashMap::new();
        for (parent, agent) in self.store.delegated_agents(app_id, &holders).await? {
            delegated_to.entry(parent).or_default().push(agent);
        }
        Ok(PageContext {
            inactive_agents,
            delegated_to,
        })
    }
}

/// How the audit log names a grant's principal.
fn principal_text(g: &GrantRec) -> String {
    match g.principal_type.as_str() {
        "system" => "system".to_string(),
        t => format!("{t}:{}", g.principal_subject),
    }
}
