#!/usr/bin/env bash
# `make test-dist`: installs the built packages as a user would, on a PATH with no Rust toolchain
# and no C compiler, and runs the quickstarts against a grantline-server.
#
#   scripts/test-dist.sh [DIR]          # DIR (default dist/) from `make dist`: every check below
#   scripts/test-dist.sh --quick DIR    # `make test`'s slice, from `scripts/dist.py --quick DIR`:
#                                       # the host's wheel and npm packages, server from
#                                       # $GRANTLINE_SERVER_BIN
#
# Full run:
# 1. every artifact carries the workspace version, and each expected one is there;
# 2. artifacts this machine cannot run (aarch64, musl) by their ELF headers, interpreter and
#    needed libraries (scripts/elf_check.py); `auditwheel show` names each wheel's policy and
#    no manylinux library needs a glibc symbol newer than 2.17;
# 3. the static x86_64 server from dist/ prints its version, runs `dev`, and passes the official
#    client's suite (server/tests/official);
# 4. Python: a fresh venv runs `pip install --no-index --find-links DIR grantline` and the
#    quickstart against that server (and the abi3 wheel imports on CPython 3.9 where present);
# 5. Node: a local registry (verdaccio, started and stopped here) holds the packages; a fresh
#    project runs `npm install grantline`, gets exactly the platform package that fits, runs the
#    quickstart from ESM and from CJS, and, with the platform package removed, gets an error that
#    names the platform and the package.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
QUICK=0
if [ "${1:-}" = --quick ]; then QUICK=1; shift; fi
DIST="$(cd "${1:-$ROOT/dist}" && pwd)"
VERSION="$(python3 "$ROOT/scripts/version.py")"
TOOLS_PY="$ROOT/.venv-dist/bin/python"
WORK="$(mktemp -d)"
cleanup() {
  if [ -n "${VERDACCIO_PID:-}" ]; then kill "$VERDACCIO_PID" 2>/dev/null || true; wait "$VERDACCIO_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { echo "== test-dist: $*"; }
fail() { echo "test-dist: FAIL: $*" >&2; exit 1; }

# A PATH without cargo, rustc, rustup or any C compiler: only the commands the steps need,
# linked one by one. Checked below.
NOBUILD="$WORK/nobuild-bin"
mkdir -p "$NOBUILD"
for tool in sh bash env node npm npx python3 cat ls rm mkdir sed grep head tail sort tr uname \
            basename dirname readlink mktemp touch; do
  p="$(command -v "$tool")" && ln -s "$(readlink -f "$p")" "$NOBUILD/$tool"
done
# npm and npx are scripts that find their node_modules next to their real path.
ln -sf "$(readlink -f "$(command -v npm)")" "$NOBUILD/npm"
ln -sf "$(readlink -f "$(command -v npx)")" "$NOBUILD/npx"
nobuild() { env -u CARGO_HOME -u RUSTUP_HOME -u CARGO_TARGET_DIR -u CC -u CXX PATH="$NOBUILD" "$@"; }
for tool in cargo rustc rustup cc gcc clang zig; do
  if nobuild sh -c "command -v $tool" >/dev/null; then fail "$tool is on the restricted PATH"; fi
done

if [ "$QUICK" = 0 ] && [ ! -x "$TOOLS_PY" ]; then fail "no $TOOLS_PY (auditwheel, pyelftools): run make dist first"; fi

# ---------------------------------------------------------------------------------------------
say "artifacts in $DIST carry version $VERSION"
expect=("grantline-$VERSION.tgz" "grantline-linux-x64-gnu-$VERSION.tgz")
if [ "$QUICK" = 0 ]; then
  expect+=("grantline-$VERSION.tar.gz" "grantline-$VERSION.crate" "grantline-server-$VERSION.crate")
  for key in linux-x64-musl linux-arm64-gnu linux-arm64-musl; do expect+=("grantline-$key-$VERSION.tgz"); done
  for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do expect+=("grantline-server-$VERSION-$t"); done
fi
for f in "${expect[@]}"; do [ -f "$DIST/$f" ] || fail "missing $DIST/$f"; done
if [ "$QUICK" = 0 ]; then
  for tag in manylinux_2_17_x86_64 manylinux_2_17_aarch64 musllinux_1_2_x86_64 musllinux_1_2_aarch64; do
    ls "$DIST"/grantline-"$VERSION"-cp39-abi3-*"$tag"*.whl >/dev/null 2>&1 || fail "no $tag abi3 wheel"
  done
fi
for f in "$DIST"/*; do
  case "$(basename "$f")" in SHA256SUMS|sizes.txt) continue;; esac
  case "$(basename "$f")" in *"$VERSION"*) ;; *) fail "$(basename "$f") does not carry version $VERSION";; esac
done
ls "$DIST"/grantline-"$VERSION"-*.whl >/dev/null 2>&1 || fail "no wheel in $DIST"

# ---------------------------------------------------------------------------------------------
if [ "$QUICK" = 0 ]; then
  say "ELF headers of every native artifact; auditwheel policies"
  for whl in "$DIST"/grantline-"$VERSION"-*.whl; do
    name="$(basename "$whl")"
    case "$name" in
      *manylinux*x86_64*) arch=x86_64 kind=gnu-lib policy=manylinux_2_17_x86_64;;
      *manylinux*aarch64*) arch=aarch64 kind=gnu-lib policy=manylinux_2_17_aarch64;;
      *musllinux*x86_64*) arch=x86_64 kind=musl-lib policy=musllinux_1_2_x86_64;;
      *musllinux*aarch64*) arch=aarch64 kind=musl-lib policy=musllinux_1_2_aarch64;;
      *) fail "unexpected wheel $name";;
    esac
    if [ "$kind" = gnu-lib ]; then
      show="$("$ROOT/.venv-dist/bin/auditwheel" show "$whl")"
      echo "$show" | tr '\n' ' ' | grep "consistent with the following platform tag: \"$policy\"" >/dev/null \
        || { echo "$show"; fail "$name: auditwheel does not call it $policy"; }
      echo "$name: auditwheel show: $policy"
    else
      # zig links musl's libc under the soname `libc.so` (musl's loader provides it itself). On
      # this glibc host auditwheel resolves that name to glibc's linker script and stops, so it is
      # shown with an empty library path: it must aim at $policy and find nothing external but
      # musl's libc. maturin checked the policy when it tagged the wheel; elf_check.py below
      # checks the needed libraries.
      mkdir -p "$WORK/no-libs"
      show="$("$ROOT/.venv-dist/bin/auditwheel" show --ldpaths "$WORK/no-libs" "$whl" 2>&1)"
      flat="$(echo "$show" | tr '\n' ' ')"
      echo "$flat" | grep "to achieve the tag platform tag '$policy'" >/dev/null \
        && echo "$flat" | grep -E '\{ *"libc.so": null *\}' >/dev/null \
        || { echo "$show"; fail "$name: auditwheel finds more than musl's libc for $policy"; }
      echo "$name: auditwheel show: $policy, nothing external but musl's libc.so"
    fi
    rm -rf "$WORK/whl" && mkdir "$WORK/whl"
    "$TOOLS_PY" -m zipfile -e "$whl" "$WORK/whl"
    "$TOOLS_PY" "$ROOT/scripts/elf_check.py" "$WORK"/whl/grantline/_native*.so --arch "$arch" --kind "$kind"
    grep -q "^Version: $VERSION$" "$WORK"/whl/grantline-"$VERSION".dist-info/METADATA \
      || fail "$name: METADATA does not say Version: $VERSION"
  done
  for key in linux-x64-gnu linux-x64-musl linux-arm64-gnu linux-arm64-musl; do
    rm -rf "$WORK/npm" && mkdir "$WORK/npm"
    tar xzf "$DIST/grantline-$key-$VERSION.tgz" -C "$WORK/npm"
    case "$key" in *x64*) arch=x86_64 cpu=x64;; *) arch=aarch64 cpu=arm64;; esac
    case "$key" in *musl) kind=musl-lib libc=musl;; *) kind=gnu-lib libc=glibc;; esac
    "$TOOLS_PY" "$ROOT/scripts/elf_check.py" "$WORK/npm/package/grantline.$key.node" --arch "$arch" --kind "$kind"
    node -e '
      const [p, key, version, cpu, libc] = process.argv.slice(1);
      const m = require(p);
      const want = { name: `@grantline/${key}`, version, os: "linux", cpu, libc };
      const got = { name: m.name, version: m.version, os: m.os.join(), cpu: m.cpu.join(), libc: m.libc.join() };
      if (JSON.stringify(got) !== JSON.stringify(want)) { console.error(got, "!=", want); process.exit(1); }
    ' "$WORK/npm/package/package.json" "$key" "$VERSION" "$cpu" "$libc" \
      2>&1 | sed 's/^/  /' ; [ "${PIPESTATUS[0]}" = 0 ] || fail "@grantline/$key: package.json fields"
  done
  for t in x86_64 aarch64; do
    "$TOOLS_PY" "$ROOT/scripts/elf_check.py" "$DIST/grantline-server-$VERSION-$t-unknown-linux-musl" --arch "$t" --kind static
  done
  for crate in grantline grantline-server; do
    tar tzf "$DIST/$crate-$VERSION.crate" | grep -x "$crate-$VERSION/Cargo.toml" >/dev/null || fail "$crate crate"
  done
  SERVER="$DIST/grantline-server-$VERSION-x86_64-unknown-linux-musl"
else
  : "${GRANTLINE_SERVER_BIN:?--quick uses the server in GRANTLINE_SERVER_BIN}"
  SERVER="$GRANTLINE_SERVER_BIN"
fi

# ---------------------------------------------------------------------------------------------
say "server $(basename "$SERVER")"
"$SERVER" --version | grep -x "grantline-server $VERSION" >/dev/null || fail "$SERVER --version: $("$SERVER" --version)"
if [ "$QUICK" = 0 ]; then
  say "the official client's suite against the static server"
  GRANTLINE_SERVER_BIN="$SERVER" bash "$ROOT/server/tests/official/run.sh" -q -p no:cacheprovider
fi
export GRANTLINE_SERVER_BIN="$SERVER"
# shellcheck source=scripts/dev-server.sh
source "$ROOT/scripts/dev-server.sh"   # a dev tenant as ALTER_*; stops with this shell
trap '_gl_stop; cleanup' EXIT

# ---------------------------------------------------------------------------------------------
say "Python: pip install --no-index --find-links $DIST grantline (no Rust, no compiler)"
python3 -m venv "$WORK/venv"
nobuild "$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check --no-index \
  --find-links "$DIST" grantline
got="$(nobuild "$WORK/venv/bin/python" -c 'import grantline; print(grantline.__version__)')"
[ "$got" = "$VERSION" ] || fail "grantline.__version__ is $got"
nobuild "$WORK/venv/bin/python" -m pip show grantline | grep -x "Version: $VERSION" >/dev/null \
  || fail "pip show grantline: not version $VERSION"
nobuild "$WORK/venv/bin/python" "$ROOT/bindings-python/examples/quickstart.py"
py39="$(ls "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.9.*/bin/python3.9 2>/dev/null | tail -n 1 || true)"
if [ -n "$py39" ]; then
  "$py39" -m venv "$WORK/venv39"
  nobuild "$WORK/venv39/bin/python" -m pip install -q --disable-pip-version-check --no-index \
    --find-links "$DIST" grantline
  nobuild "$WORK/venv39/bin/python" "$ROOT/bindings-python/tests/abi3_smoke.py"
