//! Using a grant: every rule and refusal of `/sdk/token`, the lease's TTL on a pinned clock, the
//! api-call audit endpoint, scope-mismatch reports, injection settings and the demo provider.

mod common;

use common::*;
use grantline_server::ManualClock;
use grantline_server::admin::*;
use serde_json::{Value, json};
use std::sync::Arc;

fn by_grant(grant_id: &str) -> Value {
    json!({"grant_id": grant_id, "reason": "test",
           "request": {"method": "GET", "url": "https://api.example.com/v1/me"}})
}

async fn grant(env: &Env, c: &Client, body: Value) -> String {
    let r = c.create(&env.t.managed_secret_id, body).await;
    r.expect(201, "");
    r.body["grant_id"].as_str().unwrap().to_string()
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

/// The demo secret's credential value, read back through a lease.
async fn open_injection(env: &Env) {
    env.admin()
        .set_injection(
            &env.t.app_id,
            &env.t.managed_secret_id,
            SetInjection {
                header: "Authorization".into(),
                format: "Bearer {token}".into(),
                query_param: None,
                allowed_base_urls: None,
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_system_grant_leases_its_credential_in_the_official_shape() {
    let env = Env::new().await;
    open_injection(&env).await;
    let app = env.app();
    let g = grant(&env, &app, Env::system("lease")).await;
    let r = app.post("/sdk/token", &by_grant(&g)).await;
    r.expect(200, "");
    let b = &r.body;
    assert!(b["access_token"].as_str().unwrap().starts_with("demo_"));
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["grant_id"], g.as_str());
    assert_eq!(b["provider_id"], "demo-secret");
    assert_eq!(b["injection_header"], "Authorization");
    assert_eq!(b["injection_format"], "Bearer {token}");
    assert_eq!(b["scope_mismatch"], false);
    assert_eq!(b["expires_in"], 3600);
    assert_eq!(b["token_generation"], env.t.credential_id.as_str());
    assert!(b["expires_at"].as_str().unwrap().ends_with('Z'));
    // A use is audited (with the URL, without its query) and moves last_used_at.
    let audit = env.admin().audit(&env.t.app_id, 10, 0).await.unwrap();
    let used = &audit.records[0];
    assert_eq!(used.action, "grant.use");
    assert_eq!(used.grant_id.as_deref(), Some(g.as_str()));
    assert_eq!(
        used.reason.as_deref(),
        Some("GET https://api.example.com/v1/me: test")
    );
    let usage = env
        .server
        .store()
        .get_grant_usage(&env.t.app_id, &g)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(usage.uses, 1);
}

#[tokio::test]
async fn the_body_must_name_exactly_one_grant() {
    let env = Env::new().await;
    let app = env.app();
    let g = grant(&env, &app, Env::system("one")).await;
    for bad in [
        json!({"reason": null}),
        json!({"grant_id": g, "provider_id": "demo-secret"}),
        json!({"grant_id": g, "label": "x"}),
        json!({"grant_id": g, "request": {"method": "GET", "url": "not a url"}}),
        json!({"grant_id": g, "unknown": 1}),
        json!({"grant_id": g, "reason": "r".repeat(2000)}),
    ] {
        let r = app.post("/sdk/token", &bad).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
    app.post_raw("/sdk/token", b"{")
        .await
        .expect(400, "invalid_json");
}

#[tokio::test]
async fn unknown_foreign_and_malformed_grants_are_not_found() {
    let env = Env::new().await;
    let app = env.app();
    for id in ["nope", "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"] {
        app.post("/sdk/token", &by_grant(id))
            .await
            .expect(404, "grant_not_found");
    }
    // A grant of another app.
    let other = env
        .admin()
        .create_app(CreateApp {
            name: "other".into(),
            id: None,
        })
        .await
        .unwrap();
    let key = env
        .admin()
        .mint_key(
            &other.app_id,
            MintKey {
                kind: "app".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .key;
    let g = grant(&env, &app, Env::system("mine")).await;
    Client::new(&env.t.base_url, &key)
        .post("/sdk/token", &by_grant(&g))
        .await
        .expect(404, "grant_not_found");
}

#[tokio::test]
async fn user_and_group_grants_need_their_users_token() {
    let env = Env::new().await;
    open_injection(&env).await;
    let app = env.app();
    let alice = token(&env, "alice", &["eng"]).await;
    let bob = token(&env, "bob", &["ops"]).await;
    let ug = grant(
        &env,
        &app,
        json!({"principal": {"type": "user", "user_token": alice, "label": "u"}, "grant_policy": {}}),
    )
    .await;
    let gg = grant(
        &env,
        &app,
        json!({"principal": {"type": "group", "external_group_id": "eng", "idp_id": env.t.idp_id,
                             "label": "g"}, "grant_policy": {}}),
    )
    .await;
    for g in [&ug, &gg] {
        app.post("/sdk/token", &by_grant(g))
            .await
            .expect(403, "user_token_required");
        let mut b = by_grant(g);
        b["user_token"] = json!(bob);
        app.post("/sdk/token", &b)
            .await
            .expect(404, "grant_not_found");
        b["user_token"] = json!(alice);
        app.post("/sdk/token", &b).await.expect(200, "");
        b["user_token"] = json!("not.a.jwt");
        app.post("/sdk/token", &b)
            .await
            .expect(401, "jwt_validation_error");
    }
    // An agent never uses a user's grant.
    let mut b = by_grant(&ug);
    b["user_token"] = json!(alice);
    env.agent()
        .post("/sdk/token", &b)
        .await
        .expect(404, "grant_not_found");
}

#[tokio::test]
async fn an_agent_grant_is_used_with_that_agents_key_only() {
    let env = Env::new().await;
    open_injection(&env).await;
    let agent = env.agent();
    let g = grant(
        &env,
        &agent,
        json!({"principal": {"type": "agent", "label": "self"}, "grant_policy": {}}),
    )
    .await;
    agent
        .post("/sdk/token", &by_grant(&g))
        .await
        .expect(200, "");
    env.app()
        .post("/sdk/token", &by_grant(&g))
        .await
        .expect(403, "agent_key_required");
    // The app impersonating the agent is the agent.
    env.app()
        .impersonating(&env.t.agent_id)
        .post("/sdk/token", &by_grant(&g))
        .await
        .expect(200, "");
    // Another agent of the app does not see it.
    let other = env
        .admin()
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
    let key = env
        .admin()
        .mint_key(
            &env.t.app_id,
            MintKey {
                kind: "agent".into(),
                agent_id: Some(other),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .key;
    Client::new(&env.t.base_url, &key)
        .post("/sdk/token", &by_grant(&g))
        .await
        .expect(404, "grant_not_found");
    // A system grant is the app's.
    let sys = grant(&env, &env.app(), Env::system("sys")).await;
    agent
        .post("/sdk/token", &by_grant(&sys))
        .await
        .expect(404, "grant_not_found");
}

#[tokio::test]
async fn revoked_and_expired_grants_are_refused() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let env = Env::with(config().with_clock(clock.clone())).await;
    open_injection(&env).await;
    let app = env.app();
    let g = grant(&env, &app, Env::system("gone")).await;
    app.revoke(&g, json!({})).await.expect(200, "");
    let r = app.post("/sdk/token", &by_grant(&g)).await;
    r.expect(403, "grant_revoked");
    assert_eq!(r.body["grant_id"], g.as_str());

    let short = grant(
        &env,
        &app,
        json!({"principal": {"type": "system", "label": "short"},
               "grant_policy": {"max_ttl_seconds": 600, "default_ttl_seconds": 60}}),
    )
    .await;
    let r = app.post("/sdk/token", &by_grant(&short)).await;
    r.expect(200, "");
    assert_eq!(r.body["expires_in"], 60, "default_ttl_seconds");
    // Near the grant's end the lease ends with it.
    clock.advance(590);
    let mut c = env.app();
    c.timestamp = Some(clock.now().unix_timestamp());
    let r = c.post("/sdk/token", &by_grant(&short)).await;
    r.expect(200, "");
    assert_eq!(r.body["expires_in"], 10, "capped by the grant's end");
    clock.advance(20);
    c.timestamp = Some(clock.now().unix_timestamp());
    c.post("/sdk/token", &by_grant(&short))
        .await
        .expect(403, "grant_expired");
}

trait NowUnix {
    fn now(&self) -> time::OffsetDateTime;
}
impl NowUnix for ManualClock {
    fn now(&self) -> time::OffsetDateTime {
        grantline_server::Clock::now(self)
    }
}

#[tokio::test]
async fn a_max_ttl_without_default_caps_the_lease() {
    let env = Env::new().await;
    open_injection(&env).await;
    let app = env.app();
    let g = grant(
        &env,
        &app,
        json!({"principal": {"type": "system", "label": "cap"},
               "grant_policy": {"max_ttl_seconds": 120}}),
    )
    .await;
    let r = app.post("/sdk/token", &by_grant(&g)).await;
    r.expect(200, "");
    let n = r.body["expires_in"].as_i64().unwrap();
    assert!((110..=120).contains(&n), "{n}");
}

#[tokio::test]
async fn allowed_base_urls_and_schemes_bound_the_destination() {
    let env = Env::new().await;
    let app = env.app();
    let g = grant(&env, &app, Env::system("dest")).await;
    env.admin()
        .set_injection(
            &env.t.app_id,
            &env.t.managed_secret_id,
            SetInjection {
                header: "X-Api-Key".into(),
                format: "{token}".into(),
                query_param: Some("api_key".into()),
                allowed_base_urls: Some(vec!["https://api.example.com/v1".into()]),
            },
        )
        .await
        .unwrap();
    let at = |url: &str| json!({"grant_id": g, "request": {"method": "GET", "url": url}});
    let r = app
        .post("/sdk/token", &at("https://api.example.com/v1/me"))
        .await;
    r.expect(200, "");
    assert_eq!(r.body["injection_header"], "X-Api-Key");
    assert_eq!(r.body["injection_format"], "{token}");
    assert_eq!(
        r.body["additional_injections"],
        json!([{"target": "query_param", "key": "api_key", "value_source": "token"}])
    );
    app.post("/sdk/token", &at("https://api.example.com/v1"))
        .await
        .expect(200, "");
    for bad in [
        "https://api.example.com/v10/me",
        "https://api.example.com/v2",
        "https://evil.example.com/v1/me",
        "https://api.example.com:8443/v1/me",
        "http://api.example.com/v1/me",
    ] {
        app.post("/sdk/token", &at(bad))
            .await
            .expect(422, "blocked_destination");
    }
    // With allowed URLs, the lease must say where it goes.
    app.post("/sdk/token", &json!({"grant_id": g}))
        .await
        .expect(422, "invalid_request");
    // Plain http only to loopback, whatever the settings.
    open_injection(&env).await;
    app.post("/sdk/token", &at("http://127.0.0.1:9/x"))
        .await
        .expect(200, "");
    app.post("/sdk/token", &at("http://10.0.0.1/x"))
        .await
        .expect(422, "blocked_destination");
}

#[tokio::test]
async fn injection_settings_are_checked() {
    let env = Env::new().await;
    for (header, format, q, urls) in [
        ("Host", "{token}", None, None),
        ("X-Forwarded-For", "{token}", None, None),
        ("1abc", "{token}", None, None),
        ("X-Key", "no placeholder", None, None),
        ("X-Key", "{token}", Some("a&b"), None),
        (
            "X-Key",
            "{token}",
            None,
            Some(vec!["http://api.example.com".to_string()]),
        ),
        ("X-Key", "{token}", None, Some(vec![])),
        (
            "X-Key",
            "{token}",
            None,
            Some(vec!["https://x.com/?q=1".to_string()]),
        ),
    ] {
        let r = env
            .admin()
            .set_injection(
                &env.t.app_id,
                &env.t.managed_secret_id,
                SetInjection {
                    header: header.into(),
                    format: format.into(),
                    query_param: q.map(String::from),
                    allowed_base_urls: urls,
                },
            )
            .await;
        assert_eq!(r.unwrap_err().status, 422, "{header} {format}");
    }
}

#[tokio::test]
async fn by_provider_resolves_one_grant_or_says_why_not() {
    let env = Env::new().await;
    open_injection(&env).await;
    let app = env.app();
    let alice = token(&env, "alice", &[]).await;
    let body = |label: Option<&str>| {
        let mut b = json!({"provider_id": "demo-secret", "user_token": alice,
                           "request": {"method": "GET", "url": "https://api.example.com/"}});
        if let Some(l) = label {
            b["label"] = json!(l);
        }
        b
    };
    app.post("/sdk/token", &body(None))
        .await
        .expect(404, "grant_not_found");
    for l in ["a", "b"] {
        grant(
            &env,
            &app,
            json!({"principal": {"type": "user", "user_token": alice, "label": l}, "grant_policy": {}}),
        )
        .await;
    }
    let r = app.post("/sdk/token", &body(None)).await;
    r.expect(409, "ambiguous_grant");
    assert_eq!(r.body["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["candidates_truncated"], false);
    app.post("/sdk/token", &body(Some("b")))
        .await
        .expect(200, "");
    // An app resolves by provider only for a user.
    app.post(
        "/sdk/token",
        &json!({"provider_id": "demo-secret", "request": {"method": "GET", "url": "https://a.example/"}}),
    )
    .await
    .expect(403, "user_token_required");
    // An agent without a grant of the provider: no_delegated_grant.
    let r = env
        .agent()
        .post("/sdk/token", &json!({"provider_id": "demo-secret"}))
        .await;
    r.expect(404, "no_delegated_grant");
    assert_eq!(r.body["agent_id"], env.t.agent_id.as_str());
}

#[tokio::test]
async fn oauth_grants_lease_their_stored_token() {
    let env = Env::new().await;
    let g = env
        .admin()
        .provision_oauth_grant(
            &env.t.app_id,
            ProvisionOAuthGrant {
                provider_id: "github".into(),
                principal: OAuthPrincipal::System,
                label: Some("gh".into()),
                account_identifier: None,
                account_display_name: None,
                scopes: vec!["repo".into()],
            },
        )
        .await
        .unwrap()
        .grant_id;
    let app = env.app();
    // No token stored yet.
    app.post("/sdk/token", &by_grant(&g))
        .await
        .expect(403, "credential_revoked");
    let set = env
        .admin()
        .set_grant_token(
            &env.t.app_id,
            &g,
            SetGrantToken {
                access_token: "gho_secret".into(),
            },
        )
        .await
        .unwrap();
    let r = app.post("/sdk/token", &by_grant(&g)).await;
    r.expect(200, "");
    assert_eq!(r.body["access_token"], "gho_secret");
    assert_eq!(r.body["scopes"], json!(["repo"]));
    assert_eq!(r.body["provider_id"], "github");
    assert_eq!(r.body["token_generation"], set["token_generation"]);
    // Only an OAuth grant stores a token.
    let ms = grant(&env, &app, Env::system("ms")).await;
    let e = env
        .admin()
        .set_grant_token(
            &env.t.app_id,
            &ms,
            SetGrantToken {
                access_token: "x".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.status, 422);
}

fn api_call(grant_id: &str) -> Value {
    json!({
        "grant_id": grant_id, "provider_id": "demo-secret", "token_generation": null,
        "method": "GET", "url": "https://api.example.com/v1/me",
        "request_headers": {"Accept": "application/json", "Authorization": "Bearer leaked",
                            "X-Api-Key": "leaked"},
        "request_body": null, "response_status": 200,
        "response_headers": {"content-type": "application/json", "set-cookie": "s=leaked"},
        "response_body": "{\"ok\":true}", "latency_ms": 12, "reason": "sync",
        "context": {"tool": "t"}
    })
}

#[tokio::test]
async fn api_call_records_are_stored_stripped_and_bounded() {
    let env = Env::new().await;
    let app = env.app();
    let g = grant(&env, &app, Env::system("audit")).await;
    let r = app.post("/sdk/oauth/audit/api-call", &api_call(&g)).await;
    r.expect(201, "");
    let mut big = api_call(&g);
    big["response_body"] = json!("x".repeat(100_000));
    app.post("/sdk/oauth/audit/api-call", &big)
        .await
        .expect(201, "");
    let page = env.admin().api_calls(&env.t.app_id, 10, 0).await.unwrap();
    assert_eq!(page.records.len(), 2);
    let big_rec = &page.records[0];
    assert!(
        big_rec.record["response_body"]
            .as_str()
            .unwrap()
            .starts_with("<too large to record: ")
    );
    let rec = &page.records[1];
    assert_eq!(rec.grant_id, g);
    assert_eq!(rec.response_status, 200);
    assert_eq!(rec.latency_ms, 12);
    let text = rec.record.to_string();
    assert!(!text.contains("leaked"), "{text}");
    assert_eq!(rec.record["request_headers"]["Accept"], "application/json");
    assert_eq!(rec.record["context"]["tool"], "t");
    // Bad records change nothing.
    for (k, v) in [
        ("grant_id", json!("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d")),
        ("response_status", json!(-1)),
        ("latency_ms", json!("slow")),
        ("method", json!("")),
    ] {
        let mut b = api_call(&g);
        b[k] = v;
        let r = app.post("/sdk/oauth/audit/api-call", &b).await;
        assert!(matches!(r.status, 404 | 422), "{k}: {}", r.body);
    }
    // An agent records only its own grants' calls.
    env.agent()
        .post("/sdk/oauth/audit/api-call", &api_call(&g))
        .await
        .expect(404, "grant_not_found");
    assert_eq!(
        env.admin()
            .api_calls(&env.t.app_id, 10, 0)
            .await
            .unwrap()
            .records
            .len(),
        2
    );
}

#[tokio::test]
async fn a_scope_mismatch_report_flags_later_leases() {
    let env = Env::new().await;
    open_injection(&env).await;
    let app = env.app();
    let g = grant(&env, &app, Env::system("scopes")).await;
    let path = format!("/sdk/grants/{g}/report-scope-mismatch");
    let report = json!({"provider_status_code": 403, "provider_error_code": "insufficient_scope",
                        "missing_scopes": ["repo"], "raw_www_authenticate": "Bearer error=\"insufficient_scope\"",
                        "api_endpoint": "https://api.example.com/x",
                        "detection_source": "www_authenticate_rfc6750", "sdk_correlation_id": "c"});
    // 204: no body (the suite's client parses bodies, so this one is sent by hand).
    let p = app.prepare("POST", &path, report.to_string().as_bytes());
    let mut req = app.http.post(format!("{}{}", app.base, path));
    for (n, v) in &p.headers {
        req = req.header(n, v);
    }
    let r = req.body(p.body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.bytes().await.unwrap().is_empty());
    let lease = app.post("/sdk/token", &by_grant(&g)).await;
    assert_eq!(lease.body["scope_mismatch"], true);
    let audit = env.admin().audit(&env.t.app_id, 10, 0).await.unwrap();
    assert!(audit.records.iter().any(
        |r| r.action == "grant.scope_mismatch" && r.reason.as_deref().unwrap().contains("repo")
    ));
    let mut bad = report.clone();
    bad["missing_scopes"] = json!(vec!["s"; 51]);
    app.post(&path, &bad).await.expect(422, "invalid_request");
    app.post("/sdk/grants/nope/report-scope-mismatch", &report)
        .await
        .expect(404, "grant_not_found");
}

#[tokio::test]
async fn the_demo_provider_accepts_exactly_the_demo_credential() {
    let env = Env::new().await;
    let app = env.app();
    let g = grant(&env, &app, Env::system("demo")).await;
    let url = format!("{}/echo?x=1", env.t.provider_url);
    let lease = app
        .post(
            "/sdk/token",
            &json!({"grant_id": g, "request": {"method": "GET", "url": url}}),
        )
        .await;
    lease.expect(200, "");
    let token = lease.body["access_token"].as_str().unwrap();
    let http = reqwest::Client::new();
    let ok = http
        .get(&url)
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["path"], "/echo");
    assert!(
        !body.to_string().contains(token),
        "the echo never repeats the credential"
    );
    let no = http.get(&url).send().await.unwrap();
    assert_eq!(no.status(), 401);
    // The demo secret may go only to the demo provider.
    app.post(
        "/sdk/token",
        &json!({"grant_id": g, "request": {"method": "GET", "url": "https://api.example.com/"}}),
    )
    .await
    .expect(422, "blocked_destination");
}
