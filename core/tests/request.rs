//! `request()` end to end: a real `grantline-server` in-process, and a provider stub (a local
//! HTTP server) that records every request it receives, so each test can assert where the
//! credential went and where it did not.

use grantline::{App, Error, ErrorKind, RequestOptions};
use grantline_server::admin::{AddCredential, AddManagedSecret, SetInjection};
use grantline_server::{DevTenant, RunningServer, ServerConfig, start_dev};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the stub received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn everything(&self) -> String {
        format!(
            "{} {} {} {:?} {}",
            self.method,
            self.path,
            self.query,
            self.headers,
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// A provider stub on a free loopback port.
struct Stub {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn stub(redirect_to: Option<String>) -> Stub {
    use axum::extract::Request;
    use axum::http::{StatusCode, header};
    use axum::response::{IntoResponse, Response};
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let log = log.clone();
        let redirect_to = redirect_to.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let auth = parts
                .headers
                .get(header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            log.lock().unwrap().push(Seen {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().unwrap_or("").to_owned(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_owned()))
                    .collect(),
                body: body.to_vec(),
            });
            let r: Response = match parts.uri.path() {
                "/unauthorized" => (StatusCode::UNAUTHORIZED, "no").into_response(),
                "/scope" => (
                    StatusCode::FORBIDDEN,
                    [(
                        header::WWW_AUTHENTICATE,
                        r#"Bearer error="insufficient_scope", scope="repo admin""#,
                    )],
                    "need scopes",
                )
                    .into_response(),
                // A provider that echoes the credential in its error.
                "/echo-error" => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("bad token {auth}"),
                )
                    .into_response(),
                "/slow" => {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "late".into_response()
                }
                "/redirect" => (
                    StatusCode::FOUND,
                    [(header::LOCATION, redirect_to.unwrap_or_default())],
                    "",
                )
                    .into_response(),
                _ => (
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::SET_COOKIE, "s=1"),
                    ],
                    json!({"ok": true, "path": parts.uri.path()}).to_string(),
                )
                    .into_response(),
            };
            r
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Stub { url, seen }
}

