//! `grantline-server-bench`: creates per second and create latency with 64 requests in flight
//! against 1 and 2 `grantline-server serve` processes on one database, and list first-page
//! latency at 10k, 100k and 1M grants, unfiltered and filtered by each documented filter; for
//! SQLite and for PostgreSQL. Release build; `make bench` runs it with a throw-away PostgreSQL
//! cluster:
//!
//! ```text
//! cargo build --release -p grantline-server --bins
//! server/scripts/with-postgres.sh target/release/grantline-server-bench \
//!     [--stores sqlite,postgres] [--instances 1,2] [--sizes 10000,100000,1000000] \
//!     [--creates 20000] [--in-flight 64] [--skip-lists] [--skip-creates]
//! ```
//!
//! The servers are separate processes (the release `grantline-server` next to this binary); this
//! process is the load generator, on the same machine. PostgreSQL comes from
//! `GRANTLINE_TEST_POSTGRES` (an admin URL; each run creates its own database).

/// mimalloc: measured faster than the system allocator for the server's many small
/// allocations (server/README.md, "Benchmark").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use grantline::signing::{self, Identity, SignInput, SigningKey};
use grantline_server::clock::to_micros;
use grantline_server::store::{GrantRec, open_store};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const ADMIN_TOKEN: &str = "bench-admin-token";
const MASTER_KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";

/// One `grantline-server serve` process; stopped (SIGTERM, then SIGKILL) when dropped.
struct Instance {
    child: Child,
    base_url: String,
}

impl Instance {
    fn start(database: &str) -> Instance {
        let bin = std::env::current_exe()
            .unwrap()
            .with_file_name("grantline-server");
        let mut child = Command::new(&bin)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                database,
                "--admin-token",
                ADMIN_TOKEN,
            ])
            .env("GRANTLINE_MASTER_KEY", MASTER_KEY)
            .env("GRANTLINE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let base_url = loop {
            let line = lines
                .next()
                .expect("the server exited before listening")
                .unwrap();
            if let Some(url) = line.strip_prefix("grantline-server listening on ") {
                break url.trim().to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Instance { child, base_url }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        unsafe_kill(self.child.id(), "TERM");
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unsafe_kill(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status();
}

/// CPU time (user + system) of a process so far, from /proc.
fn cpu_of(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0);
    Duration::from_millis(ticks * 10) // USER_HZ = 100 on Linux
}

/// CPU time of a process and its children (the PostgreSQL postmaster and its backends).
fn cpu_of_tree(root: u32) -> Duration {
    let mut total = cpu_of(root);
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
            if rest.split_whitespace().nth(1) == Some(root.to_string().as_str()) {
                total += cpu_of(pid);
            }
        }
    }
    total
}

/// Busy and total jiffies of the whole machine.
fn machine_cpu() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or("");
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

struct AdminHttp {
    http: reqwest::Client,
    base: String,
}

impl AdminHttp {
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("admin request");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "admin {path}: {status} {v}");
        v
    }
    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, body).await
    }
}

/// Signs requests for one API key.
struct Signer {
    key: String,
    signing: SigningKey,
}

impl Signer {
    fn new(key: &str) -> Signer {
        Signer {
            key: key.to_string(),
            signing: SigningKey::derive(key),
        }
    }

    /// A whole signed `POST` (HTTP/1.1, keep-alive) of `body` to `path`.
    fn request(&self, host: &str, path: &str, body: &Value) -> Vec<u8> {
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
        let mut out = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\nx-api-key: {}\r\nx-alter-timestamp: {ts}\r\n\
             x-alter-nonce: {nonce}\r\nx-alter-content-sha256: {hash}\r\nx-alter-signature: {sig}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            self.key,
            bytes.len()
        )
        .into_bytes();
        out.extend_from_slice(&bytes);
        out
    }
}

/// One keep-alive HTTP/1.1 connection: the load generator's client. Written for this
/// benchmark (like wrk): a request is one write, a response is read by its content-length, so
/// the generator spends little of the CPU it shares with the server.
struct Http1 {
    host: String,
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
}

