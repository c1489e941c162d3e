//! The Rust quickstart: issue a grant to a user, a group, the system and an agent (for itself),
//! list them with their kinds, revoke one; mint a sibling grant; delegate the agent's grant to a
//! second agent, which lists it and then loses it.
//!
//! Run it against a local server with `make demo`, or by hand:
//! `grantline-server dev` prints a tenant; export its values as the ALTER_* variables read below.

use futures_util::TryStreamExt;
use grantline::{
    Agent, App, CreateGrantOptions, DelegateOptions, GrantItem, GrantPolicy, ListGrantsParams,
    MintGrantOptions, Principal, RevokeDelegationOptions, RevokeGrantOptions,
};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name} (make demo does)"))
}

#[tokio::main]
async fn main() -> Result<(), grantline::Error> {
    // ALTER_BASE_URL is read by the builder itself.
    let app = App::builder(env("ALTER_APP_KEY")).build()?;
    let secret = env("ALTER_MANAGED_SECRET_ID");

    let user = app
        .create_managed_secret_grant(
            &secret,
            Principal::user(env("ALTER_USER_TOKEN"), "alice-laptop")?,
            CreateGrantOptions::new(),
        )
        .await?;
    println!(
        "issued {} to a user   (label {})",
        user.grant_id,
        user.label.as_deref().unwrap_or("-")
    );

    let group = Principal::group(env("ALTER_GROUP_ID"), env("ALTER_IDP_ID"), "eng-team")?;
    let policy = GrantPolicy::new().max_ttl_seconds(7 * 24 * 3600);
    let group = app
        .create_managed_secret_grant(
            &secret,
            group,
            CreateGrantOptions::new().grant_policy(policy),
        )
        .await?;
    let ends = group
        .grant_expires_at
        .map_or_else(|| "never".to_owned(), |t| grantline::format_timestamp(&t));
    println!("issued {} to a group  (ends {ends})", group.grant_id);

    let system = app
        .create_managed_secret_grant(
            &secret,
            Principal::system(Some("nightly-sync"))?,
            CreateGrantOptions::new(),
        )
        .await?;
    println!("issued {} to the system", system.grant_id);

    let agent = Agent::builder(env("ALTER_AGENT_KEY")).build()?;
    let own = agent
        .create_managed_secret_grant(
            &secret,
            Principal::agent(Some("my-own"))?,
            CreateGrantOptions::new(),
        )
        .await?;
    println!("issued {} by an agent, for itself", own.grant_id);

    // The agent uses its grant: the credential is leased, injected and the call recorded.
    let resp = agent
        .request(
            "GET",
            format!("{}/v1/whoami", env("ALTER_PROVIDER_URL")),
            grantline::RequestOptions::grant(&own.grant_id).reason("quickstart"),
        )
        .await?;
    println!(
        "the agent called the demo provider with its grant: {} {}",
        resp.status,
        resp.text()
    );

    println!("\nevery grant of the app:");
    let grants: Vec<GrantItem> = app
        .grants(ListGrantsParams::new().limit(2))
        .try_collect()
        .await?;
    for g in &grants {
        let principal = match g {
            GrantItem::ManagedSecret(m) => m.principal_type.as_str(),
            GrantItem::OAuth(o) => o.principal_type.as_str(),
            GrantItem::Unknown(_) => "?",
        };
        let label = g.label().unwrap_or("-");
        let status = g.status().unwrap_or("?");
        println!(
            "  {} {:<14} {principal:<7} {label:<14} {status}",
            g.grant_id(),
            g.grant_kind()
        );
    }

    let revoked = app
        .revoke_grant(&system.grant_id, RevokeGrantOptions::new().reason("demo"))
        .await?;
    println!(
        "\nrevoked {} at {}",
        revoked.grant_id,
        grantline::format_timestamp(&revoked.revoked_at)
    );
    let active = app
        .list_grants(ListGrantsParams::new().status("active"))
        .await?;
    println!("{} grants remain active", active.total);

    // A sibling of the user's grant: the same credential and user, its own label and policy.
    let sibling = app
        .mint_grant(
            &user.grant_id,
            "alice-ci",
            MintGrantOptions::new().grant_policy(GrantPolicy::new().max_ttl_seconds(600)),
        )
        .await?;
    println!(
        "\nminted sibling {} (label {}) on credential {}",
        sibling.grant_id,
        sibling.label.as_deref().unwrap_or("-"),
        sibling.credential_id.as_deref().unwrap_or("-")
    );

    // The agent hands its grant to a second agent, which lists it, then loses it.
    let second_id = env("ALTER_AGENT2_ID");
    let second = Agent::builder(env("ALTER_AGENT2_KEY")).build()?;
    let delegation = agent
        .delegate(
            &own.grant_id,
            &second_id,
            DelegateOptions::new().ttl_seconds(600),
        )
        .await?;
    println!(
        "delegated {} to the second agent: {} (depth {})",
        own.grant_id, delegation.grant_id, delegation.depth
    );
    let held = |page: grantline::GrantPage| {
        page.grants.into_iter().find_map(|g| match g {
            GrantItem::ManagedSecret(m) if m.grant_id == delegation.grant_id => Some(m),
            _ => None,
        })
    };
    if let Some(m) = held(second.list_grants(ListGrantsParams::new()).await?) {
        println!(
            "  the second agent lists it: {}, parent {}, {}",
            m.access_via,
            m.parent_grant_id.as_deref().unwrap_or("-"),
            m.status
        );
    }
    app.revoke_delegation(
        &own.grant_id,
        RevokeDelegationOptions::new().agent_id(&second_id),
    )
    .await?;
    if let Some(m) = held(second.list_grants(ListGrantsParams::new()).await?) {
        println!("  after the app revoked the delegation: {}", m.status);
    }

    // Closing waits for the agent's audit record of its provider call (written in the background).
    agent.close();
    agent.flush(std::time::Duration::from_secs(5)).await;
    Ok(())
}
