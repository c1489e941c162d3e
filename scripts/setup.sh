#!/usr/bin/env bash
# Installs what the build needs and is not on a fresh machine of this kind.
set -euo pipefail
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
