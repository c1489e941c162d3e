//! The admin HTTP API, fault injection, and the `grantline-server` binary (dev, admin).

mod common;

use common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

async fn admin_call(env: &Env, method: &str, path: &str, body: Option<Value>, token: &str) -> Resp {
    let http = reqwest::Client::new();
    let mut req = http
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", env.t.base_url),
        )
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap();
    Resp {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn admin_http_round_trip() {
    let env = Env::new().await;
    let tok = env.t.admin_token.clone();
    admin_call(
        &env,
        "POST",
        "/admin/apps",
        Some(json!({"name": "x"})),
        "wrong",
    )
    .await
    .expect(401, "unauthorized");
    let app = admin_call(
        &env,
        "POST",
        "/admin/apps",
        Some(json!({"name": "acme"})),
        &tok,
    )
    .await;
    app.expect(201, "");
    let app_id = app.body["app_id"].as_str().unwrap().to_string();
    admin_call(
        &env,
        "POST",
        "/admin/apps",
        Some(json!({"name": "x", "bogus": 1})),
        &tok,
    )
    .await
    .expect(422, "invalid_request");
    admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{}/agents", uuid::Uuid::new_v4()),
        Some(json!({"name": "a"})),
        &tok,
    )
    .await
    .expect(404, "not_found");
    let agent = admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/agents"),
        Some(json!({"name": "bot"})),
        &tok,
    )
    .await;
    let agent_id = agent.body["agent_id"].as_str().unwrap().to_string();
    let key = admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/keys"),
        Some(json!({"kind": "app"})),
        &tok,
    )
    .await;
    key.expect(201, "");
    let app_key = key.body["key"].as_str().unwrap().to_string();
    assert!(grantline::keys::is_valid_key(&app_key) && app_key.starts_with("alter_rk_"));
    let akey = admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/keys"),
        Some(json!({"kind": "agent", "agent_id": agent_id})),
        &tok,
    )
    .await;
    assert!(akey.body["key"].as_str().unwrap().starts_with("alter_ak_"));
    // Registering an invalid raw key, or one already registered.
    admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/keys"),
        Some(json!({"kind": "app", "key": "alter_rk_x"})),
        &tok,
    )
    .await
    .expect(422, "invalid_request");
    admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/keys"),
        Some(json!({"kind": "app", "key": app_key})),
        &tok,
    )
    .await
    .expect(409, "conflict");
    let idp = admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/idps"),
        Some(json!({"issuer": "https://i", "audience": "a", "hs256_secret": "0123456789abcdef-secret"})),
        &tok,
    )
    .await;
    let idp_id = idp.body["idp_id"].as_str().unwrap().to_string();
    let t = admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/idps/{idp_id}/tokens"),
        Some(json!({"sub": "alice", "groups": ["eng"]})),
        &tok,
    )
    .await;
    let user_token = t.body["token"].as_str().unwrap().to_string();
    let ms = admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/managed-secrets"),
        Some(json!({"slug": "stripe", "name": "Stripe"})),
        &tok,
    )
    .await;
    let ms_id = ms.body["managed_secret_id"].as_str().unwrap().to_string();
    admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/managed-secrets"),
        Some(json!({"slug": "stripe", "name": "again"})),
        &tok,
    )
    .await
    .expect(409, "conflict");
    admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/managed-secrets/{ms_id}/credentials"),
        Some(json!({"label": "live", "kind": "developer", "value": "sk_live_123"})),
        &tok,
    )
    .await
    .expect(201, "");
    let og = admin_call(
        &env,
        "POST",
        &format!("/admin/apps/{app_id}/oauth-grants"),
        Some(json!({"provider_id": "google", "principal": {"type": "agent", "agent_id": agent_id}, "label": "g"})),
        &tok,
    )
    .await;
    og.expect(201, "");
    admin_call(
        &env,
        "PUT",
        &format!("/admin/apps/{app_id}/ttl-ceiling"),
        Some(json!({"max_ttl_seconds": 60})),
        &tok,
    )
    .await
    .expect(200, "");
    admin_call(
        &env,
        "PATCH",
        &format!("/admin/apps/{app_id}/agents/{agent_id}"),
        Some(json!({"status": "zombie"})),
        &tok,
    )
    .await
    .expect(422, "invalid_request");

    // The new tenant works through /sdk, and the secret value never comes back.
    let c = Client::new(&env.t.base_url, &app_key);
    let r = c
        .create(&ms_id, json!({"principal": {"type": "user", "user_token": user_token, "label": "alice"}, "grant_policy": {}}))
        .await;
    r.expect(201, "");
    assert!(r.body["grant_expires_at"].is_string());
    let l = c.list(json!({})).await;
    assert_eq!(l.body["total"], 2);
    assert!(!l.body.to_string().contains("sk_live_123"));
    let audit = admin_call(
        &env,
        "GET",
        &format!("/admin/apps/{app_id}/audit?limit=10"),
        None,
        &tok,
    )
    .await;
    audit.expect(200, "");
    let recs = audit.body["records"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["label"], "alice");
    assert_eq!(recs[0]["principal"], "user:alice");
    assert_eq!(recs[1]["actor"], "admin");
    admin_call(
        &env,
        "GET",
        &format!("/admin/apps/{app_id}/audit?limit=abc"),
        None,
        &tok,
    )
    .await
    .expect(422, "invalid_request");
}

