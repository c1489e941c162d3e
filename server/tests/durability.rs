//! Every create acknowledged with a 2xx is durable: `grantline-server serve` is killed with
//! SIGKILL in the middle of a load of concurrent creates, restarted on the same database, and
//! every acknowledged grant is there, with its audit record, and `total` counts exactly what is
//! listed. On a SQLite file, or a PostgreSQL database with `GRANTLINE_TEST_STORE=postgres`.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "durability-admin-token";

/// `grantline-server serve` on `database`; killed when dropped.
struct Serve(Child, String);

impl Serve {
    fn start(database: &str) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_grantline-server"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .args(["--admin-token", TOKEN])
            .env("GRANTLINE_MASTER_KEY", "11".repeat(32))
            .env("GRANTLINE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("server exited").unwrap();
            if let Some(u) = line.strip_prefix("grantline-server listening on ") {
                break u.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Serve(child, url)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn admin(http: &reqwest::Client, base: &str, method: &str, path: &str, body: Value) -> Value {
    let r = http
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = persistent_database(dir.path());
    let server = Serve::start(&db);
    let http = reqwest::Client::new();
    let base = server.1.clone();
    let app = admin(&http, &base, "POST", "/admin/apps", json!({"name": "d"})).await["app_id"]
        .as_str()
        .unwrap()
        .to_string();
    let key = admin(
        &http,
        &base,
        "POST",
        &format!("/admin/apps/{app}/keys"),
        json!({"kind": "app"}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let ms = admin(
        &http,
        &base,
        "POST",
        &format!("/admin/apps/{app}/managed-secrets"),
        json!({"slug": "s", "name": "S"}),
    )
    .await["managed_secret_id"]
        .as_str()
        .unwrap()
        .to_string();
    admin(
        &http,
        &base,
        "POST",
        &format!("/admin/apps/{app}/managed-secrets/{ms}/credentials"),
        json!({"label": "c", "kind": "developer", "value": "durable-secret-value"}),
    )
    .await;

    // Creates from 48 tasks until the server dies; every 201 is noted.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for w in 0..48 {
        let (acked, c) = (acked.clone(), Client::new(&base, &key));
        let path = format!("/sdk/managed-secrets/{ms}/grants");
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let body = serde_json::to_vec(&Env::system(&format!("w{w}-{i}"))).unwrap();
                let p = c.prepare("POST", &path, &body);
                let mut req = c.http.post(format!("{}{path}", c.base)).body(body);
                for (n, v) in &p.headers {
                    req = req.header(n, v);
                }
                match req.send().await {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let Ok(v) = r.json::<Value>().await else {
                            return;
                        };
                        acked
                            .lock()
                            .unwrap()
                            .push(v["grant_id"].as_str().unwrap().into());
                    }
                    Ok(r) => assert!(r.status().as_u16() < 500 || r.status().as_u16() == 503),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Kill it mid-load, once a good number of creates went through.
    while acked.lock().unwrap().len() < 1500 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(server); // SIGKILL
    for t in tasks {
        t.await.unwrap();
    }
    let acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert!(acked.len() >= 1500);

    // Restarted on the same database: everything acknowledged is there, counted and audited.
    let server = Serve::start(&db);
    let c = Client::new(&server.1, &key);
    let mut listed = HashSet::new();
    let total = loop {
        let page = c.list(json!({"limit": 1000, "offset": listed.len()})).await;
        page.expect(200, "");
        let items = page.body["grants"].as_array().unwrap();
        listed.extend(
            items
                .iter()
                .map(|g| g["grant_id"].as_str().unwrap().to_string()),
        );
        if items.is_empty() || !page.body["has_more"].as_bool().unwrap() {
            break page.body["total"].as_u64().unwrap();
        }
    };
    let lost: Vec<_> = acked.difference(&listed).collect();
    assert!(lost.is_empty(), "{} acknowledged grants lost", lost.len());
    assert_eq!(total as usize, listed.len(), "total and rows disagree");
    let mut audited = 0;
    loop {
        let page = admin(
            &http,
            &server.1,
            "GET",
            &format!("/admin/apps/{app}/audit?limit=1000&offset={audited}"),
            Value::Null,
        )
        .await;
        let n = page["records"].as_array().unwrap().len();
        audited += n;
        if n < 1000 {
            break;
        }
    }
    assert_eq!(audited, listed.len(), "every grant has its audit record");
}
