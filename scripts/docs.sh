#!/usr/bin/env bash
# `make docs`: the API reference of each language, into $CARGO_TARGET_DIR/docs/ (default
# target/docs/), failing on any warning:
#   rust/    rustdoc of the crates grantline and grantline-server (RUSTDOCFLAGS=-D warnings)
#   python/  pdoc over the installed package (grantline, grantline.blocking, and the private
#            modules whose classes they inherit their methods and settings from)
#   node/    TypeDoc over the TypeScript sources (--treatWarningsAsErrors)
# Needs the Python virtualenv and node_modules that `make test-python` / `make test-node` create
# (it makes them when missing).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$CARGO_TARGET_DIR/docs"
TOOLS="$CARGO_TARGET_DIR/docs-tools"
PDOC_VERSION=16.0.0
TYPEDOC_VERSION=0.28.20
rm -rf "$OUT"
mkdir -p "$OUT" "$TOOLS"

echo "== rustdoc (grantline, grantline-server)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps -p grantline -p grantline-server
rm -rf "$OUT/rust"
cp -r "$CARGO_TARGET_DIR/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}doc" "$OUT/rust"

echo "== Python reference (pdoc $PDOC_VERSION)"
VENV="${GRANTLINE_PY_VENV:-$ROOT/bindings-python/.venv}"
if ! "$VENV/bin/python" -c "import grantline" 2>/dev/null; then
  bash "$ROOT/bindings-python/scripts/test.sh"
fi
"$VENV/bin/python" -m pip install -q "pdoc==$PDOC_VERSION"
log="$TOOLS/pdoc.log"
"$VENV/bin/python" -m pdoc --docformat markdown -o "$OUT/python" \
  grantline grantline.blocking grantline._api grantline._client 2>"$log" || {
  cat "$log" >&2; exit 1; }
if grep -i "warn" "$log" >&2; then echo "pdoc warned (above)" >&2; exit 1; fi

echo "== Node reference (TypeDoc $TYPEDOC_VERSION)"
cd "$ROOT/bindings-node"
[ -d node_modules ] || npm ci --silent --no-audit --no-fund
# TypeDoc resolves `typescript` next to itself: give it the package's own compiler version.
TS_VERSION=$(node -p "require('./package.json').devDependencies.typescript")
[ -x "$TOOLS/node_modules/.bin/typedoc" ] && grep -q "\"version\": \"$TS_VERSION\"" "$TOOLS/node_modules/typescript/package.json" ||
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "typedoc@$TYPEDOC_VERSION" "typescript@$TS_VERSION"
"$TOOLS/node_modules/.bin/typedoc" --tsconfig tsconfig.build.json --entryPoints lib/index.ts \
  --out "$OUT/node" --treatWarningsAsErrors --excludePrivate --excludeInternal --disableSources \
  --name "grantline (Node.js)" --readme README.md --logLevel Warn

echo "docs: $OUT/{rust,python,node}/index.html"
