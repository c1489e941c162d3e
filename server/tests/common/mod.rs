//! A small signed test client (grantline::signing + reqwest) that can also send bad requests.
#![allow(dead_code)]

use grantline::signing::{self, Identity, SignInput, SigningKey};
use grantline_server::{DevTenant, RunningServer, ServerConfig, start_dev};
use serde_json::{Value, json};

/// A response, parsed.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
    pub fn actor(&self) -> Option<&str> {
        self.headers
            .get("x-alter-actor-id")
            .and_then(|v| v.to_str().ok())
    }
    #[track_caller]
    pub fn expect(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "unexpected answer: {} {}",
            self.status,
            self.body
        );
        if status >= 400 {
            assert!(
                self.body["message"].is_string(),
                "no message: {}",
                self.body
            );
        }
    }
}

/// Identity headers to send (and sign).
#[derive(Debug, Clone, Default)]
pub struct Ident {
    pub caller: Option<String>,
    pub caller_type: Option<String>,
    pub actor_id: Option<String>,
    pub context: Option<String>,
}

/// A prepared request: every header is editable before sending.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Prepared {
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.remove(name);
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Signs requests for one API key.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
    pub ident: Ident,
    /// Unix seconds to sign with (default: now).
    pub timestamp: Option<i64>,
}

impl Client {
    pub fn new(base: &str, key: &str) -> Self {
        Client {
            http: reqwest::Client::new(),
            base: base.to_string(),
            key: key.to_string(),
            ident: Ident::default(),
            timestamp: None,
        }
    }

    pub fn impersonating(mut self, agent_id: &str) -> Self {
        self.ident.caller = Some(agent_id.to_string());
        self.ident.caller_type = Some("agent".into());
        self
    }

    pub fn prepare(&self, method: &str, path: &str, body: &[u8]) -> Prepared {
        let ts = self
            .timestamp
            .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp())
            .to_string();
        let nonce = signing::new_nonce();
        let hash = signing::content_sha256(body);
        let identity = Identity {
            caller: self.ident.caller.as_deref(),
            caller_type: self.ident.caller_type.as_deref(),
            actor_id: self.ident.actor_id.as_deref(),
            actor_context: self.ident.context.as_deref(),
        };
        let input = SignInput {
            method,
            path_and_query: path,
            timestamp: &ts,
            nonce: &nonce,
            content_sha256: &hash,
            scope_constraints: None,
            request_rule: None,
            identity,
        };
        let sig = SigningKey::derive(&self.key).sign(&signing::string_to_sign(&input));
        let mut headers = vec![
            ("x-api-key".to_string(), self.key.clone()),
            ("x-alter-timestamp".into(), ts),
            ("x-alter-nonce".into(), nonce),
            ("x-alter-content-sha256".into(), hash),
            ("x-alter-signature".into(), sig.clone()),
            ("content-type".into(), "application/json".into()),
        ];
        if !identity.is_empty() {
            headers.push(("x-alter-signature-v2".into(), sig));
        }
        for (n, v) in [
            ("x-alter-caller", &self.ident.caller),
            ("x-alter-caller-type", &self.ident.caller_type),
            ("x-alter-actor-id", &self.ident.actor_id),
            ("x-alter-context", &self.ident.context),
        ] {
            if let Some(v) = v {
                headers.push((n.to_string(), v.clone()));
            }
        }
        Prepared {
            method: method.to_string(),
            path: path.to_string(),
            body: body.to_vec(),
            headers,
        }
    }

    pub async fn send(&self, p: &Prepared) -> Resp {
        send_raw(&self.http, &self.base, p).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send(&self.prepare("POST", path, &bytes)).await
    }

    pub async fn post_raw(&self, path: &str, body: &[u8]) -> Resp {
        self.send(&self.prepare("POST", path, body)).await
    }

    pub async fn create(&self, ms: &str, body: Value) -> Resp {
        self.post(&format!("/sdk/managed-secrets/{ms}/grants"), &body)
            .await
    }

    pub async fn list(&self, body: Value) -> Resp {
        self.post("/sdk/grants/list", &body).await
    }

    pub async fn revoke(&self, grant: &str, body: Value) -> Resp {
        self.post(&format!("/sdk/oauth/grants/{grant}/revoke"), &body)
            .await
    }

    pub async fn mint(&self, grant: &str, body: Value) -> Resp {
        self.post(&format!("/sdk/grants/{grant}/mint"), &body).await
    }

    pub async fn delegate(&self, grant: &str, body: Value) -> Resp {
        self.post(&format!("/sdk/grants/{grant}/delegate"), &body)
            .await
    }

    /// `DELETE /sdk/grants/{grant}/delegations/{whose}` (an agent id, or `me`).
    pub async fn revoke_delegation(&self, grant: &str, whose: &str) -> Resp {
        let path = format!("/sdk/grants/{grant}/delegations/{whose}");
        self.send(&self.prepare("DELETE", &path, b"")).await
    }
}

