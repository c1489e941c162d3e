"""Fails when python/grantline/_native.pyi drifts from the compiled module grantline._native.

Compares the module's public names, and each class's public members (plus ``__match_args__``),
with the stub; both directions must match.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grantline._native as native

STUB = Path(__file__).resolve().parents[1] / "python" / "grantline" / "_native.pyi"
KEEP = {"__match_args__", "__iter__", "__next__", "__len__"}


def public(name: str) -> bool:
    return not name.startswith("__") or name in KEEP


def main() -> int:
    tree = ast.parse(STUB.read_text())
    stub: dict[str, set[str] | None] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            stub[node.name] = {m for m in members if public(m)}
        elif isinstance(node, ast.FunctionDef):
            stub[node.name] = None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            stub[node.target.id] = None
    runtime = {n for n in dir(native) if not n.startswith("__") or n == "__version__"}
    runtime.discard("_native")
    stub_names = {n for n in stub if not n.startswith("_") or n in runtime} - {"_Item"}
    problems = []
    for n in sorted(runtime - stub_names):
        problems.append(f"{n}: in the module, missing from the stub")
    for n in sorted(stub_names - runtime):
        problems.append(f"{n}: in the stub, missing from the module")
    for n in sorted(runtime & stub_names):
        obj = getattr(native, n)
        members = stub.get(n)
        if isinstance(obj, type) and members is not None:
            have = {m for m in vars(obj) if public(m)}
            for m in sorted(have - members):
                problems.append(f"{n}.{m}: in the module, missing from the stub")
            for m in sorted(members - have):
                problems.append(f"{n}.{m}: in the stub, missing from the module")
    for p in problems:
        print("stub drift:", p)
    print(f"stubs: {len(runtime)} names checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