#[tokio::test]
async fn injected_faults() {
    let env = Env::new().await;
    let tok = env.t.admin_token.clone();
    admin_call(
        &env,
        "POST",
        "/admin/faults",
        Some(
            json!({"path_prefix": "/sdk/grants/list", "status": 503, "times": 2, "retry_after": "7",
                    "headers": {"X-Request-Id": "req-42"}}),
        ),
        &tok,
    )
    .await
    .expect(201, "");
    let c = env.app();
    for _ in 0..2 {
        let r = c.list(json!({})).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.headers.get("retry-after").unwrap(), "7");
        assert_eq!(r.headers.get("x-request-id").unwrap(), "req-42");
    }
    c.list(json!({})).await.expect(200, "");
    // Delay only, then proceed normally.
    env.admin()
        .inject_fault(grantline_server::FaultSpec {
            path_prefix: "/sdk/".into(),
            status: 0,
            times: 1,
            retry_after: None,
            delay_ms: Some(300),
            body: None,
            headers: Default::default(),
            stage: Default::default(),
        })
        .await
        .unwrap();
    let t = std::time::Instant::now();
    c.list(json!({})).await.expect(200, "");
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
    admin_call(
        &env,
        "POST",
        "/admin/faults",
        Some(json!({"path_prefix": "/sdk", "status": 42})),
        &tok,
    )
    .await
    .expect(422, "invalid_request");
    admin_call(
        &env,
        "POST",
        "/admin/faults",
        Some(json!({"path_prefix": "/sdk", "status": 500, "headers": {"bad name": "x"}})),
        &tok,
    )
    .await
    .expect(422, "invalid_request");
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_grantline-server")
}

