"""grantline (async, on asyncio and uvloop; blocking) vs alter-sdk 0.29.0 vs the pure-Rust floor.

Each client runs in its own process and reports the client process's own CPU per call
(``time.process_time``: every thread of the process, not wall time), split by thread (the calling
thread, grantline's I/O thread, the rest) from ``/proc``, for ``list_grants(limit=100)`` (also
with every field of every item read), and ``create_managed_secret_grant``, against

- grantline-server (file database, 120 grants seeded), and
- a canned server (``canned_server.py``) replaying that server's recorded answers instantly;

``request()`` (the lease, the provider call, the audit record) against grantline-server and the
demo provider ``dev`` starts; then the same list with the server's fault injection adding 5 ms to every request (a client's CPU
per call must not grow with server latency) beside a control (a fixed CPU task run back to back and
with 5 ms idle before each run: what idling alone costs on this machine), calls/s with 64 calls in flight, and import time.
The floor is the core's own benchmark (``core/benches/calls.rs``: the same calls from the core's
blocking client in a Rust process). Rounds are interleaved (each round runs every client once, in
rotating order) so the machine's noise falls on all alike; tables show the median of the rounds
with min–max.

Usage: scripts/bench.sh [--rounds 5] [--calls 300] [--latency-calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import hmac
import http.client
import importlib.util
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from typing import Any, Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ASYNC = ("grantline", "uvloop")  # grantline's async clients: their I/O thread is reported
CLIENTS = ["grantline", "uvloop", "blocking", "alter_sdk", "floor"]
NAMES = {
    "grantline": "grantline (async)",
    "uvloop": "grantline (async, uvloop)",
    "blocking": "grantline.blocking",
    "alter_sdk": "alter-sdk 0.29.0 (async)",
    "floor": "pure-Rust floor (core blocking client)",
    "control": "control: fixed CPU work, no I/O (json.loads + walk of the page; idle 5 ms before"
               " each)",
}
OPS = ["list100", "list100_read", "create"]
OP_NAMES = {
    "list100": "`list_grants(limit=100)`",
    "list100_read": "`list_grants(limit=100)`, then every field of every item read",
    "create": "`create_managed_secret_grant`",
}
DELAY_MS = 5
# Every field of a managed-secret item (docs/wire.md §3.2): the "read every field" rows touch them
# all, so work a client defers to attribute access (grantline builds datetimes on read) is counted.
FIELDS = [
    "grant_kind", "grant_id", "managed_secret_id", "managed_secret_slug", "managed_secret_name",
    "agent_id", "account_identifier", "status", "expires_at", "grant_expires_at", "created_at",
    "last_used_at", "principal_type", "access_via", "delegated_at", "label", "credential_id",
    "parent_grant_id", "grant_policy", "depth", "delegable", "scope_constraint",
    "credential_kind", "credential_label",
]


# --- measuring, inside a worker --------------------------------------------------------------


def threads_ns() -> dict[str, int]:
    """CPU nanoseconds of this process's live threads: the calling thread, grantline-io, other."""
    out = {"main": 0, "io": 0, "other": 0}
    pid = str(os.getpid())
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except OSError:
            continue
        group = "main" if tid == pid else "io" if comm.startswith("grantline") else "other"
        out[group] += ns
    return out


def timed(n: int, run: Callable[[], None]) -> dict[str, float]:
    t0, c0, w0 = threads_ns(), time.process_time(), time.perf_counter()
    run()
    c, w, t = time.process_time() - c0, time.perf_counter() - w0, threads_ns()
    return {
        "cpu_ms": c * 1000 / n,
        "wall_ms": w * 1000 / n,
        **{f"{g}_ms": (t[g] - t0[g]) / 1e6 / n for g in t},
    }


