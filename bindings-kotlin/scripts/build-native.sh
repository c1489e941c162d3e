#!/usr/bin/env bash
# Builds the native library (cargo, profile PROFILE: debug or release) into OUT (Maven's target/)
# as a JNA resource (OUT/native/linux-x86-64/). Maven runs it in generate-sources. The Kotlin
# that uniffi generates from the library is committed (src/generated/kotlin, written and checked
# by scripts/generate.sh), so building the package does not build uniffi's generator.
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
cargo build -q "${flag[@]}" -p grantline-kotlin --lib
lib="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/$profile/libgrantline_kotlin.so"
res="$out/native/linux-x86-64"
rm -rf "$res"
mkdir -p "$res"
cp "$lib" "$res/libgrantline_kotlin.so"
echo "build-native: $profile library in $res" >&2
