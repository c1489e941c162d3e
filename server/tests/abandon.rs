//! Clients that go away mid-request: whatever they do (close before the body, during
//! authentication, mid-transaction, while the response is written), the server loses nothing it
//! acknowledged, answers no 5xx, and keeps serving. Run against the store under test (SQLite in
//! memory, or PostgreSQL with `GRANTLINE_TEST_STORE=postgres`) and a SQLite file.

mod common;

use common::*;
use grantline_server::ServerConfig;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where a raw client stops.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// Headers sent, then half the body, then the connection closes.
    HalfBody,
    /// The whole request sent; the connection closes after this long.
    After(Duration),
    /// The whole request sent; the first bytes of the response read, then closed.
    FirstBytes,
    /// The whole request sent and the whole response read.
    Never,
}

fn http_text(p: &Prepared, addr: SocketAddr) -> (Vec<u8>, Vec<u8>) {
    let mut head = format!("{} {} HTTP/1.1\r\nhost: {addr}\r\n", p.method, p.path);
    for (n, v) in &p.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        p.body.len()
    ));
    (head.into_bytes(), p.body.clone())
}

/// Sends `p` over a fresh connection and stops as `cut` says; returns the status and body of a
/// response read whole.
async fn raw(addr: SocketAddr, p: &Prepared, cut: Cut) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let (head, body) = http_text(p, addr);
    s.write_all(&head).await.unwrap();
    if let Cut::HalfBody = cut {
        let _ = s.write_all(&body[..body.len() / 2]).await;
        return None;
    }
    if s.write_all(&body).await.is_err() {
        return None;
    }
    match cut {
        Cut::After(d) => {
            let mut buf = [0u8; 1];
            let _ = tokio::time::timeout(d, s.read(&mut buf)).await;
            None
        }
        Cut::FirstBytes => {
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf).await;
            None
        }
        Cut::Never => {
            let mut all = Vec::new();
            s.read_to_end(&mut all).await.unwrap();
            let text = String::from_utf8_lossy(&all);
            let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
            let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
            let json = serde_json::from_str(body).unwrap_or(Value::Null);
            Some((status, json))
        }
        Cut::HalfBody => unreachable!(),
    }
}

fn create_body(label: &str) -> Vec<u8> {
    serde_json::to_vec(&Env::system(label)).unwrap()
}

/// Every grant and the tenant are intact: the app and agent keys work, each acknowledged grant
/// is listed, and each grant has exactly its own create audit record (nothing half-written).
/// Abandoned work may still be finishing, so this is checked until it holds: a lost grant or a
/// half-written one never comes right and still fails.
async fn assert_intact(env: &Env, acked: &HashSet<String>) {
    eventually("grants intact", || intact(env, acked)).await;
}

async fn intact(env: &Env, acked: &HashSet<String>) -> Result<(), String> {
    let page = env.app().list(json!({"limit": 1000})).await;
    page.expect(200, "");
    let listed: HashSet<String> = page.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["grant_id"].as_str().unwrap().to_string())
        .collect();
    let missing: Vec<_> = acked.difference(&listed).collect();
    if !missing.is_empty() {
        return Err(format!("acknowledged grants lost: {missing:?}"));
    }
    if page.body["total"].as_u64().unwrap() as usize != listed.len() {
        return Err(format!(
            "total {} but {} listed",
            page.body["total"],
            listed.len()
        ));
    }
    env.agent().list(json!({"limit": 1})).await.expect(200, "");
    let audit = env.admin().audit(&env.t.app_id, 1000, 0).await.unwrap();
    let created: Vec<_> = audit
        .records
        .iter()
        .filter(|r| r.action == "grant.create")
        .filter_map(|r| r.grant_id.clone())
        .collect();
    let created_set: HashSet<_> = created.iter().cloned().collect();
    if created.len() != created_set.len() {
        return Err("a grant audited twice".into());
    }
    if created_set != listed {
        return Err(format!(
            "grants and their audit records differ: {} audited, {} listed",
            created_set.len(),
            listed.len()
        ));
    }
    Ok(())
}