else
  echo "no CPython 3.9 here: the 3.9 import skipped"
fi

# ---------------------------------------------------------------------------------------------
say "npm: a local registry with the built packages"
VERDACCIO="$ROOT/scripts/verdaccio"
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
[ -x "$VERDACCIO/node_modules/.bin/verdaccio" ] || (cd "$VERDACCIO" && npm ci --no-audit --no-fund)
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
REGISTRY="http://127.0.0.1:$port/"
mkdir -p "$WORK/verdaccio/storage"
cat >"$WORK/verdaccio/config.yaml" <<YAML
storage: $WORK/verdaccio/storage
auth:
  htpasswd:
    file: $WORK/verdaccio/htpasswd
    max_users: 1
max_body_size: 200mb
uplinks: {}
packages:
  '**':
    access: \$all
    publish: \$authenticated
server:
  keepAliveTimeout: 5
log: { type: stdout, format: pretty, level: warn }
YAML
"$VERDACCIO/node_modules/.bin/verdaccio" --config "$WORK/verdaccio/config.yaml" --listen "127.0.0.1:$port" \
  >"$WORK/verdaccio.log" 2>&1 &
VERDACCIO_PID=$!
for _ in $(seq 1 100); do
  curl -sf "$REGISTRY-/ping" >/dev/null 2>&1 && break
  kill -0 "$VERDACCIO_PID" 2>/dev/null || { cat "$WORK/verdaccio.log" >&2; fail "verdaccio did not start"; }
  sleep 0.2