def make_calls(kind: str, info: dict[str, Any]) -> dict[str, Any]:
    """The client's three calls: coroutine functions (async clients) or plain functions."""
    ms = info["managed_secret_id"]

    def read(page: Any) -> None:
        assert len(page.grants) == 100, len(page.grants)

    def read_all(page: Any) -> None:
        read(page)
        for g in page.grants:
            for f in FIELDS:
                getattr(g, f)

    if kind == "blocking":
        import grantline
        from grantline import blocking

        app = blocking.App(info["app_key"], base_url=info["base_url"], max_retries=0)

        def create() -> None:
            app.create_managed_secret_grant(
                ms, principal=grantline.SystemPrincipal(label="bb-" + uuid.uuid4().hex))

        with open(info["recording"]) as f:
            body = json.load(f)["list"]["body"]

        def work() -> None:
            # The control: fixed CPU work, no I/O (parse the recorded page and walk it).
            for g in json.loads(body)["grants"]:
                for v in g.values():
                    if v is not None:
                        pass

        return {
            "list100": lambda: read(app.list_grants(limit=100)),
            "list100_read": lambda: read_all(app.list_grants(limit=100)),
            "create": create,
            "work": work,
        }
    mod = __import__("alter_sdk" if kind == "alter_sdk" else "grantline")
    app = mod.App(info["app_key"]) if kind == "alter_sdk" else mod.App(
        info["app_key"], base_url=info["base_url"], max_retries=0)

    async def list100() -> None:
        read(await app.list_grants(limit=100))

    async def list100_read() -> None:
        read_all(await app.list_grants(limit=100))

    async def acreate() -> None:
        await app.create_managed_secret_grant(
            ms, principal=mod.SystemPrincipal(label="b-" + uuid.uuid4().hex))

    grant: list[str] = []

    def request_round(n: int) -> dict[str, float]:
        """request(): the lease, the provider call (the demo echo provider `dev` starts) and the
        audit record. A fresh client makes n sequential calls and then closes: close() waits for
        the background audit writes, so they are counted for both clients."""
        loop = asyncio.get_event_loop()
        if not grant:
            grant.append(loop.run_until_complete(app.create_managed_secret_grant(
                ms, principal=mod.SystemPrincipal(label="req-" + uuid.uuid4().hex))).grant_id)
        url = f"{info['provider_url']}/bench"
        client = mod.App(info["app_key"]) if kind == "alter_sdk" else mod.App(
            info["app_key"], base_url=info["base_url"], max_retries=0)
        loop.run_until_complete(client.request("GET", url, grant_id=grant[0]))  # warm

        async def calls() -> None:
            for _ in range(n):
                resp = await client.request("GET", url, grant_id=grant[0])
                assert resp.status_code == 200
            await client.close()

        return timed(n, lambda: loop.run_until_complete(calls()))

    return {"list100": list100, "list100_read": list100_read, "create": acreate,
            "request": request_round}


def answer(kind: str, calls: dict[str, Any], loop: asyncio.AbstractEventLoop,
           cmd: dict[str, Any]) -> dict[str, float]:
    """Runs one command of the parent in a worker."""
    call = calls[cmd["op"]]
    n = cmd["calls"]
    if cmd["cmd"] == "request":  # async clients, against grantline-server
        return dict(call(n))
    if cmd["cmd"] == "run":
        warm_up = cmd.get("warm_up", min(n, 50))  # uncounted calls first (JIT, pool, actor id)
        if kind == "blocking":
            idle = cmd.get("idle_ms", 0) / 1000

            def many(k: int) -> None:
                for _ in range(k):
                    if idle:
                        time.sleep(idle)
                    call()

            many(warm_up)
            return timed(n, lambda: many(n))

        async def seq(k: int) -> None:
            for _ in range(k):
                await call()

        loop.run_until_complete(seq(warm_up))
        return timed(n, lambda: loop.run_until_complete(seq(n)))

    # "c64": calls/s with 64 in flight (async clients)
    async def c64() -> float:
        sem = asyncio.Semaphore(64)

        async def one() -> None:
            async with sem:
                await call()

        w0 = time.perf_counter()
        await asyncio.gather(*[one() for _ in range(n)])
        return n / (time.perf_counter() - w0)

    return {"per_s": loop.run_until_complete(c64())}


def worker(kind: str, info: dict[str, Any]) -> None:
    """Answers one JSON command per stdin line with one JSON line."""
    os.environ["ALTER_BASE_URL"] = info["base_url"]  # alter_sdk reads it
    calls = make_calls(kind, info)
    loop: asyncio.AbstractEventLoop
    if kind == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    for line in sys.stdin:
        print(json.dumps(answer(kind, calls, loop, json.loads(line))), flush=True)


# --- the parent -----------------------------------------------------------------------------


def worker_argv(kind: str, info: dict[str, Any]) -> list[str]:
    """A Python client's worker process (this file, answering commands on stdin)."""
    return [sys.executable, __file__, "--worker", kind, "--info", json.dumps(info)]