impl Http1 {
    async fn connect(base: &str) -> Http1 {
        let host = base.trim_start_matches("http://").to_string();
        let tcp = tokio::net::TcpStream::connect(&host)
            .await
            .expect("connect");
        tcp.set_nodelay(true).unwrap();
        Http1 {
            host,
            stream: tokio::io::BufReader::new(tcp),
        }
    }

    /// Sends a signed `POST`; returns the status and the JSON body.
    async fn post(&mut self, signer: &Signer, path: &str, body: &Value) -> (u16, Value) {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let req = signer.request(&self.host, path, body);
        self.stream.get_mut().write_all(&req).await.expect("write");
        let mut line = String::new();
        self.stream.read_line(&mut line).await.expect("status line");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut len = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.expect("header");
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':')
                && n.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().expect("content-length");
            }
        }
        let mut buf = vec![0u8; len];
        self.stream.read_exact(&mut buf).await.expect("body");
        (status, serde_json::from_slice(&buf).unwrap_or(Value::Null))
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A tenant to load: an app key and a managed secret with one credential.
struct Tenant {
    app_id: String,
    app_key: String,
    ms_id: String,
    ms_slug: String,
    credential_id: String,
}

async fn provision(admin: &AdminHttp, slug: &str) -> Tenant {
    let app_id = admin.post("/admin/apps", json!({"name": "bench"})).await["app_id"]
        .as_str()
        .unwrap()
        .to_string();
    let key = admin
        .post(
            &format!("/admin/apps/{app_id}/keys"),
            json!({"kind": "app"}),
        )
        .await;
    let ms_id = admin
        .post(
            &format!("/admin/apps/{app_id}/managed-secrets"),
            json!({"slug": slug, "name": slug}),
        )
        .await["managed_secret_id"]
        .as_str()
        .unwrap()
        .to_string();
    let credential_id = admin
        .post(
            &format!("/admin/apps/{app_id}/managed-secrets/{ms_id}/credentials"),
            json!({"label": "default", "kind": "developer", "value": "bench-secret-value"}),
        )
        .await["credential_id"]
        .as_str()
        .unwrap()
        .to_string();
    Tenant {
        app_id,
        app_key: key["key"].as_str().unwrap().to_string(),
        ms_id,
        ms_slug: slug.to_string(),
        credential_id,
    }
}

/// What one create run measured.
struct CreateRun {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// CPU per create, microseconds: servers, database processes, this load generator, machine.
    cpu_us: [f64; 4],
}

/// `count` creates with `in_flight` requests outstanding, spread over `bases` (worker `w` talks
/// to instance `w % n`); every answer must be 201.
async fn create_load(
    signer: Arc<Signer>,
    bases: &[String],
    ms: &str,
    tag: &str,
    count: usize,
    in_flight: usize,
) -> (f64, Vec<Duration>) {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..in_flight {
        let signer = signer.clone();
        let next = next.clone();
        let base = bases[w % bases.len()].clone();
        let path = format!("/sdk/managed-secrets/{ms}/grants");
        let tag = tag.to_string();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut conn = Http1::connect(&base).await;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let body = json!({"principal": {"type": "system", "label": format!("{tag}-{i}")}});
                let t = Instant::now();
                let (st, b) = conn.post(&signer, &path, &body).await;
                lat.push(t.elapsed());
                assert_eq!(st, 201, "{b}");
            }
            lat
        }));
    }
    let mut all = Vec::with_capacity(count);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    (count as f64 / secs, all)
}

