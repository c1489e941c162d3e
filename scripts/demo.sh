#!/usr/bin/env bash
# `make demo`: one local grantline-server with a demo tenant, then the quickstart of every language.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-server.sh
echo "== grantline-server dev at $ALTER_BASE_URL"
echo; echo "== Rust quickstart (core/examples/quickstart.rs)"
cargo run -q -p grantline --example quickstart
for lang in python node kotlin; do
  if [ -f "bindings-$lang/scripts/demo.sh" ]; then
    echo; echo "== $lang quickstart"
    bash "bindings-$lang/scripts/demo.sh"
  fi
done
