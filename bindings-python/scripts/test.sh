#!/usr/bin/env bash
# The Python package's whole check, from nothing: build + install with pip (maturin as the
# PEP 517 backend), stub drift check, ruff, mypy --strict (package + examples), pytest against a
# real grantline-server. Exits non-zero on any failure.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
VENV="${GRANTLINE_PY_VENV:-$HERE/.venv}"
PY="${PYTHON:-python3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# `make` sets GRANTLINE_PROFILE (dev): maturin then builds with the server's and the tests' profile
# and target, so cargo reuses the dependencies they share; without it, maturin's default (release).
if [ -n "${GRANTLINE_PROFILE:-}" ]; then export MATURIN_PEP517_ARGS="--profile $GRANTLINE_PROFILE"; fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "maturin>=1.8,<2" pytest pytest-asyncio pytest-timeout uvloop mypy pyright ruff "alter-sdk==0.29.0"
echo "== pip install ./bindings-python"
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$HERE"

cd "$HERE"
echo "== stub drift (mypy stubtest: every name, member and signature of the compiled module)"
"$VENV/bin/python" -m mypy.stubtest grantline._native --allowlist scripts/stubtest-allowlist.txt
echo "== ruff"
"$VENV/bin/ruff" check python tests examples bench scripts
echo "== mypy --strict"
"$VENV/bin/mypy" --strict python/grantline examples
echo "== a typed user's script narrows every tagged value (mypy --strict, pyright strict)"
"$VENV/bin/mypy" --strict tests/typed
"$VENV/bin/pyright" --pythonpath "$VENV/bin/python" tests/typed
echo "== pytest"
if [ -z "${GRANTLINE_SERVER_BIN:-}" ]; then
  (cd "$ROOT" && cargo build -q -p grantline-server)
  export GRANTLINE_SERVER_BIN="$CARGO_TARGET_DIR/debug/grantline-server"
fi
# Run from tests/ against the installed wheel (not the source tree).
cd "$HERE/tests"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -c "$HERE/pyproject.toml" --rootdir "$HERE/tests" .

echo "== the same abi3 wheel on the oldest (3.9: smoke) and newest (3.13: every test) CPython"
# pyenv's interpreters on this machine kind; a machine without one says so and goes on.
interpreter() { ls "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/"$1".*/bin/python"$1" 2>/dev/null | tail -n 1; }
WHEELS="$(mktemp -d)"
trap 'rm -rf "$WHEELS"' EXIT
"$VENV/bin/python" -m pip wheel -q --no-deps -w "$WHEELS" "$HERE"
for v in 3.9 3.13; do
  py="$(interpreter "$v")"
  if [ -z "$py" ]; then echo "no CPython $v here: skipped"; continue; fi
  venv="$HERE/.venv-py$v"
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEELS"/grantline-*.whl
  if [ "$v" = 3.9 ]; then
    "$venv/bin/python" "$HERE/tests/abi3_smoke.py"
  else
    "$venv/bin/python" -m pip install -q pytest pytest-asyncio pytest-timeout uvloop "alter-sdk==0.29.0"
    "$venv/bin/python" -m pytest -q -p no:cacheprovider -c "$HERE/pyproject.toml" --rootdir "$HERE/tests" .
  fi
done
