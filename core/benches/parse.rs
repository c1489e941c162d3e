//! Parsing a 100-item `list_grants` page (the body the server sends for `limit=100`).
//! `cargo bench -p grantline --bench parse [-- PER_ROUND]` (release). Prints µs per page, median
//! of 7 rounds of `PER_ROUND` parses (default 2,000). For instructions per page, run the built
//! bench under `valgrind --tool=callgrind --toggle-collect='*GrantPage::from_slice*'` with a small
//! `PER_ROUND` and divide the total by 14 × `PER_ROUND`.

use grantline::GrantPage;
use std::time::Instant;

// As the Python and Node bindings allocate.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The keys in the order the server sends them (`grant_kind` first), not sorted.
fn item(i: usize) -> String {
    let rest = serde_json::json!({
        "grant_id": format!("0b7d6c1e-6f7e-4f6b-9c1a-{i:012x}"),
        "managed_secret_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
        "managed_secret_slug": "stripe",
        "managed_secret_name": "Stripe",
        "agent_id": null,
        "account_identifier": null,
        "status": "active",
        "expires_at": null,
        "grant_expires_at": null,
        "created_at": "2026-11-25T09:00:00.123456Z",
        "last_used_at": null,
        "principal_type": "system",
        "access_via": "ownership",
        "delegated_at": null,
        "label": format!("seed-{i}"),
        "credential_id": "5c1a2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "parent_grant_id": null,
        "grant_policy": null,
        "depth": 0,
        "delegable": false,
        "scope_constraint": null,
        "credential_kind": "developer",
        "credential_label": null
    })
    .to_string();
    format!(r#"{{"grant_kind":"managed_secret",{}"#, &rest[1..])
}

fn time_page(what: &str, body: &[u8], per_round: u32) {
    let rounds = 7;
    let mut micros: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                let page = GrantPage::from_slice(std::hint::black_box(body)).expect("valid page");
                std::hint::black_box(page);
            }
            t.elapsed().as_secs_f64() * 1e6 / per_round as f64
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    println!(
        "GrantPage::from_slice, 100 items ({} bytes), {what}: {:.1} µs/page (median of {rounds})",
        body.len(),
        micros[rounds / 2]
    );
}

fn main() {
    let per_round: u32 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let items: Vec<String> = (0..100).map(item).collect();
    let body = format!(
        r#"{{"grants":[{}],"total":120,"limit":100,"offset":0,"has_more":true}}"#,
        items.join(",")
    );
    time_page("grant_kind first", body.as_bytes(), per_round);
    let sorted: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
    time_page("keys sorted", sorted.to_string().as_bytes(), per_round);
}