impl Stub {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A server, a managed secret with a known credential injected as `Bearer`, a system grant.
struct World {
    server: RunningServer,
    t: DevTenant,
    ms: String,
    credential: String,
    grant: String,
    app: App,
}

async fn world(allowed: Option<Vec<String>>, query_param: Option<&str>) -> World {
    let (server, t) = start_dev(ServerConfig::ephemeral()).await.unwrap();
    let admin = server.admin();
    let ms = admin
        .add_managed_secret(
            &t.app_id,
            AddManagedSecret {
                slug: "stub".into(),
                name: "Stub".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .managed_secret_id;
    let credential = format!("cred-{}", uuid::Uuid::new_v4().simple());
    admin
        .add_credential(
            &t.app_id,
            &ms,
            AddCredential {
                label: "k".into(),
                kind: "developer".into(),
                value: credential.clone(),
            },
        )
        .await
        .unwrap();
    admin
        .set_injection(
            &t.app_id,
            &ms,
            SetInjection {
                header: "Authorization".into(),
                format: "Bearer {token}".into(),
                query_param: query_param.map(String::from),
                allowed_base_urls: allowed,
            },
        )
        .await
        .unwrap();
    let app = App::builder(&t.app_key)
        .base_url(&t.base_url)
        .build()
        .unwrap();
    let grant = app
        .create_managed_secret_grant(
            &ms,
            grantline::Principal::system(Some("stub")).unwrap(),
            grantline::CreateGrantOptions::new(),
        )
        .await
        .unwrap()
        .grant_id;
    World {
        server,
        t,
        ms,
        credential,
        grant,
        app,
    }
}

impl World {
    fn opts(&self) -> RequestOptions {
        RequestOptions::grant(&self.grant)
    }
    async fn api_calls(&self) -> Vec<Value> {
        assert!(
            self.app.flush(Duration::from_secs(10)).await,
            "audit flushed"
        );
        let page = self
            .server
            .admin()
            .api_calls(&self.t.app_id, 100, 0)
            .await
            .unwrap();
        page.records
            .into_iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect()
    }
    async fn uses(&self) -> usize {
        let audit = self
            .server
            .admin()
            .audit(&self.t.app_id, 1000, 0)
            .await
            .unwrap();
        audit
            .records
            .iter()
            .filter(|r| r.action == "grant.use")
            .count()
    }
}

#[tokio::test]
async fn the_credential_goes_into_the_request_exactly_once_and_nowhere_else() {
    let s = stub(None).await;
    let w = world(None, None).await;
    let resp = w
        .app
        .request(
            "post",
            format!("{}/items/{{id}}", s.url),
            w.opts()
                .path_param("id", "a b")
                .header("X-Trace", "t1")
                .query("q", "1")
                .json(json!({"name": "n"}))
                .reason("sync")
                .context("tool", "test"),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json().unwrap()["ok"], true);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.grant_id, w.grant);
    let seen = s.seen();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_str()),
        ("POST", "/items/a%20b", "q=1")
    );
    let auth: Vec<_> = r
        .headers
        .iter()
        .filter(|(k, _)| k == "authorization")
        .collect();
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0].1, format!("Bearer {}", w.credential));
    assert_eq!(
        r.everything().matches(&w.credential).count(),
        1,
        "{}",
        r.everything()
    );
    assert_eq!(r.body, br#"{"name":"n"}"#);

    // The audit record: the call, without the credential, its header or the cookie.
    let calls = w.api_calls().await;
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    assert_eq!(c["method"], "POST");
    assert_eq!(c["url"], format!("{}/items/a%20b", s.url));
    assert_eq!(c["response_status"], 200);
    assert_eq!(c["record"]["reason"], "sync");
    assert_eq!(c["record"]["context"]["tool"], "test");
    assert_eq!(c["record"]["request_headers"]["X-Trace"], "t1");
    assert_eq!(c["record"]["request_body"]["name"], "n");
    assert!(c["record"]["response_headers"].get("set-cookie").is_none());
    let text = c.to_string();
    assert!(!text.contains(&w.credential), "{text}");
    assert!(
        !text.to_ascii_lowercase().contains("authorization"),
        "{text}"
    );

    // Debug output never shows it either.
    let shown = format!(
        "{resp:?} {:?} {:?}",
        w.opts().user_token("secret-user"),
        w.app
    );
    assert!(
        !shown.contains(&w.credential) && !shown.contains("secret-user"),
        "{shown}"
    );
}

