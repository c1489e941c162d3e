#!/usr/bin/env bash
# Builds what the Kotlin package is made from, into OUT (Maven's target/): the native library
# (cargo, profile PROFILE: debug or release) as a JNA resource (OUT/native/linux-x86-64/), the
# uniffi Kotlin bindings generated from that library and the exception tree generated from the
# core (OUT/generated-sources/grantline/). Maven runs it in generate-sources; nothing it writes
# is committed.
set -euo pipefail
out=${1:?usage: build-native.sh OUT_DIR [debug|release]}
profile=${2:-debug}
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
# One explicit target triple, the host's, as `make` exports it: run by hand too, cargo writes
# under <dir>/<triple>/ and reuses what `make` compiled (TestServer looks there for the server).
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
flag=(); [ "$profile" = release ] && flag=(--release)
# Two invocations: the generator's dependencies must not change the library's features (see
# gen/Cargo.toml). The generator is a tool: always the dev profile.
cargo build -q "${flag[@]}" -p grantline-kotlin --lib
cargo build -q -p grantline-kotlin-gen
lib="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/$profile/libgrantline_kotlin.so"
gen="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug/grantline-kotlin-gen"
src="$out/generated-sources/grantline"
res="$out/native/linux-x86-64"
rm -rf "$src" "$res"
mkdir -p "$src" "$res"
"$gen" generate --library "$lib" --language kotlin --no-format --out-dir "$src" >&2
"$gen" errors ../tests/vectors/error_tree.json "$src/GrantlineErrors.kt"
cp "$lib" "$res/libgrantline_kotlin.so"
echo "build-native: $profile library and Kotlin sources in $out" >&2
