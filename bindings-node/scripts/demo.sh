#!/usr/bin/env bash
# The TypeScript quickstart (examples/quickstart.ts), compiled with tsc and run with node.
# Expects the ALTER_* variables of a running `grantline-server dev` (the lead's scripts/demo.sh
# exports them); builds the package first when it is not built yet.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_loglevel=error
[ -d node_modules ] || npm ci --no-audit --no-fund
# Always build (cargo and tsc skip what is fresh): an addon left by an older checkout must not run.
if [ "${GRANTLINE_PROFILE:-release}" = release ]; then
  npm run build >/dev/null
else
  npx napi build --platform $([ "$GRANTLINE_PROFILE" = dev ] || echo --profile "$GRANTLINE_PROFILE") --output-dir native --no-js --dts index.d.ts >/dev/null
  npm run build:ts >/dev/null
fi
# Incremental, with its build info inside the output (tsc does not notice a deleted output).
npx tsc --strict --target ES2022 --module node16 --moduleResolution node16 --types node \
  --incremental --tsBuildInfoFile examples/dist/.tsbuildinfo \
  --rootDir examples --outDir examples/dist examples/quickstart.ts
node examples/dist/quickstart.js
