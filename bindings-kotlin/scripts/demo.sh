#!/usr/bin/env bash
# The Kotlin quickstart (examples/Quickstart.kt), built with the package and run on the JVM.
# Expects the ALTER_* variables of a running `grantline-server dev` (scripts/demo.sh at the
# repository's root exports them).
set -euo pipefail
cd "$(dirname "$0")/.."
# One Maven run (its start-up is seconds): compile, then run the example.
mvn -q -B -ntp -Dstyle.color=never test-compile exec:java -Dexec.classpathScope=test \
  -Dexec.mainClass=dev.grantline.examples.QuickstartKt
