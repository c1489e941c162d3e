//! End to end: the core clients against a real `grantline-server` started in-process on an
//! ephemeral port with a fresh database.

use futures_util::TryStreamExt;
use grantline::{
    Agent, App, CreateGrantOptions, Error, ErrorKind, GrantItem, GrantPolicy, ListGrantsParams,
    Principal, RevokeGrantOptions,
};
use grantline_server::admin::{
    AddCredential, AddManagedSecret, CreateApp, MintKey, MintUserToken, OAuthPrincipal,
    ProvisionOAuthGrant,
};
use grantline_server::{DevTenant, FaultSpec, RunningServer, ServerConfig, start_dev};
use std::time::{Duration, Instant};

async fn dev() -> (RunningServer, DevTenant) {
    start_dev(ServerConfig::ephemeral())
        .await
        .expect("server starts")
}

fn app(t: &DevTenant) -> App {
    App::builder(&t.app_key)
        .base_url(&t.base_url)
        .build()
        .unwrap()
}

fn agent(t: &DevTenant) -> Agent {
    Agent::builder(&t.agent_key)
        .base_url(&t.base_url)
        .build()
        .unwrap()
}

fn system(label: &str) -> Principal {
    Principal::system(Some(label)).unwrap()
}

fn kind(err: &Error) -> ErrorKind {
    err.kind()
}

async fn total(app: &App) -> u64 {
    app.list_grants(ListGrantsParams::new())
        .await
        .unwrap()
        .total
}

