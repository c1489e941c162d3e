#!/usr/bin/env bash
# Runs the official alter-sdk (PyPI, pinned) against a real grantline-server.
#
#   bash server/tests/official/run.sh [pytest args...]
#
# - creates server/tests/official/.venv if missing and installs requirements.txt into it;
# - uses $GRANTLINE_SERVER_BIN if set, else builds grantline-server with cargo and uses
#   <cargo target dir>/debug/grantline-server (target dir from `cargo metadata`, so
#   CARGO_TARGET_DIR is honoured);
# - runs pytest here; exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
VENV="$HERE/.venv"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "official: creating $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
    echo "official: installing $(grep -v '^#' "$HERE/requirements.txt" | tr '\n' ' ')" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$WANT" > "$STAMP"
fi

if [ -n "${GRANTLINE_SERVER_BIN:-}" ]; then
    if [ ! -x "$GRANTLINE_SERVER_BIN" ]; then
        echo "official: GRANTLINE_SERVER_BIN=$GRANTLINE_SERVER_BIN is not an executable file" >&2
        exit 2
    fi
else
    echo "official: building grantline-server" >&2
    (cd "$REPO" && cargo build --quiet -p grantline-server --bin grantline-server)
    TARGET_DIR="$(cd "$REPO" && cargo metadata --format-version 1 --no-deps \
        | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    GRANTLINE_SERVER_BIN="$TARGET_DIR/debug/grantline-server"
    export GRANTLINE_SERVER_BIN
fi
echo "official: server $GRANTLINE_SERVER_BIN" >&2

cd "$HERE"
exec "$VENV/bin/python" -m pytest "$@"
