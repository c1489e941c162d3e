//! Grants as the wire shows them: the create result and the two list item kinds.

use crate::clock::wire_time;
use crate::store::{GrantRec, GrantView};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// What a page of a listing knows besides its rows: which agents of the page's delegation
/// chains are not active, and whom each OAuth grant of the page is delegated to.
#[derive(Debug, Default)]
pub struct PageContext {
    pub inactive_agents: HashSet<String>,
    pub delegated_to: HashMap<String, Vec<String>>,
}

/// A grant's status at `now`: `revoked`, `expired`, `suspended` (a delegation one of whose
/// delegating agents is paused or revoked: it does not work while that lasts) or `active`.
pub fn status(g: &GrantRec, now: i64, inactive_agents: &HashSet<String>) -> &'static str {
    match g.status(now) {
        "active" if g.chain_agent_ids().any(|a| inactive_agents.contains(a)) => "suspended",
        s => s,
    }
}

fn json_list(text: Option<&str>) -> Value {
    text.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null)
}

/// `access_via` of a grant of `kind`: `ownership`, or how it was handed down.
fn access_via(g: &GrantRec) -> &'static str {
    match (g.is_delegation(), g.kind.as_str()) {
        (false, _) => "ownership",
        (true, "oauth") => "oauth_delegation",
        (true, _) => "ms_delegation",
    }
}

fn policy_json(g: &GrantRec) -> Value {
    g.grant_policy
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null)
}

fn agent_id(g: &GrantRec) -> Value {
    if g.principal_type == "agent" {
        g.principal_ref
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    }
}

/// The 201 body of a create.
pub fn created(g: &GrantRec) -> Value {
    json!({
        "grant_id": g.id,
        "principal_type": g.principal_type,
        "label": g.label,
        "created_at": wire_time(g.created_at),
        "credential_id": g.credential_id,
        "managed_secret_id": g.managed_secret_id,
        "grant_policy": policy_json(g),
        "grant_expires_at": g.grant_expires_at.map(wire_time),
        "agent_id": agent_id(g),
    })
}

/// The body of a mint (`GrantInfo`): the new sibling grant.
pub fn grant_info(g: &GrantRec, now: i64) -> Value {
    json!({
        "grant_id": g.id,
        "provider_id": g.provider_slug,
        "scopes": json_list(g.scopes.as_deref()).as_array().cloned().unwrap_or_default(),
        "account_identifier": g.account_identifier,
        "account_display_name": g.account_display_name,
        "api_base_url": null,
        "status": g.status(now),
        "scope_mismatch": false,
        "expires_at": g.grant_expires_at.map(wire_time),
        "created_at": wire_time(g.created_at),
        "last_used_at": null,
        "principal_type": g.principal_type,
        "label": g.label,
        "credential_id": g.credential_id,
        "grant_policy": policy_json(g),
        // grantline extras (the official client ignores unknown keys).
        "grant_kind": g.kind,
        "grant_tags": json_list(g.chain.grant_tags.as_deref()),
    })
}

/// The body of a delegation (`DelegationResult`): the child grant.
pub fn delegation(g: &GrantRec, now: i64) -> Value {
    json!({
        "grant_id": g.id,
        "grant_kind": g.kind,
        "parent_grant_id": g.chain.parent_grant_id,
        "depth": g.chain.depth,
        "delegable": g.is_delegable(),
        "status": g.status(now),
        "expires_at": g.grant_expires_at.map(wire_time),
        // grantline extras.
        "agent_id": agent_id(g),
        "scope_constraint": json_list(g.chain.scope_constraint.as_deref()),
    })
}

/// One item of a listing.
pub fn list_item(v: &GrantView, now: i64, page: &PageContext) -> Value {
    let g = &v.grant;
    let status = status(g, now, &page.inactive_agents);
    let delegated_at = g.is_delegation().then(|| wire_time(g.created_at));
    let scope_constraint = json_list(g.chain.scope_constraint.as_deref());
    let mut item = if g.kind == "oauth" {
        let scopes: Value = g
            .scopes
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_else(|| json!([]));
        json!({
            "grant_kind": "oauth",
            "grant_id": g.id,
            "provider_id": g.provider_slug,
            "scopes": scopes,
            "account_identifier": g.account_identifier,
            "account_display_name": g.account_display_name,
            "api_base_url": null,
            "status": status,
            "scope_mismatch": false,
            "needs_reconnect": false,
            "expires_at": null,
            "grant_expires_at": g.grant_expires_at.map(wire_time),
            "created_at": wire_time(g.created_at),
            "last_used_at": null,
            "principal_type": g.principal_type,
            "access_via": access_via(g),
            "delegated_at": delegated_at,
            "delegated_agent_ids": page.delegated_to.get(&g.id).cloned().unwrap_or_default(),
            "label": g.label,
            "credential_id": null,
            "parent_grant_id": g.chain.parent_grant_id,
            "grant_policy": policy_json(g),
            "depth": g.chain.depth,
            "delegable": g.is_delegable(),
            "scope_constraint": scope_constraint,
        })
    } else {
        json!({
            "grant_kind": "managed_secret",
            "grant_id": g.id,
            "managed_secret_id": g.managed_secret_id,
            "managed_secret_slug": v.ms_slug.as_deref().unwrap_or(&g.provider_slug),
            "managed_secret_name": v.ms_name.as_deref().unwrap_or(&g.provider_slug),
            "agent_id": agent_id(g),
            "account_identifier": g.account_identifier,
            "status": status,
            "expires_at": null,
            "grant_expires_at": g.grant_expires_at.map(wire_time),
            "created_at": wire_time(g.created_at),
            "last_used_at": null,
            "principal_type": g.principal_type,
            "access_via": access_via(g),
            "delegated_at": delegated_at,
            "label": g.label,
            "credential_id": g.credential_id,
            "parent_grant_id": g.chain.parent_grant_id,
            "grant_policy": policy_json(g),
            "depth": g.chain.depth,
            "delegable": g.is_delegable(),
            "scope_constraint": scope_constraint,
            "credential_kind": v.credential_kind,
            "credential_label": v.credential_label,
        })
    };
    // grantline extras (the official client ignores unknown keys).
    let m = item.as_object_mut().expect("object");
    m.insert("revoked_at".into(), g.revoked_at.map(wire_time).into());
    match g.principal_type.as_str() {
        "user" => {
            m.insert("app_user_id".into(), g.principal_ref.clone().into());
            m.insert("user_sub".into(), g.principal_subject.clone().into());
            m.insert("idp_id".into(), g.idp_id.clone().into());
        }
        "group" => {
            m.insert(
                "external_group_id".into(),
                g.principal_subject.clone().into(),
            );
            m.insert("idp_id".into(), g.idp_id.clone().into());
        }
        _ => {}
    }
    item
}
