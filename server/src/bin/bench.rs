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

use grantline::signing::{self, Identity, SignInput, SigningKey};
use grantline_server::clock::to_micros;
use grantline_server::store::{GrantRec, Store, open_store};
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

/// A signing client for one API key.
struct Signer {
    http: reqwest::Client,
    key: String,
    signing: SigningKey,
}

impl Signer {
    fn new(key: &str) -> Signer {
        Signer {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap(),
            key: key.to_string(),
            signing: SigningKey::derive(key),
        }
    }

    async fn post(&self, base: &str, path: &str, body: &Value) -> (u16, Value) {
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
        let resp = self
            .http
            .post(format!("{base}{path}"))
            .header("x-api-key", &self.key)
            .header("x-alter-timestamp", ts)
            .header("x-alter-nonce", nonce)
            .header("x-alter-content-sha256", hash)
            .header("x-alter-signature", sig)
            .header("content-type", "application/json")
            .body(bytes)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, body)
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
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let body = json!({"principal": {"type": "system", "label": format!("{tag}-{i}")}});
                let t = Instant::now();
                let (st, b) = signer.post(&base, &path, &body).await;
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
    let (st, page) = signer
        .post(&bases[0], "/sdk/grants/list", &json!({"limit": 1}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(page["total"].as_u64().unwrap() as usize, count + 2000);
    let _ = (&t.app_id, &t.ms_slug, &t.credential_id);
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
            n += 1;
            let (db, _) = fresh_database(store, &dir, n);
            run_lists(store, &db, &args.sizes).await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn run_lists(_store: &str, _db: &str, _sizes: &[usize]) {
    let _: Option<Arc<dyn Store>> = None;
    let _ = open_store;
    let _ = to_micros;
    let _: Option<GrantRec> = None;
}
