#!/usr/bin/env python3
"""Checks a built binary by its ELF headers, for artifacts this machine cannot run (aarch64, musl).

    elf_check.py FILE --arch x86_64|aarch64 --kind static|gnu-lib|musl-lib [--max-glibc 2.17]

- arch: the ELF machine (EM_X86_64 / EM_AARCH64);
- static: an executable with no interpreter (PT_INTERP) and no shared libraries (DT_NEEDED);
- gnu-lib: a shared library needing only glibc's own libraries (and libgcc_s), with no versioned
  glibc symbol newer than --max-glibc;
- musl-lib: a shared library needing only musl's libc (libc.musl-<arch>.so.1 or libc.so).
Prints one line of facts and exits 1 on any mismatch. Needs pyelftools (auditwheel brings it).
"""

from __future__ import annotations

import argparse
import sys

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
GLIBC_LIBS = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libgcc_s.so.1",
              "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libutil.so.1"}


def facts(path: str) -> dict:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        interp = any(seg["p_type"] == "PT_INTERP" for seg in elf.iter_segments())
        needed, glibc = [], []
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                needed += [t.needed for t in section.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
            if isinstance(section, GNUVerNeedSection):
                for _, auxes in section.iter_versions():
                    glibc += [a.name for a in auxes if a.name.startswith("GLIBC_")]
        return {"machine": elf["e_machine"], "type": elf["e_type"], "interp": interp,
                "needed": needed, "glibc": glibc}


def version(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.removeprefix("GLIBC_").split(".") if x.isdigit())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--arch", required=True, choices=MACHINE)
    ap.add_argument("--kind", required=True, choices=["static", "gnu-lib", "musl-lib"])
    ap.add_argument("--max-glibc", default="2.17")
    a = ap.parse_args()
    f = facts(a.file)
    newest = max(f["glibc"], key=version, default="none")
    problems = []
    if f["machine"] != MACHINE[a.arch]:
        problems.append(f"machine {f['machine']}, expected {MACHINE[a.arch]}")
    if a.kind == "static":
        if f["interp"] or f["needed"]:
            problems.append(f"not static: interpreter={f['interp']} needed={f['needed']}")
    else:
        if f["type"] != "ET_DYN":
            problems.append(f"type {f['type']}, expected a shared library")
        if f["interp"]:
            problems.append("a shared library with an interpreter")
        if a.kind == "gnu-lib":
            extra = [n for n in f["needed"] if n not in GLIBC_LIBS]
            if extra:
                problems.append(f"needs libraries beyond glibc: {extra}")
            if f["glibc"] and version(newest) > version(a.max_glibc):
                problems.append(f"needs {newest}, newer than GLIBC_{a.max_glibc}")
        else:
            extra = [n for n in f["needed"] if n not in (f"libc.musl-{a.arch}.so.1", "libc.so")]
            if extra or f["glibc"]:
                problems.append(f"needs more than musl's libc: {extra or f['glibc']}")
    print(f"{a.file}: {f['machine']} {f['type']} interpreter={'yes' if f['interp'] else 'no'} "
          f"needed={','.join(f['needed']) or '-'} newest-glibc-symbol={newest}")
    for p in problems:
        print(f"  FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
