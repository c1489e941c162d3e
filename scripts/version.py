#!/usr/bin/env python3
"""The one version of grantline: `[workspace.package] version` in the top-level Cargo.toml.

    python3 scripts/version.py           # prints it
    python3 scripts/version.py --check   # fails when a place that repeats it disagrees
    python3 scripts/version.py --write   # writes it into those places

Where it goes:
- the Rust crates inherit it (`version.workspace = true`); the path dependency on `grantline`
  in `[workspace.dependencies]` must name it too (cargo needs a version to publish);
- the Python package reads it through maturin (`dynamic = ["version"]` in pyproject.toml), and
  `grantline.__version__` is the compiled module's `CARGO_PKG_VERSION`;
- npm needs a literal in `bindings-node/package.json` (and its lock file): `--write` sets it,
  `--check` (run by `make lint`) fails when it drifts; `make dist` stamps the same version on
  every platform package and on the main package's `optionalDependencies`;
- Maven needs a literal in `bindings-kotlin/pom.xml` (the project's own `<version>`): the same.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CARGO = ROOT / "Cargo.toml"
PYPROJECT = ROOT / "bindings-python" / "pyproject.toml"
PACKAGE_JSON = ROOT / "bindings-node" / "package.json"
PACKAGE_LOCK = ROOT / "bindings-node" / "package-lock.json"
POM = ROOT / "bindings-kotlin" / "pom.xml"
POM_VERSION = re.compile(r"(<artifactId>grantline</artifactId>\s*<version>)([^<]*)(</version>)")


def workspace_version() -> str:
    return tomllib.loads(CARGO.read_text())["workspace"]["package"]["version"]


def problems(version: str) -> list[str]:
    found = []
    cargo = tomllib.loads(CARGO.read_text())
    dep = cargo["workspace"]["dependencies"]["grantline"].get("version")
    if dep != version:
        found.append(f"Cargo.toml [workspace.dependencies] grantline version is {dep!r}")
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    if "version" in project or "version" not in project.get("dynamic", []):
        found.append("bindings-python/pyproject.toml must not set a version (dynamic = [\"version\"])")
    pkg = json.loads(PACKAGE_JSON.read_text())
    if pkg.get("version") != version:
        found.append(f"bindings-node/package.json version is {pkg.get('version')!r}")
    lock = json.loads(PACKAGE_LOCK.read_text())
    for where, value in (("version", lock.get("version")),
                         ('packages[""].version', lock.get("packages", {}).get("", {}).get("version"))):
        if value != version:
            found.append(f"bindings-node/package-lock.json {where} is {value!r}")
    pom = POM_VERSION.search(POM.read_text())
    if pom is None or pom.group(2) != version:
        found.append(f"bindings-kotlin/pom.xml version is {pom and pom.group(2)!r}")
    return found


def write(version: str) -> None:
    text = CARGO.read_text()
    text = re.sub(r'(?m)^(grantline = \{ path = "core", version = )"[^"]*"', rf'\1"{version}"', text)
    CARGO.write_text(text)
    for path in (PACKAGE_JSON, PACKAGE_LOCK):
        data = json.loads(path.read_text())
        data["version"] = version
        if path is PACKAGE_LOCK:
            data["packages"][""]["version"] = version
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    POM.write_text(POM_VERSION.sub(rf"\g<1>{version}\g<3>", POM.read_text(), count=1))


def main(argv: list[str]) -> int:
    version = workspace_version()
    if argv == ["--write"]:
        write(version)
        argv = ["--check"]
    if argv == ["--check"]:
        found = problems(version)
        for p in found:
            print(f"version: {p}; the workspace version is {version!r}", file=sys.stderr)
        if found:
            print("version: run `python3 scripts/version.py --write`", file=sys.stderr)
            return 1
        print(f"version: {version} everywhere")
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(version)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
