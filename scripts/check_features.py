#!/usr/bin/env python3
"""Checks that every build of the workspace compiles each shared dependency once.

Cargo unifies features only within one invocation, and the server, the Python extension, the
Node addon and the Kotlin library are built by separate invocations (cargo, maturin, napi,
build-native.sh). A dependency that gets one feature set in one build and another in the next is
compiled twice, and so is everything above it, the core included: `make demo` on a fresh machine
compiled the core five times before `workspace-hack/` (the bindings' union of the server's
features) existed.

For each build this lists every package with its features, split into target and host (build
scripts, proc macros) since cargo compiles those apart, and fails on a package whose feature set
differs between two builds when that recompiles a package above it that both builds share (a
leaf compiled twice, like the bindings' mimalloc with `local_dynamic_tls`, is accepted and
listed). `--print` shows the union per package (what to put in the hack crate).

Usage: python3 scripts/check_features.py [--print]
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict

# (name, cargo tree arguments): the builds `make demo` and `make test` run.
BUILDS = [
    ("server", ["-p", "grantline-server", "-e", "normal,build"]),
    ("python", ["-p", "grantline-python", "-e", "normal,build"]),
    ("node", ["-p", "grantline-node", "-e", "normal,build"]),
    ("kotlin", ["-p", "grantline-kotlin", "-e", "normal,build"]),
    # `cargo test` and `cargo run --example` (core and server with their dev-dependencies).
    ("test", ["-e", "normal,build,dev"]),
]

NODE = re.compile(r"^(?P<indent>(?:[│ ] {3}|[├└]── )*)(?P<name>\S+) (?P<version>v\S+)(?P<rest>.*)$")
HEADER = re.compile(r"^(?P<indent>(?:[│ ] {3})*)\[(?P<kind>[a-z-]+)\]$")


def host_triple() -> str:
    out = subprocess.run(["rustc", "-vV"], check=True, capture_output=True, text=True).stdout
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("host: "))


Key = tuple[str, str]  # (package with version, "target" or "host")


def packages(args: list[str], triple: str) -> tuple[dict[Key, frozenset[str]], dict[Key, set[Key]]]:
    """The features of every package of one build, and each package's dependents in it."""
    out = subprocess.run(
        ["cargo", "tree", "-q", "--no-dedupe", "--target", triple, "-f", "{p} {f}", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found: dict[Key, frozenset[str]] = {}
    dependents: dict[Key, set[Key]] = defaultdict(set)
    # stack[level] = (the node at that level or None for a workspace member, is it host code)
    stack: list[tuple[Key | None, bool]] = []
    build_section_level = -1
    for line in out.splitlines():
        if not line.strip():
            stack, build_section_level = [], -1
            continue
        header = HEADER.match(line)
        if header:
            level = len(header["indent"]) // 4
            build_section_level = level if header["kind"] == "build-dependencies" else -1
            continue
        node = NODE.match(line)
        if not node:
            raise SystemExit(f"check_features: cannot parse cargo tree line: {line!r}")
        level = len(node["indent"]) // 4
        if build_section_level >= 0 and level <= build_section_level:
            build_section_level = -1
        del stack[level:]
        parent, parent_host = stack[-1] if stack else (None, False)
        rest = node["rest"]
        is_proc_macro = "(proc-macro)" in rest
        host = parent_host or build_section_level >= 0 or is_proc_macro
        if rest.lstrip().startswith("(/"):
            # a workspace member: "(path) features"; its own features do not matter here
            stack.append((None, host))
            continue
        feats = rest.replace("(*)", "").replace("(proc-macro)", "").strip()
        # a proc macro's own artifact is host code; so is everything under it
        where = "host" if host else "target"
        key = (f"{node['name']} {node['version']}", where)
        stack.append((key, host))
        found[key] = frozenset(f for f in feats.split(",") if f)
        if parent is not None:
            dependents[key].add(parent)
    return found, dependents


def ancestors(key: Key, dependents: dict[Key, set[Key]]) -> set[Key]:
    seen: set[Key] = set()
    todo = [key]
    while todo:
        for parent in dependents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def main() -> int:
    triple = host_triple()
    by_build = {name: packages(args, triple) for name, args in BUILDS}
    features: dict[Key, dict[str, frozenset[str]]] = defaultdict(dict)
    for build, (found, _) in by_build.items():
        for key, feats in found.items():
            features[key][build] = feats
    differing = {k: v for k, v in features.items() if len(set(v.values())) > 1}
    # A difference costs more than the package itself when a package above it, the same in two
    # builds that disagree about it, is compiled twice because of it.
    cascades: dict[Key, set[Key]] = {}
    for key, per_build in differing.items():
        above: set[Key] = set()
        for a in per_build:
            for b in per_build:
                if per_build[a] != per_build[b]:
                    above |= ancestors(key, by_build[a][1]) & ancestors(key, by_build[b][1])
        cascades[key] = above - differing.keys()
    if "--print" in sys.argv:
        for (pkg, where), per_build in sorted(differing.items()):
            union = sorted(set().union(*per_build.values()))
            lacking = [b for b, f in per_build.items() if set(union) - f]
            above = len(cascades[(pkg, where)])
            print(
                f"{where:6} {pkg:32} {','.join(union)}   (lacking in: {', '.join(lacking)};"
                f" recompiles {above} package(s) above it)"
            )
        return 0
    costly = {k: v for k, v in differing.items() if cascades[k]}
    if costly:
        print("check_features: these dependencies get different features in different builds,")
        print("so each is compiled more than once (and so is everything that depends on it):")
        for (pkg, where), per_build in sorted(costly.items()):
            above = sorted(p for p, _ in cascades[(pkg, where)])
            print(f"  {pkg} ({where}), and above it {', '.join(above)}")
            for build, feats in sorted(per_build.items()):
                print(f"    {build:7} {','.join(sorted(feats)) or '-'}")
        print("Add the missing features to workspace-hack/Cargo.toml (the bindings) or to the")
        print("workspace's dependency table (every member); `--print` lists the unions.")
        return 1
    alone = ", ".join(sorted(f"{p} ({w})" for p, w in differing))
    print(
        f"check_features: {len(features)} dependencies; each shared one is compiled once, except"
        f" on its own (nothing above it is compiled twice): {alone or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
