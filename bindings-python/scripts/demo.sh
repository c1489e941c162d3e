#!/usr/bin/env bash
# Runs examples/quickstart.py against the server named by ALTER_BASE_URL (the lead's demo driver
# exports ALTER_* from `grantline-server dev`). Installs the package into bindings-python/.venv
# first if it is not there.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${GRANTLINE_PY_VENV:-$HERE/.venv}"
PY="${PYTHON:-python3}"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
if ! "$VENV/bin/python" -c "import grantline._native" 2>/dev/null; then
  "$VENV/bin/pip" install -q "$HERE"
fi
echo "== Python quickstart (grantline) =="
"$VENV/bin/python" "$HERE/examples/quickstart.py"