done
token="$(curl -sf -X PUT -H 'content-type: application/json' \
  -d '{"name":"dist","password":"dist-test-password"}' "$REGISTRY-/user/org.couchdb.user:dist" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
NPMRC="$WORK/npmrc"
printf 'registry=%s\n//127.0.0.1:%s/:_authToken=%s\n' "$REGISTRY" "$port" "$token" >"$NPMRC"
export npm_config_userconfig="$NPMRC"
for tgz in "$DIST"/grantline-*.tgz; do
  npm publish "$tgz" --registry "$REGISTRY" --access public >/dev/null
done
echo "published: $(cd "$DIST" && ls grantline-*.tgz | tr '\n' ' ')"

say "npm: a fresh project runs npm install grantline (no Rust, no compiler)"
PROJ="$WORK/project"
mkdir "$PROJ"
cd "$PROJ"
nobuild npm init -y >/dev/null
nobuild npm install "grantline@$VERSION" --registry "$REGISTRY" >/dev/null
installed="$(cd node_modules/@grantline && ls)"
[ "$installed" = linux-x64-gnu ] || fail "npm installed platform packages [$installed], expected just linux-x64-gnu"
echo "installed: grantline $VERSION + @grantline/$installed (npm skipped the others by os/cpu/libc)"

# The quickstart, compiled by the checkout's tsc once as ESM (.mts) and once as CJS (.cts).
# Compiled here, so `grantline` and its types resolve from this project's node_modules.
cp "$ROOT/bindings-node/examples/quickstart.ts" quickstart.mts
cp "$ROOT/bindings-node/examples/quickstart.ts" quickstart.cts
( cd "$ROOT/bindings-node" && { [ -d node_modules ] || npm ci >/dev/null; } )
"$ROOT/bindings-node/node_modules/.bin/tsc" --strict --target ES2022 --module node16 \
  --moduleResolution node16 --types node --typeRoots "$ROOT/bindings-node/node_modules/@types" \
  quickstart.mts quickstart.cts
