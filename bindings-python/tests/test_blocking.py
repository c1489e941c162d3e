"""grantline.blocking against a real server: every method, threads, fork, logging."""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
import time
import uuid

import pytest

import grantline
from conftest import Server
from grantline import AgentPrincipal, GroupPrincipal, SystemPrincipal, UserPrincipal, blocking


def lab() -> str:
    return f"b-{uuid.uuid4().hex[:10]}"


def test_every_method(server: Server) -> None:
    with blocking.App(server.app_key) as app:
        made = [
            app.create_managed_secret_grant(server.ms_id, principal=p)
            for p in [
                UserPrincipal(user_token=server.user_token, label=lab()),
                GroupPrincipal(external_group_id=server.group_id, idp_id=server.idp_id, label=lab()),
                SystemPrincipal(label=lab()),
            ]
        ]
        agent = app.get_agent(server.agent_id)
        assert (agent.caller, agent.base_url) == (server.agent_id, app.base_url)
        assert repr(agent) == f"blocking.Agent(base_url={app.base_url!r}, caller={server.agent_id!r})"
        mine = agent.create_managed_secret_grant(server.ms_id, principal=AgentPrincipal(label=lab()))
        assert mine.principal_type == "agent"
        assert mine.grant_id in {i.grant_id for i in agent.list_grants().grants}
        assert mine.grant_id in {i.grant_id for i in agent.iter_grants(limit=1)}
        page = app.list_grants(limit=1000)
        assert {m.grant_id for m in made} <= {i.grant_id for i in page.grants}
        every = list(app.iter_grants(limit=2))
        assert len(every) == page.total
        assert len({i.grant_id for i in every}) == len(every)
        r = app.revoke_grant(made[2].grant_id, reason="done")
        assert r.success
        for value in (made[0], r, page):
            back = pickle.loads(pickle.dumps(value))
            assert type(back) is type(value) and repr(back) == repr(value)
        assert pickle.loads(pickle.dumps(made[0])) == made[0]
        with pytest.raises(grantline.GrantRevokedError):
            app.revoke_grant(made[2].grant_id)
    own = blocking.Agent(server.agent_key)
    g = own.create_managed_secret_grant(server.ms_id, principal=AgentPrincipal(label=lab()))
    assert own.actor_id is not None and own.caller is None
    assert g.grant_id in {i.grant_id for i in own.iter_grants()}
    assert own.list_grants(limit=1).limit == 1


def test_revoke_with_user_token_getter(server: Server) -> None:
    app = blocking.App(server.app_key)
    g = app.create_managed_secret_grant(
        server.ms_id, principal=UserPrincipal(user_token=server.user_token, label=lab()))
    other = server.user_token_for(f"x-{uuid.uuid4().hex[:6]}")
    with pytest.raises(grantline.GrantNotFoundError):
        blocking.App(server.app_key, user_token_getter=lambda: other).revoke_grant(g.grant_id)
    as_user = blocking.App(server.app_key, user_token_getter=lambda: server.user_token)
    assert as_user.revoke_grant(g.grant_id).success


def test_threads_overlap_gil_released(server: Server) -> None:
    app = blocking.App(server.app_key)
    app.list_grants(limit=1)
    n, delay = 8, 1.0
    server.fault("/sdk/grants/list", 0, n, delay_ms=int(delay * 1000))
    counter = {"spins": 0}
    stop = threading.Event()

    def spin() -> None:  # proves the GIL is free while calls wait
        while not stop.is_set():
            counter["spins"] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(app.list_grants(limit=1).limit))
               for _ in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    stop.set()
    spinner.join()
    server.clear_faults()
    assert results == [1] * n
    # Serial calls would take n * delay = 8 s; overlapping ones about 1 s. The bound leaves a
    # wide margin for a loaded machine: it fails only if the calls did not overlap.
    assert elapsed < n * delay * 0.6, elapsed
    assert counter["spins"] > 1000