def floor_run(floor_bin: Optional[str], info: dict[str, Any], op: str, calls: int,
              warm_up: Optional[int] = None) -> tuple[list[str], dict[str, str]]:
    """One run of the Rust floor (a process per run): its command line and environment."""
    assert floor_bin is not None
    argv = [floor_bin, "--bench", op.replace("100", ""), str(calls)]
    env = dict(os.environ, GRANTLINE_BENCH_URL=info["base_url"],
               GRANTLINE_BENCH_KEY=info["app_key"],
               GRANTLINE_BENCH_SECRET=info["managed_secret_id"])
    return argv + ([str(warm_up)] if warm_up is not None else []), env


class Worker:
    def __init__(self, kind: str, info: dict[str, Any], floor_bin: Optional[str]) -> None:
        self.kind, self.info, self.floor_bin = kind, info, floor_bin
        self.proc: Optional[subprocess.Popen[str]] = None
        if kind != "floor":
            self.proc = subprocess.Popen(worker_argv(kind, info), stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)

    def ask(self, cmd: str, op: str, calls: int, idle_ms: int = 0) -> dict[str, float]:
        if self.proc is None:
            argv, env = floor_run(self.floor_bin, self.info, op, calls)
            out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
            return dict(json.loads(out.stdout.strip().splitlines()[-1]))
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(
            json.dumps({"cmd": cmd, "op": op, "calls": calls, "idle_ms": idle_ms}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.kind} worker exited")
        return dict(json.loads(line))

    def close(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def signed_post(info: dict[str, Any], path: str, body: dict[str, Any],
                actor: Optional[str]) -> tuple[int, Optional[str], str]:
    """One request signed by hand (docs/wire.md §2), for recording the canned answers."""
    data = json.dumps(body).encode()
    ts, nonce = str(int(time.time())), secrets.token_hex(16)
    digest = hashlib.sha256(data).hexdigest()
    key = hmac.new(info["app_key"].encode(), b"alter-signing-v1", hashlib.sha256).digest()
    to_sign = f"POST\n{path}\n{ts}\n{nonce}\n{digest}\n"
    headers = {"x-api-key": info["app_key"], "content-type": "application/json",
               "x-alter-timestamp": ts, "x-alter-nonce": nonce, "x-alter-content-sha256": digest}
    if actor:
        to_sign += f"\nactor-id:{actor}"
        headers["x-alter-actor-id"] = actor
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["x-alter-signature"] = sig
    if actor:
        headers["x-alter-signature-v2"] = sig
    url = urllib.parse.urlparse(info["base_url"])
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port)
    conn.request("POST", path, body=data, headers=headers)
    res = conn.getresponse()
    text = res.read().decode()
    conn.close()
    return res.status, res.getheader("x-alter-actor-id"), text


def admin(info: dict[str, Any], method: str, path: str, body: Optional[dict[str, Any]]) -> None:
    url = urllib.parse.urlparse(info["base_url"])
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port)
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                 headers={"authorization": f"Bearer {info['admin_token']}",
                          "content-type": "application/json"})
    res = conn.getresponse()
    res.read()
    conn.close()
    if res.status >= 300:
        raise RuntimeError(f"admin {method} {path}: {res.status}")


def import_time(module: str, rounds: int = 7) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(rounds)
    ]
    return statistics.median(runs)


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3f} ({min(xs):.3f}–{max(xs):.3f})"


def ratio(num: list[float], den: list[float]) -> str:
    rs = [a / b for a, b in zip(num, den)]  # noqa: B905 (3.9: no strict=)
    return f"{statistics.median(rs):.2f}× ({min(rs):.2f}–{max(rs):.2f})"


