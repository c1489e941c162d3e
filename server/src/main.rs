//! `grantline-server`: serve, dev, admin.

/// mimalloc: measured faster than the system allocator for the server's many small
/// allocations (server/README.md, "Benchmark").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand};
use grantline_server::admin::client::AdminClient;
use grantline_server::crypto::MasterKey;
use grantline_server::{ServerConfig, start, start_dev};
use serde_json::{Value, json};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "grantline-server",
    version,
    about = "A local, Alter-compatible backend"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until SIGINT/SIGTERM.
    Serve(ServeArgs),
    /// Serve with one demo tenant provisioned; print it as one JSON line on stdout.
    Dev(DevArgs),
    /// Call the admin API of a running server.
    Admin(AdminArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0 = any free port).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// `postgres://user@host:port/db` (created if missing), `sqlite:///abs/file.db`, a file
    /// path, or `sqlite::memory:`. Several instances may share one database.
    #[arg(long, env = "GRANTLINE_DATABASE_URL", default_value = "grantline.db")]
    database: String,
    /// File holding the master key as 64 hex characters (else GRANTLINE_MASTER_KEY).
    #[arg(long)]
    master_key_file: Option<std::path::PathBuf>,
    /// Bearer token of the admin API (generated and printed to stderr when absent).
    #[arg(long, env = "GRANTLINE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