#[tokio::test]
async fn urls_are_checked_before_any_lease() {
    let s = stub(None).await;
    let w = world(Some(vec![format!("{}/allowed", s.url)]), None).await;
    for bad in [
        "http://example.com/x",
        "ftp://127.0.0.1/x",
        "not a url",
        "https://x.example/{missing}",
    ] {
        let e = w.app.request("GET", bad, w.opts()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}");
    }
    assert_eq!(w.uses().await, 0, "no lease for a refused URL");
    // The secret's allowed base URLs: the server refuses the lease.
    let e = w
        .app
        .request("GET", format!("{}/other", s.url), w.opts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BlockedDestination);
    w.app
        .request("GET", format!("{}/allowed/x", s.url), w.opts())
        .await
        .unwrap();
    assert_eq!(s.seen().len(), 1);
    // Bad option combinations.
    for opts in [
        RequestOptions::new(),
        w.opts().provider("stub"),
        w.opts().label("x"),
        w.opts().json(json!(1)).body("x"),
    ] {
        let e = w
            .app
            .request("GET", format!("{}/allowed", s.url), opts)
            .await;
        assert_eq!(e.unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}

#[tokio::test]
async fn a_redirect_is_returned_not_followed() {
    let elsewhere = stub(None).await;
    let s = stub(Some(format!("{}/stolen", elsewhere.url))).await;
    let w = world(None, None).await;
    let resp = w
        .app
        .request("GET", format!("{}/redirect", s.url), w.opts())
        .await
        .unwrap();
    assert_eq!(resp.status, 302);
    assert!(
        elsewhere.seen().is_empty(),
        "the other host received nothing"
    );
}

#[tokio::test]
async fn provider_failures_map_to_typed_errors_without_the_credential() {
    let s = stub(None).await;
    let w = world(None, None).await;
    let e = w
        .app
        .request("GET", format!("{}/unauthorized", s.url), w.opts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProviderUnauthorized);
    assert_eq!(e.as_api().unwrap().status, 401);

    let e = w
        .app
        .request("GET", format!("{}/echo-error", s.url), w.opts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProviderApi);
    let api = e.as_api().unwrap();
    assert_eq!(api.status, 500);
    assert_eq!(api.details["response_body"], "bad token [REDACTED]");
    assert!(!format!("{e} {e:?}").contains(&w.credential));

    let e = w
        .app
        .request("GET", format!("{}/scope", s.url), w.opts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ScopeReauthRequired);
    assert_eq!(
        e.as_api().unwrap().details["missing_scopes"],
        json!(["repo", "admin"])
    );
    // The report reached the server: the next lease says so.
    assert!(w.app.flush(Duration::from_secs(10)).await);
    let audit = w.server.admin().audit(&w.t.app_id, 100, 0).await.unwrap();
    assert!(
        audit
            .records
            .iter()
            .any(|r| r.action == "grant.scope_mismatch")
    );
    // Every call was recorded, the echoed credential scrubbed.
    let calls = w.api_calls().await;
    assert_eq!(calls.len(), 3);
    let text = serde_json::to_string(&calls).unwrap();
    assert!(!text.contains(&w.credential));
    assert!(text.contains("bad token [REDACTED]"));
}

#[tokio::test]
async fn a_timeout_is_typed_recorded_and_not_retried() {
    let s = stub(None).await;
    let w = world(None, None).await;
    let e = w
        .app
        .request(
            "GET",
            format!("{}/slow", s.url),
            w.opts().timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(s.seen().len(), 1, "never retried");
    let calls = w.api_calls().await;
    assert_eq!(calls[0]["response_status"], 0);
    assert!(
        calls[0]["record"]["response_body"]
            .as_str()
            .unwrap()
            .starts_with("<transport error: timeout")
    );
}

#[tokio::test]
async fn a_query_injection_stays_out_of_errors_and_records() {
    let s = stub(None).await;
    let w = world(None, Some("api_key")).await;
    w.app
        .request("GET", format!("{}/q", s.url), w.opts().query("a", "b"))
        .await
        .unwrap();
    let seen = s.seen();
    assert_eq!(seen[0].query, format!("a=b&api_key={}", w.credential));
    // A connection failure names the URL without its query.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = w
        .app
        .request("GET", format!("http://{closed}/x"), w.opts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert!(!format!("{e} {e:?}").contains(&w.credential), "{e}");
    let text = serde_json::to_string(&w.api_calls().await).unwrap();
    assert!(!text.contains(&w.credential), "{text}");
}

#[tokio::test]
async fn revoked_and_expired_grants_are_refused() {
    let s = stub(None).await;
    let w = world(None, None).await;
    w.app
        .revoke_grant(&w.grant, grantline::RevokeGrantOptions::new())
        .await
        .unwrap();
    let e = w
        .app
        .request("GET", format!("{}/x", s.url), w.opts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GrantRevoked);
    let short = w
        .app
        .create_managed_secret_grant(
            &w.ms,
            grantline::Principal::system(Some("short")).unwrap(),
            grantline::CreateGrantOptions::new()
                .grant_policy(grantline::GrantPolicy::new().max_ttl_seconds(1)),
        )
        .await
        .unwrap()
        .grant_id;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let e = w
        .app
        .request("GET", format!("{}/x", s.url), RequestOptions::grant(short))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GrantExpired);
    assert!(s.seen().is_empty(), "the provider was never called");
}

#[test]
fn the_blocking_client_records_and_flushes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (s, w) = rt.block_on(async { (stub(None).await, world(None, None).await) });
    let app = grantline::blocking::App::builder(&w.t.app_key)
        .base_url(&w.t.base_url)
        .build()
        .unwrap();
    let resp = app
        .request("GET", format!("{}/b", s.url), w.opts())
        .unwrap();
    assert_eq!(resp.status, 200);
    app.close();
    assert!(app.flush(Duration::from_secs(10)));
    let calls = rt.block_on(w.api_calls());
    assert_eq!(calls.len(), 1);
    let e: Error = app
        .request("GET", format!("{}/b", s.url), w.opts())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed);
}
