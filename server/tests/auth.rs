//! Authentication (docs/wire.md §2) and caller resolution (§3.4).

mod common;

use common::*;
use grantline_server::ManualClock;
use grantline_server::admin::{CreateAgent, CreateApp, MintKey};
use serde_json::{Value, json};
use std::sync::Arc;

const LIST: &str = "/sdk/grants/list";

#[tokio::test]
async fn legacy_signature_accepted_and_actor_id_returned() {
    let env = Env::new().await;
    let r = env.app().list(json!({"limit": 10, "offset": 0})).await;
    r.expect(200, "");
    let actor = r.actor().expect("actor id header").to_string();
    assert!(uuid::Uuid::parse_str(&actor).is_ok());
    // v2 once the actor id is echoed back, exactly as the official client does.
    let mut c = env.app();
    c.ident.actor_id = Some(actor.clone());
    let r = c.list(json!({"limit": 10})).await;
    r.expect(200, "");
    assert_eq!(r.actor(), Some(actor.as_str()));
}

#[tokio::test]
async fn bad_signature_is_401() {
    let env = Env::new().await;
    let c = env.app();
    let mut p = c.prepare("POST", LIST, b"{}");
    p.set("x-alter-signature", &"0".repeat(64));
    let r = c.send(&p).await;
    r.expect(401, "invalid_signature");
    // An identified key gets its actor id even on an error.
    assert!(r.actor().is_some());
    // Signed with another key.
    let other = Client::new(&env.t.base_url, "alter_rk_abcdefghijklmnopqrstuv_iwpykn");
    let mut p = other.prepare("POST", LIST, b"{}");
    p.set("x-api-key", &env.t.app_key);
    c.send(&p).await.expect(401, "invalid_signature");
    // Not hex at all.
    let mut p = c.prepare("POST", LIST, b"{}");
    p.set("x-alter-signature", "zz");
    c.send(&p).await.expect(401, "invalid_signature");
    // Signed for another path.
    let mut p = c.prepare("POST", "/sdk/grants/other", b"{}");
    p.path = LIST.into();
    c.send(&p).await.expect(401, "invalid_signature");
}

#[tokio::test]
async fn stale_timestamps_are_401() {
    let env = Env::new().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for skew in [-400, 400, -100_000] {
        let mut c = env.app();
        c.timestamp = Some(now + skew);
        c.list(json!({})).await.expect(401, "stale_timestamp");
    }
    for skew in [-250, 250] {
        let mut c = env.app();
        c.timestamp = Some(now + skew);
        c.list(json!({})).await.expect(200, "");
    }
    let c = env.app();
    let mut p = c.prepare("POST", LIST, b"{}");
    p.set("x-alter-timestamp", "1e9");
    c.send(&p).await.expect(401, "stale_timestamp");
}

#[tokio::test]
async fn replayed_nonce_is_401() {
    let env = Env::new().await;
    let c = env.app();
    let p = c.prepare("POST", LIST, b"{}");
    c.send(&p).await.expect(200, "");
    c.send(&p).await.expect(401, "replayed_nonce");
    // A replayed create stores nothing the second time.
    let body = serde_json::to_vec(&Env::system("once")).unwrap();
    let p = c.prepare(
        "POST",
        &format!("/sdk/managed-secrets/{}/grants", env.t.managed_secret_id),
        &body,
    );
    c.send(&p).await.expect(201, "");
    c.send(&p).await.expect(401, "replayed_nonce");
    assert_eq!(env.total().await, 1);
}

