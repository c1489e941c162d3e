#!/usr/bin/env bash
# `make demo`: one local grantline-server with a demo tenant, then the quickstart of every language.
set -euo pipefail
cd "$(dirname "$0")/.."
# What each language's demo downloads (a venv with maturin, node_modules, Maven's dependencies)
# is fetched while cargo compiles the server: on a fresh machine that is a minute of waiting on
# the network taken off the first run. A failure here is not fatal: each demo fetches what is
# still missing itself.
prefetch_log=$(mktemp)
bash scripts/prefetch.sh >"$prefetch_log" 2>&1 &
prefetch=$!
"${MAKE:-make}" --no-print-directory server
wait "$prefetch" || { echo "(prefetch failed; the demos fetch what they need)"; cat "$prefetch_log"; }
rm -f "$prefetch_log"
echo "(server built and downloads done: ${SECONDS} s)"
source scripts/dev-server.sh
echo "== grantline-server dev at $ALTER_BASE_URL"
start=$SECONDS
echo; echo "== Rust quickstart (core/examples/quickstart.rs)"
cargo run -q -p grantline --example quickstart
echo "(Rust: $((SECONDS - start)) s, build included)"
for lang in python node kotlin; do
  if [ -f "bindings-$lang/scripts/demo.sh" ]; then
    start=$SECONDS
    echo; echo "== $lang quickstart"
    bash "bindings-$lang/scripts/demo.sh"
    echo "($lang: $((SECONDS - start)) s, build included)"
  fi
done
echo; echo "make demo: every quickstart ran (${SECONDS} s)"
