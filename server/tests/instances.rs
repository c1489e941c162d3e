//! Two instances on one database behave as one (each with its own pool, caches and writer, as
//! two processes would): a nonce accepted by one is refused by the other, racing creates of one
//! label give exactly one grant, both list the same totals, and a key revoked (or an agent
//! paused) through one is refused by the other within the documented bound. Against a shared
//! SQLite file, or a fresh PostgreSQL database with `GRANTLINE_TEST_STORE=postgres`.

mod common;

use common::*;
use grantline_server::admin::MintKey;
use grantline_server::store::cache::STALE_AFTER;
use grantline_server::{ServerConfig, start, start_dev};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

/// Two servers on one fresh database of the store under test, and the demo tenant.
struct Two {
    a: Env,
    b: grantline_server::RunningServer,
    _dir: tempfile::TempDir,
}

impl Two {
    async fn new() -> Two {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = ServerConfig::ephemeral().with_database(persistent_database(dir.path()));
        cfg.master_key = Some([9u8; 32]);
        let (server, t) = start_dev(cfg.clone()).await.expect("first instance");
        let b = start(cfg).await.expect("second instance");
        Two {
            a: Env { server, t },
            b,
            _dir: dir,
        }
    }
    /// The app key's client on instance A and on instance B.
    fn clients(&self) -> [Client; 2] {
        [
            self.a.app(),
            Client::new(self.b.base_url(), &self.a.t.app_key),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonce_accepted_by_one_instance_is_refused_by_the_other() {
    let two = Two::new().await;
    let [a, b] = two.clients();
    let body = serde_json::to_vec(&json!({"limit": 1})).unwrap();
    let p = a.prepare("POST", "/sdk/grants/list", &body);
    a.send(&p).await.expect(200, "");
    b.send(&p).await.expect(401, "replayed_nonce");
    a.send(&p).await.expect(401, "replayed_nonce");
    // And the other way round, for a create.
    let path = format!("/sdk/managed-secrets/{}/grants", two.a.t.managed_secret_id);
    let body = serde_json::to_vec(&Env::system("once")).unwrap();
    let p = b.prepare("POST", &path, &body);
    b.send(&p).await.expect(201, "");
    a.send(&p).await.expect(401, "replayed_nonce");
    assert_eq!(two.a.total().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_creates_of_one_label_across_instances_give_one_grant() {
    let two = Two::new().await;
    let clients = two.clients();
    let ms = two.a.t.managed_secret_id.clone();
    for round in 0..5 {
        let label = format!("same-{round}");
        let mut tasks = Vec::new();
        for i in 0..40 {
            let c = clients[i % 2].clone();
            let (ms, label) = (ms.clone(), label.clone());
            tasks.push(tokio::spawn(async move {
                c.create(&ms, Env::system(&label)).await
            }));
        }
        let mut won = 0;
        for t in tasks {
            let r = t.await.unwrap();
            match r.status {
                201 => won += 1,
                409 => assert_eq!(r.code(), "sibling_label_conflict"),
                s => panic!("unexpected {s}: {}", r.body),
            }
        }
        assert_eq!(won, 1, "round {round}");
    }
    // Distinct labels from both at once: every one stored once; both count the same.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let c = clients[i % 2].clone();
        let ms = ms.clone();
        tasks.push(tokio::spawn(async move {
            c.create(&ms, Env::system(&format!("label-{i}"))).await
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        r.expect(201, "");
        ids.insert(r.body["grant_id"].as_str().unwrap().to_string());
    }
    for c in &clients {
        let page = c.list(json!({"limit": 1000})).await;
        page.expect(200, "");
        assert_eq!(page.body["total"], 205);
        let listed: HashSet<String> = page.body["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["grant_id"].as_str().unwrap().to_string())
            .collect();
        assert!(ids.is_subset(&listed));
        let filtered = c.list(json!({"label": "label-7"})).await;
        assert_eq!(filtered.body["total"], 1);
    }
    assert_eq!(two.a.audit_len().await, 205);
}

/// Calls until `f` gives the wanted status, or `limit` passes; returns the time it took.
async fn refused_within(c: &Client, body: serde_json::Value, code: &str, limit: Duration) {
    let start = std::time::Instant::now();
    loop {
        let r = c.list(body.clone()).await;
        if r.status == 401 && r.code() == code {
            return;
        }
        r.expect(200, "");
        assert!(
            start.elapsed() < limit,
            "still accepted {:?} after the change",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_and_a_paused_agent_are_refused_by_every_instance_within_the_bound() {
    let two = Two::new().await;
    let admin = two.a.admin();
    let k = admin
        .mint_key(
            &two.a.t.app_id,
            MintKey {
                kind: "app".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let on_a = Client::new(&two.a.t.base_url, &k.key);
    let on_b = Client::new(two.b.base_url(), &k.key);
    // Both instances have read (and cached) the key.
    on_a.list(json!({})).await.expect(200, "");
    on_b.list(json!({})).await.expect(200, "");
    admin.revoke_key(&two.a.t.app_id, &k.key_id).await.unwrap();
    // The instance that made the change refuses at once; the other within the bound (an
    // entry is never served longer than STALE_AFTER after a change was committed).
    on_a.list(json!({})).await.expect(401, "key_revoked");
    let revoked = std::time::Instant::now();
    refused_within(&on_b, json!({}), "key_revoked", STALE_AFTER * 3).await;
    tokio::time::sleep(STALE_AFTER.saturating_sub(revoked.elapsed())).await;
    on_b.list(json!({})).await.expect(401, "key_revoked");

    // An agent paused through B: its key is refused by A.
    let agent_on_a = Client::new(&two.a.t.base_url, &two.a.t.agent_key);
    agent_on_a.list(json!({})).await.expect(200, "");
    two.b
        .admin()
        .set_agent_status(&two.a.t.app_id, &two.a.t.agent_id, "paused")
        .await
        .unwrap();
    refused_within(&agent_on_a, json!({}), "agent_inactive", STALE_AFTER * 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_added_through_one_instance_changes_the_others_choice() {
    let two = Two::new().await;
    let [_, b] = two.clients();
    let ms = two.a.t.managed_secret_id.clone();
    b.create(&ms, Env::system("one")).await.expect(201, "");
    two.a
        .admin()
        .add_credential(
            &two.a.t.app_id,
            &ms,
            grantline_server::admin::AddCredential {
                label: "second".into(),
                kind: "developer".into(),
                value: "another-secret-value".into(),
            },
        )
        .await
        .unwrap();
    // B cached one credential; within the bound it sees two and asks which.
    let start = std::time::Instant::now();
    loop {
        let r = b
            .create(
                &ms,
                Env::system(&format!("try-{}", start.elapsed().as_micros())),
            )
            .await;
        if r.status == 409 {
            assert_eq!(r.code(), "credential_id_required");
            break;
        }
        r.expect(201, "");
        assert!(
            start.elapsed() < STALE_AFTER * 3,
            "B still picks the only credential"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
