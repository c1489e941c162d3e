#!/usr/bin/env bash
# The benchmark of bindings-kotlin/README.md: grantline-kotlin (release native library) against
# a hand-written HttpClient + Jackson + Mac client, on one grantline-server (GRANTLINE_SERVER_BIN,
# a release build under `make bench-kotlin`), in a JVM of its own. Prints the README's tables;
# -Dbench.rounds=… etc. (see bench/Bench.kt) go to the JVM.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -Dstyle.color=never -Dnative.profile=release test-compile
mvn -B -q -ntp -Dstyle.color=never dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
exec java -Xms512m -Xmx512m -Dgrantline.repo="$(cd .. && pwd)" "$@" \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" dev.grantline.bench.BenchKt
