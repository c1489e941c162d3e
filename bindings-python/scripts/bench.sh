#!/usr/bin/env bash
# One command: installs the release wheel and alter-sdk==0.29.0 in bindings-python/.venv, builds
# grantline-server (release), and prints the comparison table. Extra args go to bench/bench.py.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
VENV="${GRANTLINE_PY_VENV:-$HERE/.venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
unset MATURIN_PEP517_ARGS   # measured on the release build, whatever `make` passes
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q "maturin>=1.8,<2" "alter-sdk==0.29.0"
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$HERE"
if [ -z "${GRANTLINE_SERVER_BIN:-}" ]; then
  (cd "$ROOT" && cargo build -q --release -p grantline-server)
  GRANTLINE_SERVER_BIN="$CARGO_TARGET_DIR/release/grantline-server"
fi
cd "$HERE/bench"
"$VENV/bin/python" bench.py --server-bin "$GRANTLINE_SERVER_BIN" "$@"
