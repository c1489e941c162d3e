#!/usr/bin/env bash
# Everything the Node package promises, from a fresh clone: install, build the addon, check the
# generated napi files are up to date, typecheck, run the suite against a real grantline-server,
# then pack the package and use the tarball from an empty project (require and import).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false

echo "== npm ci"
npm ci

# `make` sets GRANTLINE_PROFILE=dev: the addon is built with the server's profile and target, so
# cargo reuses the dependencies they share.
# (No --profile flag for dev: napi would look for the artifact in target/<triple>/dev/, not debug/.)
if [ "${GRANTLINE_PROFILE:-release}" = release ]; then
  echo "== build (napi build --release, tsc)"
  npm run build
else
  echo "== build (napi build --profile $GRANTLINE_PROFILE, tsc)"
  npx napi build --platform $([ "$GRANTLINE_PROFILE" = dev ] || echo --profile "$GRANTLINE_PROFILE") --output-dir native --no-js --dts index.d.ts
  npm run build:ts
fi

echo "== generated napi file (native/index.d.ts) is up to date; native/index.js is written by hand"
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$here" diff --exit-code -- native/index.js native/index.d.ts
  if [ -n "$(git -C "$here" ls-files --others --exclude-standard -- native)" ]; then
    echo "untracked generated files in native/:" >&2
    git -C "$here" ls-files --others --exclude-standard -- native >&2
    exit 1
  fi
fi

echo "== lib/decode.generated.ts is up to date with tests/vectors/model_fields.json"
node scripts/gen-decode.mjs --check

echo "== typecheck (tsc --strict: declarations, typed example, quickstart, bench)"
npm run typecheck

echo "== node --test"
npm test

echo "== npm pack, install into an empty project, require + import"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(npm pack --pack-destination "$work" | tail -n 1)
mkdir "$work/project"
cd "$work/project"
npm init -y >/dev/null
npm install "$work/$tarball" >/dev/null
cat > smoke.cjs <<'JS'
const { App, isValidKey, InvalidArgumentError } = require('grantline');
if (!isValidKey('alter_rk_abcdefghijklmnopqrstuv_iwpykn')) throw new Error('isValidKey');
try { new App({ apiKey: 'nope' }); throw new Error('no error'); }
catch (e) { if (!(e instanceof InvalidArgumentError)) throw e; }
console.log('require: ok');
JS
node smoke.cjs
cat > smoke.mjs <<JS
import { App, systemPrincipal, SiblingLabelConflictError } from 'grantline';
import { startServer } from '$here/test/helpers.mjs';
const srv = await startServer();
try {
  const t = srv.tenant;
  const app = new App({ apiKey: t.app_key, baseUrl: t.base_url });
  const g = await app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal('smoke') });
  const err = await app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal('smoke') }).catch((e) => e);
  if (!(err instanceof SiblingLabelConflictError)) throw new Error('expected a conflict, got ' + err);
  const page = await app.listGrants({ label: 'smoke' });
  if (page.grants[0].grantId !== g.grantId || !(page.grants[0].createdAt instanceof Date)) throw new Error('list');
  console.log('import: ok (create, conflict, list against grantline-server)');
} finally {
  await srv.stop();
}
JS
node smoke.mjs
echo "bindings-node: every check passed"
