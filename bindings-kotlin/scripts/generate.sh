#!/usr/bin/env bash
# Writes the generated Kotlin sources into src/generated/kotlin (committed; never edited by hand):
# - dev/grantline/grantline.kt: uniffi's bindings of the debug library, by `grantline-kotlin-gen
#   generate` (uniffi's generator pinned to the library's uniffi; settings in uniffi.toml);
# - GrantlineErrors.kt: the exception tree, from the core's tests/vectors/error_tree.json.
# With --check, writes them elsewhere and fails when they differ from the committed ones (the
# Kotlin suite runs it first: a change to the library's API must come with its regenerated
# bindings).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
committed=src/generated/kotlin
out=$committed
if [ "${1:-}" = --check ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
# Two invocations: the generator's dependencies must not change the library's features (see
# gen/Cargo.toml).
cargo build -q -p grantline-kotlin --lib
cargo build -q -p grantline-kotlin-gen
built="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug"
[ "$out" = "$committed" ] && rm -rf "$out"
mkdir -p "$out"
"$built/grantline-kotlin-gen" generate --library "$built/libgrantline_kotlin.so" --language kotlin \
  --no-format --out-dir "$out" >&2
"$built/grantline-kotlin-gen" errors ../tests/vectors/error_tree.json "$out/GrantlineErrors.kt"
if [ "$out" != "$committed" ]; then
  if ! diff -ru "$committed" "$out" >&2; then
    echo "bindings-kotlin: $committed is out of date: run bindings-kotlin/scripts/generate.sh" >&2
    exit 1
  fi
  echo "generate: $committed is up to date" >&2
else
  echo "generate: wrote $committed" >&2
fi