#[derive(Args)]
struct DevArgs {
    /// Address to listen on (port 0 = any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Database URL (default: SQLite in memory); as for `serve`.
    #[arg(long, default_value = "sqlite::memory:")]
    database: String,
    /// Admin token (generated when absent).
    #[arg(long, env = "GRANTLINE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Exit when standard input is closed (for test harnesses).
    #[arg(long)]
    exit_on_stdin_close: bool,
    /// How the tenant is printed: one JSON line, or `export ALTER_…='…'` lines for a POSIX
    /// shell to source (the ALTER_* variables the clients and quickstarts read, and
    /// GRANTLINE_URL/GRANTLINE_ADMIN_TOKEN for `grantline-server admin`).
    #[arg(long, value_enum, default_value_t = TenantFormat::Json)]
    format: TenantFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TenantFormat {
    Json,
    Env,
}

#[derive(Args)]
struct AdminArgs {
    /// Base URL of the server (what `serve`/`dev` print on stderr).
    #[arg(long, env = "GRANTLINE_URL", default_value = "http://127.0.0.1:8787")]
    url: String,
    /// Bearer token of the admin API (`serve --admin-token`, or the one it printed on stderr).
    #[arg(long, env = "GRANTLINE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: String,
    #[command(subcommand)]
    action: AdminAction,
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create an app.
    CreateApp {
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// Create a managed agent.
    CreateAgent {
        /// App id.
        #[arg(long)]
        app: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// Set an agent's status (active, paused, revoked).
    SetAgentStatus {
        /// App id.
        #[arg(long)]
        app: String,
        /// Agent id.
        #[arg(long)]
        agent: String,
        /// active, paused or revoked.
        #[arg(long)]
        status: String,
    },
    /// Mint an app key, or an agent key with --agent.
    MintKey {
        /// App id.
        #[arg(long)]
        app: String,
        /// Agent id: mint that agent's key instead of an app key.
        #[arg(long)]
        agent: Option<String>,
    },
    /// Add an identity provider (one of --hs256-secret, --jwks-file, --jwks-url).
    AddIdp {
        /// App id.
        #[arg(long)]
        app: String,
        /// The `iss` its tokens carry.
        #[arg(long)]
        issuer: String,
        /// The `aud` its tokens carry.
        #[arg(long)]
        audience: String,
        /// Shared HS256 secret, 16 to 4096 bytes.
        #[arg(long)]
        hs256_secret: Option<String>,
        /// A JWKS document on disk (RS256/384/512, ES256/384 keys).
        #[arg(long)]
        jwks_file: Option<String>,
        /// A JWKS URL, fetched and cached.
        #[arg(long)]
        jwks_url: Option<String>,
        /// The claim listing a user's groups (default `groups`).
        #[arg(long)]
        groups_claim: Option<String>,
    },
    /// Mint a development user JWT (HS256 IDPs).
    MintUserToken {
        /// App id.
        #[arg(long)]
        app: String,
        /// IDP id (an HS256 one).
        #[arg(long)]
        idp: String,
        /// The user's subject (`sub`).
        #[arg(long)]
        sub: String,
        /// A group the user belongs to; repeat for several groups.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Lifetime in seconds (default 3600).
        #[arg(long)]
        ttl_seconds: Option<i64>,
        /// The `email` claim.
        #[arg(long)]
        email: Option<String>,
    },
    /// Add a managed-secret provider.
    AddManagedSecret {
        /// App id.
        #[arg(long)]
        app: String,
        /// Short unique name (shown as the grant's `managed_secret_slug`).
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// Add a credential to a managed-secret provider (value read from --value or stdin).
    AddCredential {
        /// App id.
        #[arg(long)]
        app: String,
        /// Managed-secret provider id.
        #[arg(long)]
        managed_secret: String,
        /// The credential's label.
        #[arg(long)]
        label: String,
        /// developer or end_user.
        #[arg(long, default_value = "developer")]
        kind: String,
        /// The secret value (else read from stdin, which keeps it out of the process list).
        #[arg(long)]
        value: Option<String>,
    },
    /// Provision an OAuth grant.
    ProvisionOauthGrant {
        /// App id.
        #[arg(long)]
        app: String,
        /// Provider id (e.g. `github`).
        #[arg(long)]
        provider: String,
        /// user, system or agent.
        #[arg(long, default_value = "system")]
        principal: String,
        /// The user's subject (with --principal user).
        #[arg(long)]
        sub: Option<String>,
        /// The user's IDP id (with --principal user).
        #[arg(long)]
        idp: Option<String>,
        /// Agent id (with --principal agent).
        #[arg(long)]
        agent: Option<String>,
        /// Grant label.
        #[arg(long)]
        label: Option<String>,
        /// Account identifier at the provider.
        #[arg(long)]
        account: Option<String>,
        /// A granted scope; repeat for several.
        #[arg(long)]
        scope: Vec<String>,
    },
    /// Set (--max-ttl-seconds) or clear (--clear) an app's TTL ceiling.
    #[command(group(clap::ArgGroup::new("ceiling").required(true).args(["max_ttl_seconds", "clear"])))]
    TtlCeiling {
        /// App id.
        #[arg(long)]
        app: String,
        /// No grant of the app may live longer than this.
        #[arg(long)]
        max_ttl_seconds: Option<i64>,
        /// Remove the ceiling.
        #[arg(long)]
        clear: bool,
    },
    /// List audit records, newest first.
    Audit {
        /// App id.
        #[arg(long)]
        app: String,
        /// Records per page (1..=1000).
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Records to skip.
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Set how a managed secret's credential is injected into provider requests, and where it
    /// may be sent.
    SetInjection {
        /// App id.
        #[arg(long)]
        app: String,
        /// Managed-secret provider id.
        #[arg(long)]
        managed_secret: String,
        /// Header name.
        #[arg(long, default_value = "Authorization")]
        header: String,
        /// Header value; `{token}` marks the credential.
        #[arg(long, default_value = "Bearer {token}")]
        format: String,
        /// Also send the credential as this query parameter.
        #[arg(long)]
        query_param: Option<String>,
        /// Only these base URLs may receive it (repeat); none: any https URL.
        #[arg(long = "allowed-base-url")]
        allowed_base_urls: Vec<String>,
    },
    /// Store the access token an OAuth grant leases (value read from --access-token or stdin).
    SetGrantToken {
        /// App id.
        #[arg(long)]
        app: String,
        /// OAuth grant id.
        #[arg(long)]
        grant: String,
        /// The token (else read from stdin, which keeps it out of the process list).
        #[arg(long)]
        access_token: Option<String>,
    },
    /// List the provider calls clients reported.
    ApiCalls {
        /// App id.
        #[arg(long)]
        app: String,
        /// Records per page (1..=1000).
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Records to skip.
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Inject a fault (dev/test feature).
    InjectFault {
        /// Requests whose path starts with this are hit (e.g. `/sdk/grants`).
        #[arg(long)]
        path_prefix: String,
        /// HTTP status to answer with (0 = only delay, then answer normally).
        #[arg(long)]
        status: u16,
        /// How many requests it hits.
        #[arg(long, default_value_t = 1)]
        times: u32,
        /// A Retry-After header to send (seconds or an HTTP date).
        #[arg(long)]
        retry_after: Option<String>,
        /// Delay before answering, in milliseconds.
        #[arg(long)]
        delay_ms: Option<u64>,
        /// Where it strikes: request (before the body is read), authenticated, transaction.
        #[arg(long, default_value = "request")]
        stage: String,
    },
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GRANTLINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn master_key_from_env(file: Option<&std::path::Path>) -> Result<Option<[u8; 32]>, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return MasterKey::parse_hex(&text).map(Some);
    }
    match std::env::var("GRANTLINE_MASTER_KEY") {
        Ok(v) if !v.is_empty() => MasterKey::parse_hex(&v).map(Some),
        _ => Ok(None),
    }
}

/// SIGINT/SIGTERM, registered now (before the server announces itself), awaited later.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt())
            .map_err(|e| tracing::warn!(error = %e, "cannot watch SIGINT"))
            .ok();
        let term = signal(SignalKind::terminate())
            .map_err(|e| tracing::warn!(error = %e, "cannot watch SIGTERM"))
            .ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(int) => {},
                _ = wait(term) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn stdin_closed() {
    // A blocking read on a plain thread: returns at EOF (or error).
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        let mut stdin = std::io::stdin();
        loop {
            match std::io::Read::read(&mut stdin, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
        let _ = tx.send(());
    });
    let _ = rx.await;
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let master_key = master_key_from_env(args.master_key_file.as_deref())?;
    if master_key.is_none() {
        return Err(
            "serve needs a master key: --master-key-file FILE or GRANTLINE_MASTER_KEY (64 hex \
             characters); `grantline-server dev` generates one"
                .into(),
        );
    }
    let generated = args.admin_token.is_none();
    let signal = shutdown_signal();
    let config = ServerConfig {
        database_url: args.database,
        listen: args.listen,
        admin_token: args.admin_token,
        master_key,
        clock: None,
    };
    let server = start(config).await.map_err(|e| e.to_string())?;
    eprintln!("grantline-server listening on {}", server.base_url());
    if generated {
        eprintln!("admin token (generated): {}", server.admin_token());
    }
    signal.await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

async fn dev(args: DevArgs) -> Result<(), String> {
    let master_key = master_key_from_env(None)?;
    let signal = shutdown_signal();
    let config = ServerConfig {
        database_url: args.database,
        listen: args.listen,
        admin_token: args.admin_token,
        master_key,
        clock: None,
    };
    let (server, tenant) = start_dev(config).await.map_err(|e| e.to_string())?;
    let text = match args.format {
        TenantFormat::Json => serde_json::to_string(&tenant).map_err(|e| e.to_string())? + "\n",
        TenantFormat::Env => tenant.shell_exports(),
    };
    {
        // One write: a reader polling the file sees all of it or nothing.
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    eprintln!("grantline-server (dev) listening on {}", server.base_url());
    if args.exit_on_stdin_close {
        tokio::select! {
            _ = signal => {},
            _ = stdin_closed() => {},
        }
    } else {
        signal.await;
    }
    server.shutdown().await;
    Ok(())
}

async fn admin(args: AdminArgs) -> Result<(), String> {
    use reqwest::Method;
    let c = AdminClient::new(&args.url, &args.admin_token);
    let (method, path, body): (Method, String, Option<Value>) = match args.action {
        AdminAction::CreateApp { name } => (
            Method::POST,
            "/admin/apps".into(),
            Some(json!({"name": name})),
        ),
        AdminAction::CreateAgent { app, name } => (
            Method::POST,
            format!("/admin/apps/{app}/agents"),
            Some(json!({"name": name})),
        ),
        AdminAction::SetAgentStatus { app, agent, status } => (
            Method::PATCH,
            format!("/admin/apps/{app}/agents/{agent}"),
            Some(json!({"status": status})),
        ),
        AdminAction::MintKey { app, agent } => {
            let body = match agent {
                Some(a) => json!({"kind": "agent", "agent_id": a}),
                None => json!({"kind": "app"}),
            };
            (Method::POST, format!("/admin/apps/{app}/keys"), Some(body))
        }
        AdminAction::AddIdp {
            app,
            issuer,
            audience,
            hs256_secret,
            jwks_file,
            jwks_url,
            groups_claim,
        } => {
            let mut b = json!({"issuer": issuer, "audience": audience});
            for (k, v) in [
                ("hs256_secret", hs256_secret),
                ("jwks_file", jwks_file),
                ("jwks_url", jwks_url),
                ("groups_claim", groups_claim),
            ] {
                if let Some(v) = v {
                    b[k] = json!(v);
                }
            }
            (Method::POST, format!("/admin/apps/{app}/idps"), Some(b))
        }
        AdminAction::MintUserToken {
            app,
            idp,
            sub,
            groups,
            ttl_seconds,
            email,
        } => {
            let mut b = json!({"sub": sub, "groups": groups});
            if let Some(t) = ttl_seconds {
                b["ttl_seconds"] = json!(t);
            }
            if let Some(e) = email {
                b["email"] = json!(e);
            }
            (
                Method::POST,
                format!("/admin/apps/{app}/idps/{idp}/tokens"),
                Some(b),
            )
        }
        AdminAction::AddManagedSecret { app, slug, name } => (
            Method::POST,
            format!("/admin/apps/{app}/managed-secrets"),
            Some(json!({"slug": slug, "name": name})),
        ),
        AdminAction::AddCredential {
            app,
            managed_secret,
            label,
            kind,
            value,
        } => {
            let value = match value {
                Some(v) => v,
                None => {
                    let mut s = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                        .map_err(|e| e.to_string())?;
                    s.trim_end_matches(['\n', '\r']).to_string()
                }
            };
            (
                Method::POST,
                format!("/admin/apps/{app}/managed-secrets/{managed_secret}/credentials"),
                Some(json!({"label": label, "kind": kind, "value": value})),
            )
        }
        AdminAction::ProvisionOauthGrant {
            app,
            provider,
            principal,
            sub,
            idp,
            agent,
            label,
            account,
            scope,
        } => {
            let principal = match principal.as_str() {
                "user" => json!({"type": "user", "sub": sub, "idp_id": idp}),
                "agent" => json!({"type": "agent", "agent_id": agent}),
                _ => json!({"type": "system"}),
            };
            let mut b = json!({"provider_id": provider, "principal": principal, "scopes": scope});
            if let Some(l) = label {
                b["label"] = json!(l);
            }
            if let Some(a) = account {
                b["account_identifier"] = json!(a);
            }
            (
                Method::POST,
                format!("/admin/apps/{app}/oauth-grants"),
                Some(b),
            )
        }
        AdminAction::TtlCeiling {
            app,
            max_ttl_seconds,
            clear: _,
        } => (
            Method::PUT,
            format!("/admin/apps/{app}/ttl-ceiling"),
            Some(json!({"max_ttl_seconds": max_ttl_seconds})),
        ),
        AdminAction::Audit { app, limit, offset } => (
            Method::GET,
            format!("/admin/apps/{app}/audit?limit={limit}&offset={offset}"),
            None,
        ),
        AdminAction::SetInjection {
            app,
            managed_secret,
            header,
            format,
            query_param,
            allowed_base_urls,
        } => {
            let mut b = json!({"header": header, "format": format});
            if let Some(q) = query_param {
                b["query_param"] = json!(q);
            }
            if !allowed_base_urls.is_empty() {
                b["allowed_base_urls"] = json!(allowed_base_urls);
            }
            (
                Method::PUT,
                format!("/admin/apps/{app}/managed-secrets/{managed_secret}/injection"),
                Some(b),
            )
        }
        AdminAction::SetGrantToken {
            app,
            grant,
            access_token,
        } => {
            let token = match access_token {
                Some(v) => v,
                None => {
                    let mut s = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                        .map_err(|e| e.to_string())?;
                    s.trim_end_matches(['\n', '\r']).to_string()
                }
            };
            (
                Method::PUT,
                format!("/admin/apps/{app}/oauth-grants/{grant}/token"),
                Some(json!({"access_token": token})),
            )
        }
        AdminAction::ApiCalls { app, limit, offset } => (
            Method::GET,
            format!("/admin/apps/{app}/api-calls?limit={limit}&offset={offset}"),
            None,
        ),
        AdminAction::InjectFault {
            path_prefix,
            status,
            times,
            retry_after,
            delay_ms,
            stage,
        } => (
            Method::POST,
            "/admin/faults".into(),
            Some(
                json!({"path_prefix": path_prefix, "status": status, "times": times,
                        "retry_after": retry_after, "delay_ms": delay_ms, "stage": stage}),
            ),
        ),
    };
    let out = c.call(method, &path, body.as_ref()).await?;
    println!("{out}");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Serve(a) => serve(a).await,
            Command::Dev(a) => dev(a).await,
            Command::Admin(a) => admin(a).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
