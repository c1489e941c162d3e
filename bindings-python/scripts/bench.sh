#!/usr/bin/env bash
# One command: installs the release wheel and alter-sdk==0.29.0 in bindings-python/.venv, builds
# grantline-server (release) and the core's floor benchmark (core/benches/calls.rs), and prints
# the tables of bench/bench.py. Extra args go to bench/bench.py (--rounds, --calls, --latency-calls).
# GRANTLINE_SERVER_BIN, when set, names the server binary to use (`make bench-python` passes its
# release build).
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
VENV="${GRANTLINE_PY_VENV:-$HERE/.venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
unset MATURIN_PEP517_ARGS   # measured on the release build, whatever `make` passes
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q "maturin>=1.8,<2" "alter-sdk==0.29.0" uvloop
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$HERE"
# Where cargo put a binary (CARGO_TARGET_DIR, CARGO_BUILD_TARGET): its JSON output says.
executable() {
  "$VENV/bin/python" -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}
if [ -z "${GRANTLINE_SERVER_BIN:-}" ]; then
  GRANTLINE_SERVER_BIN="$(cd "$ROOT" && cargo build -q --release -p grantline-server \
    --bin grantline-server --message-format=json | executable grantline-server)"
fi
FLOOR_BIN="$(cd "$ROOT" && cargo bench -q -p grantline --bench calls --no-run --message-format=json \
  | executable calls)"
cd "$HERE/bench"
"$VENV/bin/python" bench.py --server-bin "$GRANTLINE_SERVER_BIN" --floor-bin "$FLOOR_BIN" "$@"
