//! Grants as the wire shows them: the create result and the two list item kinds.

use crate::clock::wire_time;
use crate::store::{GrantRec, GrantView};
use serde_json::{Value, json};

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

/// One item of a listing.
pub fn list_item(v: &GrantView, now: i64) -> Value {
    let g = &v.grant;
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
            "status": g.status(now),
            "scope_mismatch": false,
            "needs_reconnect": false,
            "expires_at": null,
            "grant_expires_at": g.grant_expires_at.map(wire_time),
            "created_at": wire_time(g.created_at),
            "last_used_at": null,
            "principal_type": g.principal_type,
            "access_via": "ownership",
            "delegated_at": null,
            "delegated_agent_ids": [],
            "label": g.label,
            "credential_id": null,
            "parent_grant_id": null,
            "grant_policy": policy_json(g),
            "depth": 0,
            "delegable": false,
            "scope_constraint": null,
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
            "status": g.status(now),
            "expires_at": null,
            "grant_expires_at": g.grant_expires_at.map(wire_time),
            "created_at": wire_time(g.created_at),
            "last_used_at": null,
            "principal_type": g.principal_type,
            "access_via": "ownership",
            "delegated_at": null,
            "label": g.label,
            "credential_id": g.credential_id,
            "parent_grant_id": null,
            "grant_policy": policy_json(g),
            "depth": 0,
            "delegable": false,
            "scope_constraint": null,
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
