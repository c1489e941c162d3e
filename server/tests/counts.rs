//! `total` is exact for every filter, whatever happened: creates of every principal on several
//! providers, labels and accounts, revokes, grants expiring as the clock moves (forwards past
//! the expiry sweep's watermark, and back before it), sweeps. The expectation is counted here
//! from the full unfiltered listing; the server reads most totals from its counts.

mod common;

use common::*;
use grantline_server::ManualClock;
use grantline_server::admin::*;
use serde_json::{Value, json};
use std::sync::Arc;

/// A deterministic pseudo-random sequence (no dependency, same run every time).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Which listed grants a filter should match.
type Matcher = Box<dyn Fn(&Value) -> bool>;

fn status_at(g: &Value) -> &str {
    g["status"].as_str().unwrap()
}

/// Every filter combination the API offers, checked against the full listing.
async fn check_totals(env: &Env, c: &Client, user_token: &str, providers: &[String]) {
    let all = c.list(json!({"limit": 1000})).await;
    all.expect(200, "");
    let items = all.body["grants"].as_array().unwrap().clone();
    assert_eq!(all.body["total"].as_u64().unwrap() as usize, items.len());
    let statuses = [None, Some("active"), Some("expired"), Some("revoked")];
    let mut cases: Vec<(Value, Matcher)> = Vec::new();
    for st in statuses {
        let st_ok = move |g: &Value| st.is_none_or(|s| status_at(g) == s);
        let mut base = json!({"limit": 3});
        if let Some(s) = st {
            base["status"] = json!(s);
        }
        cases.push((base.clone(), Box::new(st_ok)));
        for p in providers {
            let mut b = base.clone();
            b["provider_id"] = json!(p);
            let p = p.clone();
            cases.push((
                b,
                Box::new(move |g: &Value| {
                    st_ok(g)
                        && (g["managed_secret_slug"] == p.as_str()
                            || g["provider_id"] == p.as_str())
                }),
            ));
        }
        for l in ["l0", "l1", "l2"] {
            let mut b = base.clone();
            b["label"] = json!(l);
            cases.push((b, Box::new(move |g: &Value| st_ok(g) && g["label"] == l)));
            // Two filters: counted over an index instead of read from the counts.
            let mut b2 = base.clone();
            b2["label"] = json!(l);
            b2["provider_id"] = json!(providers[0]);
            let p0 = providers[0].clone();
            cases.push((
                b2,
                Box::new(move |g: &Value| {
                    st_ok(g)
                        && g["label"] == l
                        && (g["managed_secret_slug"] == p0.as_str()
                            || g["provider_id"] == p0.as_str())
                }),
            ));
        }
        for a in ["acct-0", "acct-1"] {
            let mut b = base.clone();
            b["account"] = json!(a);
            cases.push((
                b,
                Box::new(move |g: &Value| st_ok(g) && g["account_identifier"] == a),
            ));
        }
        // The user's listing: own grants plus the groups in the token.
        let mut b = base.clone();
        b["user_token"] = json!(user_token);
        cases.push((
            b,
            Box::new(move |g: &Value| {
                st_ok(g)
                    && ((g["principal_type"] == "user" && g["user_sub"] == "counted")
                        || (g["principal_type"] == "group" && g["external_group_id"] == "g0"))
            }),
        ));
    }
    for (body, want) in &cases {
        let expected = items.iter().filter(|g| want(g)).count();
        let r = c.list(body.clone()).await;
        r.expect(200, "");
        assert_eq!(
            r.body["total"].as_u64().unwrap() as usize,
            expected,
            "total of {body}"
        );
    }
    // The agent's listing: its own grants.
    let agent = env.agent().list(json!({"limit": 1})).await;
    let expected = items
        .iter()
        .filter(|g| g["principal_type"] == "agent")
        .count();
    assert_eq!(agent.body["total"].as_u64().unwrap() as usize, expected);
    for st in ["active", "expired", "revoked"] {
        let r = env.agent().list(json!({"status": st})).await;
        let expected = items
            .iter()
            .filter(|g| g["principal_type"] == "agent" && status_at(g) == st)
            .count();
        assert_eq!(
            r.body["total"].as_u64().unwrap() as usize,
            expected,
            "agent {st}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totals_stay_exact_through_creates_revokes_expiry_and_sweeps() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let env = Env::with(config().with_clock(clock.clone())).await;
    let app_id = env.t.app_id.clone();
    let svc = env.admin();
    let second = svc
        .add_managed_secret(
            &app_id,
            AddManagedSecret {
                slug: "second".into(),
                name: "Second".into(),
                id: None,
            },
        )
        .await
        .unwrap()
        .managed_secret_id;
    svc.add_credential(
        &app_id,
        &second,
        AddCredential {
            label: "c".into(),
            kind: "developer".into(),
            value: "second-secret-value".into(),
        },
    )
    .await
    .unwrap();
    let providers = vec![
        env.t.managed_secret_slug.clone(),
        "second".into(),
        "github".into(),
    ];
    let user_token = svc
        .mint_user_token(
            &app_id,
            &env.t.idp_id,
            MintUserToken {
                sub: "counted".into(),
                groups: vec!["g0".into()],
                ttl_seconds: Some(366 * 24 * 3600),
                email: None,
            },
        )
        .await
        .unwrap()
        .token;

    let mut rng = Lcg(7);
    let mut ids: Vec<String> = Vec::new();
    for step in 0..8 {
        let now = grantline_server::Clock::now(&*clock).unix_timestamp();
        let mut c = env.app();
        c.timestamp = Some(now);
        let mut agent = env.agent();
        agent.timestamp = Some(now);
        for i in 0..25 {
            let label = format!("l{}", rng.next(3));
            let ttl = match rng.next(3) {
                0 => json!({}),
                n => json!({"max_ttl_seconds": 30 * n}),
            };
            let ms = if rng.next(2) == 0 {
                env.t.managed_secret_id.clone()
            } else {
                second.clone()
            };
            let principal = match rng.next(4) {
                0 => json!({"type": "user", "user_token": user_token, "label": label}),
                1 => json!({"type": "group", "external_group_id": format!("g{}", rng.next(2)),
                             "idp_id": env.t.idp_id, "label": label}),
                _ => json!({"type": "system", "label": format!("{label}-{step}-{i}")}),
            };
            let r = c
                .create(&ms, json!({"principal": principal, "grant_policy": ttl}))
                .await;
            if r.status == 201 {
                ids.push(r.body["grant_id"].as_str().unwrap().to_string());
            } else {
                r.expect(409, "sibling_label_conflict");
            }
            if rng.next(4) == 0 {
                let r = agent
                    .create(
                        &ms,
                        json!({"principal": {"type": "agent", "label": format!("a{step}-{i}")},
                                         "grant_policy": ttl}),
                    )
                    .await;
                r.expect(201, "");
                ids.push(r.body["grant_id"].as_str().unwrap().to_string());
            }
        }
        // OAuth grants carry accounts.
        let g = svc
            .provision_oauth_grant(
                &app_id,
                ProvisionOAuthGrant {
                    provider_id: "github".into(),
                    principal: OAuthPrincipal::System,
                    label: Some(format!("l{}", rng.next(3))),
                    account_identifier: Some(format!("acct-{}", rng.next(2))),
                    account_display_name: None,
                    scopes: vec![],
                },
            )
            .await;
        if let Ok(g) = g {
            ids.push(g.grant_id);
        }
        // Revoke a few (expired ones included).
        for _ in 0..4 {
            let id = &ids[rng.next(ids.len() as u64) as usize];
            let r = c.revoke(id, json!({})).await;
            assert!(r.status == 200 || r.code() == "grant_revoked", "{}", r.body);
        }
        check_totals(&env, &c, &user_token, &providers).await;
        // Time moves on; sometimes the sweep runs, sometimes the clock goes back before it.
        match step % 4 {
            0 => clock.advance(45),
            1 => {
                clock.advance(40);
                svc.store.sweep_expired(svc.now_micros()).await.unwrap();
            }
            2 => {
                svc.store.sweep_expired(svc.now_micros()).await.unwrap();
                clock.advance(-50);
            }
            _ => clock.advance(100),
        }
        let mut c = env.app();
        c.timestamp = Some(grantline_server::Clock::now(&*clock).unix_timestamp());
        check_totals(&env, &c, &user_token, &providers).await;
    }
}
