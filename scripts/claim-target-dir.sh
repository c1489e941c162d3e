#!/usr/bin/env bash
# Keeps a cargo target dir shared between checkouts (a working tree, and a fresh clone running
# .ci/run, both using ~/.cache/grantline/target) from serving one checkout's build to the other.
#
# Cargo hashes workspace crates by their path inside the workspace, not by the checkout's
# location, and decides freshness by mtimes: after another checkout has built, this one's
# sources look older than "its" artifacts, so cargo keeps the other checkout's build (seen here:
# a working tree ran a fresh clone's older core). When another checkout built last, this script
# touches this checkout's tracked files so cargo rebuilds the workspace crates (not their deps).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd -P)"
target="${CARGO_TARGET_DIR:-$root/target}"
owner="$target/.grantline-checkout"
if [ -f "$owner" ] && [ "$(cat "$owner")" != "$root" ]; then
  echo "claim-target-dir: $target was last built from $(cat "$owner"); rebuilding this checkout's crates"
  if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$root" ls-files -z | (cd "$root" && xargs -0 touch -c)
  else
    find "$root" \( -name .git -o -name target -o -name node_modules -o -name '.venv*' \) -prune \
      -o -type f -exec touch -c {} +
  fi
fi
mkdir -p "$target"
echo "$root" >"$owner"