pub async fn send_raw(http: &reqwest::Client, base: &str, p: &Prepared) -> Resp {
    let mut req = http.request(
        reqwest::Method::from_bytes(p.method.as_bytes()).unwrap(),
        format!("{base}{}", p.path),
    );
    for (n, v) in &p.headers {
        req = req.header(n, v);
    }
    let resp = req.body(p.body.clone()).send().await.expect("send");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    // An empty body (204) reads as null.
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON body: {text:?}"))
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// The store the suite runs against: `GRANTLINE_TEST_STORE` is `memory` (the default: SQLite in
/// memory) or `postgres` (a fresh database per server on the cluster whose admin URL is
/// `GRANTLINE_TEST_POSTGRES`; `server/scripts/with-postgres.sh` provides one).
pub fn postgres_under_test() -> Option<String> {
    match std::env::var("GRANTLINE_TEST_STORE").as_deref() {
        Err(_) | Ok("") | Ok("memory") => None,
        Ok("postgres") => Some(std::env::var("GRANTLINE_TEST_POSTGRES").expect(
            "GRANTLINE_TEST_STORE=postgres needs GRANTLINE_TEST_POSTGRES (run the tests through \
             server/scripts/with-postgres.sh)",
        )),
        Ok(other) => panic!("GRANTLINE_TEST_STORE={other}: memory or postgres"),
    }
}

/// A fresh PostgreSQL database on the cluster of `admin_url` (the server creates it).
pub fn fresh_postgres(admin_url: &str) -> String {
    let (base, _) = admin_url.rsplit_once('/').expect("a database URL");
    format!("{base}/gl_test_{}", uuid::Uuid::new_v4().simple())
}

/// A fresh database of the store under test (in memory for SQLite).
pub fn database() -> String {
    match postgres_under_test() {
        Some(admin) => fresh_postgres(&admin),
        None => "sqlite::memory:".into(),
    }
}

/// A fresh database of the store under test that outlives its server (a file in `dir` for
/// SQLite), for restarts and for several instances.
pub fn persistent_database(dir: &std::path::Path) -> String {
    match postgres_under_test() {
        Some(admin) => fresh_postgres(&admin),
        None => format!("sqlite://{}", dir.join("g.db").display()),
    }
}

/// A server configuration on a fresh database of the store under test.
pub fn config() -> ServerConfig {
    ServerConfig::ephemeral().with_database(database())
}

/// A fresh server with the demo tenant.
pub struct Env {
    pub server: RunningServer,
    pub t: DevTenant,
}

impl Env {
    /// On a fresh database of the store under test.
    pub async fn new() -> Env {
        Self::with(config()).await
    }
    pub async fn with(config: ServerConfig) -> Env {
        let (server, t) = start_dev(config).await.expect("start_dev");
        Env { server, t }
    }
    pub fn app(&self) -> Client {
        Client::new(&self.t.base_url, &self.t.app_key)
    }
    pub fn agent(&self) -> Client {
        Client::new(&self.t.base_url, &self.t.agent_key)
    }
    pub fn admin(&self) -> &grantline_server::service::Service {
        self.server.admin()
    }
    pub async fn total(&self) -> i64 {
        let r = self.app().list(json!({"limit": 1})).await;
        r.body["total"].as_i64().unwrap()
    }
    pub async fn audit_len(&self) -> usize {
        self.admin()
            .audit(&self.t.app_id, 1000, 0)
            .await
            .unwrap()
            .records
            .len()
    }
    pub fn system(label: &str) -> Value {
        json!({"principal": {"type": "system", "label": label}, "grant_policy": {}})
    }
}

/// Runs `check` until it passes, every 50 ms for up to 15 s, and panics with its last complaint.
/// For work a test has set going but cannot await (a request whose client went away): the
/// check must be one that only a transient state fails, so a real loss still fails the test.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        match check().await {
            Ok(()) => return,
            Err(why) if tokio::time::Instant::now() >= deadline => {
                panic!("{what}: still failing after 15 s: {why}")
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
}
