#!/usr/bin/env bash
# Downloads what the language demos need, without compiling anything: the Python venv with
# maturin, the Node package's node_modules and the Kotlin package's Maven dependencies. Each
# step is skipped when its result is there (the demos check the same things).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bindings-python/.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
[ -x "$venv/bin/maturin" ] || "$venv/bin/python" -m pip install -q "maturin>=1.8,<2" &
[ -d bindings-node/node_modules ] || (cd bindings-node && npm ci --no-audit --no-fund --loglevel=error) &
(cd bindings-kotlin && mvn -q -B -ntp -Dstyle.color=never dependency:go-offline) &
wait_all=0
for job in $(jobs -p); do wait "$job" || wait_all=1; done
exit "$wait_all"
