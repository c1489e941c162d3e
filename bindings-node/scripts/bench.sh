#!/usr/bin/env bash
# One command for the Node benchmark (bench/bench.mjs): installs the package's dev dependencies
# (undici for the hand-written client), builds the release addon and a release grantline-server,
# then prints the tables. BENCH_ROUNDS, BENCH_CALLS, BENCH_LATENCY_CALLS, BENCH_LOAD_SECONDS,
# BENCH_CLIENTS (comma-separated: grantline,undici,fetch), BENCH_INSTRUCTIONS_CALLS (0: no
# callgrind counts) and BENCH_INSTRUCTIONS_ONLY=1 tune it. GRANTLINE_SERVER_BIN, when set, names
# the server binary to use instead (`make bench-node` passes its release build).
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false
[ -d node_modules/undici ] || npm ci
npm run build
if [ -z "${GRANTLINE_SERVER_BIN:-}" ]; then
  # Wherever cargo puts it (CARGO_TARGET_DIR, CARGO_BUILD_TARGET): it says so in its JSON output.
  GRANTLINE_SERVER_BIN="$(cd .. && cargo build -q --release -p grantline-server --bin grantline-server \
    --message-format=json | node -e '
      let s = "";
      process.stdin.on("data", (d) => (s += d)).on("end", () => {
        for (const line of s.split("\n")) {
          const m = line && JSON.parse(line);
          if (m && m.reason === "compiler-artifact" && m.executable && m.target.name === "grantline-server") console.log(m.executable);
        }
      });')"
  export GRANTLINE_SERVER_BIN
fi
node bench/bench.mjs
