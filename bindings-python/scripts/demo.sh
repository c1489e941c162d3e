#!/usr/bin/env bash
# Runs examples/quickstart.py against the server named by ALTER_BASE_URL (the lead's demo driver
# exports ALTER_* from `grantline-server dev`). Installs the package into bindings-python/.venv.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${GRANTLINE_PY_VENV:-$HERE/.venv}"
PY="${PYTHON:-python3}"
# `make demo` sets GRANTLINE_PROFILE (dev): the extension is built with the server's profile and
# target, so cargo reuses the dependencies they share.
# Stripped: a dev extension with debug info is ~100 MB, and zipping and unzipping it is most of a
# second `make demo`'s time.
if [ -n "${GRANTLINE_PROFILE:-}" ]; then export MATURIN_PEP517_ARGS="--profile $GRANTLINE_PROFILE --strip"; fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# Always (re)install: a venv left by an older checkout must not run stale code. Cargo's cache
# makes this a few seconds after the first build.
# maturin in the venv itself (no isolated build env to set up on every run).
[ -x "$VENV/bin/maturin" ] || "$VENV/bin/python" -m pip install -q "maturin>=1.8,<2"
PATH="$VENV/bin:$PATH" "$VENV/bin/pip" install -q --force-reinstall --no-deps --no-build-isolation "$HERE"
echo "== Python quickstart (grantline) =="
"$VENV/bin/python" "$HERE/examples/quickstart.py"