/// A replay is refused however the first request ended: a validation error, a sibling conflict
/// that has gone since, a revoke. (The nonce is remembered by the operation, or on the way out
/// of one that ended early.)
#[tokio::test]
async fn a_replay_is_refused_whatever_the_first_request_got() {
    let env = Env::new().await;
    let c = env.app();
    let ms = &env.t.managed_secret_id;
    let create = format!("/sdk/managed-secrets/{ms}/grants");
    // A 422 first, then the same request again.
    let p = c.prepare("POST", &create, br#"{"principal": {"type": "nobody"}}"#);
    c.send(&p).await.expect(422, "invalid_request");
    c.send(&p).await.expect(401, "replayed_nonce");
    // A 404 for an unknown managed secret.
    let missing = format!("/sdk/managed-secrets/{}/grants", uuid::Uuid::new_v4());
    let p = c.prepare(
        "POST",
        &missing,
        &serde_json::to_vec(&Env::system("x")).unwrap(),
    );
    c.send(&p).await.expect(404, "managed_secret_not_found");
    c.send(&p).await.expect(401, "replayed_nonce");
    // A 409 while a sibling holds the label: once the sibling is revoked, the replay is still
    // refused (it would otherwise create the grant now).
    let first = c.create(ms, Env::system("held")).await;
    first.expect(201, "");
    let body = serde_json::to_vec(&Env::system("held")).unwrap();
    let p = c.prepare("POST", &create, &body);
    c.send(&p).await.expect(409, "sibling_label_conflict");
    c.revoke(first.body["grant_id"].as_str().unwrap(), json!({}))
        .await
        .expect(200, "");
    c.send(&p).await.expect(401, "replayed_nonce");
    // A revoke.
    let g = c.create(ms, Env::system("r")).await;
    let path = format!(
        "/sdk/oauth/grants/{}/revoke",
        g.body["grant_id"].as_str().unwrap()
    );
    let p = c.prepare("POST", &path, b"{}");
    c.send(&p).await.expect(200, "");
    c.send(&p).await.expect(401, "replayed_nonce");
    assert_eq!(env.total().await, 2);
}

#[tokio::test]
async fn wrong_body_hash_is_401() {
    let env = Env::new().await;
    let c = env.app();
    // The body differs from what was hashed and signed.
    let mut p = c.prepare("POST", LIST, b"{\"limit\":1}");
    p.body = b"{\"limit\":2}".to_vec();
    c.send(&p).await.expect(401, "content_hash_mismatch");
    // Hash header consistent with the body but not with the signature.
    let mut p = c.prepare("POST", LIST, b"{\"limit\":1}");
    p.body = b"{\"limit\":2}".to_vec();
    p.set(
        "x-alter-content-sha256",
        &grantline::signing::content_sha256(b"{\"limit\":2}"),
    );
    c.send(&p).await.expect(401, "invalid_signature");
}

#[tokio::test]
async fn v2_tampering_is_401() {
    let env = Env::new().await;
    let agent2 = env
        .admin()
        .create_agent(
            &env.t.app_id,
            CreateAgent {
                name: "b".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .agent_id;
    let c = env.app().impersonating(&env.t.agent_id);
    // The caller header swapped after signing.
    let mut p = c.prepare("POST", LIST, b"{}");
    p.set("x-alter-caller", &agent2);
    c.send(&p).await.expect(401, "invalid_signature");
    // Caller type changed.
    let mut p = c.prepare("POST", LIST, b"{}");
    p.set("x-alter-caller-type", "service");
    c.send(&p).await.expect(401, "invalid_signature");
    // Downgrade: identity headers stripped but the v2 digest kept.
    let mut p = c.prepare("POST", LIST, b"{}");
    p.remove("x-alter-caller").remove("x-alter-caller-type");
    c.send(&p).await.expect(401, "invalid_signature");
    // The V2 header missing.
    let mut p = c.prepare("POST", LIST, b"{}");
    p.remove("x-alter-signature-v2");
    c.send(&p).await.expect(401, "invalid_signature");
    // The two headers disagree.
    let mut p = c.prepare("POST", LIST, b"{}");
    p.set("x-alter-signature-v2", &"1".repeat(64));
    c.send(&p).await.expect(401, "invalid_signature");
    // An added context header that was not signed.
    let mut p = c.prepare("POST", LIST, b"{}");
    p.set("x-alter-context", "{\"tool\":\"x\"}");
    c.send(&p).await.expect(401, "invalid_signature");
    // Signed context is fine.
    let mut c2 = env.app();
    c2.ident.context = Some("{\"tool\":\"x\"}".into());
    c2.list(json!({})).await.expect(200, "");
    // Untampered impersonation works and returns no actor id.
    let r = c.list(json!({})).await;
    r.expect(200, "");
    assert_eq!(r.actor(), None);
}

#[tokio::test]
async fn missing_and_invalid_keys() {
    let env = Env::new().await;
    let c = env.app();
    for h in [
        "x-api-key",
        "x-alter-timestamp",
        "x-alter-nonce",
        "x-alter-content-sha256",
        "x-alter-signature",
    ] {
        let mut p = c.prepare("POST", LIST, b"{}");
        p.remove(h);
        c.send(&p).await.expect(401, "missing_auth");
    }
    let mut p = c.prepare("POST", LIST, b"{}");
    p.set("x-api-key", "not-a-key");
    let r = c.send(&p).await;
    r.expect(401, "invalid_key");
    assert_eq!(r.actor(), None);
    // Well-formed but unknown.
    Client::new(&env.t.base_url, "alter_rk_abcdefghijklmnopqrstuv_iwpykn")
        .list(json!({}))
        .await
        .expect(401, "invalid_key");
}

#[tokio::test]
async fn revoked_key_is_401() {
    let env = Env::new().await;
    let k = env
        .admin()
        .mint_key(
            &env.t.app_id,
            MintKey {
                kind: "app".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = Client::new(&env.t.base_url, &k.key);
    c.list(json!({})).await.expect(200, "");
    env.admin()
        .revoke_key(&env.t.app_id, &k.key_id)
        .await
        .unwrap();
    c.list(json!({})).await.expect(401, "key_revoked");
}

#[tokio::test]
async fn agent_status_and_caller_rules() {
    let env = Env::new().await;
    let admin = env.admin();
    let other = admin
        .create_agent(
            &env.t.app_id,
            CreateAgent {
                name: "other".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .agent_id;
    // Agent key naming another agent → 400 caller_agent_mismatch; naming itself is fine.
    env.agent()
        .impersonating(&other)
        .list(json!({}))
        .await
        .expect(400, "caller_agent_mismatch");
    env.agent()
        .impersonating(&env.t.agent_id)
        .list(json!({}))
        .await
        .expect(200, "");
    // App key impersonating an unknown agent / a non-uuid → 404 caller_agent_unresolved.
    env.app()
        .impersonating(&uuid::Uuid::new_v4().to_string())
        .list(json!({}))
        .await
        .expect(404, "caller_agent_unresolved");
    env.app()
        .impersonating("not-a-uuid")
        .list(json!({}))
        .await
        .expect(404, "caller_agent_unresolved");
    // An agent of another app.
    let app2 = admin
        .create_app(CreateApp {
            name: "x".into(),
            id: None,
        })
        .await
        .unwrap()
        .app_id;
    let foreign = admin
        .create_agent(
            &app2,
            CreateAgent {
                name: "f".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .agent_id;
    env.app()
        .impersonating(&foreign)
        .list(json!({}))
        .await
        .expect(404, "caller_agent_unresolved");
    // Service callers act as the app.
    let mut svc = env.app();
    svc.ident.caller = Some("billing-cron".into());
    svc.ident.caller_type = Some("service".into());
    let r = svc.list(json!({})).await;
    r.expect(200, "");
    assert_eq!(r.actor(), None);
    let mut bad = env.app();
    bad.ident.caller = Some("x".into());
    bad.ident.caller_type = Some("robot".into());
    bad.list(json!({})).await.expect(422, "invalid_request");

    // Paused and revoked agents.
    admin
        .set_agent_status(&env.t.app_id, &env.t.agent_id, "paused")
        .await
        .unwrap();
    env.agent()
        .list(json!({}))
        .await
        .expect(401, "agent_inactive");
    env.app()
        .impersonating(&env.t.agent_id)
        .list(json!({}))
        .await
        .expect(404, "caller_agent_unresolved");
    admin
        .set_agent_status(&env.t.app_id, &env.t.agent_id, "revoked")
        .await
        .unwrap();
    env.agent()
        .list(json!({}))
        .await
        .expect(401, "agent_revoked");
    admin
        .set_agent_status(&env.t.app_id, &env.t.agent_id, "active")
        .await
        .unwrap();
    env.agent().list(json!({})).await.expect(200, "");
}

/// A fresh tenant with the vectors' key, caller agent and managed secret, clock pinned.
async fn vector_env(key: &str) -> Env {
    let clock = Arc::new(ManualClock::at_unix(1_700_000_000));
    let env = Env::with(config().with_clock(clock)).await;
    let admin = env.admin();
    admin
        .mint_key(
            &env.t.app_id,
            MintKey {
                kind: "app".into(),
                key: Some(key.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    admin
        .create_agent(
            &env.t.app_id,
            CreateAgent {
                name: "v".into(),
                id: Some("3f2504e0-4f89-41d3-9a0c-0305e82c3301".into()),
            },
        )
        .await
        .unwrap();
    let ms = admin
        .add_managed_secret(
            &env.t.app_id,
            grantline_server::admin::AddManagedSecret {
                slug: "vec".into(),
                name: "Vectors".into(),
                id: Some("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d".into()),
            },
        )
        .await
        .unwrap();
    admin
        .add_credential(
            &env.t.app_id,
            &ms.managed_secret_id,
            grantline_server::admin::AddCredential {
                label: "c".into(),
                kind: "developer".into(),
                value: "v".into(),
            },
        )
        .await
        .unwrap();
    env
}

/// The shared signing vectors are accepted with the clock pinned at their timestamp (each
/// case on a fresh server: they all share one key and one nonce).
#[tokio::test]
async fn shared_signing_vectors_are_accepted() {
    let vectors: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/signing.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let key = vectors["signing_key_hex"]["api_key"].as_str().unwrap();
    let http = reqwest::Client::new();
    let mut checked = 0;
    for case in vectors["cases"].as_array().unwrap() {
        let path = case["path_and_query"].as_str().unwrap();
        if !path.starts_with("/sdk/grants/list") && !path.starts_with("/sdk/managed-secrets/") {
            continue; // GET /sdk/keys is not served here
        }
        let env = vector_env(key).await;
        let exp = &case["expected"];
        let mut headers = vec![
            ("x-api-key".to_string(), key.to_string()),
            (
                "x-alter-timestamp".into(),
                case["timestamp"].as_str().unwrap().into(),
            ),
            (
                "x-alter-nonce".into(),
                case["nonce"].as_str().unwrap().into(),
            ),
            (
                "x-alter-content-sha256".into(),
                exp["content_sha256"].as_str().unwrap().into(),
            ),
            (
                "x-alter-signature".into(),
                exp["x_alter_signature"].as_str().unwrap().into(),
            ),
            ("content-type".into(), "application/json".into()),
        ];
        if let Some(v2) = exp["x_alter_signature_v2"].as_str() {
            headers.push(("x-alter-signature-v2".into(), v2.into()));
        }
        for (label, header) in [
            ("caller", "x-alter-caller"),
            ("caller-type", "x-alter-caller-type"),
            ("actor-id", "x-alter-actor-id"),
            ("actor-context", "x-alter-context"),
        ] {
            if let Some(v) = case["identity"][label].as_str() {
                headers.push((header.into(), v.into()));
            }
        }
        let p = Prepared {
            method: case["method"].as_str().unwrap().into(),
            path: path.into(),
            body: case["body"].as_str().unwrap().as_bytes().to_vec(),
            headers,
        };
        let r = send_raw(&http, &env.t.base_url, &p).await;
        // Accepted = authenticated: a 2xx, or (case 3: an impersonated agent creating a system
        // grant) the rule's own answer, 403 agent_self_grant_only.
        if case["identity"]["caller-type"] == "agent" && path.starts_with("/sdk/managed-secrets/") {
            r.expect(403, "agent_self_grant_only");
        } else {
            assert!(r.status < 300, "{}: {} {}", case["name"], r.status, r.body);
        }
        send_raw(&http, &env.t.base_url, &p)
            .await
            .expect(401, "replayed_nonce");
        // The legacy digest of a v2 request is refused (no downgrade).
        if let Some(legacy) = exp["legacy_signature_not_sent"].as_str() {
            let env = vector_env(key).await;
            let mut p = p.clone();
            p.set("x-alter-signature", legacy)
                .set("x-alter-signature-v2", legacy);
            send_raw(&http, &env.t.base_url, &p)
                .await
                .expect(401, "invalid_signature");
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}
