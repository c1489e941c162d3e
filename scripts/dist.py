#!/usr/bin/env python3
"""`make dist`: every artifact a release ships, built on this Linux x86_64 machine into dist/.

    python3 scripts/dist.py                 # everything (about an hour on 2 cores, see README)
    python3 scripts/dist.py --only node     # a part: python, node, server, crates
    python3 scripts/dist.py --quick OUT     # `make test`'s slice: the host's wheel and npm packages,
                                            # dev profile, from the test build's cache (seconds)

What it writes (V = the workspace version, scripts/version.py):
- Python: grantline-V.tar.gz (sdist) and one abi3 (CPython >= 3.9) wheel per target:
  manylinux2014 (glibc 2.17) and musllinux_1_2, x86_64 and aarch64. maturin links through zig
  (`--zig`, ziglang from PyPI), which targets an old glibc and musl without a sysroot. The x86_64
  manylinux wheel is built from the unpacked sdist, so a release proves its sdist builds.
- npm: grantline-V.tgz (TypeScript, the loader in native/index.js, no binary) and one platform
  package per target, @grantline/<platform> (grantline-<platform>-V.tgz) holding
  grantline.<platform>.node and declaring os/cpu/libc; the main package lists them all as
  optionalDependencies at version V, so npm installs only the one that fits. The addons are
  built with cargo-zigbuild (PyPI) for the same targets as the wheels (glibc 2.17 for gnu).
- Server: grantline-server-V-<target>, static musl executables (x86_64 and aarch64).
- Rust: grantline-V.crate and grantline-server-V.crate (`cargo package` of both together).
- SHA256SUMS and sizes.txt.

Native code is built with the `dist` profile (Cargo.toml: fat LTO, one codegen unit, stripped).
Each tool gets its own target dir under $CARGO_TARGET_DIR (dist-maturin, dist-zig), so
rebuilding one part reuses its own cache and never invalidates another's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import version as _version  # noqa: E402

NODE = ROOT / "bindings-node"
PKG = json.loads((NODE / "package.json").read_text())
# The targets every native artifact is built for: the Node package's list (napi's config), one
# list for wheels and addons alike. The server ships as static musl executables.
TARGETS: list[str] = PKG["napi"]["targets"]
SERVER_TARGETS = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"]
HOST = "x86_64-unknown-linux-gnu"
WHEEL_POLICY = {"gnu": "manylinux2014", "musl": "musllinux_1_2"}
# Pinned build tools from PyPI, installed into .venv-dist.
TOOLS = ["maturin==1.16.0", "ziglang==0.17.0", "auditwheel==6.8.2", "cargo-zigbuild==0.24.0"]
TOOLS_VENV = ROOT / ".venv-dist"


def log(msg: str) -> None:
    print(f"dist: {msg}", flush=True)


def run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, env=env, cwd=cwd)


def npm_key(triple: str) -> str:
    """x86_64-unknown-linux-musl -> linux-x64-musl (napi's platform names; native/index.js too)."""
    cpu, _, system, abi = triple.split("-")
    arch = {"x86_64": "x64", "aarch64": "arm64"}[cpu]
    assert system == "linux", triple
    return f"linux-{arch}-{'musl' if abi.startswith('musl') else 'gnu'}"


def libc_of(triple: str) -> str:
    return "musl" if triple.endswith("musl") else "gnu"


class Build:
    def __init__(self, out: Path, profile: str, base: Path) -> None:
        self.out = out
        self.profile = profile
        self.base = base
        self.version = _version.workspace_version()
        self.made: list[Path] = []
        self.timings: list[tuple[str, float]] = []
        self.targets = list(TARGETS)

    # -- tools -------------------------------------------------------------------------------
    def tools(self, cross: bool) -> dict[str, str]:
        py = TOOLS_VENV / "bin" / "python"
        if not py.exists():
            run([sys.executable, "-m", "venv", TOOLS_VENV])
        stamp = TOOLS_VENV / ".tools"
        if not stamp.exists() or stamp.read_text() != "\n".join(TOOLS):
            run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", *TOOLS])
            stamp.write_text("\n".join(TOOLS))
        if cross:
            installed = subprocess.run(["rustup", "target", "list", "--installed"], check=True,
                                       capture_output=True, text=True).stdout.split()
            missing = sorted(set(TARGETS + SERVER_TARGETS) - set(installed))
            if missing:
                run(["rustup", "target", "add", *missing])
        env = dict(os.environ)
        # cargo-zigbuild and maturin find zig as `python3 -m ziglang` from this venv.
        env["PATH"] = f"{TOOLS_VENV / 'bin'}{os.pathsep}{env['PATH']}"
        env.pop("CARGO_BUILD_TARGET", None)
        return env

    def timed(self, what: str, cmd: list, env: dict[str, str], cwd: Path | None = None) -> None:
        start = time.monotonic()
        run(cmd, env=env, cwd=cwd)
        self.timings.append((what, time.monotonic() - start))

    # -- Python ------------------------------------------------------------------------------
    def python(self, env: dict[str, str]) -> None:
        env = {**env, "CARGO_TARGET_DIR": str(self.base / "dist-maturin")}
        run(["maturin", "sdist", "-m", ROOT / "bindings-python" / "Cargo.toml", "-o", self.out], env=env)
        sdist = self.out / f"grantline-{self.version}.tar.gz"
        self.made.append(sdist)
        for triple in self.targets:
            args = ["build", "--profile", self.profile, "--zig", "--target", triple,
                    "--compatibility", WHEEL_POLICY[libc_of(triple)], "-o", self.out]
            if triple == HOST:
                # From the sdist, as `pip install grantline` does where no wheel fits.
                src = self.base / "dist-sdist-src"
                shutil.rmtree(src, ignore_errors=True)
                src.mkdir(parents=True)
                with tarfile.open(sdist) as tar:
                    tar.extractall(src, filter="data")
                self.timed(f"wheel {triple} (from the sdist)", ["maturin", *args],
                           env, src / f"grantline-{self.version}")
            else:
                self.timed(f"wheel {triple}",
                           ["maturin", *args, "-m", ROOT / "bindings-python" / "Cargo.toml"], env)
        self.made += sorted(self.out.glob(f"grantline-{self.version}-*.whl"))

    # -- Node --------------------------------------------------------------------------------
    def node_addons(self, env: dict[str, str]) -> dict[str, Path]:
        """Builds the addon for every target; returns {platform key: .node file}."""
        env = {**env, "CARGO_TARGET_DIR": str(self.base / "dist-zig")}
        built = {}
        for triple in self.targets:
            e = dict(env)
            if libc_of(triple) == "musl":
                # A shared library on musl links libc dynamically (Rust's musl default is static).
                e[f"CARGO_TARGET_{triple.upper().replace('-', '_')}_RUSTFLAGS"] = "-C target-feature=-crt-static"
            # `.2.17`: cargo-zigbuild links against glibc 2.17's symbols, as manylinux2014 does.
            zig_target = f"{triple}.2.17" if libc_of(triple) == "gnu" else triple
            self.timed(f"node addon {triple}",
                       ["cargo", "zigbuild", "--locked", "-p", "grantline-node", "--lib",
                        "--profile", self.profile, "--target", zig_target], e, ROOT)
            # Named as Node loads it (`require` takes a file as an addon by its .node suffix).
            addon = self.base / "dist-zig" / "addons" / f"grantline.{npm_key(triple)}.node"
            addon.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.base / "dist-zig" / triple / self.profile / "libgrantline_node.so", addon)
            built[npm_key(triple)] = addon
        return built

    def node_packages(self, addons: dict[str, Path], env: dict[str, str], listed: list[str]) -> None:
        """Packs a platform package per addon and the main package, whose optionalDependencies
        name the platform packages of `listed` (Rust triples)."""
        npm_env = {**env, "npm_config_loglevel": "error", "npm_config_fund": "false",
                   "npm_config_audit": "false", "npm_config_update_notifier": "false"}
        if not (NODE / "node_modules").is_dir():
            run(["npm", "ci"], env=npm_env, cwd=NODE)
        # scripts/finish-dist.cjs loads the compiled package to list its exports for the ESM entry
        # point, and so the addon: the host's, just built (or a local build in native/).
        host = addons.get(npm_key(HOST), NODE / "native" / f"grantline.{npm_key(HOST)}.node")
        if not host.exists():
            sys.exit(f"dist: building the npm package needs the host's addon ({host}); add {HOST} to --targets")
        run(["npm", "run", "build:ts"], env={**npm_env, "GRANTLINE_NATIVE_LIBRARY_PATH": str(host)}, cwd=NODE)
        stage = Path(tempfile.mkdtemp(prefix="grantline-npm-"))
        try:
            for key, addon in addons.items():
                self.made.append(self.platform_package(stage / key, key, addon, npm_env))
            main = stage / "grantline"
            (main / "native").mkdir(parents=True)
            shutil.copytree(NODE / "dist", main / "dist")
            for f in ("native/index.js", "native/index.d.ts", "README.md"):
                shutil.copy2(NODE / f, main / f)
            pkg = json.loads((NODE / "package.json").read_text())
            pkg["version"] = self.version
            pkg["optionalDependencies"] = {f"@grantline/{npm_key(t)}": self.version for t in listed}
            for field in ("devDependencies", "scripts"):
                pkg.pop(field, None)
            (main / "package.json").write_text(json.dumps(pkg, indent=2) + "\n")
            self.made.append(self.pack(main, npm_env))
        finally:
            shutil.rmtree(stage)

    def platform_package(self, where: Path, key: str, addon: Path, npm_env: dict[str, str]) -> Path:
        _, arch, libc = key.split("-")
        where.mkdir(parents=True)
        binary = f"grantline.{key}.node"
        shutil.copy2(addon, where / binary)
        manifest = {
            "name": f"@grantline/{key}",
            "version": self.version,
            "description": f"grantline's native addon for Linux {arch} "
                           f"({'glibc >= 2.17' if libc == 'gnu' else 'musl'}); installed by the grantline package",
            "license": PKG["license"],
            "repository": PKG["repository"],
            "main": binary,
            "files": [binary],
            "os": ["linux"],
            "cpu": [arch],
            "libc": ["glibc" if libc == "gnu" else "musl"],
            "engines": PKG["engines"],
        }
        (where / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (where / "README.md").write_text(
            f"# @grantline/{key}\n\nThe native addon of [grantline](https://www.npmjs.com/package/grantline) "
            f"for Linux {arch} ({manifest['description'].split('(')[1].split(')')[0]}). Install `grantline`, "
            "not this package: npm picks the platform package that fits.\n")
        return self.pack(where, npm_env)

    def pack(self, where: Path, npm_env: dict[str, str]) -> Path:
        out = subprocess.run(["npm", "pack", "--pack-destination", str(self.out)], cwd=where,
                             env=npm_env, check=True, capture_output=True, text=True).stdout
        return self.out / out.strip().splitlines()[-1]

    # -- server ------------------------------------------------------------------------------
    def server(self, env: dict[str, str]) -> None:
        env = {**env, "CARGO_TARGET_DIR": str(self.base / "dist-zig")}
        for triple in [t for t in SERVER_TARGETS if t.split("-")[0] in {x.split("-")[0] for x in self.targets}]:
            self.timed(f"server {triple}",
                       ["cargo", "zigbuild", "--locked", "-p", "grantline-server", "--bin", "grantline-server",
                        "--profile", self.profile, "--target", triple], env, ROOT)
            dest = self.out / f"grantline-server-{self.version}-{triple}"
            shutil.copy2(self.base / "dist-zig" / triple / self.profile / "grantline-server", dest)
            self.made.append(dest)

    # -- crates ------------------------------------------------------------------------------
    def crates(self, env: dict[str, str]) -> None:
        # The two crates together (cargo >= 1.90): grantline-server's dependency on grantline
        # resolves to the grantline packaged beside it, and each is built from its tarball.
        target = self.base / "dist-package"
        self.timed("cargo package",
                   ["cargo", "package", "--locked", "--allow-dirty", "-p", "grantline", "-p", "grantline-server"],
                   {**env, "CARGO_TARGET_DIR": str(target)}, ROOT)
        for name in ("grantline", "grantline-server"):
            crate = target / "package" / f"{name}-{self.version}.crate"
            shutil.copy2(crate, self.out / crate.name)
            self.made.append(self.out / crate.name)

    # -- summary -----------------------------------------------------------------------------
    def summary(self) -> None:
        lines, sums = [], []
        for path in sorted(p for p in self.out.iterdir() if p.name not in ("SHA256SUMS", "sizes.txt")):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            sums.append(f"{digest}  {path.name}")
            inner = native_size(path)
            lines.append(f"{path.stat().st_size / 1e6:8.2f} MB  {path.name}"
                         + (f"  (native library {inner / 1e6:.2f} MB)" if inner else ""))
        (self.out / "SHA256SUMS").write_text("\n".join(sums) + "\n")
        (self.out / "sizes.txt").write_text("\n".join(lines) + "\n")
        log(f"{len(lines)} artifacts in {self.out} (version {self.version}):")
        print("\n".join(lines))
        for what, seconds in self.timings:
            log(f"{seconds / 60:5.1f} min  {what}")


def native_size(path: Path) -> int | None:
    """The size of the native library inside a wheel or an npm platform package."""
    import zipfile
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            return next((i.file_size for i in z.infolist() if i.filename.endswith(".so")), None)
    if path.name.endswith(".tgz"):
        with tarfile.open(path) as t:
            return next((m.size for m in t.getmembers() if m.name.endswith(".node")), None)
    return None


def quick(out: Path, base: Path) -> None:
    """`make test`'s slice: the host's wheel and npm packages in the dev profile, from the
    cache that the test build already filled (the same profile, target and features)."""
    b = Build(out, "dev", base)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = dict(os.environ)
    if env.get("GRANTLINE_PROFILE"):  # as bindings-python/scripts/test.sh built it: a cache hit
        env["MATURIN_PEP517_ARGS"] = f"--profile {env['GRANTLINE_PROFILE']}"
    venv_py = Path(os.environ.get("GRANTLINE_PY_VENV", ROOT / "bindings-python" / ".venv")) / "bin" / "python"
    run([venv_py, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, ROOT / "bindings-python"], env=env)
    b.made += sorted(out.glob("grantline-*.whl"))
    key = npm_key(HOST)
    addon = NODE / "native" / f"grantline.{key}.node"
    if not addon.exists():
        sys.exit(f"dist --quick: {addon} is missing; `make test-node` builds it")
    b.node_packages({key: addon}, env, [HOST])
    b.summary()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "dist")
    ap.add_argument("--only", default="python,node,server,crates")
    ap.add_argument("--profile", default="dist")
    ap.add_argument("--quick", type=Path, metavar="OUT")
    ap.add_argument("--targets", help="a comma-separated subset of the targets (Rust triples); "
                    "the main npm package still lists every platform package")
    args = ap.parse_args()
    base = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")).resolve()
    if _version.main(["--check"]) != 0:
        sys.exit(1)
    if args.quick:
        quick(args.quick.resolve(), base)
        return
    parts = args.only.split(",")
    b = Build(args.out.resolve(), args.profile, base)
    if args.targets:
        b.targets = [t for t in TARGETS if t in args.targets.split(",")]
    if parts == ["python", "node", "server", "crates"] and not args.targets:
        shutil.rmtree(b.out, ignore_errors=True)
    b.out.mkdir(parents=True, exist_ok=True)
    env = b.tools(cross=bool({"python", "node", "server"} & set(parts)))
    if "python" in parts:
        b.python(env)
    if "node" in parts:
        b.node_packages(b.node_addons(env), env, TARGETS)
    if "server" in parts:
        b.server(env)
    if "crates" in parts:
        b.crates(env)
    b.summary()


if __name__ == "__main__":
    main()
