//! Every rule of docs/domain.md, one test or more each.

mod common;

use common::*;
use grantline_server::ManualClock;
use grantline_server::admin::*;
use serde_json::{Value, json};
use std::sync::Arc;

fn user(token: &str, label: &str) -> Value {
    json!({"principal": {"type": "user", "user_token": token, "label": label}, "grant_policy": {}})
}

fn group(ext: &str, idp: &str, label: &str) -> Value {
    json!({"principal": {"type": "group", "external_group_id": ext, "idp_id": idp, "label": label},
           "grant_policy": {}})
}

async fn token(env: &Env, sub: &str, groups: &[&str]) -> String {
    env.admin()
        .mint_user_token(
            &env.t.app_id,
            &env.t.idp_id,
            MintUserToken {
                sub: sub.into(),
                groups: groups.iter().map(|g| g.to_string()).collect(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .token
}

#[tokio::test]
async fn create_answers_the_official_shape() {
    let env = Env::new().await;
    let r = env
        .app()
        .create(
            &env.t.managed_secret_id,
            json!({"principal": {"type": "system", "label": null}, "grant_policy": {}}),
        )
        .await;
    r.expect(201, "");
    let b = &r.body;
    for k in [
        "grant_id",
        "principal_type",
        "label",
        "created_at",
        "credential_id",
        "managed_secret_id",
        "grant_policy",
        "grant_expires_at",
        "agent_id",
    ] {
        assert!(b.as_object().unwrap().contains_key(k), "missing {k}: {b}");
    }
    assert!(b["label"].is_null());
    assert_eq!(b["principal_type"], "system");
    assert_eq!(b["credential_id"], env.t.credential_id.as_str());
    let id = b["grant_id"].as_str().unwrap();
    // A canonical UUID; time-ordered (version 7: see service::new_id).
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    assert_eq!(id, id.to_lowercase());
    let created = b["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 27, "{created}");
}

#[tokio::test]
async fn user_principal_needs_a_valid_token() {
    let env = Env::new().await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    c.create(ms, user(&env.t.user_token, "u"))
        .await
        .expect(201, "");
    c.create(ms, user("a.b.c", "u2"))
        .await
        .expect(401, "jwt_validation_error");
    // A token from an unknown issuer, and one signed with the wrong secret.
    let app2 = env
        .admin()
        .create_app(CreateApp {
            name: "o".into(),
            id: None,
        })
        .await
        .unwrap()
        .app_id;
    let idp2 = env
        .admin()
        .add_idp(
            &app2,
            AddIdp {
                issuer: "https://other".into(),
                audience: "x".into(),
                hs256_secret: Some("0123456789abcdef0123".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .idp_id;
    let foreign = env
        .admin()
        .mint_user_token(
            &app2,
            &idp2,
            MintUserToken {
                sub: "s".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .token;
    c.create(ms, user(&foreign, "u3"))
        .await
        .expect(401, "jwt_validation_error");
    let same_issuer = env
        .admin()
        .add_idp(
            &app2,
            AddIdp {
                issuer: grantline_server::dev::DEV_ISSUER.into(),
                audience: grantline_server::dev::DEV_AUDIENCE.into(),
                hs256_secret: Some("another-secret-0123456789".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .idp_id;
    let forged = env
        .admin()
        .mint_user_token(
            &app2,
            &same_issuer,
            MintUserToken {
                sub: "dev-user".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .token;
    c.create(ms, user(&forged, "u4"))
        .await
        .expect(401, "jwt_validation_error");
    assert_eq!(env.total().await, 1);
}

#[tokio::test]
async fn expired_user_token_is_401() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let env = Env::with(config().with_clock(clock.clone())).await;
    clock.advance(2 * 24 * 3600);
    // The dev tenant's token lives 24 h; the signature must be fresh too.
    let mut c = env.app();
    c.timestamp = Some(clock.now_unix());
    c.create(&env.t.managed_secret_id, user(&env.t.user_token, "late"))
        .await
        .expect(401, "jwt_validation_error");
}

trait NowUnix {
    fn now_unix(&self) -> i64;
}
impl NowUnix for ManualClock {
    fn now_unix(&self) -> i64 {
        use grantline_server::Clock;
        self.now().unix_timestamp()
    }
}

#[tokio::test]
async fn group_principal_rules_and_inheritance() {
    let env = Env::new().await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    c.create(ms, group("eng", &uuid::Uuid::new_v4().to_string(), "g"))
        .await
        .expect(422, "idp_not_found");
    c.create(ms, group("eng", "not-a-uuid", "g"))
        .await
        .expect(422, "idp_not_found");
    let r = c.create(ms, group("eng", &env.t.idp_id, "g")).await;
    r.expect(201, "");
    assert_eq!(r.body["principal_type"], "group");
    // A future member of eng sees the grant; a non-member does not.
    let member = token(&env, "newcomer", &["eng"]).await;
    let outsider = token(&env, "outsider", &["ops"]).await;
    let l = c.list(json!({"user_token": member})).await;
    assert_eq!(l.body["total"], 1);
    assert_eq!(l.body["grants"][0]["external_group_id"], "eng");
    let l = c.list(json!({"user_token": outsider})).await;
    assert_eq!(l.body["total"], 0);
}

#[tokio::test]
async fn agents_issue_only_for_themselves() {
    let env = Env::new().await;
    let ms = &env.t.managed_secret_id;
    for c in [env.agent(), env.app().impersonating(&env.t.agent_id)] {
        c.create(ms, Env::system("s"))
            .await
            .expect(403, "agent_self_grant_only");
        c.create(ms, user(&env.t.user_token, "u"))
            .await
            .expect(403, "agent_self_grant_only");
    }
    let r = env
        .agent()
        .create(
            ms,
            json!({"principal": {"type": "agent", "label": "mine"}, "grant_policy": {}}),
        )
        .await;
    r.expect(201, "");
    assert_eq!(r.body["principal_type"], "agent");
    assert_eq!(r.body["agent_id"], env.t.agent_id.as_str());
    let r = env
        .app()
        .impersonating(&env.t.agent_id)
        .create(
            ms,
            json!({"principal": {"type": "agent", "label": null}, "grant_policy": {}}),
        )
        .await;
    r.expect(201, "");
    // Without an agent caller.
    env.app()
        .create(
            ms,
            json!({"principal": {"type": "agent"}, "grant_policy": {}}),
        )
        .await
        .expect(422, "agent_principal_requires_agent_caller");
    let mut svc = env.app();
    svc.ident.caller = Some("svc".into());
    svc.ident.caller_type = Some("service".into());
    svc.create(
        ms,
        json!({"principal": {"type": "agent"}, "grant_policy": {}}),
    )
    .await
    .expect(422, "agent_principal_requires_agent_caller");
    assert_eq!(env.total().await, 2);
}

#[tokio::test]
async fn credential_choice() {
    let env = Env::new().await;
    let admin = env.admin();
    let app = &env.t.app_id;
    let c = env.app();
    let ms = admin
        .add_managed_secret(
            app,
            AddManagedSecret {
                slug: "multi".into(),
                name: "M".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .managed_secret_id;
    // No developer credential at all.
    c.create(&ms, Env::system("a"))
        .await
        .expect(404, "credential_not_found");
    let eu = admin
        .add_credential(
            app,
            &ms,
            AddCredential {
                label: "eu".into(),
                kind: "end_user".into(),
                value: "x".into(),
            },
        )
        .await
        .unwrap()
        .credential_id;
    c.create(&ms, Env::system("a"))
        .await
        .expect(404, "credential_not_found");
    let d1 = admin
        .add_credential(
            app,
            &ms,
            AddCredential {
                label: "one".into(),
                kind: "developer".into(),
                value: "x".into(),
            },
        )
        .await
        .unwrap()
        .credential_id;
    // Exactly one developer credential: chosen by default.
    let r = c.create(&ms, Env::system("a")).await;
    r.expect(201, "");
    assert_eq!(r.body["credential_id"], d1.as_str());
    let d2 = admin
        .add_credential(
            app,
            &ms,
            AddCredential {
                label: "two".into(),
                kind: "developer".into(),
                value: "y".into(),
            },
        )
        .await
        .unwrap()
        .credential_id;
    let r = c.create(&ms, Env::system("b")).await;
    r.expect(409, "credential_id_required");
    let creds = r.body["details"]["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 2);
    assert_eq!(creds[0], json!({"id": d1, "label": "one"}));
    assert_eq!(creds[1], json!({"id": d2, "label": "two"}));
    let mut body = Env::system("b");
    body["credential_id"] = json!(d2);
    let r = c.create(&ms, body).await;
    r.expect(201, "");
    assert_eq!(r.body["credential_id"], d2.as_str());
    // End-user credentials are never assignable.
    let mut body = Env::system("c");
    body["credential_id"] = json!(eu);
    c.create(&ms, body)
        .await
        .expect(409, "end_user_credential_not_assignable");
    // A credential of another provider.
    let mut body = Env::system("c");
    body["credential_id"] = json!(env.t.credential_id);
    c.create(&ms, body)
        .await
        .expect(404, "credential_not_found");
    // Upper-case ids are the same ids.
    let mut body = Env::system("d");
    body["credential_id"] = json!(d1.to_uppercase());
    c.create(&ms, body).await.expect(201, "");
}

#[tokio::test]
async fn sibling_labels() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let env = Env::with(config().with_clock(clock.clone())).await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    let first = c.create(ms, Env::system("cron")).await;
    first.expect(201, "");
    let r = c.create(ms, Env::system("cron")).await;
    r.expect(409, "sibling_label_conflict");
    assert_eq!(r.body["label"], "cron");
    // Another label, another principal, another provider: no conflict.
    c.create(ms, Env::system("cron2")).await.expect(201, "");
    c.create(ms, user(&env.t.user_token, "cron"))
        .await
        .expect(201, "");
    c.create(ms, user(&env.t.user_token, "cron"))
        .await
        .expect(409, "sibling_label_conflict");
    let other_user = token(&env, "other", &[]).await;
    c.create(ms, user(&other_user, "cron"))
        .await
        .expect(201, "");
    let ms2 = env
        .admin()
        .add_managed_secret(
            &env.t.app_id,
            AddManagedSecret {
                slug: "two".into(),
                name: "2".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .managed_secret_id;
    env.admin()
        .add_credential(
            &env.t.app_id,
            &ms2,
            AddCredential {
                label: "x".into(),
                kind: "developer".into(),
                value: "v".into(),
            },
        )
        .await
        .unwrap();
    c.create(&ms2, Env::system("cron")).await.expect(201, "");
    // No label, no conflict.
    let none = json!({"principal": {"type": "system", "label": null}, "grant_policy": {}});
    c.create(ms, none.clone()).await.expect(201, "");
    c.create(ms, none).await.expect(201, "");
    // A revoked sibling frees its label.
    let id = first.body["grant_id"].as_str().unwrap();
    c.revoke(id, json!({})).await.expect(200, "");
    c.create(ms, Env::system("cron")).await.expect(201, "");
    // So does an expired one.
    let mut body = Env::system("short");
    body["grant_policy"] = json!({"max_ttl_seconds": 60});
    c.create(ms, body.clone()).await.expect(201, "");
    c.create(ms, body.clone())
        .await
        .expect(409, "sibling_label_conflict");
    clock.advance(61);
    let mut c2 = env.app();
    c2.timestamp = Some(clock.now_unix());
    c2.create(ms, body).await.expect(201, "");
}

#[tokio::test]
async fn policy_and_ttl() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let env = Env::with(config().with_clock(clock.clone())).await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    let with = |label: &str, policy: Value| json!({"principal": {"type": "system", "label": label}, "grant_policy": policy});
    for (i, bad) in [
        json!({"maxTtlSeconds": 60}),
        json!({"restrictions": {}}),
        json!({"max_ttl_seconds": 0}),
        json!({"max_ttl_seconds": -5}),
        json!({"max_ttl_seconds": "60"}),
        json!({"max_ttl_seconds": true}),
        json!({"max_ttl_seconds": 1.5}),
        json!({"default_ttl_seconds": 0}),
        json!({"max_ttl_seconds": 10, "default_ttl_seconds": 11}),
        json!({"expires_at": "2001-01-01T00:00:00Z"}),
        json!({"expires_at": "tomorrow"}),
        json!({"expires_at": 5}),
        json!({"max_ttl_seconds": 1e300}),
        json!([1]),
        json!("x"),
    ]
    .into_iter()
    .enumerate()
    {
        c.create(ms, with(&format!("bad{i}"), bad))
            .await
            .expect(422, "invalid_grant_policy");
    }
    assert_eq!(env.total().await, 0);
    let now = clock.now_unix();
    let r = c
        .create(
            ms,
            with(
                "p",
                json!({"max_ttl_seconds": 3600, "default_ttl_seconds": 60}),
            ),
        )
        .await;
    r.expect(201, "");
    assert_eq!(
        r.body["grant_policy"],
        json!({"max_ttl_seconds": 3600, "default_ttl_seconds": 60})
    );
    let exp = time::OffsetDateTime::parse(
        r.body["grant_expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(exp.unix_timestamp(), now + 3600);
    // expires_at earlier than created + max_ttl wins.
    let at = time::OffsetDateTime::from_unix_timestamp(now + 600).unwrap();
    let at_s = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let r = c
        .create(
            ms,
            with("q", json!({"expires_at": at_s, "max_ttl_seconds": 3600})),
        )
        .await;
    r.expect(201, "");
    let exp = time::OffsetDateTime::parse(
        r.body["grant_expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(exp.unix_timestamp(), now + 600);
    // The app ceiling applies on top, also without a policy.
    env.admin()
        .set_ttl_ceiling(&env.t.app_id, Some(120))
        .await
        .unwrap();
    let r = c
        .create(ms, with("r", json!({"max_ttl_seconds": 3600})))
        .await;
    let exp = time::OffsetDateTime::parse(
        r.body["grant_expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(exp.unix_timestamp(), now + 120);
    let r = c.create(ms, Env::system("s")).await;
    assert!(r.body["grant_expires_at"].is_string());
    env.admin()
        .set_ttl_ceiling(&env.t.app_id, None)
        .await
        .unwrap();
    let r = c.create(ms, Env::system("t")).await;
    assert!(r.body["grant_expires_at"].is_null());
    // Nulls inside the policy are ignored, like the official client drops them.
    c.create(ms, with("u", json!({"max_ttl_seconds": null})))
        .await
        .expect(201, "");
}

#[tokio::test]
async fn status_is_computed_at_read_time() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let env = Env::with(config().with_clock(clock.clone())).await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    let mut body = Env::system("ttl");
    body["grant_policy"] = json!({"max_ttl_seconds": 30});
    c.create(ms, body).await.expect(201, "");
    let keep = c.create(ms, Env::system("keep")).await;
    let gone = c.create(ms, Env::system("gone")).await;
    c.revoke(
        gone.body["grant_id"].as_str().unwrap(),
        json!({"reason": "x"}),
    )
    .await
    .expect(200, "");
    let statuses = |l: &Resp| {
        l.body["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["label"].as_str().unwrap().to_string(),
                    g["status"].as_str().unwrap().to_string(),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect::<Vec<_>>()
    };
    // (The clock is pinned, so the three share created_at: compare by label.)
    let l = c.list(json!({})).await;
    assert_eq!(
        statuses(&l),
        vec![
            ("gone".into(), "revoked".into()),
            ("keep".into(), "active".into()),
            ("ttl".into(), "active".into())
        ]
    );
    clock.advance(31);
    let mut c = env.app();
    c.timestamp = Some(clock.now_unix());
    let l = c.list(json!({})).await;
    assert_eq!(statuses(&l)[2], ("ttl".into(), "expired".into()));
    for (status, n) in [("active", 1), ("expired", 1), ("revoked", 1)] {
        let l = c.list(json!({"status": status})).await;
        assert_eq!(l.body["total"], n, "{status}");
    }
    c.list(json!({"status": "weird"}))
        .await
        .expect(422, "invalid_request");
    let _ = keep;
}

#[tokio::test]
async fn listing_order_filters_and_paging() {
    let env = Env::new().await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    let mut ids = Vec::new();
    for i in 0..7 {
        let r = c.create(ms, Env::system(&format!("l{i}"))).await;
        ids.push(r.body["grant_id"].as_str().unwrap().to_string());
    }
    env.admin()
        .provision_oauth_grant(
            &env.t.app_id,
            ProvisionOAuthGrant {
                provider_id: "google".into(),
                principal: OAuthPrincipal::User {
                    sub: "dev-user".into(),
                    idp_id: env.t.idp_id.clone(),
                },
                label: Some("l3".into()),
                account_identifier: Some("me@example.com".into()),
                account_display_name: Some("Me".into()),
                scopes: vec!["email".into()],
            },
        )
        .await
        .unwrap();
    let l = c.list(json!({"limit": 3, "offset": 0})).await;
    l.expect(200, "");
    assert_eq!(l.body["total"], 8);
    assert_eq!(l.body["has_more"], true);
    assert_eq!(l.body["limit"], 3);
    assert_eq!(l.body["grants"][0]["grant_kind"], "oauth");
    assert_eq!(l.body["grants"][0]["principal_type"], "user");
    assert_eq!(l.body["grants"][0]["scopes"], json!(["email"]));
    assert_eq!(l.body["grants"][1]["grant_id"], ids[6].as_str());
    // Pages cover everything once, newest first.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let l = c.list(json!({"limit": 3, "offset": offset})).await;
        let page = l.body["grants"].as_array().unwrap().clone();
        seen.extend(
            page.iter()
                .map(|g| g["grant_id"].as_str().unwrap().to_string()),
        );
        if !l.body["has_more"].as_bool().unwrap() {
            break;
        }
        offset += 3;
    }
    assert_eq!(seen.len(), 8);
    let ms_ids: Vec<_> = seen[1..].iter().cloned().rev().collect();
    assert_eq!(ms_ids, ids);
    // Filters, AND-ed.
    let n = |b: Value| {
        let c = c.clone();
        async move { c.list(b).await.body["total"].as_i64().unwrap() }
    };
    assert_eq!(n(json!({"provider_id": "demo-secret"})).await, 7);
    assert_eq!(n(json!({"provider_id": "google"})).await, 1);
    assert_eq!(n(json!({"label": "l3"})).await, 2);
    assert_eq!(n(json!({"label": "l3", "provider_id": "google"})).await, 1);
    assert_eq!(n(json!({"account": "me@example.com"})).await, 1);
    assert_eq!(
        n(json!({"account": "me@example.com", "label": "l1"})).await,
        0
    );
    assert_eq!(n(json!({"provider_id": "nope"})).await, 0);
    // Past the end.
    let l = c.list(json!({"offset": 100})).await;
    assert_eq!(l.body["total"], 8);
    assert_eq!(l.body["grants"], json!([]));
    assert_eq!(l.body["has_more"], false);
    // Item shape of a managed-secret grant.
    let l = c
        .list(json!({"provider_id": "demo-secret", "limit": 1}))
        .await;
    let g = &l.body["grants"][0];
    assert_eq!(g["grant_kind"], "managed_secret");
    assert_eq!(g["managed_secret_slug"], "demo-secret");
    assert_eq!(g["managed_secret_name"], "Demo Secret");
    assert_eq!(g["managed_secret_id"], env.t.managed_secret_id.as_str());
    assert_eq!(g["credential_kind"], "developer");
    assert_eq!(g["credential_label"], "default");
    assert_eq!(g["access_via"], "ownership");
}

#[tokio::test]
async fn visibility() {
    let env = Env::new().await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    c.create(ms, user(&env.t.user_token, "mine"))
        .await
        .expect(201, "");
    let other = token(&env, "someone", &[]).await;
    c.create(ms, user(&other, "theirs")).await.expect(201, "");
    c.create(ms, group("eng", &env.t.idp_id, "team"))
        .await
        .expect(201, "");
    c.create(ms, group("ops", &env.t.idp_id, "ops"))
        .await
        .expect(201, "");
    c.create(ms, Env::system("sys")).await.expect(201, "");
    env.agent()
        .create(
            ms,
            json!({"principal": {"type": "agent", "label": "bot"}, "grant_policy": {}}),
        )
        .await
        .expect(201, "");
    let labels = |r: &Resp| {
        let mut v: Vec<String> = r.body["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["label"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    // App: everything.
    assert_eq!(c.list(json!({})).await.body["total"], 6);
    // App with the user's token: the user's grants and those of the user's groups.
    let r = c.list(json!({"user_token": env.t.user_token})).await;
    assert_eq!(labels(&r), vec!["mine", "team"]);
    c.list(json!({"user_token": "x.y.z"}))
        .await
        .expect(401, "jwt_validation_error");
    // Agent: only its own, by key or by impersonation.
    let r = env.agent().list(json!({})).await;
    assert_eq!(labels(&r), vec!["bot"]);
    assert_eq!(r.body["grants"][0]["agent_id"], env.t.agent_id.as_str());
    let r = env
        .app()
        .impersonating(&env.t.agent_id)
        .list(json!({}))
        .await;
    assert_eq!(labels(&r), vec!["bot"]);
    let other_agent = env
        .admin()
        .create_agent(
            &env.t.app_id,
            CreateAgent {
                name: "o".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .agent_id;
    assert_eq!(
        env.app()
            .impersonating(&other_agent)
            .list(json!({}))
            .await
            .body["total"],
        0
    );
    // Revoke with a user token: only the user's (or the user's groups') grants.
    let all = c.list(json!({})).await;
    let find = |l: &str| {
        all.body["grants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["label"] == l)
            .unwrap()["grant_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    c.revoke(&find("theirs"), json!({"user_token": env.t.user_token}))
        .await
        .expect(404, "grant_not_found");
    c.revoke(&find("team"), json!({"user_token": env.t.user_token}))
        .await
        .expect(200, "");
}

#[tokio::test]
async fn revoke_rules() {
    let env = Env::new().await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    let g = c.create(ms, Env::system("r")).await;
    let id = g.body["grant_id"].as_str().unwrap().to_string();
    env.agent()
        .revoke(&id, json!({}))
        .await
        .expect(403, "permission_denied");
    env.app()
        .impersonating(&env.t.agent_id)
        .revoke(&id, json!({}))
        .await
        .expect(403, "permission_denied");
    let r = c
        .revoke(&id.to_uppercase(), json!({"reason": "rotation"}))
        .await;
    r.expect(200, "");
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["grant_id"], id.as_str());
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(r.body["revoked_at"].as_str().unwrap().ends_with('Z'));
    let r = c.revoke(&id, json!({})).await;
    r.expect(403, "grant_revoked");
    assert_eq!(r.body["grant_id"], id.as_str());
    c.revoke(&uuid::Uuid::new_v4().to_string(), json!({}))
        .await
        .expect(404, "grant_not_found");
    c.revoke("not-a-uuid", json!({}))
        .await
        .expect(404, "grant_not_found");
    // OAuth grants revoke through the same path.
    let oauth = env
        .admin()
        .provision_oauth_grant(
            &env.t.app_id,
            ProvisionOAuthGrant {
                provider_id: "github".into(),
                principal: OAuthPrincipal::System,
                label: None,
                account_identifier: None,
                account_display_name: None,
                scopes: vec![],
            },
        )
        .await
        .unwrap()
        .grant_id;
    c.revoke(&oauth, json!({})).await.expect(200, "");
    // An empty body is accepted like {}.
    let g2 = c.create(ms, Env::system("r2")).await;
    let r = c
        .post_raw(
            &format!(
                "/sdk/oauth/grants/{}/revoke",
                g2.body["grant_id"].as_str().unwrap()
            ),
            b"",
        )
        .await;
    r.expect(200, "");
}

#[tokio::test]
async fn audit_records_every_create_and_revoke() {
    let env = Env::new().await;
    let ms = &env.t.managed_secret_id;
    let c = env.app();
    let g = c.create(ms, Env::system("nightly-report")).await;
    let id = g.body["grant_id"].as_str().unwrap();
    c.revoke(id, json!({"reason": "done"}))
        .await
        .expect(200, "");
    env.agent()
        .create(
            ms,
            json!({"principal": {"type": "agent", "label": "bot"}, "grant_policy": {}}),
        )
        .await
        .expect(201, "");
    c.create(ms, Env::system("nightly-report"))
        .await
        .expect(201, "");
    c.create(ms, Env::system("nightly-report"))
        .await
        .expect(409, "sibling_label_conflict");
    let a = env
        .admin()
        .audit(&env.t.app_id, 100, 0)
        .await
        .unwrap()
        .records;
    assert_eq!(a.len(), 4, "{a:?}");
    assert_eq!(a[3].action, "grant.create");
    assert_eq!(a[3].label.as_deref(), Some("nightly-report"));
    assert_eq!(a[3].principal.as_deref(), Some("system"));
    assert_eq!(a[3].grant_id.as_deref(), Some(id));
    assert!(a[3].actor.starts_with("app_key:"));
    assert_eq!(a[2].action, "grant.revoke");
    assert_eq!(a[2].reason.as_deref(), Some("done"));
    assert_eq!(a[2].label.as_deref(), Some("nightly-report"));
    assert_eq!(a[1].actor, format!("agent:{}", env.t.agent_id));
    assert_eq!(a[1].principal_type.as_deref(), Some("agent"));
    assert!(a[0].at.ends_with('Z'));
}

#[tokio::test]
async fn tenant_isolation_is_404() {
    let env = Env::new().await;
    // A second tenant on the same server.
    let other = grantline_server::provision_demo(&env.server).await.unwrap();
    let mine = env.app();
    let theirs = Client::new(&other.base_url, &other.app_key);
    let g = theirs
        .create(&other.managed_secret_id, Env::system("x"))
        .await;
    g.expect(201, "");
    let gid = g.body["grant_id"].as_str().unwrap();
    mine.create(&other.managed_secret_id, Env::system("x"))
        .await
        .expect(404, "managed_secret_not_found");
    mine.revoke(gid, json!({}))
        .await
        .expect(404, "grant_not_found");
    mine.create(&env.t.managed_secret_id, group("eng", &other.idp_id, "g"))
        .await
        .expect(422, "idp_not_found");
    mine.create(&env.t.managed_secret_id, user(&other.user_token, "u"))
        .await
        .expect(401, "jwt_validation_error");
    mine.list(json!({"user_token": other.user_token}))
        .await
        .expect(401, "jwt_validation_error");
    mine.clone()
        .impersonating(&other.agent_id)
        .list(json!({}))
        .await
        .expect(404, "caller_agent_unresolved");
    let mut body = Env::system("y");
    body["credential_id"] = json!(other.credential_id);
    mine.create(&env.t.managed_secret_id, body)
        .await
        .expect(404, "credential_not_found");
    assert_eq!(mine.list(json!({})).await.body["total"], 0);
    assert_eq!(theirs.list(json!({})).await.body["total"], 1);
    // The admin surface is tenant-scoped too.
    assert!(
        env.admin()
            .add_credential(
                &env.t.app_id,
                &other.managed_secret_id,
                AddCredential {
                    label: "l".into(),
                    kind: "developer".into(),
                    value: "v".into()
                }
            )
            .await
            .is_err()
    );
}