#[test]
fn dev_command_prints_the_tenant_and_exits_on_stdin_close() {
    let mut child = Command::new(bin())
        .args(["dev", "--listen", "127.0.0.1:0", "--exit-on-stdin-close"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let t: Value = serde_json::from_str(&line).unwrap();
    for k in [
        "base_url",
        "admin_token",
        "app_id",
        "app_key",
        "agent_id",
        "agent_key",
        "idp_id",
        "user_token",
        "group_id",
        "managed_secret_id",
        "credential_id",
        "managed_secret_slug",
    ] {
        assert!(
            t[k].as_str().is_some_and(|v| !v.is_empty()),
            "{k} missing in {line}"
        );
    }
    assert_eq!(t["group_id"], "eng");
    assert!(
        t["base_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );

    // The admin subcommand talks to it.
    let out = Command::new(bin())
        .args([
            "admin",
            "--url",
            t["base_url"].as_str().unwrap(),
            "--admin-token",
            t["admin_token"].as_str().unwrap(),
            "create-agent",
            "--app",
            t["app_id"].as_str().unwrap(),
            "--name",
            "cli-agent",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["agent_id"].is_string());
    let out = Command::new(bin())
        .args([
            "admin",
            "--url",
            t["base_url"].as_str().unwrap(),
            "--admin-token",
            "nope",
            "audit",
            "--app",
            t["app_id"].as_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());

    drop(child.stdin.take());
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(start.elapsed().as_secs() < 10, "dev server did not exit");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn serve_requires_a_master_key_and_stops_on_sigterm() {
    let out = Command::new(bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "sqlite::memory:",
        ])
        .env_remove("GRANTLINE_MASTER_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let mut child = Command::new(bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "sqlite::memory:",
        ])
        .env("GRANTLINE_MASTER_KEY", "11".repeat(32))
        .env("GRANTLINE_ADMIN_TOKEN", "t0ken")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            start.elapsed().as_secs() < 10,
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `dev --format env` prints the tenant as `export` lines a shell sources; with them alone the
/// admin CLI finds the server (GRANTLINE_URL, GRANTLINE_ADMIN_TOKEN), and `ttl-ceiling` sets
/// and clears (`--clear`) the ceiling.
#[test]
fn dev_prints_shell_exports_that_the_admin_cli_uses() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("dev.env");
    let mut child = Command::new(bin())
        .args([
            "dev",
            "--listen",
            "127.0.0.1:0",
            "--exit-on-stdin-close",
            "--format",
            "env",
        ])
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&env_file).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::fs::metadata(&env_file).unwrap().len() == 0 {
        assert!(start.elapsed().as_secs() < 30, "dev printed nothing");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&env_file).unwrap();
    let names: Vec<&str> = text
        .lines()
        .map(|l| {
            let rest = l.strip_prefix("export ").expect(l);
            let (name, value) = rest.split_once('=').expect(l);
            assert!(
                value.starts_with('\'') && value.ends_with('\'') && value.len() > 2,
                "{l}"
            );
            name
        })
        .collect();
    for name in [
        "ALTER_BASE_URL",
        "ALTER_APP_KEY",
        "ALTER_AGENT_ID",
        "ALTER_AGENT_KEY",
        "ALTER_IDP_ID",
        "ALTER_USER_TOKEN",
        "ALTER_GROUP_ID",
        "ALTER_MANAGED_SECRET_ID",
        "GRANTLINE_URL",
        "GRANTLINE_ADMIN_TOKEN",
        "GRANTLINE_APP_ID",
    ] {
        assert!(names.contains(&name), "{name} missing from:\n{text}");
    }
    // A shell sources it, and the admin CLI needs nothing else.
    let script = format!(
        ". '{}' && {bin} admin ttl-ceiling --app \"$GRANTLINE_APP_ID\" --max-ttl-seconds 600 \
         && {bin} admin ttl-ceiling --app \"$GRANTLINE_APP_ID\" --clear \
         && {bin} admin audit --app \"$GRANTLINE_APP_ID\" --limit 1 && echo \"$ALTER_GROUP_ID\"",
        env_file.display(),
        bin = bin()
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env_remove("GRANTLINE_URL")
        .env_remove("GRANTLINE_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .trim_end()
            .ends_with("eng")
    );
    drop(child.stdin.take());
    child.wait().unwrap();
}

/// The admin CLI pointed at nothing says what to do, not only "error sending request".
#[test]
fn admin_cli_without_a_server_names_the_fix() {
    let out = Command::new(bin())
        .args(["admin", "--admin-token", "t", "create-app", "--name", "x"])
        .env("GRANTLINE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the admin API at http://127.0.0.1:9")
            && err.contains("--url or GRANTLINE_URL"),
        "{err}"
    );
    // ttl-ceiling needs a value or --clear.
    let out = Command::new(bin())
        .args(["admin", "--admin-token", "t", "ttl-ceiling", "--app", "a"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--clear"));
}