say "npm: quickstart from ESM (import)"
nobuild node quickstart.mjs
say "npm: quickstart from CJS (require)"
nobuild node quickstart.cjs

say "npm: a platform package of another version → an error naming both versions"
manifest=node_modules/@grantline/linux-x64-gnu/package.json
cp "$manifest" "$WORK/manifest.json"
sed -i "s/\"version\": \"$VERSION\"/\"version\": \"0.0.0-other\"/" "$manifest"
if msg="$(nobuild node -e "require('grantline')" 2>&1)"; then fail "require('grantline') took a platform package of another version"; fi
grep -qF "grantline $VERSION found @grantline/linux-x64-gnu 0.0.0-other" <<<"$msg" || { echo "$msg" >&2; fail "version mismatch error"; }
cp "$WORK/manifest.json" "$manifest"

say "npm: no platform package → an error naming the platform, the package and the fix"
rm -rf node_modules/@grantline/linux-x64-gnu
if msg="$(nobuild node -e "require('grantline')" 2>&1)"; then fail "require('grantline') worked without its addon"; fi
for want in "linux-x64-gnu" "@grantline/linux-x64-gnu" "npm install @grantline/linux-x64-gnu@$VERSION"; do
  grep -qF -- "$want" <<<"$msg" || { echo "$msg" >&2; fail "the error does not say '$want'"; }
done
grep -m1 -o 'grantline: no native addon[^.]*\. Detected [^;]*;[^.]*\.' <<<"$msg" || true

echo "test-dist: every check passed ($( [ "$QUICK" = 1 ] && echo quick slice || echo "full: $DIST"))"