fn fault(prefix: &str, status: u16, times: u32) -> FaultSpec {
    FaultSpec {
        path_prefix: prefix.into(),
        status,
        times,
        retry_after: None,
        delay_ms: None,
        body: None,
        headers: Default::default(),
        stage: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_principal_is_issued_listed_and_revoked() {
    let (server, t) = dev().await;
    let app = app(&t);
    let ms = &t.managed_secret_id;

    let user = app
        .create_managed_secret_grant(
            ms,
            Principal::user(&t.user_token, "laptop").unwrap(),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(user.principal_type, "user");
    assert_eq!(user.label.as_deref(), Some("laptop"));
    assert_eq!(
        user.credential_id.as_deref(),
        Some(t.credential_id.as_str())
    );
    let group = Principal::group(&t.group_id, &t.idp_id, "eng").unwrap();
    let group = app
        .create_managed_secret_grant(ms, group, CreateGrantOptions::new())
        .await
        .unwrap();
    assert_eq!(group.principal_type, "group");
    let sys = app
        .create_managed_secret_grant(
            ms,
            Principal::system(None::<String>).unwrap(),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        (sys.principal_type.as_str(), sys.label.as_deref()),
        ("system", None)
    );
    let own = agent(&t)
        .create_managed_secret_grant(
            ms,
            Principal::agent(Some("mine")).unwrap(),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(own.principal_type, "agent");
    let impersonated = app.get_agent(&t.agent_id.to_uppercase()).unwrap();
    assert_eq!(impersonated.caller(), Some(t.agent_id.as_str()));
    let via_app = impersonated
        .create_managed_secret_grant(
            ms,
            Principal::agent(Some("via-app")).unwrap(),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(via_app.principal_type, "agent");

    let page = app.list_grants(ListGrantsParams::new()).await.unwrap();
    assert_eq!(page.total, 5);
    let ids: Vec<&str> = page.grants.iter().map(GrantItem::grant_id).collect();
    assert_eq!(
        ids,
        [
            &via_app.grant_id,
            &own.grant_id,
            &sys.grant_id,
            &group.grant_id,
            &user.grant_id
        ],
        "newest first"
    );
    for item in &page.grants {
        let GrantItem::ManagedSecret(g) = item else {
            panic!("expected a managed-secret grant: {item:?}")
        };
        assert_eq!(g.managed_secret_id, t.managed_secret_id);
        assert_eq!(g.managed_secret_slug, t.managed_secret_slug);
        assert_eq!(g.status, "active");
        assert!(g.created_at <= time::OffsetDateTime::now_utc());
    }
    let agent_items: Vec<_> = page
        .grants
        .iter()
        .filter_map(|g| match g {
            GrantItem::ManagedSecret(m) if m.principal_type == "agent" => Some(m.agent_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        agent_items,
        [Some(t.agent_id.clone()), Some(t.agent_id.clone())]
    );

    // An agent sees only its own grants, whichever way it authenticates.
    for seen in [
        agent(&t)
            .list_grants(ListGrantsParams::new())
            .await
            .unwrap(),
        impersonated
            .list_grants(ListGrantsParams::new())
            .await
            .unwrap(),
    ] {
        assert_eq!(seen.total, 2);
    }

    let revoked = app
        .revoke_grant(
            &sys.grant_id.to_uppercase(),
            RevokeGrantOptions::new().reason("rotated"),
        )
        .await
        .unwrap();
    assert!(revoked.success);
    assert_eq!(revoked.grant_id, sys.grant_id);
    let revoked_again = app
        .revoke_grant(&sys.grant_id, RevokeGrantOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        kind(&revoked_again),
        ErrorKind::GrantRevoked,
        "{revoked_again}"
    );
    let active = app
        .list_grants(ListGrantsParams::new().status("active"))
        .await
        .unwrap();
    assert_eq!(active.total, 4);
    let gone = app
        .list_grants(ListGrantsParams::new().status("revoked"))
        .await
        .unwrap();
    assert_eq!(
        gone.grants
            .iter()
            .map(GrantItem::grant_id)
            .collect::<Vec<_>>(),
        [sys.grant_id.as_str()]
    );

    let audit = server.admin().audit(&t.app_id, 100, 0).await.unwrap();
    assert_eq!(
        audit
            .records
            .iter()
            .filter(|r| r.action.contains("revoke"))
            .count(),
        1
    );
    assert!(
        audit
            .records
            .iter()
            .any(|r| r.label.as_deref() == Some("laptop"))
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_walks_every_page() {
    let (server, t) = dev().await;
    let app = app(&t);
    for i in 0..23 {
        app.create_managed_secret_grant(
            &t.managed_secret_id,
            system(&format!("job-{i:02}")),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap();
    }
    let first = app
        .list_grants(ListGrantsParams::new().limit(10))
        .await
        .unwrap();
    assert_eq!(
        (first.total, first.grants.len(), first.has_more),
        (23, 10, true)
    );
    let last = app
        .list_grants(ListGrantsParams::new().limit(10).offset(20))
        .await
        .unwrap();
    assert_eq!(
        (last.grants.len(), last.has_more, last.offset),
        (3, false, 20)
    );

    let all: Vec<GrantItem> = app
        .grants(ListGrantsParams::new().limit(10))
        .try_collect()
        .await
        .unwrap();
    let labels: Vec<&str> = all.iter().map(|g| g.label().unwrap()).collect();
    let expected: Vec<String> = (0..23).rev().map(|i| format!("job-{i:02}")).collect();
    assert_eq!(labels, expected);

    let filtered: Vec<GrantItem> = app
        .grants(ListGrantsParams::new().label("job-07").limit(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 1);
    let by_slug = app
        .list_grants(
            ListGrantsParams::new()
                .provider_id(&t.managed_secret_slug)
                .limit(1),
        )
        .await
        .unwrap();
    assert_eq!(by_slug.total, 23);
    let none = app
        .list_grants(ListGrantsParams::new().provider_id("no-such-slug"))
        .await
        .unwrap();
    assert_eq!((none.total, none.grants.len()), (0, 0));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_and_managed_grants_list_together() {
    let (server, t) = dev().await;
    let app = app(&t);
    let provisioned = server
        .admin()
        .provision_oauth_grant(
            &t.app_id,
            ProvisionOAuthGrant {
                provider_id: "google".into(),
                principal: OAuthPrincipal::System,
                label: Some("drive".into()),
                account_identifier: Some("ops@example.com".into()),
                account_display_name: None,
                scopes: vec!["drive.readonly".into()],
            },
        )
        .await
        .unwrap();
    app.create_managed_secret_grant(
        &t.managed_secret_id,
        system("ms"),
        CreateGrantOptions::new(),
    )
    .await
    .unwrap();
    let page = app.list_grants(ListGrantsParams::new()).await.unwrap();
    let kinds: Vec<&str> = page.grants.iter().map(GrantItem::grant_kind).collect();
    assert_eq!(kinds, ["managed_secret", "oauth"]);
    let GrantItem::OAuth(oauth) = &page.grants[1] else {
        panic!()
    };
    assert_eq!(oauth.grant_id, provisioned.grant_id);
    assert_eq!(
        (oauth.provider_id.as_str(), oauth.scopes.as_slice()),
        ("google", ["drive.readonly".to_string()].as_slice())
    );
    let google = app
        .list_grants(
            ListGrantsParams::new()
                .provider_id("google")
                .account("ops@example.com"),
        )
        .await
        .unwrap();
    assert_eq!(google.total, 1);
    app.revoke_grant(&provisioned.grant_id, RevokeGrantOptions::new())
        .await
        .unwrap();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_rules_become_typed_errors_and_store_nothing() {
    let (server, t) = dev().await;
    let app = app(&t);
    let ms = &t.managed_secret_id;
    app.create_managed_secret_grant(ms, system("taken"), CreateGrantOptions::new())
        .await
        .unwrap();

    let err = app
        .create_managed_secret_grant(ms, system("taken"), CreateGrantOptions::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::SiblingLabelConflict, "{err}");
    assert_eq!(err.as_api().unwrap().status, 409);

    let err = app
        .create_managed_secret_grant(
            ms,
            Principal::agent(None::<String>).unwrap(),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        kind(&err),
        ErrorKind::UnprocessableEntity,
        "AgentPrincipal without an agent caller: {err}"
    );

    let err = app
        .create_managed_secret_grant(
            ms,
            Principal::user("not.a.jwt", "x").unwrap(),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::ReAuthRequired, "{err}");

    let missing = "00000000-0000-4000-8000-000000000000";
    let err = app
        .create_managed_secret_grant(missing, system("x"), CreateGrantOptions::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::GrantNotFound, "{err}");
    let err = app
        .revoke_grant(missing, RevokeGrantOptions::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::GrantNotFound, "{err}");

    let err = app
        .get_agent(missing)
        .unwrap()
        .list_grants(ListGrantsParams::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::AgentNotFound, "{err}");

    let past =
        GrantPolicy::new().expires_at(time::OffsetDateTime::now_utc() - Duration::from_secs(60));
    let err = app
        .create_managed_secret_grant(
            ms,
            system("past"),
            CreateGrantOptions::new().grant_policy(past),
        )
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::UnprocessableEntity, "{err}");

    // Several developer credentials: the caller must choose, and is told the choices.
    let second = server
        .admin()
        .add_credential(
            &t.app_id,
            ms,
            AddCredential {
                label: "staging".into(),
                kind: "developer".into(),
                value: "sk_test_2".into(),
            },
        )
        .await
        .unwrap();
    let err = app
        .create_managed_secret_grant(ms, system("choose"), CreateGrantOptions::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::CredentialIdRequired, "{err}");
    let mut choices: Vec<_> = err
        .as_api()
        .unwrap()
        .credentials
        .iter()
        .map(|c| c.credential_id.clone())
        .collect();
    choices.sort();
    let mut expected = vec![t.credential_id.clone(), second.credential_id.clone()];
    expected.sort();
    assert_eq!(choices, expected);
    let chosen = app
        .create_managed_secret_grant(
            ms,
            system("choose"),
            CreateGrantOptions::new().credential_id(&second.credential_id),
        )
        .await
        .unwrap();
    assert_eq!(
        chosen.credential_id.as_deref(),
        Some(second.credential_id.as_str())
    );

    let end_user = server
        .admin()
        .add_credential(
            &t.app_id,
            ms,
            AddCredential {
                label: "bob".into(),
                kind: "end_user".into(),
                value: "sk_bob".into(),
            },
        )
        .await
        .unwrap();
    let err = app
        .create_managed_secret_grant(
            ms,
            system("eu"),
            CreateGrantOptions::new().credential_id(&end_user.credential_id),
        )
        .await
        .unwrap_err();
    assert_eq!(
        kind(&err),
        ErrorKind::EndUserCredentialNotAssignable,
        "{err}"
    );
    assert_eq!(
        err.as_api().unwrap().code.as_deref(),
        Some("end_user_credential_not_assignable")
    );

    // A key of a valid format that the server does not know.
    let stranger = App::builder(grantline::keys::generate_key(grantline::keys::KeyType::App))
        .base_url(&t.base_url)
        .build()
        .unwrap();
    let err = stranger
        .list_grants(ListGrantsParams::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Authentication, "{err}");

    assert_eq!(
        total(&app).await,
        2,
        "only the two successful creates are stored"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated() {
    let (server, t) = dev().await;
    let admin = server.admin();
    let other = admin
        .create_app(CreateApp {
            name: "other".into(),
            id: None,
        })
        .await
        .unwrap();
    let other_key = admin
        .mint_key(
            &other.app_id,
            MintKey {
                kind: "app".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let other_secret = admin
        .add_managed_secret(
            &other.app_id,
            AddManagedSecret {
                slug: "db".into(),
                name: "DB".into(),
                id: None,
            },
        )
        .await
        .unwrap();
    admin
        .add_credential(
            &other.app_id,
            &other_secret.managed_secret_id,
            AddCredential {
                label: "p".into(),
                kind: "developer".into(),
                value: "pw".into(),
            },
        )
        .await
        .unwrap();
    let other_app = App::builder(other_key.key)
        .base_url(&t.base_url)
        .build()
        .unwrap();
    let theirs = other_app
        .create_managed_secret_grant(
            &other_secret.managed_secret_id,
            system("theirs"),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap();

    let app = app(&t);
    let err = app
        .create_managed_secret_grant(
            &other_secret.managed_secret_id,
            system("x"),
            CreateGrantOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::GrantNotFound, "{err}");
    let err = app
        .revoke_grant(&theirs.grant_id, RevokeGrantOptions::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::GrantNotFound, "{err}");
    assert_eq!(total(&app).await, 0);
    assert_eq!(total(&other_app).await, 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_tokens_scope_the_listing() {
    let (server, t) = dev().await;
    let ms = &t.managed_secret_id;
    let app = app(&t);
    let bob = server
        .admin()
        .mint_user_token(
            &t.app_id,
            &t.idp_id,
            MintUserToken {
                sub: "bob".into(),
                groups: vec![],
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .token;
    app.create_managed_secret_grant(
        ms,
        Principal::user(&t.user_token, "dev-user").unwrap(),
        CreateGrantOptions::new(),
    )
    .await
    .unwrap();
    app.create_managed_secret_grant(
        ms,
        Principal::group(&t.group_id, &t.idp_id, "eng").unwrap(),
        CreateGrantOptions::new(),
    )
    .await
    .unwrap();
    app.create_managed_secret_grant(
        ms,
        Principal::user(&bob, "bob").unwrap(),
        CreateGrantOptions::new(),
    )
    .await
    .unwrap();
    app.create_managed_secret_grant(ms, system("sys"), CreateGrantOptions::new())
        .await
        .unwrap();

    let as_user = app
        .list_grants(ListGrantsParams::new().end_user_token(&t.user_token))
        .await
        .unwrap();
    let mut labels: Vec<_> = as_user
        .grants
        .iter()
        .map(|g| g.label().unwrap().to_owned())
        .collect();
    labels.sort();
    assert_eq!(
        labels,
        ["dev-user", "eng"],
        "the user's own grant and their group's"
    );

    let token = bob.clone();
    let scoped = App::builder(&t.app_key)
        .base_url(&t.base_url)
        .user_token_getter(move || {
            let token = token.clone();
            async move { Ok(token) }
        })
        .build()
        .unwrap();
    let as_bob = scoped.list_grants(ListGrantsParams::new()).await.unwrap();
    assert_eq!(
        as_bob
            .grants
            .iter()
            .map(|g| g.label().unwrap())
            .collect::<Vec<_>>(),
        ["bob"]
    );
    // A revoke as an end user: only their own grants.
    let bob_grant = as_bob.grants[0].grant_id().to_owned();
    let dev_grant = as_user.grants[0].grant_id().to_owned();
    let as_bob_opts = || RevokeGrantOptions::new().user_token(&bob);
    let err = app
        .revoke_grant(&dev_grant, as_bob_opts())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::GrantNotFound, "{err}");
    app.revoke_grant(&bob_grant, as_bob_opts()).await.unwrap();
    // The getter supplies the token of a revoke that names none.
    let err = scoped
        .revoke_grant(&dev_grant, RevokeGrantOptions::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::GrantNotFound, "{err}");
    let failing = App::builder(&t.app_key)
        .base_url(&t.base_url)
        .user_token_getter(|| async { Err("no session".into()) })
        .build()
        .unwrap();
    let err = failing
        .list_grants(ListGrantsParams::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("user_token_getter failed"),
        "{err}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_before_any_io() {
    let (server, t) = dev().await;
    let app = app(&t);
    let ms = &t.managed_secret_id;
    let invalid = |r: Result<_, Error>| matches!(r, Err(Error::InvalidArgument { .. }));
    assert!(invalid(
        app.list_grants(ListGrantsParams::new().limit(0))
            .await
            .map(drop)
    ));
    assert!(invalid(
        app.list_grants(ListGrantsParams::new().limit(1001))
            .await
            .map(drop)
    ));
    assert!(invalid(
        app.list_grants(ListGrantsParams::new().label(""))
            .await
            .map(drop)
    ));
    assert!(invalid(
        app.create_managed_secret_grant("", system("x"), CreateGrantOptions::new())
            .await
            .map(drop)
    ));
    assert!(invalid(
        app.create_managed_secret_grant(
            ms,
            system("x"),
            CreateGrantOptions::new().credential_id("")
        )
        .await
        .map(drop)
    ));
    let bad_policy = GrantPolicy::new()
        .max_ttl_seconds(60)
        .default_ttl_seconds(120);
    assert!(invalid(
        app.create_managed_secret_grant(
            ms,
            system("x"),
            CreateGrantOptions::new().grant_policy(bad_policy)
        )
        .await
        .map(drop)
    ));
    let literal = Principal::System {
        label: Some("x".repeat(300)),
    };
    assert!(invalid(
        app.create_managed_secret_grant(ms, literal, CreateGrantOptions::new())
            .await
            .map(drop)
    ));
    assert!(invalid(
        app.revoke_grant("not-a-uuid", RevokeGrantOptions::new())
            .await
            .map(drop)
    ));
    assert!(invalid(
        app.revoke_grant(
            "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d",
            RevokeGrantOptions::new()
        )
        .await
        .map(drop)
    ));
    let err = agent(&t)
        .create_managed_secret_grant(ms, system("x"), CreateGrantOptions::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only for itself"), "{err}");
    assert!(invalid(app.get_agent("nope").map(drop)));
    assert!(invalid(App::builder("sk_live_123").build().map(drop)));
    assert!(invalid(
        App::builder(&t.app_key)
            .base_url("http://example.com")
            .build()
            .map(drop)
    ));
    assert!(invalid(
        App::builder(&t.app_key).caller("bad\n").build().map(drop)
    ));

    let audit = server.admin().audit(&t.app_id, 100, 0).await.unwrap();
    assert!(
        audit.records.is_empty(),
        "nothing reached the server: {:?}",
        audit.records
    );
    assert_eq!(total(&app).await, 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_follow_the_rules() {
    let (server, t) = dev().await;
    let admin = server.admin();

    // A read is retried through 503s and succeeds.
    admin
        .inject_fault(FaultSpec {
            retry_after: Some("0".into()),
            ..fault("/sdk/grants/list", 503, 2)
        })
        .await
        .unwrap();
    let app = app(&t);
    assert_eq!(
        app.list_grants(ListGrantsParams::new())
            .await
            .unwrap()
            .total,
        0
    );

    // Without retries the 503 surfaces as a ServerError carrying Retry-After.
    admin
        .inject_fault(FaultSpec {
            retry_after: Some("7".into()),
            ..fault("/sdk/grants/list", 503, 1)
        })
        .await
        .unwrap();
    let once = App::builder(&t.app_key)
        .base_url(&t.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let err = once.list_grants(ListGrantsParams::new()).await.unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Server);
    assert_eq!(
        err.as_api().unwrap().retry_after,
        Some(Duration::from_secs(7))
    );

    // A 500 on a create is not retried (the server may have acted)...
    admin
        .inject_fault(fault("/sdk/managed-secrets", 500, 1))
        .await
        .unwrap();
    let err = app
        .create_managed_secret_grant(&t.managed_secret_id, system("a"), CreateGrantOptions::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Server);
    // ...but a 429 is, honouring Retry-After, and the grant is stored exactly once.
    admin
        .inject_fault(FaultSpec {
            retry_after: Some("1".into()),
            ..fault("/sdk/managed-secrets", 429, 1)
        })
        .await
        .unwrap();
    let started = Instant::now();
    app.create_managed_secret_grant(&t.managed_secret_id, system("b"), CreateGrantOptions::new())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for Retry-After"
    );
    assert_eq!(total(&app).await, 1);

    // Retries run out.
    admin
        .inject_fault(FaultSpec {
            retry_after: Some("0".into()),
            ..fault("/sdk/grants/list", 502, 3)
        })
        .await
        .unwrap();
    let err = app.list_grants(ListGrantsParams::new()).await.unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Server, "{err}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_connection_failures() {
    let (server, t) = dev().await;
    let admin = server.admin();
    admin
        .inject_fault(FaultSpec {
            delay_ms: Some(1500),
            ..fault("/sdk/grants/list", 0, 1)
        })
        .await
        .unwrap();
    let impatient = App::builder(&t.app_key)
        .base_url(&t.base_url)
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let err = impatient
        .list_grants(ListGrantsParams::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Timeout, "{err}");

    // A read that timed out once is retried.
    admin
        .inject_fault(FaultSpec {
            delay_ms: Some(1500),
            ..fault("/sdk/grants/list", 0, 1)
        })
        .await
        .unwrap();
    let patient = App::builder(&t.app_key)
        .base_url(&t.base_url)
        .timeout(Duration::from_millis(300))
        .max_retries(1)
        .build()
        .unwrap();
    assert!(patient.list_grants(ListGrantsParams::new()).await.is_ok());

    // A per-call timeout on a client whose own timeout is the default 30 s.
    admin
        .inject_fault(FaultSpec {
            delay_ms: Some(1500),
            ..fault("/sdk/grants/list", 0, 1)
        })
        .await
        .unwrap();
    let relaxed = App::builder(&t.app_key)
        .base_url(&t.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let err = relaxed
        .with_timeout(Duration::from_millis(200))
        .list_grants(ListGrantsParams::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Timeout, "{err}");
    // The same as an option of the call itself, on the async and the blocking client.
    for _ in 0..2 {
        admin
            .inject_fault(FaultSpec {
                delay_ms: Some(1500),
                ..fault("/sdk/grants/list", 0, 1)
            })
            .await
            .unwrap();
    }
    let started = Instant::now();
    let err = relaxed
        .list_grants(ListGrantsParams::new().timeout(Duration::from_millis(200)))
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Timeout, "{err}");
    let blocking = grantline::blocking::App::from_async(relaxed.clone());
    let err = std::thread::spawn(move || {
        blocking.list_grants(ListGrantsParams::new().timeout(Duration::from_millis(200)))
    })
    .join()
    .unwrap()
    .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_millis(1400));

    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let nowhere = App::builder(&t.app_key)
        .base_url(format!("http://127.0.0.1:{closed_port}"))
        .max_retries(0)
        .build()
        .unwrap();
    let err = nowhere
        .list_grants(ListGrantsParams::new())
        .await
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::Network, "{err}");
    assert!(!err.to_string().contains(&t.app_key));
    assert!(!err.to_string().contains("ALTER_BASE_URL"), "{err}");
    server.shutdown().await;
}

/// What bindings submit: a call read from host arguments, run by any client that has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_from_host_arguments() {
    use grantline::{Call, Dialect, Outcome};
    use serde_json::json;
    let (server, t) = dev().await;
    let call = Call::from_value(
        "create_managed_secret_grant",
        json!({"managedSecretId": t.managed_secret_id, "principal": {"type": "system", "label": "js"},
               "grantPolicy": {"maxTtlSeconds": 3600}}),
        Dialect::JavaScript,
    )
    .unwrap();
    let Outcome::CreateManagedSecretGrant(created) = app(&t).call(call).await.unwrap() else {
        panic!("wrong outcome")
    };
    let call = Call::from_value("list_grants", json!({"label": "js"}), Dialect::Python).unwrap();
    let Outcome::ListGrants(page) = app(&t).call(call.clone()).await.unwrap() else {
        panic!("wrong outcome")
    };
    assert_eq!(page.grants[0].grant_id(), created.grant_id);
    // The blocking twin runs the same call.
    let blocking = grantline::blocking::App::from_async(app(&t));
    let outcome = std::thread::spawn(move || blocking.call(call))
        .join()
        .unwrap()
        .unwrap();
    assert!(matches!(outcome, Outcome::ListGrants(p) if p.total == 1));
    // An agent has no revoke: refused before any I/O.
    let revoke = Call::from_value(
        "revoke_grant",
        json!({"grant_id": created.grant_id}),
        Dialect::Python,
    )
    .unwrap();
    let err = agent(&t).call(revoke).await.unwrap_err();
    assert_eq!(kind(&err), ErrorKind::InvalidArgument, "{err}");
    server.shutdown().await;
}

/// Every setting reaches a blocking client through the one builder.
#[test]
fn blocking_builders_take_every_setting() {
    let key = "alter_rk_abcdefghijklmnopqrstuv_iwpykn";
    let app = grantline::blocking::App::builder(key)
        .base_url("http://127.0.0.1:9")
        .timeout(Duration::from_secs(3))
        .max_retries(0)
        .caller("billing")
        .caller_type(grantline::CallerType::Agent)
        .user_agent("mine/1")
        .user_token_getter(|| async { Ok("t".to_owned()) })
        .build()
        .unwrap();
    let shown = format!("{app:?}");
    assert!(
        shown.contains("billing") && shown.contains("caller_type: \"agent\""),
        "{shown}"
    );
    let err = grantline::blocking::Agent::builder(key)
        .base_url("http://127.0.0.1:9")
        .user_token_getter(|| async { Ok("t".to_owned()) })
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("App setting"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actor_id_is_cached_and_v2_signing_keeps_working() {
    let (server, t) = dev().await;
    let app = app(&t);
    assert_eq!(app.actor_id(), None);
    app.list_grants(ListGrantsParams::new()).await.unwrap();
    let actor = app
        .actor_id()
        .expect("the server returns X-Alter-Actor-ID")
        .to_owned();
    app.create_managed_secret_grant(
        &t.managed_secret_id,
        system("v2"),
        CreateGrantOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        app.list_grants(ListGrantsParams::new())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(app.actor_id(), Some(actor.as_str()));
    // An impersonating agent gets no actor id (docs/wire.md §3.4).
    let imp = app.get_agent(&t.agent_id).unwrap();
    imp.list_grants(ListGrantsParams::new()).await.unwrap();
    assert_eq!(imp.actor_id(), None);
    server.shutdown().await;
}

#[test]
fn blocking_clients_work_from_plain_threads() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (server, t) = rt.block_on(dev());
    let app = grantline::blocking::App::builder(&t.app_key)
        .base_url(&t.base_url)
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for i in 0..4 {
            let app = app.clone();
            let ms = t.managed_secret_id.clone();
            s.spawn(move || {
                for j in 0..3 {
                    app.create_managed_secret_grant(
                        &ms,
                        system(&format!("t{i}-{j}")),
                        CreateGrantOptions::new(),
                    )
                    .unwrap();
                }
            });
        }
    });
    let all: Vec<GrantItem> = app
        .grants(ListGrantsParams::new().limit(5))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 12);
    let page = app.list_grants(ListGrantsParams::new().limit(1)).unwrap();
    assert_eq!(page.total, 12);
    let revoked = app
        .revoke_grant(all[0].grant_id(), RevokeGrantOptions::new())
        .unwrap();
    assert!(revoked.success);
    let imp = app.get_agent(&t.agent_id).unwrap();
    let own = imp
        .create_managed_secret_grant(
            &t.managed_secret_id,
            Principal::agent(Some("b")).unwrap(),
            CreateGrantOptions::new(),
        )
        .unwrap();
    assert_eq!(own.principal_type, "agent");
    let seen: Vec<GrantItem> = imp
        .grants(ListGrantsParams::new())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        seen.iter().map(GrantItem::grant_id).collect::<Vec<_>>(),
        [own.grant_id.as_str()]
    );

    // An iterator started on one thread and finished on another fetches each page on the
    // thread that asks for it, while the first thread stays alive but idle (its runtime is not
    // being driven, so a connection from its pool could not make progress).
    let quick = grantline::blocking::App::builder(&t.app_key)
        .base_url(&t.base_url)
        .timeout(std::time::Duration::from_secs(2))
        .max_retries(0)
        .build()
        .unwrap();
    let total = quick.list_grants(ListGrantsParams::new()).unwrap().total as usize;
    let (handoff, receive) = std::sync::mpsc::channel();
    let (done, wait_done) = std::sync::mpsc::channel::<()>();
    let first_thread = std::thread::spawn(move || {
        let mut iter = quick.grants(ListGrantsParams::new().limit(5));
        let first = iter.next().unwrap().unwrap();
        handoff.send((first, iter)).unwrap();
        let _ = wait_done.recv();
    });
    let (first, iter) = receive.recv().unwrap();
    let rest = iter.collect::<Result<Vec<GrantItem>, _>>();
    drop(done);
    first_thread.join().unwrap();
    assert_eq!(rest.unwrap().len() + 1, total, "{first:?}");

    // Inside an async runtime the blocking client refuses instead of deadlocking.
    let err = rt
        .block_on(async { app.list_grants(ListGrantsParams::new()) })
        .unwrap_err();
    assert_eq!(kind(&err), ErrorKind::InvalidArgument);
    rt.block_on(server.shutdown());
}

#[test]
fn debug_output_never_shows_secrets() {
    let key = "alter_rk_abcdefghijklmnopqrstuv_iwpykn";
    let app = App::builder(key)
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let shown = format!(
        "{app:?} {:?} {:?}",
        app.get_agent("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d")
            .unwrap(),
        App::builder(key)
    );
    assert!(!shown.contains("abcdefghij"), "{shown}");
    let blocking = grantline::blocking::App::builder(key)
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    assert!(!format!("{blocking:?}").contains("abcdefghij"));
}