def instructions(kind: str, info: dict[str, Any], floor_bin: Optional[str], op: str,
                 warm_up: int, calls: int, keep: Optional[str] = None) -> int:
    """User-space instructions of a whole client process (every thread; callgrind) that makes
    `warm_up` calls, then `calls` more, and exits. With `keep`, the profile stays in that folder
    (`callgrind_annotate` reads it)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(keep or tmp, f"callgrind.{kind}.{op}.{calls}.out")
        grind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--quiet"]
        if kind == "floor":
            argv, env = floor_run(floor_bin, info, op, calls, warm_up)
            subprocess.run([*grind, *argv], env=env, capture_output=True, check=True)
        else:
            line = json.dumps({"cmd": "run", "op": op, "calls": calls, "warm_up": warm_up})
            subprocess.run([*grind, *worker_argv(kind, info)], input=line + "\n", text=True,
                           capture_output=True, check=True)
        with open(out) as f:
            totals = [ln for ln in f if ln.startswith(("summary:", "totals:"))]
        return int(totals[-1].split()[1])


def count_instructions(info: dict[str, Any], clients: list[str], floor_bin: Optional[str],
                       n: int, keep: Optional[str] = None) -> dict[str, dict[str, float]]:
    """The latency question counted in instructions (callgrind: user space, every thread), which
    this VM's idling does not change: per list call, the difference of a run of `small` and of
    `small + n` calls (the same warm-up before each), so start-up and warm-up cancel out. Empty
    without valgrind or when n is 0."""
    grind: dict[str, dict[str, float]] = {}
    small = warm_up = 20
    for kind in clients if n and shutil.which("valgrind") else []:
        grind[kind] = {}
        for setting in ("none", "delayed"):
            if setting == "delayed":
                admin(info, "POST", "/admin/faults", {
                    "path_prefix": "/sdk/", "status": 0, "delay_ms": DELAY_MS,
                    "times": 1_000_000_000})
            try:
                counts = [instructions(kind, info, floor_bin, "list100", warm_up, k,
                                       keep if setting == "none" else None)
                          for k in (small, small + n)]
            finally:
                if setting == "delayed":
                    admin(info, "DELETE", "/admin/faults", None)
            grind[kind][setting] = (counts[1] - counts[0]) / n
            print(f"instructions {kind} {setting}: {grind[kind][setting]:,.0f}/call",
                  file=sys.stderr)
    return grind


def print_instructions(grind: dict[str, dict[str, float]], n: int) -> None:
    if not grind:
        return
    print(f"\n### the same, in instructions per call (callgrind; {n} calls per setting)\n")
    print("| client | no delay: instructions/call | +5 ms: instructions/call | change |")
    print("|---|---:|---:|---:|")
    for kind, per in grind.items():
        print(f"| {NAMES[kind]} | {per['none']:,.0f} | {per['delayed']:,.0f} |"
              f" {(per['delayed'] / per['none'] - 1) * 100:+.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-bin", required=False)
    parser.add_argument("--floor-bin", help="core/benches/calls.rs, built (scripts/bench.sh)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--latency-calls", type=int, default=200)
    parser.add_argument("--instructions-calls", type=int, default=100,
                        help="calls counted under callgrind per client and setting (0: skip)")
    parser.add_argument("--callgrind-dir",
                        help="keep the no-delay callgrind profiles here (callgrind_annotate)")
    parser.add_argument("--instructions-only", action="store_true",
                        help="only the callgrind count (deterministic: for A/B of a change)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--info", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, json.loads(args.info))
        return
    clients = [c for c in CLIENTS if (c != "floor" or args.floor_bin)
               and (c != "uvloop" or importlib.util.find_spec("uvloop"))]
    if args.callgrind_dir:
        os.makedirs(args.callgrind_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [args.server_bin, "dev", "--listen", "127.0.0.1:0", "--database",
             f"sqlite://{tmp}/db.sqlite", "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        canned: Optional[subprocess.Popen[str]] = None
        workers: list[Worker] = []
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            import grantline
            import grantline.blocking as gb

            seed = gb.App(info["app_key"], base_url=info["base_url"])
            for i in range(120):
                seed.create_managed_secret_grant(
                    info["managed_secret_id"], principal=grantline.SystemPrincipal(label=f"seed-{i}"))
            # The canned server's answers: grantline-server's own, recorded.
            _, actor, _ = signed_post(info, "/sdk/grants/list", {"limit": 1, "offset": 0}, None)
            recording: dict[str, Any] = {}
            for name, path, body in [
                ("create", f"/sdk/managed-secrets/{info['managed_secret_id']}/grants",
                 {"principal": {"type": "system", "label": "canned"}, "grant_policy": {}}),
                ("list", "/sdk/grants/list", {"limit": 100, "offset": 0}),
            ]:
                status, actor_id, text = signed_post(info, path, body, actor)
                assert status in (200, 201), (status, text)
                recording[name] = {"status": status, "actor_id": actor_id, "body": text}
            recording_path = f"{tmp}/recording.json"
            with open(recording_path, "w") as f:
                json.dump(recording, f)
            canned = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "canned_server.py"), recording_path],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert canned.stdout is not None
            canned_url = json.loads(canned.stdout.readline())["base_url"]
            grind = functools.partial(count_instructions, dict(info, recording=recording_path),
                                      clients, args.floor_bin, args.instructions_calls,
                                      args.callgrind_dir)
            if args.instructions_only:
                print_instructions(grind(), args.instructions_calls)
                return
            targets = {"grantline-server": info["base_url"], "canned": canned_url}
            pool = {
                target: {
                    k: Worker(k, dict(info, base_url=url, recording=recording_path),
                              args.floor_bin)
                    for k in clients
                }
                for target, url in targets.items()
            }
            workers = [w for ws in pool.values() for w in ws.values()]

            seq: dict[str, dict[str, dict[str, list[dict[str, float]]]]] = {}
            for target in targets:
                seq[target] = {op: {k: [] for k in clients} for op in OPS}
                for r in range(args.rounds):
                    for kind in clients[r % len(clients):] + clients[: r % len(clients)]:
                        for op in OPS:
                            if kind == "floor" and op == "list100_read":
                                continue
                            res = pool[target][kind].ask("run", op, args.calls)
                            seq[target][op][kind].append(res)
                            print(f"{target} round {r + 1} {kind} {op}: {res['cpu_ms']:.3f} ms",
                                  file=sys.stderr)

            lat: dict[str, dict[str, list[dict[str, float]]]] = {
                k: {"none": [], "delayed": []} for k in clients}
            for r in range(args.rounds):
                for kind in clients[r % len(clients):] + clients[: r % len(clients)]:
                    w = pool["grantline-server"][kind]
                    lat[kind]["none"].append(w.ask("run", "list100", args.latency_calls))
                    admin(info, "POST", "/admin/faults", {"path_prefix": "/sdk/", "status": 0,
                                                          "delay_ms": DELAY_MS,
                                                          "times": 1_000_000_000})
                    lat[kind]["delayed"].append(w.ask("run", "list100", args.latency_calls))
                    admin(info, "DELETE", "/admin/faults", None)
                    a, b = lat[kind]["none"][-1], lat[kind]["delayed"][-1]
                    print(f"latency round {r + 1} {kind}: {a['cpu_ms']:.3f} → {b['cpu_ms']:.3f} ms",
                          file=sys.stderr)

            # The control: a fixed CPU task (parse and walk the recorded page, no I/O) back to
            # back and with the process idle 5 ms before each run: what idling alone costs any
            # code on this machine (cold caches, the CPU's wake-up), not the client.
            control: dict[str, list[dict[str, float]]] = {"none": [], "delayed": []}
            for r in range(args.rounds):
                w = pool["grantline-server"]["blocking"]
                control["none"].append(w.ask("run", "work", args.latency_calls))
                control["delayed"].append(w.ask("run", "work", args.latency_calls, DELAY_MS))
                print(f"control round {r + 1}: {control['none'][-1]['cpu_ms']:.3f} →"
                      f" {control['delayed'][-1]['cpu_ms']:.3f} ms", file=sys.stderr)

            counted = grind()

            c64 = {
                (op, kind): pool["grantline-server"][kind].ask("c64", op, args.calls * 4)["per_s"]
                for op in ("list100", "create") for kind in ("grantline", "alter_sdk")
            }
            req: dict[str, list[dict[str, float]]] = {"grantline": [], "alter_sdk": []}
            for r in range(args.rounds):
                for kind in list(req)[r % 2:] + list(req)[: r % 2]:
                    req[kind].append(pool["grantline-server"][kind].ask("request", "request",
                                                                        args.calls))
                    print(f"request round {r + 1} {kind}: {req[kind][-1]['cpu_ms']:.3f} ms",
                          file=sys.stderr)
            imports = {m: import_time(m) * 1000 for m in ("grantline", "alter_sdk")}
        finally:
            for w in workers:
                w.close()
            for p in (canned, proc):
                if p is not None and p.stdin is not None:
                    p.stdin.close()
                    p.wait(timeout=10)

    print(f"\nCPython {sys.version.split()[0]}; {args.rounds} rounds × {args.calls} sequential calls"
          " per client; median (min–max) of the rounds. CPU: the client process, all threads, ms"
          " per call; calling thread and grantline-io from /proc.\n")
    for target in seq:
        title = ("grantline-server (file database, 120 grants)" if target == "grantline-server"
                 else "the canned server")
        print(f"### against {title}\n")
        print("| call | client | CPU/call (ms) | calling thread (ms) | grantline-io (ms) |"
              " ratio to grantline (async) | ratio to grantline.blocking |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for op in OPS:
            g = [x["cpu_ms"] for x in seq[target][op]["grantline"]]
            b = [x["cpu_ms"] for x in seq[target][op]["blocking"]]
            for kind in clients:
                runs = seq[target][op][kind]
                if not runs:
                    continue
                cpu = [x["cpu_ms"] for x in runs]
                main_t = spread([x["main_ms"] for x in runs]) if "main_ms" in runs[0] else "–"
                io_t = spread([x["io_ms"] for x in runs]) if kind in ASYNC else "–"
                to_g = "" if kind == "grantline" else ratio(cpu, g)
                to_b = "" if kind == "blocking" else ratio(cpu, b)
                print(f"| {OP_NAMES[op]} | {NAMES[kind]} | {spread(cpu)} | {main_t} | {io_t} |"
                      f" {to_g} | {to_b} |")
        print()

    print(f"### client CPU per `list_grants(limit=100)` with the server adding {DELAY_MS} ms per"
          " request (grantline-server fault injection)\n")
    print(f"{args.rounds} rounds × {args.latency_calls} calls; each round runs both settings back"
          " to back.\n")
    print("| client | no delay: CPU/call (ms) | +5 ms: CPU/call (ms) | change (median of rounds)"
          " | wall/call (ms) |")
    print("|---|---:|---:|---:|---:|")
    for kind, runs in [*((k, lat[k]) for k in clients), ("control", control)]:
        none = [x["cpu_ms"] for x in runs["none"]]
        delayed = [x["cpu_ms"] for x in runs["delayed"]]
        change = [(d / n - 1) * 100 for n, d in zip(none, delayed)]  # noqa: B905
        wall = (statistics.median(x["wall_ms"] for x in runs["none"]),
                statistics.median(x["wall_ms"] for x in runs["delayed"]))
        print(f"| {NAMES[kind]} | {spread(none)} | {spread(delayed)} |"
              f" {statistics.median(change):+.1f}% ({min(change):+.1f}…{max(change):+.1f}) |"
              f" {wall[0]:.1f} → {wall[1]:.1f} |")

    print_instructions(counted, args.instructions_calls)

    print("\n### `request()` against grantline-server and the demo provider\n")
    print(f"{args.rounds} rounds × {args.calls} calls (the lease, the provider call, the audit"
          " record; each round a fresh client, ended by close(), which waits for the audit"
          " writes).\n")
    print("| client | CPU/call (ms) | calling thread (ms) | grantline-io (ms) | wall/call (ms) |"
          " ratio to grantline (async) |")
    print("|---|---:|---:|---:|---:|---:|")
    g = [x["cpu_ms"] for x in req["grantline"]]
    for kind, runs in req.items():
        cpu = [x["cpu_ms"] for x in runs]
        io_t = spread([x["io_ms"] for x in runs]) if kind == "grantline" else "–"
        wall = statistics.median(x["wall_ms"] for x in runs)
        to_g = "" if kind == "grantline" else ratio(cpu, g)
        print(f"| {NAMES[kind]} | {spread(cpu)} | {spread([x['main_ms'] for x in runs])} | {io_t} |"
              f" {wall:.1f} | {to_g} |")

    print("\n### throughput against grantline-server, and import time\n")
    print("| measure | grantline (async) | alter-sdk 0.29.0 | ratio |")
    print("|---|---:|---:|---:|")
    for op in ("list100", "create"):
        g_, a_ = c64[(op, "grantline")], c64[(op, "alter_sdk")]
        print(f"| {OP_NAMES[op]}: calls/s, 64 in flight | {g_:.0f} | {a_:.0f} | {g_ / a_:.1f}× |")
    g_, a_ = imports["grantline"], imports["alter_sdk"]
    print(f"| import time (ms) | {g_:.1f} | {a_:.1f} | {a_ / g_:.1f}× |")


if __name__ == "__main__":
    main()