def _child_calls(key: str, base_url: str, q: "multiprocessing.Queue[object]") -> None:
    import asyncio

    import grantline as gl
    from grantline import blocking as bl

    b = bl.App(key, base_url=base_url).list_grants(limit=1).limit
    a = asyncio.run(gl.App(key, base_url=base_url).list_grants(limit=2)).limit
    q.put((b, a))


_SHARED: dict[str, object] = {}


def _child_uses_inherited(q: "multiprocessing.Queue[object]") -> None:
    import asyncio

    b = _SHARED["blocking"].list_grants(limit=3).limit  # type: ignore[attr-defined]
    a = asyncio.run(_SHARED["async"].list_grants(limit=4)).limit  # type: ignore[attr-defined]
    q.put((b, a))


# Python 3.12+ warns on every fork of a threaded process; forking one safely is the point here.
FORK_WARNING = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")


@FORK_WARNING
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing(server: Server, method: str) -> None:
    import asyncio

    ctx = multiprocessing.get_context(method)
    _SHARED["blocking"] = blocking.App(server.app_key)
    _SHARED["async"] = grantline.App(server.app_key)
    # used before forking
    assert _SHARED["blocking"].list_grants(limit=1).limit == 1  # type: ignore[attr-defined]
    assert asyncio.run(_SHARED["async"].list_grants(limit=1)).limit == 1  # type: ignore[attr-defined]
    q: multiprocessing.Queue[object] = ctx.Queue()
    procs = [ctx.Process(target=_child_calls, args=(server.app_key, server.base_url, q))]
    if method == "fork":
        procs.append(ctx.Process(target=_child_uses_inherited, args=(q,)))
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    got = sorted(str(q.get(timeout=5)) for _ in procs)
    assert "(1, 2)" in got
    if method == "fork":
        assert "(3, 4)" in got
    # the parent keeps working
    assert _SHARED["blocking"].list_grants(limit=5).limit == 5  # type: ignore[attr-defined]
    assert asyncio.run(_SHARED["async"].list_grants(limit=6)).limit == 6  # type: ignore[attr-defined]


@FORK_WARNING
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_raw_fork(server: Server) -> None:
    app = blocking.App(server.app_key)
    app.list_grants(limit=1)
    pid = os.fork()
    if pid == 0:
        try:
            ok = app.list_grants(limit=1).limit == 1
        finally:
            os._exit(0 if ok else 3)  # noqa: F821
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert app.list_grants(limit=1).limit == 1


def test_tracing_goes_to_logger_without_secrets(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    app = blocking.App(server.app_key, max_retries=1)
    server.fault("/sdk/grants/list", 503, 1, retry_after="0")
    with caplog.at_level(logging.DEBUG, logger="grantline"):
        app.list_grants(limit=1, end_user_token=server.user_token)
        app.list_grants(limit=1)
    server.clear_faults()
    records = [r for r in caplog.records if r.name == "grantline"]
    assert records, "no grantline log records"
    text = "\n".join(r.getMessage() for r in records)
    assert "retrying" in text or "sending" in text
    assert server.app_key not in text and server.user_token not in text


def test_panic_in_blocking_call() -> None:
    from grantline import _native

    with pytest.raises(grantline.GrantlineError) as e:
        _native._panic_for_test()
    assert type(e.value) is grantline.GrantlineError
    assert "PanicException" not in type(e.value).__mro__.__repr__()


@pytest.mark.filterwarnings("error::RuntimeWarning")  # an un-awaited coroutine would warn
def test_bad_user_token_getters(server: Server) -> None:
    async def async_getter() -> str:
        return server.user_token

    with pytest.raises(grantline.GrantlineError, match="async user_token_getter"):
        blocking.App(server.app_key, user_token_getter=async_getter).list_grants()
    with pytest.raises(grantline.GrantlineError, match="non-empty string"):
        blocking.App(server.app_key, user_token_getter=lambda: "").list_grants()
    with pytest.raises(grantline.GrantlineError, match="user_token_getter failed"):
        blocking.App(server.app_key, user_token_getter=lambda: 1 / 0).list_grants()