async fn run_creates(
    database: &str,
    db_pid: Option<u32>,
    instances: usize,
    count: usize,
    in_flight: usize,
) -> CreateRun {
    let servers: Vec<Instance> = (0..instances).map(|_| Instance::start(database)).collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base_url.clone()).collect();
    let admin = AdminHttp {
        http: reqwest::Client::new(),
        base: bases[0].clone(),
    };
    let t = provision(&admin, "bench-secret").await;
    let signer = Arc::new(Signer::new(&t.app_key));
    // Warm up: connections, caches, the database's pages.
    create_load(signer.clone(), &bases, &t.ms_id, "warm", 2000, in_flight).await;
    let cpu0: Vec<Duration> = servers.iter().map(|s| cpu_of(s.pid())).collect();
    let db0 = db_pid.map(cpu_of_tree).unwrap_or_default();
    let me0 = cpu_of(std::process::id());
    let m0 = machine_cpu();
    let (per_second, lat) =
        create_load(signer.clone(), &bases, &t.ms_id, "run", count, in_flight).await;
    let m1 = machine_cpu();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / count as f64;
    let server_cpu: Duration = servers
        .iter()
        .zip(&cpu0)
        .map(|(s, c0)| cpu_of(s.pid()).saturating_sub(*c0))
        .sum();
    let db_cpu = db_pid
        .map(cpu_of_tree)
        .unwrap_or_default()
        .saturating_sub(db0);
    let me = cpu_of(std::process::id()).saturating_sub(me0);
    let machine = Duration::from_millis((m1.0 - m0.0) * 10);
    // Every acknowledged create is there.
    let (st, page) = Http1::connect(&bases[0])
        .await
        .post(&signer, "/sdk/grants/list", &json!({"limit": 1}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(page["total"].as_u64().unwrap() as usize, count + 2000);
    CreateRun {
        per_second,
        p50_ms: pct(&lat, 0.5),
        p99_ms: pct(&lat, 0.99),
        cpu_us: [per(server_cpu), per(db_cpu), per(me), per(machine)],
    }
}

struct Args {
    stores: Vec<String>,
    instances: Vec<usize>,
    sizes: Vec<usize>,
    creates: usize,
    in_flight: usize,
    lists: bool,
    create_runs: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        stores: vec!["sqlite".into(), "postgres".into()],
        instances: vec![1, 2],
        sizes: vec![10_000, 100_000, 1_000_000],
        creates: 20_000,
        in_flight: 64,
        lists: true,
        create_runs: true,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = || argv.get(i + 1).cloned().expect("a value");
        match argv[i].as_str() {
            "--stores" => a.stores = v().split(',').map(str::to_string).collect(),
            "--instances" => a.instances = v().split(',').map(|s| s.parse().unwrap()).collect(),
            "--sizes" => a.sizes = v().split(',').map(|s| s.parse().unwrap()).collect(),
            "--creates" => a.creates = v().parse().unwrap(),
            "--in-flight" => a.in_flight = v().parse().unwrap(),
            "--skip-lists" => {
                a.lists = false;
                i -= 1;
            }
            "--skip-creates" => {
                a.create_runs = false;
                i -= 1;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

/// A fresh database of `store` for one run.
fn fresh_database(store: &str, dir: &std::path::Path, n: usize) -> (String, Option<u32>) {
    match store {
        "sqlite" => (
            format!("sqlite://{}", dir.join(format!("bench-{n}.db")).display()),
            None,
        ),
        "postgres" => {
            let admin = std::env::var("GRANTLINE_TEST_POSTGRES")
                .expect("GRANTLINE_TEST_POSTGRES (run through server/scripts/with-postgres.sh)");
            let base = admin.rsplit_once('/').unwrap().0;
            let pid = std::env::var("GRANTLINE_TEST_POSTGRES_PID")
                .ok()
                .and_then(|p| p.trim().parse().ok());
            (format!("{base}/bench_{}_{n}", std::process::id()), pid)
        }
        other => panic!("unknown store {other}"),
    }
}

fn main() {
    let args = parse_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(args));
}

async fn run(args: Args) {
    let dir = std::env::temp_dir().join(format!("grantline-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut n = 0;
    if args.create_runs {
        println!(
            "| store | instances | creates/s ({} in flight) | create p50 / p99 (ms) | CPU per create (µs): servers / database / load generator / machine |",
            args.in_flight
        );
        println!("|---|---:|---:|---:|---|");
        for store in &args.stores {
            for &instances in &args.instances {
                n += 1;
                let (db, db_pid) = fresh_database(store, &dir, n);
                let r = run_creates(&db, db_pid, instances, args.creates, args.in_flight).await;
                println!(
                    "| {store} | {instances} | {:.0} | {:.2} / {:.2} | {:.0} / {:.0} / {:.0} / {:.0} |",
                    r.per_second,
                    r.p50_ms,
                    r.p99_ms,
                    r.cpu_us[0],
                    r.cpu_us[1],
                    r.cpu_us[2],
                    r.cpu_us[3]
                );
            }
        }
    }
    if args.lists {
        for store in &args.stores {
            let mut dbs = Vec::new();
            for _ in &args.sizes {
                n += 1;
                dbs.push(fresh_database(store, &dir, n).0);
            }
            run_lists(store, &dbs, &args.sizes).await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One database of the list part: a server on it, an app seeded with `size` grants through
/// the store (see [`World::grant`]), and the keys and token to list with.
struct Seeded {
    server: Instance,
    app_signer: Signer,
    agent_signer: Signer,
    user_token: String,
}

async fn seed(store_name: &str, db: &str, size: usize) -> Seeded {
    let server = Instance::start(db);
    let admin = AdminHttp {
        http: reqwest::Client::new(),
        base: server.base_url.clone(),
    };
    let t = provision(&admin, "ms-0").await;
    let app = &t.app_id;
    let mut slugs = vec![(t.ms_id.clone(), t.ms_slug.clone(), t.credential_id.clone())];
    for n in 1..10 {
        let slug = format!("ms-{n}");
        let ms = admin
            .post(
                &format!("/admin/apps/{app}/managed-secrets"),
                json!({"slug": slug, "name": slug}),
            )
            .await["managed_secret_id"]
            .as_str()
            .unwrap()
            .to_string();
        let cred = admin
            .post(
                &format!("/admin/apps/{app}/managed-secrets/{ms}/credentials"),
                json!({"label": "default", "kind": "developer", "value": "bench-secret-value"}),
            )
            .await["credential_id"]
            .as_str()
            .unwrap()
            .to_string();
        slugs.push((ms, slug, cred));
    }
    let idp = admin
        .post(
            &format!("/admin/apps/{app}/idps"),
            json!({"issuer": "https://idp.bench", "audience": "bench",
                   "hs256_secret": "bench-hs256-secret-0123456789"}),
        )
        .await["idp_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut agents = Vec::new();
    for n in 0..10 {
        agents.push(
            admin
                .post(
                    &format!("/admin/apps/{app}/agents"),
                    json!({"name": format!("a-{n}")}),
                )
                .await["agent_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let agent_key = admin
        .post(
            &format!("/admin/apps/{app}/keys"),
            json!({"kind": "agent", "agent_id": agents[3]}),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let user_token = admin
        .post(
            &format!("/admin/apps/{app}/idps/{idp}/tokens"),
            json!({"sub": "u-7", "groups": ["g-1"], "ttl_seconds": 86400}),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();

    // Seeded through the store, beside the running server (same database).
    let store = open_store(db, None).await.expect("open the store");
    let now = to_micros(time::OffsetDateTime::now_utc());
    let mut users = Vec::new();
    for n in 0..1000 {
        users.push(
            store
                .upsert_app_user(app, &idp, &format!("u-{n}"), None, now)
                .await
                .unwrap(),
        );
    }
    let mut groups = Vec::new();
    for n in 0..10 {
        groups.push(
            store
                .upsert_group(app, &idp, &format!("g-{n}"), now)
                .await
                .unwrap(),
        );
    }
    let world = World {
        app: app.clone(),
        slugs,
        users,
        groups,
        agents,
        base: now - 3_600_000_000 * 24 * 30,
        now,
    };
    let t0 = Instant::now();
    let mut seeded = 0;
    while seeded < size {
        let n = (size - seeded).min(5000);
        let batch: Vec<GrantRec> = (seeded..seeded + n).map(|i| world.grant(i)).collect();
        store.seed_grants(&batch).await.expect("seed");
        seeded += n;
    }
    store.close().await;
    eprintln!(
        "{store_name}: seeded {size} grants in {:.1}s",
        t0.elapsed().as_secs_f64()
    );
    Seeded {
        server,
        app_signer: Signer::new(&t.app_key),
        agent_signer: Signer::new(&agent_key),
        user_token,
    }
}

/// The list part: a database per size, each with one server and one app of that many grants;
/// then the first page (limit 100) unfiltered and with each documented filter, with the sizes
/// taking turns request by request (so whatever else the machine does weighs on each alike).
async fn run_lists(store_name: &str, dbs: &[String], sizes: &[usize]) {
    let mut worlds = Vec::new();
    for (db, &size) in dbs.iter().zip(sizes) {
        worlds.push(seed(store_name, db, size).await);
    }
    // Let each server's expiry sweep count the seeded expiries.
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!();
    println!(
        "| {store_name}: first page (limit 100), p50 / p99 ms (total) | {} |",
        sizes
            .iter()
            .map(|s| format!("{s} grants"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---:|".repeat(sizes.len()));
    type Pick = fn(&Seeded) -> (&Signer, Value);
    let filters: Vec<(&str, Pick)> = vec![
        ("none", |w| (&w.app_signer, json!({}))),
        ("status=active", |w| {
            (&w.app_signer, json!({"status": "active"}))
        }),
        ("status=expired", |w| {
            (&w.app_signer, json!({"status": "expired"}))
        }),
        ("status=revoked", |w| {
            (&w.app_signer, json!({"status": "revoked"}))
        }),
        ("provider_id", |w| {
            (&w.app_signer, json!({"provider_id": "ms-3"}))
        }),
        ("label", |w| (&w.app_signer, json!({"label": "l-7"}))),
        ("account", |w| {
            (&w.app_signer, json!({"account": "acct-7@example.com"}))
        }),
        ("principal: user token (user + group)", |w| {
            (&w.app_signer, json!({"user_token": w.user_token}))
        }),
        ("principal: agent key", |w| (&w.agent_signer, json!({}))),
    ];
    for (name, pick) in &filters {
        let cells = interleaved(&worlds, pick, 200).await;
        println!("| {name} | {} |", cells.join(" | "));
    }
    let sizes_half: Vec<usize> = sizes.iter().map(|s| s / 2).collect();
    let mut cells = Vec::new();
    for (w, half) in worlds.iter().zip(&sizes_half) {
        let (p50, p99, _) = list_latency(
            &w.app_signer,
            &w.server.base_url,
            &json!({"offset": half}),
            50,
        )
        .await;
        cells.push(format!("{p50:.2} / {p99:.2} (offset {half})"));
    }
    println!("| none, deep offset | {} |", cells.join(" | "));
}

/// `n` requests per world (after 20 unmeasured each), the worlds taking turns; per world
/// "p50 / p99 (total)".
async fn interleaved<F>(worlds: &[Seeded], pick: F, n: usize) -> Vec<String>
where
    F: Fn(&Seeded) -> (&Signer, Value),
{
    let mut conns = Vec::new();
    for w in worlds {
        conns.push(Http1::connect(&w.server.base_url).await);
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); worlds.len()];
    let mut totals = vec![0i64; worlds.len()];
    for k in 0..n + 20 {
        for (i, w) in worlds.iter().enumerate() {
            let (signer, body) = pick(w);
            let t = Instant::now();
            let (st, b) = conns[i].post(signer, "/sdk/grants/list", &body).await;
            let d = t.elapsed();
            assert_eq!(st, 200, "{b}");
            assert_eq!(
                b["grants"].as_array().map(Vec::len),
                Some(100),
                "a full page"
            );
            if k >= 20 {
                samples[i].push(d);
            }
            totals[i] = b["total"].as_i64().unwrap_or(-1);
        }
    }
    samples
        .iter_mut()
        .zip(totals)
        .map(|(s, total)| {
            s.sort();
            format!("{:.2} / {:.2} ({total})", pct(s, 0.5), pct(s, 0.99))
        })
        .collect()
}

/// The seeded app: who and what the grants are about.
struct World {
    app: String,
    /// (managed secret id, slug, credential id) × 10.
    slugs: Vec<(String, String, String)>,
    users: Vec<String>,
    groups: Vec<String>,
    agents: Vec<String>,
    /// created_at of grant 0; each next grant 1 ms later.
    base: i64,
    now: i64,
}

impl World {
    /// Grant `i`: 80% managed-secret grants over 10 providers, 20% OAuth grants with one of 20
    /// accounts; principals 50% users (1,000), 20% groups (10), 20% system, 10% agents (10);
    /// labels one of 50; 5% revoked, 10% expired, 10% expiring tomorrow. So every filter the
    /// benchmark lists with matches 1% of the grants or more: a full first page at 10k.
    fn grant(&self, i: usize) -> GrantRec {
        let (kind, provider, ms, cred, account) = if i % 5 == 4 {
            let p = if i.is_multiple_of(2) {
                "google"
            } else {
                "github"
            };
            (
                "oauth",
                p.to_string(),
                None,
                None,
                Some(format!("acct-{}@example.com", (i / 5) % 20)),
            )
        } else {
            let (ms, slug, cred) = &self.slugs[i % 10];
            (
                "managed_secret",
                slug.clone(),
                Some(ms.clone()),
                Some(cred.clone()),
                None,
            )
        };
        let (ptype, pref, subject) = match i % 10 {
            0..=4 => {
                let u = (i / 10) % 1000;
                ("user", Some(self.users[u].clone()), format!("u-{u}"))
            }
            5 | 6 => {
                let g = (i / 10) % 10;
                ("group", Some(self.groups[g].clone()), format!("g-{g}"))
            }
            7 | 8 => ("system", None, "system".to_string()),
            _ => {
                let a = &self.agents[(i / 10) % 10];
                ("agent", Some(a.clone()), a.clone())
            }
        };
        let expires = match i % 10 {
            1 => Some(self.now - 3_600_000_000),
            2 => Some(self.now + 86_400_000_000),
            _ => None,
        };
        let created_at = self.base + i as i64 * 1000;
        GrantRec {
            id: uuid::Uuid::now_v7().to_string(),
            app_id: self.app.clone(),
            kind: kind.into(),
            provider_slug: provider,
            managed_secret_id: ms,
            credential_id: cred,
            principal_type: ptype.into(),
            principal_ref: pref,
            principal_subject: subject,
            idp_id: None,
            label: Some(format!("l-{}", (i / 7) % 50)),
            sibling_key: Some(format!("seed|{i}")),
            account_identifier: account,
            account_display_name: None,
            scopes: None,
            grant_policy: None,
            grant_expires_at: expires,
            created_at,
            revoked_at: (i % 20 == 3).then_some(created_at + 1000),
            revoke_reason: None,
            created_by: "bench".into(),
            chain: Default::default(),
        }
    }
}

/// p50 and p99 of `n` sequential requests (after 20 unmeasured), and the last `total`.
async fn list_latency(signer: &Signer, base: &str, body: &Value, n: usize) -> (f64, f64, i64) {
    let mut samples = Vec::with_capacity(n);
    let mut total = 0;
    let mut conn = Http1::connect(base).await;
    for k in 0..n + 20 {
        let t = Instant::now();
        let (st, b) = conn.post(signer, "/sdk/grants/list", body).await;
        if k >= 20 {
            samples.push(t.elapsed());
        }
        assert_eq!(st, 200, "{b}");
        total = b["total"].as_i64().unwrap_or(-1);
    }
    samples.sort();
    (pct(&samples, 0.5), pct(&samples, 0.99), total)
}
