#!/usr/bin/env bash
# Everything the Kotlin package promises, from a fresh clone: build the native library and the
# generated Kotlin (scripts/build-native.sh, run by Maven), compile, run the JUnit suite against
# a real grantline-server, package the jar, and check the jar carries the native library.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== the committed generated Kotlin matches the library (scripts/generate.sh --check)"
bash scripts/generate.sh --check
echo "== mvn verify (native library, uniffi bindings, JUnit against grantline-server, jar)"
mvn -B -ntp -Dstyle.color=never verify
jar=target/grantline-$(python3 ../scripts/version.py).jar
echo "== $jar carries the native library and the generated bindings"
listing=$(jar tf "$jar")
for entry in linux-x86-64/libgrantline_kotlin.so dev/grantline/App.class dev/grantline/GrantItem\$ManagedSecret.class \
  dev/grantline/SiblingLabelConflictException.class dev/grantline/ProviderResponse.class; do
  grep -qF "$entry" <<<"$listing" || { echo "missing from the jar: $entry" >&2; exit 1; }
done
echo "bindings-kotlin: every check passed"
