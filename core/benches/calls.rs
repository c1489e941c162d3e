//! The pure-Rust floor of a call: the core's blocking client doing `list_grants(limit 100)` or a
//! create against a running server, timed as client process CPU per call (every thread's, from
//! `/proc/self/task/*/schedstat`). The language benchmarks compare their clients with it
//! (`bindings-python/bench/bench.py` runs it in its rounds); on its own:
//!
//! ```sh
//! GRANTLINE_BENCH_URL=http://127.0.0.1:PORT GRANTLINE_BENCH_KEY=alter_rk_… \
//!   GRANTLINE_BENCH_SECRET=<managed secret id> cargo bench -p grantline --bench calls -- list 500 [WARM_UP]
//! ```
//!
//! `WARM_UP` uncounted calls come first (default: min(calls, 50)); the Python benchmark's callgrind
//! counts pass the same number to two runs of different lengths and take the difference.
//! Prints one JSON line: `{"cpu_ms": …, "wall_ms": …}` per call. Without the variables it prints
//! how to run it and exits (so `cargo bench` alone does not fail). It allocates with mimalloc,
//! as the Python and Node bindings do, so a comparison with them is of the binding's own cost.

use grantline::blocking::App;
use grantline::{CreateGrantOptions, ListGrantsParams, Principal};
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU nanoseconds of every live thread of this process.
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn main() {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(url), Some(key), Some(secret)) = (
        var("GRANTLINE_BENCH_URL"),
        var("GRANTLINE_BENCH_KEY"),
        var("GRANTLINE_BENCH_SECRET"),
    ) else {
        println!(
            "calls: set GRANTLINE_BENCH_URL, GRANTLINE_BENCH_KEY and GRANTLINE_BENCH_SECRET \
             (see the file's docs); nothing measured"
        );
        return;
    };
    // `cargo bench` passes `--bench`; the operation and the number of calls follow.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let op = args.first().map_or("list", String::as_str).to_owned();
    let calls: u32 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(500);
    // Uncounted calls first (the pool, the actor id): min(calls, 50) unless given.
    let warm_up: u32 = args
        .get(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(calls.min(50));
    let app = App::builder(key)
        .base_url(url)
        .max_retries(0)
        .build()
        .expect("client");
    let mut seq = 0u64;
    let pid = std::process::id();
    let mut call = || match op.as_str() {
        "list" => {
            let page = app
                .list_grants(ListGrantsParams::new().limit(100))
                .expect("list_grants");
            assert_eq!(page.grants.len(), 100, "a full page");
            std::hint::black_box(page);
        }
        "create" => {
            seq += 1;
            let principal = Principal::system(Some(format!("floor-{pid}-{seq}"))).expect("label");
            let created = app
                .create_managed_secret_grant(&secret, principal, CreateGrantOptions::new())
                .expect("create");
            std::hint::black_box(created);
        }
        other => panic!("unknown operation {other}: list or create"),
    };
    for _ in 0..warm_up {
        call();
    }
    let (cpu0, wall0) = (cpu_ns(), Instant::now());
    for _ in 0..calls {
        call();
    }
    let wall = wall0.elapsed().as_secs_f64() * 1e3 / f64::from(calls);
    let cpu = (cpu_ns() - cpu0) as f64 / 1e6 / f64::from(calls);
    println!("{{\"cpu_ms\": {cpu:.6}, \"wall_ms\": {wall:.6}}}");
}
