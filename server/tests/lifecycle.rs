//! The rest of a grant's life (docs/domain.md, "Minting and delegation"): minting sibling
//! grants, delegating to other agents, revoking delegations, cascades, and what listings show.
//! Every rule is tested here, on the store under test (SQLite, or PostgreSQL through
//! `scripts/with-postgres.sh`).

mod common;

use common::*;
use grantline_server::admin::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// A new agent of the demo app, with a client on its key.
async fn new_agent(env: &Env, name: &str) -> (String, Client) {
    let id = env
        .admin()
        .create_agent(
            &env.t.app_id,
            CreateAgent {
                name: name.into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .agent_id;
    let key = env
        .admin()
        .mint_key(
            &env.t.app_id,
            MintKey {
                kind: "agent".into(),
                agent_id: Some(id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .key;
    (id, Client::new(&env.t.base_url, &key))
}

/// A managed-secret grant the agent `c` holds (its own), with a policy.
async fn own_grant(env: &Env, c: &Client, label: &str, policy: Value) -> String {
    let r = c
        .create(
            &env.t.managed_secret_id,
            json!({"principal": {"type": "agent", "label": label},
                   "grant_policy": policy}),
        )
        .await;
    r.expect(201, "");
    r.body["grant_id"].as_str().unwrap().to_string()
}

/// An OAuth grant held by `agent_id`, with `scopes`.
async fn oauth_grant(env: &Env, agent_id: &str, label: &str, scopes: &[&str]) -> String {
    env.admin()
        .provision_oauth_grant(
            &env.t.app_id,
            ProvisionOAuthGrant {
                provider_id: "github".into(),
                principal: OAuthPrincipal::Agent {
                    agent_id: agent_id.into(),
                },
                label: Some(label.into()),
                account_identifier: Some("octo@example.com".into()),
                account_display_name: Some("Octo".into()),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
            },
        )
        .await
        .unwrap()
        .grant_id
}

fn id_of(r: &Resp) -> String {
    r.body["grant_id"].as_str().unwrap().to_string()
}

/// Every grant `c` sees, by id.
async fn listed(c: &Client) -> HashMap<String, Value> {
    let r = c.list(json!({"limit": 1000})).await;
    r.expect(200, "");
    r.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["grant_id"].as_str().unwrap().to_string(), g.clone()))
        .collect()
}

async fn audit_actions(env: &Env) -> Vec<(String, Option<String>)> {
    env.admin()
        .audit(&env.t.app_id, 1000, 0)
        .await
        .unwrap()
        .records
        .into_iter()
        .map(|r| (r.action, r.grant_id))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Minting

#[tokio::test]
async fn mint_copies_the_binding_with_its_own_label_and_policy() {
    let env = Env::new().await;
    let app = env.app();
    // A credential whose value we know, to check it never shows.
    let ms = env
        .admin()
        .add_managed_secret(
            &env.t.app_id,
            AddManagedSecret {
                slug: "stripe".into(),
                name: "Stripe".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .managed_secret_id;
    let secret = "sk_live_do_not_leak_1234567890";
    let cred = env
        .admin()
        .add_credential(
            &env.t.app_id,
            &ms,
            AddCredential {
                label: "prod".into(),
                kind: "developer".into(),
                value: secret.into(),
            },
        )
        .await
        .unwrap()
        .credential_id;
    let src = app.create(&ms, Env::system("ops")).await;
    src.expect(201, "");
    let src = id_of(&src);

    let r = app
        .mint(
            &src,
            json!({"label": "ops-readonly", "grant_policy": {"max_ttl_seconds": 3600},
                   "grant_tags": ["ci", "readonly"]}),
        )
        .await;
    r.expect(201, "");
    assert!(!r.body.to_string().contains(secret));
    let b = &r.body;
    for k in [
        "grant_id",
        "provider_id",
        "scopes",
        "account_identifier",
        "account_display_name",
        "api_base_url",
        "status",
        "scope_mismatch",
        "expires_at",
        "created_at",
        "last_used_at",
        "principal_type",
        "label",
        "credential_id",
        "grant_policy",
    ] {
        assert!(b.as_object().unwrap().contains_key(k), "missing {k}: {b}");
    }
    let sibling = id_of(&r);
    assert_ne!(sibling, src);
    assert_eq!(b["credential_id"], cred.as_str());
    assert_eq!(b["provider_id"], "stripe");
    assert_eq!(b["principal_type"], "system");
    assert_eq!(b["label"], "ops-readonly");
    assert_eq!(b["status"], "active");
    assert_eq!(b["grant_policy"]["max_ttl_seconds"], 3600);
    assert!(b["expires_at"].is_string());
    assert_eq!(b["grant_tags"], json!(["ci", "readonly"]));
    assert_eq!(b["source_grant_id"], src.as_str());

    // Both are listed, each with its own label and policy; the source is unchanged.
    let all = listed(&app).await;
    assert_eq!(all[&src]["label"], "ops");
    assert!(all[&src]["grant_policy"].is_null());
    assert_eq!(all[&sibling]["label"], "ops-readonly");
    assert_eq!(all[&sibling]["credential_id"], cred.as_str());
    assert_eq!(all[&sibling]["access_via"], "ownership");
    assert!(!all.values().any(|g| g.to_string().contains(secret)));
    // Revoking the sibling leaves the source.
    app.revoke(&sibling, json!({})).await.expect(200, "");
    assert_eq!(listed(&app).await[&src]["status"], "active");

    assert!(
        audit_actions(&env)
            .await
            .contains(&("grant.mint".into(), Some(sibling)))
    );
}

#[tokio::test]
async fn mint_of_an_oauth_grant_copies_scopes_and_account() {
    let env = Env::new().await;
    let src = oauth_grant(&env, &env.t.agent_id, "gh", &["repo", "read:org"]).await;
    let r = env.app().mint(&src, json!({"label": "gh-2"})).await;
    r.expect(201, "");
    assert_eq!(r.body["scopes"], json!(["repo", "read:org"]));
    assert_eq!(r.body["account_identifier"], "octo@example.com");
    assert_eq!(r.body["principal_type"], "agent");
    // The agent holds both.
    let mine = listed(&env.agent()).await;
    assert!(mine.contains_key(&src) && mine.contains_key(&id_of(&r)));
}

#[tokio::test]
async fn mint_refusals_change_nothing() {
    let env = Env::new().await;
    let app = env.app();
    let src = id_of(&app.create(&env.t.managed_secret_id, Env::system("a")).await);
    let total = env.total().await;
    let audits = env.audit_len().await;

    // The sibling's label must be free for the principal on that provider.
    let r = app.mint(&src, json!({"label": "a"})).await;
    r.expect(409, "sibling_label_conflict");
    assert_eq!(r.body["label"], "a");
    // A policy of its own, validated; no default TTL on a mint.
    for policy in [
        json!({"default_ttl_seconds": 60}),
        json!({"max_ttl_seconds": 0}),
        json!({"restrictions": {}}),
        json!("soon"),
    ] {
        app.mint(&src, json!({"label": "b", "grant_policy": policy}))
            .await
            .expect(422, "invalid_grant_policy");
    }
    // Agents cannot mint, even a grant they hold.
    let own = own_grant(&env, &env.agent(), "mine", json!({})).await;
    let total = total + 1;
    let audits = audits + 1;
    env.agent()
        .mint(&own, json!({"label": "b"}))
        .await
        .expect(403, "agents_cannot_mint");
    // Unknown or malformed sources, bad labels and tags, unknown fields.
    app.mint("not-a-uuid", json!({"label": "b"}))
        .await
        .expect(404, "grant_not_found");
    app.mint(&uuid::Uuid::new_v4().to_string(), json!({"label": "b"}))
        .await
        .expect(404, "grant_not_found");
    app.mint(&src, json!({"label": ""}))
        .await
        .expect(422, "invalid_request");
    app.mint(&src, json!({"label": "x".repeat(256)}))
        .await
        .expect(422, "invalid_request");
    app.mint(&src, json!({"label": "b", "grant_tags": [""]}))
        .await
        .expect(422, "invalid_request");
    let r = app.mint(&src, json!({"label": "b", "surprise": 1})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.mint(&src, json!({})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    // A revoked source mints nothing.
    app.revoke(&src, json!({})).await.expect(200, "");
    let r = app.mint(&src, json!({"label": "b"})).await;
    r.expect(403, "grant_revoked");
    assert_eq!(r.body["grant_id"], src.as_str());

    assert_eq!(env.total().await, total);
    assert_eq!(env.audit_len().await, audits + 1); // the revoke
}

#[tokio::test]
async fn a_delegation_is_not_a_mint_source() {
    let env = Env::new().await;
    let (b, _bc) = new_agent(&env, "b").await;
    let root = own_grant(&env, &env.agent(), "r", json!({})).await;
    let child = env.agent().delegate(&root, json!({"to_agent_id": b})).await;
    child.expect(201, "");
    env.app()
        .mint(&id_of(&child), json!({"label": "x"}))
        .await
        .expect(403, "mint_source_is_delegation");
}

// ---------------------------------------------------------------------------------------------
// Delegating

#[tokio::test]
async fn delegate_hands_a_held_grant_to_another_agent_who_lists_it() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let root = own_grant(&env, &a, "deploy", json!({})).await;

    let r = a.delegate(&root, json!({"to_agent_id": b_id})).await;
    r.expect(201, "");
    let child = id_of(&r);
    let expected = json!({
        "grant_id": child, "grant_kind": "managed_secret", "parent_grant_id": root, "depth": 1,
        "delegable": false, "status": "active", "expires_at": null,
    });
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&r.body[k], v, "{k}: {}", r.body);
    }

    // The holder sees it, with its chain; the delegator still sees its own grant (delegable:
    // an agent's own grant), not the child.
    let bs = listed(&b).await;
    let item = &bs[&child];
    assert_eq!(item["access_via"], "ms_delegation");
    assert_eq!(item["depth"], 1);
    assert_eq!(item["parent_grant_id"], root.as_str());
    assert_eq!(item["delegable"], false);
    assert_eq!(item["agent_id"], b_id.as_str());
    assert_eq!(item["credential_id"], env.t.credential_id.as_str());
    assert!(item["delegated_at"].is_string());
    assert_eq!(item["label"], "deploy");
    let as_ = listed(&a).await;
    assert!(!as_.contains_key(&child));
    assert_eq!(as_[&root]["delegable"], true);
    assert_eq!(as_[&root]["depth"], 0);
    assert_eq!(as_[&root]["access_via"], "ownership");
    // The app sees both.
    let all = listed(&env.app()).await;
    assert!(all.contains_key(&root) && all.contains_key(&child));
    assert!(
        audit_actions(&env)
            .await
            .contains(&("grant.delegate".into(), Some(child)))
    );
}

#[tokio::test]
async fn a_delegation_never_outlives_its_parent() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, _b) = new_agent(&env, "b").await;
    let (c_id, _c) = new_agent(&env, "c").await;
    let root = own_grant(&env, &a, "r", json!({"max_ttl_seconds": 100})).await;
    let root_end = listed(&a).await[&root]["grant_expires_at"].clone();
    assert!(root_end.is_string());

    // Asking for longer gets the parent's end.
    let r = a
        .delegate(&root, json!({"to_agent_id": b_id, "ttl_seconds": 100_000}))
        .await;
    r.expect(201, "");
    assert_eq!(r.body["expires_at"], root_end);
    // No TTL: the parent's end too.
    let r2 = a.delegate(&root, json!({"to_agent_id": c_id})).await;
    r2.expect(201, "");
    assert_eq!(r2.body["expires_at"], root_end);
    // Shorter is kept.
    a.revoke_delegation(&root, "me").await.expect(204, "");
    let (d_id, _d) = new_agent(&env, "d").await;
    let r3 = a
        .delegate(&root, json!({"to_agent_id": d_id, "ttl_seconds": 10}))
        .await;
    r3.expect(201, "");
    let end = |v: &Value| {
        time::OffsetDateTime::parse(
            v.as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert!(end(&r3.body["expires_at"]) < end(&root_end));
    // A TTL is a positive integer.
    for ttl in [json!(0), json!(-5), json!(1.5), json!(true), json!("60")] {
        let r = a
            .delegate(&root, json!({"to_agent_id": b_id, "ttl_seconds": ttl}))
            .await;
        assert_eq!(r.status, 422, "{ttl}: {}", r.body);
    }
}

#[tokio::test]
async fn a_scope_constraint_narrows_and_never_widens() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let (c_id, c) = new_agent(&env, "c").await;
    let root = oauth_grant(&env, &env.t.agent_id, "gh", &["repo", "read:org", "gist"]).await;

    let r = a
        .delegate(
            &root,
            json!({"to_agent_id": b_id, "scope_constraint": ["repo", "read:org"], "delegable": true}),
        )
        .await;
    r.expect(201, "");
    assert_eq!(r.body["grant_kind"], "oauth");
    let child = id_of(&r);
    let item = &listed(&b).await[&child];
    assert_eq!(item["access_via"], "oauth_delegation");
    assert_eq!(item["scope_constraint"], json!(["repo", "read:org"]));
    assert_eq!(item["scopes"], json!(["repo", "read:org", "gist"]));
    // The holder's listing names whom its grant is delegated to.
    assert_eq!(
        listed(&a).await[&root]["delegated_agent_ids"],
        json!([b_id])
    );

    // Onward: a scope outside the parent's constraint is refused, even one the root has.
    let total = env.total().await;
    for bad in [
        json!(["gist"]),
        json!(["repo", "admin"]),
        json!([]),
        json!(["*"]),
        json!(["has space"]),
        json!([""]),
    ] {
        b.delegate(
            &child,
            json!({"to_agent_id": c_id, "scope_constraint": bad}),
        )
        .await
        .expect(422, "invalid_scope_constraint");
    }
    assert_eq!(env.total().await, total);
    // Narrower still is fine; no constraint inherits the parent's (never the root's).
    let r = b
        .delegate(
            &child,
            json!({"to_agent_id": c_id, "scope_constraint": ["repo"]}),
        )
        .await;
    r.expect(201, "");
    assert_eq!(
        listed(&c).await[&id_of(&r)]["scope_constraint"],
        json!(["repo"])
    );
    b.revoke_delegation(&child, "me").await.expect(204, "");
    // (b revoked its own delegation: the child is gone, and c's below it.)
    assert_eq!(listed(&c).await[&id_of(&r)]["status"], "revoked");

    // Managed-secret grants have no provider scopes to narrow.
    let ms = own_grant(&env, &a, "m", json!({})).await;
    a.delegate(
        &ms,
        json!({"to_agent_id": c_id, "scope_constraint": ["repo"]}),
    )
    .await
    .expect(422, "invalid_scope_constraint");
}

#[tokio::test]
async fn a_scope_constraint_is_inherited_when_none_is_given() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let (c_id, c) = new_agent(&env, "c").await;
    let root = oauth_grant(&env, &env.t.agent_id, "gh", &["repo", "gist"]).await;
    let child = id_of(
        &a.delegate(
            &root,
            json!({"to_agent_id": b_id, "scope_constraint": ["gist"], "delegable": true}),
        )
        .await,
    );
    let r = b.delegate(&child, json!({"to_agent_id": c_id})).await;
    r.expect(201, "");
    assert_eq!(
        listed(&c).await[&id_of(&r)]["scope_constraint"],
        json!(["gist"])
    );
}

#[tokio::test]
async fn delegable_false_stops_the_chain() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let (c_id, _c) = new_agent(&env, "c").await;
    let root = own_grant(&env, &a, "r", json!({})).await;
    // Omitted: a leaf.
    let child = id_of(&a.delegate(&root, json!({"to_agent_id": b_id})).await);
    let r = b.delegate(&child, json!({"to_agent_id": c_id})).await;
    r.expect(403, "grant_not_delegable");
    assert_eq!(r.body["detail_reason"], "holder_not_delegable");
    // Explicitly false: the same.
    let (d_id, d) = new_agent(&env, "d").await;
    let child2 = id_of(
        &a.delegate(&root, json!({"to_agent_id": d_id, "delegable": false}))
            .await,
    );
    d.delegate(&child2, json!({"to_agent_id": c_id}))
        .await
        .expect(403, "grant_not_delegable");
    // A grant a user holds is no agent's to delegate.
    let user_grant = env
        .app()
        .create(
            &env.t.managed_secret_id,
            json!({"principal": {"type": "user", "user_token": env.t.user_token, "label": "u"}}),
        )
        .await;
    a.delegate(&id_of(&user_grant), json!({"to_agent_id": b_id}))
        .await
        .expect(404, "grant_not_found");
}

#[tokio::test]
async fn a_chain_three_deep_and_its_ceiling() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let (c_id, c) = new_agent(&env, "c").await;
    let (d_id, d) = new_agent(&env, "d").await;
    let (e_id, _e) = new_agent(&env, "e").await;
    let root = own_grant(&env, &a, "r", json!({})).await;

    let g1 = a
        .delegate(&root, json!({"to_agent_id": b_id, "delegable": true}))
        .await;
    g1.expect(201, "");
    let g1 = id_of(&g1);
    let g2 = b
        .delegate(&g1, json!({"to_agent_id": c_id, "delegable": true}))
        .await;
    g2.expect(201, "");
    assert_eq!(g2.body["depth"], 2);
    let g2 = id_of(&g2);
    // Depth 3 is the ceiling: it cannot be made delegable ...
    let r = c
        .delegate(&g2, json!({"to_agent_id": d_id, "delegable": true}))
        .await;
    r.expect(403, "grant_not_delegable");
    assert_eq!(r.body["detail_reason"], "no_onward_hop");
    // ... but it can be a leaf.
    let g3 = c.delegate(&g2, json!({"to_agent_id": d_id})).await;
    g3.expect(201, "");
    assert_eq!(g3.body["depth"], 3);
    assert_eq!(g3.body["parent_grant_id"], g2.as_str());
    let g3 = id_of(&g3);
    let r = d.delegate(&g3, json!({"to_agent_id": e_id})).await;
    r.expect(403, "grant_not_delegable");

    // Each holder sees its hop of the chain.
    for (client, id, depth, parent) in [(&b, &g1, 1, &root), (&c, &g2, 2, &g1), (&d, &g3, 3, &g2)] {
        let item = &listed(client).await[id];
        assert_eq!(item["depth"], depth);
        assert_eq!(item["parent_grant_id"], parent.as_str());
        assert_eq!(item["access_via"], "ms_delegation");
    }
    // Back up the chain, or to oneself: refused.
    c.delegate(&g2, json!({"to_agent_id": b_id}))
        .await
        .expect(422, "invalid_delegation_target");
    c.delegate(&g2, json!({"to_agent_id": env.t.agent_id}))
        .await
        .expect(422, "invalid_delegation_target");
    c.delegate(&g2, json!({"to_agent_id": c_id}))
        .await
        .expect(422, "invalid_delegation_target");

    // Revoking the root revokes every delegation below it, each in the audit log.
    let before = env.total().await;
    env.app().revoke(&root, json!({})).await.expect(200, "");
    for (client, id) in [(&b, &g1), (&c, &g2), (&d, &g3)] {
        assert_eq!(listed(client).await[id]["status"], "revoked");
    }
    assert_eq!(env.total().await, before);
    let revoked = env
        .app()
        .list(json!({"status": "revoked", "limit": 1}))
        .await;
    assert_eq!(revoked.body["total"], 4);
    let active = env
        .app()
        .list(json!({"status": "active", "limit": 1}))
        .await;
    assert_eq!(active.body["total"], before - 4);
    let audit = audit_actions(&env).await;
    for id in [&root, &g1, &g2, &g3] {
        assert!(
            audit.contains(&("grant.revoke".into(), Some(id.clone()))),
            "{id} not audited"
        );
    }
}

#[tokio::test]
async fn an_agent_delegates_only_what_it_holds_to_active_agents_of_its_app() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let root = own_grant(&env, &a, "r", json!({})).await;
    // Not held: opaque.
    b.delegate(&root, json!({"to_agent_id": env.t.agent_id}))
        .await
        .expect(404, "grant_not_found");
    a.delegate(
        &uuid::Uuid::new_v4().to_string(),
        json!({"to_agent_id": b_id}),
    )
    .await
    .expect(404, "grant_not_found");
    // An app key does not delegate.
    env.app()
        .delegate(&root, json!({"to_agent_id": b_id}))
        .await
        .expect(403, "agent_key_required");
    // Unknown, malformed, paused, revoked, or of another app: no such agent.
    let (paused, _) = new_agent(&env, "p").await;
    env.admin()
        .set_agent_status(&env.t.app_id, &paused, "paused")
        .await
        .unwrap();
    let (gone, _) = new_agent(&env, "g").await;
    env.admin()
        .set_agent_status(&env.t.app_id, &gone, "revoked")
        .await
        .unwrap();
    let other_app = env
        .admin()
        .create_app(CreateApp {
            name: "other".into(),
            id: None,
        })
        .await
        .unwrap()
        .app_id;
    let stranger = env
        .admin()
        .create_agent(
            &other_app,
            CreateAgent {
                name: "s".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .agent_id;
    let total = env.total().await;
    for to in [
        uuid::Uuid::new_v4().to_string(),
        "bob".to_string(),
        paused,
        gone,
        stranger,
    ] {
        a.delegate(&root, json!({"to_agent_id": to}))
            .await
            .expect(404, "agent_not_found");
    }
    // To itself: refused.
    a.delegate(&root, json!({"to_agent_id": env.t.agent_id}))
        .await
        .expect(422, "invalid_delegation_target");
    // Bad bodies.
    for body in [
        json!({}),
        json!({"to_agent_id": 5}),
        json!({"to_agent_id": b_id, "delegable": "yes"}),
        json!({"to_agent_id": b_id, "extra": 1}),
    ] {
        let r = a.delegate(&root, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
    }
    let r = a
        .post_raw(&format!("/sdk/grants/{root}/delegate"), b"{not json")
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // One live delegation per agent.
    let first = a.delegate(&root, json!({"to_agent_id": b_id})).await;
    first.expect(201, "");
    let r = a.delegate(&root, json!({"to_agent_id": b_id})).await;
    r.expect(409, "delegation_exists");
    assert_eq!(r.body["existing_grant_id"], first.body["grant_id"]);
    assert_eq!(env.total().await, total + 1);
    // A revoked parent delegates nothing.
    env.app().revoke(&root, json!({})).await.expect(200, "");
    let (c_id, _c) = new_agent(&env, "c").await;
    a.delegate(&root, json!({"to_agent_id": c_id}))
        .await
        .expect(403, "grant_revoked");
}

// ---------------------------------------------------------------------------------------------
// Revoking delegations

#[tokio::test]
async fn revoking_a_delegation_leaves_the_parent_and_cascades_below() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let (c_id, c) = new_agent(&env, "c").await;
    let root = own_grant(&env, &a, "r", json!({})).await;
    let g1 = id_of(
        &a.delegate(&root, json!({"to_agent_id": b_id, "delegable": true}))
            .await,
    );
    let g2 = id_of(&b.delegate(&g1, json!({"to_agent_id": c_id})).await);

    // The app names the agent; 204, no body.
    let r = env.app().revoke_delegation(&root, &b_id).await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_null());
    assert_eq!(listed(&a).await[&root]["status"], "active");
    assert_eq!(listed(&b).await[&g1]["status"], "revoked");
    assert_eq!(listed(&c).await[&g2]["status"], "revoked");
    // Idempotent.
    assert_eq!(env.app().revoke_delegation(&root, &b_id).await.status, 204);
    let audit = audit_actions(&env).await;
    assert!(audit.contains(&("delegation.revoke".into(), Some(g1.clone()))));
    assert!(audit.contains(&("grant.revoke".into(), Some(g2.clone()))));
    // The parent delegates again to the same agent.
    a.delegate(&root, json!({"to_agent_id": b_id}))
        .await
        .expect(201, "");

    // An agent gives up its own delegation at delegations/me (by the parent's id, or its own).
    let r = b.revoke_delegation(&root, "me").await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(listed(&b).await.values().all(|g| g["status"] == "revoked"));
    let g3 = id_of(&a.delegate(&root, json!({"to_agent_id": c_id})).await);
    assert_eq!(c.revoke_delegation(&g3, "me").await.status, 204);
    assert_eq!(listed(&c).await[&g3]["status"], "revoked");
    assert_eq!(listed(&a).await[&root]["status"], "active");
}

#[tokio::test]
async fn revoke_delegation_path_rules() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, _b) = new_agent(&env, "b").await;
    let root = own_grant(&env, &a, "r", json!({})).await;
    a.delegate(&root, json!({"to_agent_id": b_id}))
        .await
        .expect(201, "");
    let audits = env.audit_len().await;
    // An agent key on the operator path; an app key on the self path.
    a.revoke_delegation(&root, &b_id)
        .await
        .expect(403, "use_self_revoke_path");
    env.app()
        .revoke_delegation(&root, "me")
        .await
        .expect(403, "agent_key_required");
    env.app()
        .revoke_delegation(&root, "nobody")
        .await
        .expect(404, "agent_not_found");
    env.app()
        .revoke_delegation(&uuid::Uuid::new_v4().to_string(), &b_id)
        .await
        .expect(404, "grant_not_found");
    // No delegation to that agent: nothing to do, 204.
    assert_eq!(
        env.app()
            .revoke_delegation(&root, &env.t.agent_id)
            .await
            .status,
        204
    );
    // A body is refused.
    let p = env.app().prepare(
        "DELETE",
        &format!("/sdk/grants/{root}/delegations/{b_id}"),
        b"{}",
    );
    env.app().send(&p).await.expect(422, "invalid_request");
    assert_eq!(env.audit_len().await, audits);
    assert_eq!(
        listed(&env.app())
            .await
            .values()
            .filter(|g| g["status"] == "active")
            .count(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// Agents that stop

#[tokio::test]
async fn a_paused_or_revoked_agents_delegations_stop_working() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let (c_id, c) = new_agent(&env, "c").await;
    let (d_id, _d) = new_agent(&env, "d").await;
    let root = own_grant(&env, &a, "r", json!({})).await;
    let g1 = id_of(
        &a.delegate(&root, json!({"to_agent_id": b_id, "delegable": true}))
            .await,
    );
    let g2 = id_of(
        &b.delegate(&g1, json!({"to_agent_id": c_id, "delegable": true}))
            .await,
    );

    // b pauses: what b handed down is suspended, and cannot be handed on.
    env.admin()
        .set_agent_status(&env.t.app_id, &b_id, "paused")
        .await
        .unwrap();
    assert_eq!(listed(&c).await[&g2]["status"], "suspended");
    let r = c.delegate(&g2, json!({"to_agent_id": d_id})).await;
    r.expect(403, "grant_not_delegable");
    assert_eq!(r.body["detail_reason"], "chain_suspended");
    // b's own hop (handed down by a, who is active) is as it was; b cannot call while paused.
    assert_eq!(listed(&env.app()).await[&g1]["status"], "active");
    b.list(json!({})).await.expect(401, "agent_inactive");

    // b active again: it works again.
    env.admin()
        .set_agent_status(&env.t.app_id, &b_id, "active")
        .await
        .unwrap();
    assert_eq!(listed(&c).await[&g2]["status"], "active");
    c.delegate(&g2, json!({"to_agent_id": d_id}))
        .await
        .expect(201, "");

    // a revoked: everything below a is suspended for good.
    env.admin()
        .set_agent_status(&env.t.app_id, &env.t.agent_id, "revoked")
        .await
        .unwrap();
    let all = listed(&env.app()).await;
    assert_eq!(all[&root]["status"], "active");
    assert_eq!(all[&g1]["status"], "suspended");
    assert_eq!(all[&g2]["status"], "suspended");
}

// ---------------------------------------------------------------------------------------------
// Races

/// A cascade revoke racing delegations: whatever the order, no delegation outlives its revoked
/// root (each delegation either lands before the revoke and is revoked with it, or is refused).
#[tokio::test]
async fn a_cascade_revoke_racing_delegations_leaves_nothing_live() {
    let env = Env::new().await;
    let a = env.agent();
    let (b_id, b) = new_agent(&env, "b").await;
    let mut others = Vec::new();
    for i in 0..4 {
        others.push(new_agent(&env, &format!("o{i}")).await.0);
    }
    let mut landed = 0;
    let mut refused = 0;
    for round in 0..12 {
        let root = own_grant(&env, &a, &format!("r{round}"), json!({})).await;
        let g1 = id_of(
            &a.delegate(&root, json!({"to_agent_id": b_id, "delegable": true}))
                .await,
        );
        let app = env.app();
        let revoke = app.revoke(&root, json!({}));
        let delegations = futures_util::future::join_all(
            others
                .iter()
                .map(|o| b.delegate(&g1, json!({"to_agent_id": o}))),
        );
        let (rv, ds) = tokio::join!(revoke, delegations);
        rv.expect(200, "");
        for d in &ds {
            match d.status {
                201 => landed += 1,
                403 => {
                    d.expect(403, "grant_revoked");
                    refused += 1;
                }
                s => panic!("unexpected {s}: {}", d.body),
            }
        }
    }
    eprintln!("delegations landed before the revoke: {landed}, refused after it: {refused}");
    // Nothing below a revoked root is live.
    let all = listed(&env.app()).await;
    let live = all
        .values()
        .filter(|g| g["status"] == "active" && !g["parent_grant_id"].is_null())
        .count();
    assert_eq!(live, 0, "a delegation outlived its revoked root");
    assert_eq!(landed + refused, 12 * 4);
    // Counts agree with the rows.
    let revoked = env
        .app()
        .list(json!({"status": "revoked", "limit": 1}))
        .await;
    assert_eq!(
        revoked.body["total"].as_i64().unwrap() as usize,
        all.values().filter(|g| g["status"] == "revoked").count()
    );
}