/// Hundreds of requests abandoned at spread-out moments, then a check that nothing was lost.
async fn abandon_everywhere(env: &Env) {
    let addr = env.server.local_addr();
    let app = env.app();
    let ms = env.t.managed_secret_id.clone();
    let mut acked = HashSet::new();
    // Enough grants that a 100-item list takes a while to read and to write.
    for i in 0..150 {
        let r = app.create(&ms, Env::system(&format!("seed-{i}"))).await;
        r.expect(201, "");
        acked.insert(r.body["grant_id"].as_str().unwrap().to_string());
    }
    let create_path = format!("/sdk/managed-secrets/{ms}/grants");
    let list_body = serde_json::to_vec(&json!({"limit": 100})).unwrap();
    let mut tasks = Vec::new();
    for i in 0..600u64 {
        let p = if i % 2 == 0 {
            app.prepare("POST", "/sdk/grants/list", &list_body)
        } else {
            app.prepare(
                "POST",
                &create_path,
                &create_body(&format!("abandoned-{i}")),
            )
        };
        let cut = match i % 10 {
            0 => Cut::HalfBody,
            1 => Cut::FirstBytes,
            2 => Cut::Never,
            _ => Cut::After(Duration::from_micros(50 + (i % 40) * 100)),
        };
        tasks.push(tokio::spawn(async move { raw(addr, &p, cut).await }));
        if i % 8 == 7 {
            // A few in flight at once, not all 600.
            for t in tasks.drain(..) {
                if let Some((status, body)) = t.await.unwrap() {
                    assert!(status < 500, "answered {status}: {body}");
                    if status == 201 {
                        acked.insert(body["grant_id"].as_str().unwrap().to_string());
                    }
                }
            }
        }
    }
    for t in tasks {
        if let Some((status, body)) = t.await.unwrap() {
            assert!(status < 500, "answered {status}: {body}");
        }
    }
    // Abandoned work finishes on its own.
    assert_intact(env, &acked).await;
    // And the server still takes new work.
    app.create(&ms, Env::system("after")).await.expect(201, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_requests_lose_nothing() {
    abandon_everywhere(&Env::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_requests_lose_nothing_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    abandon_everywhere(&Env::with(ServerConfig::ephemeral().with_database(url)).await).await;
}

/// Holds a request at one stage with an injected delay, abandons it there, and returns once the
/// held work has had time to finish.
async fn abandon_at(env: &Env, stage: &str, p: &Prepared) {
    env.admin()
        .inject_fault(
            serde_json::from_value(json!({
                "path_prefix": "/sdk/", "status": 0, "delay_ms": 200, "stage": stage,
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    raw(
        env.server.local_addr(),
        p,
        Cut::After(Duration::from_millis(30)),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    env.admin().clear_faults().await;
}

/// Waits until the grant labelled `label` has `state` (`None`: no such grant).
async fn assert_label_state(env: &Env, label: &str, state: Option<&str>) {
    eventually(label, || async move {
        let now = label_state(env, label).await;
        if now.as_deref() == state {
            Ok(())
        } else {
            Err(format!("{now:?}, expected {state:?}"))
        }
    })
    .await;
}

async fn label_state(env: &Env, label: &str) -> Option<String> {
    let page = env.app().list(json!({"limit": 1000})).await;
    page.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == label)
        .map(|g| g["status"].as_str().unwrap().to_string())
}

/// Requests abandoned at each named point: before the body is read, after authentication,
/// inside the write transaction, while the response is written. Work whose body arrived
/// completes; nothing is half-written; nothing answers 5xx.
async fn abandon_at_each_stage(env: &Env) {
    let app = env.app();
    let ms = env.t.managed_secret_id.clone();
    let create_path = format!("/sdk/managed-secrets/{ms}/grants");
    let addr = env.server.local_addr();

    // Before the body is read: half a body, then gone. Nothing is created.
    let p = app.prepare("POST", &create_path, &create_body("half"));
    raw(addr, &p, Cut::HalfBody).await;
    // Held before the body is read with the body sent: done whole or not at all.
    abandon_at(
        env,
        "request",
        &app.prepare("POST", &create_path, &create_body("held")),
    )
    .await;
    // Held after authentication and inside the transaction: the body was read, so it completes.
    for stage in ["authenticated", "transaction"] {
        let label = format!("abandoned-{stage}");
        abandon_at(
            env,
            stage,
            &app.prepare("POST", &create_path, &create_body(&label)),
        )
        .await;
        assert_label_state(env, &label, Some("active")).await;
    }
    assert_eq!(label_state(env, "half").await, None);
    // A revoke abandoned mid-transaction completes, audit record included.
    let r = app.create(&ms, Env::system("to-revoke")).await;
    r.expect(201, "");
    let id = r.body["grant_id"].as_str().unwrap();
    let body = serde_json::to_vec(&json!({"reason": "abandoned"})).unwrap();
    let path = format!("/sdk/oauth/grants/{id}/revoke");
    abandon_at(env, "transaction", &app.prepare("POST", &path, &body)).await;
    assert_label_state(env, "to-revoke", Some("revoked")).await;
    let audit = env.admin().audit(&env.t.app_id, 1000, 0).await.unwrap();
    assert!(
        audit
            .records
            .iter()
            .any(|r| r.action == "grant.revoke" && r.grant_id.as_deref() == Some(id))
    );
    // While the response is written: the first bytes of a long list, then gone.
    for i in 0..120 {
        app.create(&ms, Env::system(&format!("bulk-{i}")))
            .await
            .expect(201, "");
    }
    let list = serde_json::to_vec(&json!({"limit": 100})).unwrap();
    for _ in 0..20 {
        raw(
            addr,
            &app.prepare("POST", "/sdk/grants/list", &list),
            Cut::FirstBytes,
        )
        .await;
    }
    let page = app.list(json!({"limit": 1000})).await;
    page.expect(200, "");
    let all: HashSet<String> = page.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["grant_id"].as_str().unwrap().to_string())
        .collect();
    assert_intact(env, &all).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_abandoned_at_each_stage() {
    abandon_at_each_stage(&Env::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_abandoned_at_each_stage_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    abandon_at_each_stage(&Env::with(ServerConfig::ephemeral().with_database(url)).await).await;
}

/// A fault of a stage below the request only delays.
#[tokio::test]
async fn a_staged_fault_only_delays() {
    let env = Env::new().await;
    let spec = json!({"path_prefix": "/sdk/", "status": 503, "stage": "transaction"});
    let err = env
        .admin()
        .inject_fault(serde_json::from_value(spec).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code, "invalid_request");
}
