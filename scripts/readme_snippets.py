#!/usr/bin/env python3
"""Runs every README code block marked runnable, as written, against a local grantline-server.

    python3 scripts/readme_snippets.py            # every README of the repository
    python3 scripts/readme_snippets.py --list     # what would run

A fenced block whose info string has the word `runnable` (```` ```python runnable ````) is run;
`fragment` marks a block that is not a whole program (an API listing, a shape). A block of a
program language (python, ts, js, cjs, rust) with neither word fails the run, so a new snippet is
always one or the other. Each runnable block is written to a file and run in a fresh directory
with the environment `grantline-server dev --format env` prints (ALTER_*, GRANTLINE_*) and
`grantline-server` on PATH — what each README tells a user to do:

- python: the test virtualenv of bindings-python (grantline and alter-sdk installed), after
  mypy --strict;
- js / ts / cjs: a file inside bindings-node/ (so `import 'grantline'` finds the package, as in a
  project that installed it), `.ts` run with tsx and type-checked by the package's tsc --strict;
- rust: an example of the `grantline` crate (`cargo run --example`), so it builds against the
  crate as a dependent would;
- sh: bash with `set -euo pipefail`.

Needs the server binary (GRANTLINE_SERVER_BIN, which make sets), the Python virtualenv and the
built Node package (make test-python and make test-node make both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READMES = [ROOT / "README.md", *sorted(ROOT.glob("*/README.md"))]
PROGRAM_LANGUAGES = {"python", "ts", "typescript", "js", "javascript", "mjs", "cjs", "rust"}
TSX_VERSION = "4.23.15"
TIMEOUT = {"rust": 900}
FENCE = re.compile(r"^(\s*)```(\S*)(.*)$")


@dataclass
class Snippet:
    readme: Path
    line: int
    language: str
    marks: set[str]
    code: str

    @property
    def where(self) -> str:
        return f"{self.readme.relative_to(ROOT)}:{self.line}"


def snippets(readme: Path) -> list[Snippet]:
    found, lines, i = [], readme.read_text().splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(2):
            i += 1
            continue
        indent, language, rest = m.group(1), m.group(2), m.group(3)
        start, body, i = i + 1, [], i + 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        found.append(Snippet(readme, start, language.lower(), set(rest.split()), "\n".join(body) + "\n"))
    return found


def tenant_env(server: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    out = workdir / "dev.env"
    proc = subprocess.Popen(
        [str(server), "dev", "--listen", "127.0.0.1:0", "--format", "env", "--exit-on-stdin-close"],
        stdin=subprocess.PIPE, stdout=out.open("wb"), stderr=(workdir / "server.log").open("wb"),
    )
    deadline = time.monotonic() + 60
    while out.stat().st_size == 0:
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"readme: grantline-server dev did not start:\n{(workdir / 'server.log').read_text()}")
        time.sleep(0.05)
    env = {}
    for line in out.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'")
    return proc, env


def tsx(cache: Path) -> Path:
    """tsx, installed once into the build cache (users install it with `npm i -D tsx`)."""
    binary = cache / "node_modules" / ".bin" / "tsx"
    if not binary.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(cache),
                        f"tsx@{TSX_VERSION}"], check=True)
    return binary


def command(s: Snippet, work: Path, cache: Path) -> tuple[list[str], Path, list[Path]]:
    """The command that runs `s`, the directory it runs in, and files to delete afterwards."""
    folder = s.readme.relative_to(ROOT).parent.name or "root"  # not the checkout's own name
    n = re.sub(r"\W", "_", f"readme_{folder}_{s.line}")
    node = ROOT / "bindings-node"
    if s.language == "python":
        f = work / f"{n}.py"
        f.write_text(s.code)
        python = os.environ.get("GRANTLINE_PYTHON", str(ROOT / "bindings-python/.venv/bin/python"))
        check = [python, "-m", "mypy", "--strict", "--no-error-summary", "--disable-error-code", "import-untyped", "--cache-dir", str(cache / "mypy"), str(f)]
        return ["bash", "-c", f"{' '.join(map(quote, check))} && {quote(python)} {quote(str(f))}"], work, []
    if s.language in ("js", "javascript", "mjs", "cjs"):
        f = node / ".snippets" / f"{n}.{'cjs' if s.language == 'cjs' else 'mjs'}"
        f.parent.mkdir(exist_ok=True)
        f.write_text(s.code)
        return ["node", str(f)], work, [f]
    if s.language in ("ts", "typescript"):
        f = node / ".snippets" / f"{n}.mts"  # an ES module whatever the package type, as the README says
        f.parent.mkdir(exist_ok=True)
        f.write_text(s.code)
        tsc = node / "node_modules" / ".bin" / "tsc"
        check = [str(tsc), "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext",
                 "--moduleResolution", "nodenext", "--skipLibCheck", "--types", "node", str(f)]
        # tsc looks for @types in the directory it runs in: the package's.
        script = (f"(cd {quote(str(node))} && {' '.join(map(quote, check))}) && "
                  f"{quote(str(tsx(cache)))} {quote(str(f))}")
        return ["bash", "-c", script], work, [f]
    if s.language == "rust":
        f = ROOT / "core" / "examples" / f"{n}.rs"
        f.write_text(s.code)
        return ["cargo", "run", "-q", "-p", "grantline", "--example", n], ROOT, [f]
    if s.language in ("sh", "bash", "shell"):
        f = work / f"{n}.sh"
        f.write_text(s.code)
        return ["bash", "-euo", "pipefail", str(f)], work, []
    raise SystemExit(f"{s.where}: no runner for a `{s.language}` block marked runnable")


def quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def main(argv: list[str]) -> int:
    every = [s for r in READMES for s in snippets(r)]
    unmarked = [s for s in every if s.language in PROGRAM_LANGUAGES and not s.marks & {"runnable", "fragment"}]
    for s in unmarked:
        print(f"{s.where}: a `{s.language}` block is neither `runnable` nor `fragment`", file=sys.stderr)
    runnable = [s for s in every if "runnable" in s.marks]
    if argv == ["--list"]:
        for s in runnable:
            print(f"{s.where} {s.language}")
        return 1 if unmarked else 0
    if unmarked:
        return 1
    server = Path(os.environ.get("GRANTLINE_SERVER_BIN") or sys.exit("readme: set GRANTLINE_SERVER_BIN (make does)"))
    cache = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "readme-tools"
    failed = 0
    with tempfile.TemporaryDirectory(prefix="grantline-readme-") as tmp:
        proc, tenant = tenant_env(server, Path(tmp))
        try:
            for s in runnable:
                work = Path(tempfile.mkdtemp(dir=tmp))
                env = {**os.environ, **tenant, "PATH": f"{server.parent}{os.pathsep}{os.environ['PATH']}"}
                argv_, cwd, cleanup = command(s, work, cache)
                started = time.monotonic()
                try:
                    r = subprocess.run(argv_, cwd=cwd, env=env, capture_output=True, text=True,
                                       timeout=TIMEOUT.get(s.language, 120))
                    ok, output = r.returncode == 0, r.stdout + r.stderr
                except subprocess.TimeoutExpired as e:
                    ok, output = False, f"timed out after {e.timeout} s"
                finally:
                    for f in cleanup:
                        f.unlink(missing_ok=True)
                took = time.monotonic() - started
                print(f"{'ok  ' if ok else 'FAIL'} {s.where} ({s.language}, {took:.1f} s)")
                if not ok:
                    failed += 1
                    print("    " + output.strip().replace("\n", "\n    "), file=sys.stderr)
        finally:
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait(timeout=30)
            shutil.rmtree(ROOT / "bindings-node" / ".snippets", ignore_errors=True)
    print(f"readme: {len(runnable) - failed} of {len(runnable)} runnable blocks ran as written")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
