//! Bad input: always a 4xx JSON `{"error","message"}` body, never a 500, nothing stored.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn bad_bodies_are_4xx_and_store_nothing() {
    let env = Env::new().await;
    let c = env.app();
    let create = format!("/sdk/managed-secrets/{}/grants", env.t.managed_secret_id);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        // malformed JSON
        (
            "truncated",
            b"{\"principal\":".to_vec(),
            400,
            "invalid_json",
        ),
        ("empty", b"".to_vec(), 400, "invalid_json"),
        (
            "garbage",
            b"\xff\xfe not json".to_vec(),
            400,
            "invalid_json",
        ),
        ("trailing", b"{} {}".to_vec(), 400, "invalid_json"),
        // wrong shapes and types
        ("array", b"[]".to_vec(), 422, "invalid_request"),
        ("null", b"null".to_vec(), 422, "invalid_request"),
        (
            "no principal",
            br#"{"grant_policy":{}}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "principal string",
            br#"{"principal":"system"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "unknown type",
            br#"{"principal":{"type":"robot"}}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "no type",
            br#"{"principal":{"label":"x"}}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "label number",
            br#"{"principal":{"type":"system","label":5}}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "credential number",
            br#"{"principal":{"type":"system"},"credential_id":5}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "credential empty",
            br#"{"principal":{"type":"system"},"credential_id":""}"#.to_vec(),
            422,
            "invalid_request",
        ),
        // unknown fields, at every level
        (
            "unknown top",
            br#"{"principal":{"type":"system"},"grant_policy":{},"extra":1}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "unknown in principal",
            br#"{"principal":{"type":"system","label":"a","agent_id":"x"}}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "user without token",
            br#"{"principal":{"type":"user","label":"a"}}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "unknown policy key",
            br#"{"principal":{"type":"system"},"grant_policy":{"ttl":1}}"#.to_vec(),
            422,
            "invalid_grant_policy",
        ),
    ];
    for (name, body, status, code) in &cases {
        let r = c.post_raw(&create, body).await;
        assert_eq!((r.status, r.code()), (*status, *code), "{name}: {}", r.body);
        assert!(r.body["message"].is_string(), "{name}");
    }
    // Principal field limits (docs/wire.md §3.1).
    let long = "x".repeat(256);
    for p in [
        json!({"type": "user", "user_token": "", "label": "a"}),
        json!({"type": "user", "user_token": "t".repeat(8193), "label": "a"}),
        json!({"type": "user", "user_token": "t", "label": ""}),
        json!({"type": "user", "user_token": "t", "label": long}),
        json!({"type": "group", "external_group_id": "", "idp_id": "i", "label": "a"}),
        json!({"type": "group", "external_group_id": "g", "idp_id": long, "label": "a"}),
        json!({"type": "group", "external_group_id": "g", "idp_id": "i", "label": ""}),
        json!({"type": "system", "label": long}),
        json!({"type": "agent", "label": long}),
    ] {
        c.create(
            &env.t.managed_secret_id,
            json!({"principal": p, "grant_policy": {}}),
        )
        .await
        .expect(422, "invalid_request");
    }
    // Listing.
    for body in [
        json!({"limit": 0}),
        json!({"limit": 1001}),
        json!({"limit": -1}),
        json!({"limit": 1e40}),
        json!({"limit": "10"}),
        json!({"limit": true}),
        json!({"offset": -1}),
        json!({"offset": 1.5}),
        json!({"offset": 9_000_000_000_000_000_000u64}),
        json!({"unknown": 1}),
        json!({"provider_id": ""}),
        json!({"label": 5}),
    ] {
        c.list(body.clone()).await.expect(422, "invalid_request");
    }
    c.list(json!({"limit": 1000})).await.expect(200, "");
    c.list(json!({})).await.expect(200, "");
    // Revoke.
    let g = c
        .create(&env.t.managed_secret_id, Env::system("keep"))
        .await;
    let gid = g.body["grant_id"].as_str().unwrap().to_string();
    c.revoke(&gid, json!({"reason": 5}))
        .await
        .expect(422, "invalid_request");
    c.revoke(&gid, json!({"why": "x"}))
        .await
        .expect(422, "invalid_request");
    c.post_raw(&format!("/sdk/oauth/grants/{gid}/revoke"), b"{")
        .await
        .expect(400, "invalid_json");
    // Nothing stored, nothing revoked, nothing audited beyond the one good create.
    assert_eq!(env.total().await, 1);
    assert_eq!(env.audit_len().await, 1);
    let l = c.list(json!({"status": "active"})).await;
    assert_eq!(l.body["total"], 1);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let env = Env::new().await;
    let c = env.app();
    let big = format!(
        "{{\"principal\":{{\"type\":\"system\",\"label\":\"{}\"}}}}",
        "x".repeat(1 << 20)
    );
    let r = c
        .post_raw(
            &format!("/sdk/managed-secrets/{}/grants", env.t.managed_secret_id),
            big.as_bytes(),
        )
        .await;
    r.expect(413, "payload_too_large");
    // Just under the limit is read (and then refused for its content, not its size).
    let fits = format!(
        "{{\"limit\":10,\"label\":\"{}\"}}",
        "y".repeat((1 << 20) - 100)
    );
    let r = c.post_raw("/sdk/grants/list", fits.as_bytes()).await;
    r.expect(422, "invalid_request");
    // A chunked body without Content-Length is limited too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![b' '; 100 * 1024])).collect();
    let p = c.prepare("POST", "/sdk/grants/list", b"{}");
    let mut req = c.http.post(format!("{}{}", c.base, p.path));
    for (n, v) in &p.headers {
        req = req.header(n, v);
    }
    let resp = req
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(env.total().await, 0);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let env = Env::new().await;
    let c = env.app();
    c.post_raw("/sdk/nothing", b"{}")
        .await
        .expect(404, "not_found");
    c.post_raw("/nothing", b"{}").await.expect(404, "not_found");
    let r = c.send(&c.prepare("GET", "/sdk/grants/list", b"")).await;
    r.expect(405, "method_not_allowed");
    // Managed-secret ids that are not UUIDs, or do not exist.
    c.create("not-a-uuid", Env::system("a"))
        .await
        .expect(404, "managed_secret_not_found");
    c.create(&uuid::Uuid::new_v4().to_string(), Env::system("a"))
        .await
        .expect(404, "managed_secret_not_found");
    c.post("/sdk/managed-secrets/a%20b/grants", &Env::system("a"))
        .await
        .expect(404, "managed_secret_not_found");
}

#[tokio::test]
async fn client_disconnect_leaves_no_half_written_grant() {
    let env = Env::new().await;
    let c = env.app();
    // Many creates, each abandoned at a random point: every grant that exists has its audit
    // record, and no label is held twice.
    let mut handles = Vec::new();
    for i in 0..40u64 {
        let c = c.clone();
        let ms = env.t.managed_secret_id.clone();
        handles.push(tokio::spawn(async move {
            let fut = c.create(&ms, Env::system(&format!("d{}", i % 10)));
            let _ =
                tokio::time::timeout(std::time::Duration::from_micros(200 * (i % 7)), fut).await;
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    // The abandoned creates finish on their own; a grant without its audit record, or a label
    // held twice, never comes right.
    eventually("creates whole", || async {
        let l = c.list(json!({"limit": 1000})).await;
        let total = l.body["total"].as_i64().unwrap();
        let audited = env.audit_len().await as i64;
        let mut labels: Vec<_> = l.body["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["label"].to_string())
            .collect();
        labels.sort();
        labels.dedup();
        if total > 10 || audited != total || labels.len() as i64 != total {
            return Err(format!(
                "{total} grants, {audited} audit records, {} labels",
                labels.len()
            ));
        }
        Ok(())
    })
    .await;
}
