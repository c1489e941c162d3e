"""grantline vs alter-sdk 0.29.0, side by side against the same grantline-server.

Reports import time, the client process's own CPU per call (time.process_time: every thread of
the client process, not wall time) for list_grants(limit=100) (also with every field of every
item read), create_managed_secret_grant and request() (lease, provider call, audit record), and calls per second sequentially and with 64 calls
in flight; then grantline.blocking alone (sequential and 8 threads). Each client runs in its own
process. Usage: scripts/bench.sh
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

CLIENTS = ["grantline", "alter_sdk"]
# Every field of a managed-secret item (docs/wire.md §3.2): the "read every field" rows touch them all,
# so work a client defers to attribute access (grantline builds datetimes on read) is counted.
FIELDS = [
    "grant_kind", "grant_id", "managed_secret_id", "managed_secret_slug", "managed_secret_name",
    "agent_id", "account_identifier", "status", "expires_at", "grant_expires_at", "created_at",
    "last_used_at", "principal_type", "access_via", "delegated_at", "label", "credential_id",
    "parent_grant_id", "grant_policy", "depth", "delegable", "scope_constraint",
    "credential_kind", "credential_label",
]


def import_time(module: str, rounds: int = 7) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(rounds)
    ]
    return statistics.median(runs)


async def measure(call: Any, n: int) -> tuple[float, float]:
    """Median over 3 rounds of n sequential calls: (client CPU ms per call, calls per second)."""
    cpu, rate = [], []
    for _ in range(3):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            await call()
        cpu.append((time.process_time() - c0) / n)
        rate.append(n / (time.perf_counter() - w0))
    return statistics.median(cpu) * 1000, statistics.median(rate)


def blocking_worker(info: dict[str, Any], n: int) -> dict[str, float]:
    """grantline.blocking (alter-sdk has no blocking API): sequential, then 8 threads."""
    from concurrent.futures import ThreadPoolExecutor

    import grantline
    from grantline import blocking

    app = blocking.App(info["app_key"])
    app.list_grants(limit=100)
    ms = info["managed_secret_id"]
    calls = {
        "list100": lambda: app.list_grants(limit=100),
        "create": lambda: app.create_managed_secret_grant(
            ms, principal=grantline.SystemPrincipal(label="bb-" + uuid.uuid4().hex)),
    }
    out: dict[str, float] = {}
    for name, call in calls.items():

        async def once(call: Any = call) -> None:
            call()

        out[f"blocking_{name}_cpu_ms"], out[f"blocking_{name}_seq_per_s"] = asyncio.run(
            measure(once, n))
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _, c=call: c(), range(16)))  # each thread's pool warmed
            w0 = time.perf_counter()
            list(pool.map(lambda _, c=call: c(), range(n * 4)))
            out[f"blocking_{name}_t8_per_s"] = n * 4 / (time.perf_counter() - w0)
    return out


async def measure_request(mod: Any, info: dict[str, Any], n: int) -> tuple[float, float]:
    """request(): the lease, the provider call (the demo echo provider `dev` starts) and the
    audit record. Median over 3 rounds of a fresh client making n sequential calls and then
    closing (close() waits for the background audit writes, so they are counted for both)."""
    async with mod.App(info["app_key"]) as app:
        grant = (await app.create_managed_secret_grant(
            info["managed_secret_id"],
            principal=mod.SystemPrincipal(label="req-" + uuid.uuid4().hex))).grant_id
    url = f"{info['provider_url']}/bench"
    cpu, rate = [], []
    for _ in range(3):
        app = mod.App(info["app_key"])
        await app.request("GET", url, grant_id=grant)  # warm the connections
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            resp = await app.request("GET", url, grant_id=grant)
            assert resp.status_code == 200
        await app.close()
        cpu.append((time.process_time() - c0) / n)
        rate.append(n / (time.perf_counter() - w0))
    return statistics.median(cpu) * 1000, statistics.median(rate)


async def worker(module: str, info: dict[str, Any], n: int) -> dict[str, float]:
    mod = __import__(module)
    app = mod.App(info["app_key"])
    ms = info["managed_secret_id"]
    await app.list_grants(limit=100)  # warm the connection

    async def create() -> None:
        await app.create_managed_secret_grant(
            ms, principal=mod.SystemPrincipal(label="b-" + uuid.uuid4().hex))

    async def list100() -> None:
        page = await app.list_grants(limit=100)
        assert len(page.grants) == 100

    async def list100_read() -> None:
        page = await app.list_grants(limit=100)
        for g in page.grants:
            for f in FIELDS:
                getattr(g, f)

    out: dict[str, float] = {}
    out["request_cpu_ms"], out["request_seq_per_s"] = await measure_request(mod, info, n)
    for name, call in [("list100", list100), ("list100_read", list100_read), ("create", create)]:
        out[f"{name}_cpu_ms"], out[f"{name}_seq_per_s"] = await measure(call, n)
        if name == "list100_read":
            continue
        sem = asyncio.Semaphore(64)

        async def bounded(call: Any = call, sem: asyncio.Semaphore = sem) -> None:
            async with sem:
                await call()

        w0 = time.perf_counter()
        await asyncio.gather(*[bounded() for _ in range(n * 4)])
        out[f"{name}_c64_per_s"] = n * 4 / (time.perf_counter() - w0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-bin", required=True)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--info", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "blocking":
        print(json.dumps(blocking_worker(json.loads(args.info), args.calls)))
        return
    if args.worker:
        print(json.dumps(asyncio.run(worker(args.worker, json.loads(args.info), args.calls))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [args.server_bin, "dev", "--listen", "127.0.0.1:0", "--database",
             f"sqlite://{tmp}/db.sqlite", "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            env = dict(os.environ, ALTER_BASE_URL=info["base_url"])
            os.environ["ALTER_BASE_URL"] = info["base_url"]
            import grantline.blocking as gb

            seed = gb.App(info["app_key"])
            for i in range(120):
                seed.create_managed_secret_grant(
                    info["managed_secret_id"], principal=__import__("grantline").SystemPrincipal(
                        label=f"seed-{i}"))
            results: dict[str, dict[str, float]] = {}
            for module in [*CLIENTS, "blocking"]:
                out = subprocess.run(
                    [sys.executable, __file__, "--server-bin", args.server_bin, "--calls",
                     str(args.calls), "--worker", module, "--info", json.dumps(info)],
                    env=env, capture_output=True, text=True, check=True)
                results[module] = json.loads(out.stdout.strip().splitlines()[-1])
                if module in CLIENTS:
                    results[module]["import_ms"] = import_time(module) * 1000
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)
    g, a = results["grantline"], results["alter_sdk"]
    rows = [
        ("import time (ms)", "import_ms", True),
        ("list_grants(limit=100): client CPU per call (ms)", "list100_cpu_ms", True),
        ("list_grants(limit=100), then read every field of every item: CPU per call (ms)",
         "list100_read_cpu_ms", True),
        ("create_managed_secret_grant: client CPU per call (ms)", "create_cpu_ms", True),
        ("request() (lease + provider call + audit record): client CPU per call (ms)",
         "request_cpu_ms", True),
        ("list_grants(limit=100): calls/s, sequential", "list100_seq_per_s", False),
        ("list_grants(limit=100): calls/s, 64 in flight", "list100_c64_per_s", False),
        ("create: calls/s, sequential", "create_seq_per_s", False),
        ("create: calls/s, 64 in flight", "create_c64_per_s", False),
        ("request(): calls/s, sequential", "request_seq_per_s", False),
    ]
    print("| measure | grantline | alter-sdk 0.29.0 | ratio |")
    print("|---|---:|---:|---:|")
    for title, key, lower_better in rows:
        ratio = a[key] / g[key] if lower_better else g[key] / a[key]
        print(f"| {title} | {g[key]:.3f} | {a[key]:.3f} | {ratio:.1f}× |")
    b = results["blocking"]
    print()
    print("| grantline.blocking (no alter-sdk equivalent) | list_grants(limit=100) | create |")
    print("|---|---:|---:|")
    for title, key in [("client CPU per call (ms)", "cpu_ms"),
                       ("calls/s, sequential", "seq_per_s"),
                       ("calls/s, 8 threads", "t8_per_s")]:
        print(f"| {title} | {b[f'blocking_list100_{key}']:.3f} | {b[f'blocking_create_{key}']:.3f} |")


if __name__ == "__main__":
    main()
