#!/usr/bin/env bash
# One command for the Node benchmark (bench/bench.mjs): installs the package's dev dependencies
# (undici for the hand-written client), builds the release addon and a release grantline-server,
# then prints the tables. BENCH_ROUNDS, BENCH_CALLS, BENCH_LATENCY_CALLS, BENCH_LOAD_SECONDS and
# BENCH_CLIENTS (comma-separated: grantline,undici,fetch) tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ../scripts/claim-target-dir.sh
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false
[ -d node_modules/undici ] || npm ci
npm run build
if [ -z "${GRANTLINE_SERVER_BIN:-}" ]; then
  (cd .. && cargo build -q --release -p grantline-server --bin grantline-server)
  GRANTLINE_SERVER_BIN="$(cd .. && cargo metadata --format-version 1 --no-deps | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/release/grantline-server"
  export GRANTLINE_SERVER_BIN
fi
node bench/bench.mjs
