//! Many concurrent creates: every success stored exactly once, no duplicate labels.

mod common;

use common::*;
use grantline_server::ServerConfig;
use serde_json::json;
use std::collections::HashSet;

async fn race(env: &Env) {
    let c = env.app();
    // 50 concurrent creates with one label: exactly one wins.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let c = c.clone();
        let ms = env.t.managed_secret_id.clone();
        tasks.push(tokio::spawn(async move {
            c.create(&ms, Env::system("same")).await
        }));
    }
    let mut ok = 0;
    let mut conflict = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => ok += 1,
            409 => {
                assert_eq!(r.code(), "sibling_label_conflict");
                conflict += 1
            }
            s => panic!("unexpected {s}: {}", r.body),
        }
    }
    assert_eq!((ok, conflict), (1, 49));

    // 200 distinct labels: all stored, each once.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let c = c.clone();
        let ms = env.t.managed_secret_id.clone();
        tasks.push(tokio::spawn(async move {
            c.create(&ms, Env::system(&format!("label-{i}"))).await
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        r.expect(201, "");
        assert!(ids.insert(r.body["grant_id"].as_str().unwrap().to_string()));
    }
    let l = c.list(json!({"limit": 1000})).await;
    assert_eq!(l.body["total"], 201);
    let listed: Vec<String> = l.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["grant_id"].as_str().unwrap().to_string())
        .collect();
    let unique: HashSet<_> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), 201);
    assert!(ids.is_subset(&unique));
    let labels: HashSet<_> = l.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(labels.len(), 201);
    assert_eq!(env.audit_len().await, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates() {
    race(&Env::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_on_a_wal_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let env = Env::with(ServerConfig::ephemeral().with_database(path.to_str().unwrap())).await;
    race(&env).await;
    // The file survives a restart with the same master key; another key is refused.
    env.server.shutdown().await;
    let key = [7u8; 32];
    let dir2 = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir2.path().join("k.db").display());
    let mut cfg = ServerConfig::ephemeral().with_database(url.clone());
    cfg.master_key = Some(key);
    let s = grantline_server::start(cfg.clone()).await.unwrap();
    s.shutdown().await;
    let s = grantline_server::start(cfg.clone()).await.unwrap();
    s.shutdown().await;
    cfg.master_key = Some([8u8; 32]);
    let Err(err) = grantline_server::start(cfg).await else {
        panic!("another key is refused");
    };
    assert!(matches!(err, grantline_server::ServerError::WrongMasterKey));
    // The message names the fix.
    assert!(err.to_string().contains("--master-key-file"), "{err}");
}
