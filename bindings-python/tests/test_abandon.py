"""Clients that give up mid-call (tiny timeouts, a killed process) cost the server nothing: against
``grantline-server dev`` with its default in-memory database and with a file, every acknowledged
grant survives, the tenant's keys keep working, and the server logs no internal error."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator

import pytest

import grantline
from conftest import Server, running_server


@pytest.fixture(params=["memory", "file"])
def store_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "memory":
        with running_server() as srv:
            yield srv
    else:
        with tempfile.TemporaryDirectory() as tmp, running_server(
            "--database", f"sqlite://{tmp}/db.sqlite"
        ) as srv:
            yield srv


def _app(srv: Server, **kw: float) -> grantline.App:
    return grantline.App(api_key=srv.app_key, base_url=srv.base_url, **kw)  # type: ignore[arg-type]


def _assert_intact(srv: Server, acked: set[str]) -> None:
    async def check() -> None:
        app = _app(srv)
        page = await app.list_grants(limit=1000)
        listed = {g.grant_id for g in page.grants}
        assert acked <= listed, f"acknowledged grants lost: {acked - listed}"
        agent = grantline.Agent(api_key=srv.agent_key, base_url=srv.base_url)
        await agent.list_grants(limit=1)

    asyncio.run(check())
    # Nothing half-written: every grant has exactly one create record in the audit log.
    page = asyncio.run(_app(srv).list_grants(limit=1000))
    audit = srv.admin("GET", f"/admin/apps/{srv.app_id}/audit?limit=1000")["records"]
    created = [r["grant_id"] for r in audit if r["action"] == "grant.create"]
    assert sorted(created) == sorted(g.grant_id for g in page.grants)
    assert srv.log is not None
    errors = [line for line in srv.log.read_text().splitlines() if "ERROR" in line]
    assert not errors, errors[:5]


def test_tiny_timeouts_lose_nothing(store_server: Server) -> None:
    srv = store_server

    async def main() -> set[str]:
        acked: set[str] = set()
        steady = _app(srv)
        for i in range(600):
            quick = _app(srv, timeout=0.0001 + (i % 40) * 1e-4, max_retries=0)
            try:
                if i % 2:
                    r = await quick.create_managed_secret_grant(
                        srv.ms_id, principal=grantline.SystemPrincipal(label=f"quick-{i}")
                    )
                    acked.add(r.grant_id)
                else:
                    await quick.list_grants(limit=100)
            except grantline.GrantlineError:
                pass
            if i % 50 == 0:
                r = await steady.create_managed_secret_grant(
                    srv.ms_id, principal=grantline.SystemPrincipal(label=f"steady-{i}")
                )
                acked.add(r.grant_id)
        return acked

    acked = asyncio.run(main())
    time.sleep(0.3)
    _assert_intact(srv, acked)


def test_a_killed_client_loses_nothing(store_server: Server) -> None:
    srv = store_server
    script = textwrap.dedent(
        f"""
        import asyncio, grantline
        async def main():
            app = grantline.App(api_key={srv.app_key!r}, base_url={srv.base_url!r})
            i = 0
            while True:
                i += 1
                calls = [app.list_grants(limit=100) for _ in range(8)]
                calls += [app.create_managed_secret_grant({srv.ms_id!r},
                          principal=grantline.SystemPrincipal(label=f"killed-{{i}}-{{j}}"))
                          for j in range(8)]
                await asyncio.gather(*calls, return_exceptions=True)
                print(i, flush=True)
        asyncio.run(main())
        """
    )
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        child.stdout.readline()  # calls are flowing
        time.sleep(0.2)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    time.sleep(0.3)
    _assert_intact(srv, set())
