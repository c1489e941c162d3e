//! `grantline-server-bench`: grants created per second over HTTP, and list-page latency (first
//! page, deep offset) at 10k, 100k and 1M grants in one app. Release build:
//!
//! ```text
//! cargo run --release -p grantline-server --bin grantline-server-bench -- [--sizes 10000,100000,1000000]
//! ```
//!
//! The server and the load generator share the machine (and this process's runtime); the
//! database is a WAL file in a temporary directory.

use grantline::signing::{self, Identity, SignInput, SigningKey};
use grantline_server::clock::to_micros;
use grantline_server::store::GrantRec;
use grantline_server::{ServerConfig, start_dev};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Signer {
    http: reqwest::Client,
    base: String,
    key: String,
    signing: SigningKey,
}

impl Signer {
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).unwrap();
        let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
        let nonce = signing::new_nonce();
        let hash = signing::content_sha256(&bytes);
        let input = SignInput {
            method: "POST",
            path_and_query: path,
            timestamp: &ts,
            nonce: &nonce,
            content_sha256: &hash,
            scope_constraints: None,
            request_rule: None,
            identity: Identity::default(),
        };
        let sig = self.signing.sign(&signing::string_to_sign(&input));
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-api-key", &self.key)
            .header("x-alter-timestamp", ts)
            .header("x-alter-nonce", nonce)
            .header("x-alter-content-sha256", hash)
            .header("x-alter-signature", sig)
            .header("content-type", "application/json")
            .body(bytes)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, body)
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn list_latency(s: &Signer, body: Value, n: usize) -> (f64, f64, i64) {
    let mut samples = Vec::with_capacity(n);
    let mut total = 0;
    for _ in 0..n {
        let t = Instant::now();
        let (st, b) = s.post("/sdk/grants/list", &body).await;
        samples.push(t.elapsed());
        assert_eq!(st, 200, "{b}");
        total = b["total"].as_i64().unwrap_or(-1);
    }
    samples.sort();
    (pct(&samples, 0.5), pct(&samples, 0.99), total)
}

async fn creates_per_second(
    s: Arc<Signer>,
    ms: &str,
    round: usize,
    count: usize,
    conc: usize,
) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conc {
        let s = s.clone();
        let path = format!("/sdk/managed-secrets/{ms}/grants");
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < count {
                let body = json!({"principal": {"type": "system", "label": format!("bench-{round}-{i}")},
                                  "grant_policy": {}});
                let (st, b) = s.post(&path, &body).await;
                assert_eq!(st, 201, "{b}");
                i += conc;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let mut sizes = vec![10_000usize, 100_000, 1_000_000];
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--sizes") {
        sizes = args[i + 1].split(',').map(|s| s.parse().unwrap()).collect();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(sizes));
}

async fn run(sizes: Vec<usize>) {
    let dir = tempfile_dir();
    let db = dir.join("bench.db");
    let (server, t) = start_dev(ServerConfig::ephemeral().with_database(db.to_str().unwrap()))
        .await
        .unwrap();
    let store = server.store();
    let signer = Arc::new(Signer {
        http: reqwest::Client::new(),
        base: t.base_url.clone(),
        key: t.app_key.clone(),
        signing: SigningKey::derive(&t.app_key),
    });
    println!(
        "| grants in app | creates/s (HTTP, 16 in flight) | first page p50 / p99 (ms) | filtered first page p50 / p99 (ms) | deep offset p50 / p99 (ms) |"
    );
    println!("|---:|---:|---:|---:|---:|");
    let mut seeded = 0usize;
    let base = to_micros(time::OffsetDateTime::now_utc()) - 10_000_000_000;
    for (round, &size) in sizes.iter().enumerate() {
        let t0 = Instant::now();
        while seeded < size {
            let n = (size - seeded).min(20_000);
            let batch: Vec<GrantRec> = (seeded..seeded + n)
                .map(|i| GrantRec {
                    id: uuid::Uuid::new_v4().to_string(),
                    app_id: t.app_id.clone(),
                    kind: "managed_secret".into(),
                    provider_slug: t.managed_secret_slug.clone(),
                    managed_secret_id: Some(t.managed_secret_id.clone()),
                    credential_id: Some(t.credential_id.clone()),
                    principal_type: "system".into(),
                    principal_ref: None,
                    principal_subject: "system".into(),
                    idp_id: None,
                    label: Some(format!("seed-{i}")),
                    sibling_key: Some(format!(
                        "managed_secret|{}|system||seed-{i}",
                        t.managed_secret_id
                    )),
                    account_identifier: None,
                    account_display_name: None,
                    scopes: None,
                    grant_policy: None,
                    grant_expires_at: None,
                    created_at: base + i as i64 * 1000,
                    revoked_at: None,
                    revoke_reason: None,
                    created_by: "bench".into(),
                })
                .collect();
            store.seed_grants(&batch).await.unwrap();
            seeded += n;
        }
        eprintln!("seeded {size} in {:.1}s", t0.elapsed().as_secs_f64());
        // Warm up, then measure.
        let _ = list_latency(&signer, json!({"limit": 100}), 20).await;
        let creates =
            creates_per_second(signer.clone(), &t.managed_secret_id, round, 4000, 16).await;
        seeded += 4000;
        let (f50, f99, total) =
            list_latency(&signer, json!({"limit": 100, "offset": 0}), 300).await;
        let (p50, p99, _) = list_latency(
            &signer,
            json!({"limit": 100, "offset": 0, "provider_id": t.managed_secret_slug, "status": "active"}),
            100,
        )
        .await;
        let deep = (size / 2) as i64;
        let (d50, d99, _) = list_latency(&signer, json!({"limit": 100, "offset": deep}), 50).await;
        assert!(total >= size as i64);
        println!(
            "| {total} | {creates:.0} | {f50:.2} / {f99:.2} | {p50:.2} / {p99:.2} | {d50:.2} / {d99:.2} (offset {deep}) |"
        );
    }
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("grantline-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
