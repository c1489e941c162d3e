"""The async API against a real grantline-server: every method, principal, error class."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import pickle
import time
import uuid
from collections.abc import Coroutine
from typing import Any

import pytest

import grantline
from conftest import Server
from grantline import (
    Agent,
    AgentPrincipal,
    App,
    GroupPrincipal,
    ManagedSecretGrantItem,
    OAuthGrantItem,
    SystemPrincipal,
    UserPrincipal,
)


def label() -> str:
    return f"l-{uuid.uuid4().hex[:10]}"


async def test_create_every_principal_list_and_revoke(server: Server) -> None:
    async with App(server.app_key) as app:
        made = []
        for principal in [
            UserPrincipal(user_token=server.user_token, label=label()),
            GroupPrincipal(external_group_id=server.group_id, idp_id=server.idp_id, label=label()),
            SystemPrincipal(label=label()),
            SystemPrincipal(),
        ]:
            g = await app.create_managed_secret_grant(server.ms_id, principal=principal)
            assert g.principal_type == principal.type
            assert g.created_at.tzinfo is not None
            made.append(g)
        agent = app.get_agent(server.agent_id)
        g = await agent.create_managed_secret_grant(
            server.ms_id, principal=AgentPrincipal(label=label()), grant_policy={"max_ttl_seconds": 3600}
        )
        assert g.principal_type == "agent"
        made.append(g)
        page = await app.list_grants(limit=1000)
        ids = {i.grant_id for i in page.grants}
        assert {m.grant_id for m in made} <= ids
        assert page.total >= len(made)
        for item in page.grants:
            assert item.grant_kind in ("managed_secret", "oauth")
            assert item.created_at.tzinfo is not None
        r = await app.revoke_grant(made[0].grant_id, reason="test")
        assert r.success and r.grant_id == made[0].grant_id
        assert r.revoked_at.tzinfo is not None
        listed = await app.list_grants(status="revoked", limit=1000)
        assert made[0].grant_id in {i.grant_id for i in listed.grants}


async def test_agent_key_issues_for_itself_and_sees_own(server: Server) -> None:
    agent = Agent(server.agent_key)
    lab = label()
    g = await agent.create_managed_secret_grant(server.ms_id, principal=AgentPrincipal(label=lab))
    page = await agent.list_grants(label=lab)
    assert [i.grant_id for i in page.grants] == [g.grant_id]
    assert all(i.principal_type == "agent" for i in (await agent.list_grants()).grants)
    with pytest.raises(grantline.InvalidArgumentError):
        await agent.create_managed_secret_grant(
            server.ms_id, principal=SystemPrincipal(label="x")  # type: ignore[arg-type]
        )
    items = [i async for i in agent.iter_grants(limit=2)]
    assert g.grant_id in {i.grant_id for i in items}
    await agent.close()


async def test_policy_and_timestamps(server: Server) -> None:
    app = App(server.app_key)
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    policy = grantline.GrantPolicy(expires_at=expires, max_ttl_seconds=86400, default_ttl_seconds=60)
    g = await app.create_managed_secret_grant(server.ms_id, principal=SystemPrincipal(label=label()),
                                              grant_policy=policy)
    assert g.grant_expires_at is not None and g.grant_expires_at <= expires + dt.timedelta(seconds=1)
    page = await app.list_grants(label=g.label)
    item = page.grants[0]
    assert isinstance(item, ManagedSecretGrantItem)
    assert item.grant_policy is not None and item.grant_policy.max_ttl_seconds == 86400
    assert item.managed_secret_slug == server.ms_slug


async def test_pagination_iter_grants(server: Server) -> None:
    app = App(server.app_key)
    ms = server.new_secret(f"pag-{uuid.uuid4().hex[:6]}")
    made = [
        (await app.create_managed_secret_grant(ms, principal=SystemPrincipal(label=f"p{i}"))).grant_id
        for i in range(7)
    ]
    slug = (await app.list_grants(limit=1000)).grants
    slug_of = {i.grant_id: i for i in slug}
    s = slug_of[made[0]]
    assert isinstance(s, ManagedSecretGrantItem)
    page = await app.list_grants(provider_id=s.managed_secret_slug, limit=3)
    assert page.total == 7 and len(page.grants) == 3 and page.has_more
    page3 = await app.list_grants(provider_id=s.managed_secret_slug, limit=3, offset=6)
    assert len(page3.grants) == 1 and not page3.has_more
    seen = [i.grant_id async for i in app.iter_grants(provider_id=s.managed_secret_slug, limit=3)]
    one_page = await app.list_grants(provider_id=s.managed_secret_slug, limit=1000)
    assert seen == [i.grant_id for i in one_page.grants]  # the listing's order, no repeats
    assert sorted(seen) == sorted(made)
    seen_from_4 = [i.grant_id async for i in app.iter_grants(
        provider_id=s.managed_secret_slug, limit=2, offset=4)]
    assert seen_from_4 == seen[4:]


async def test_oauth_items_match_and_repr(server: Server) -> None:
    app = App(server.app_key)
    lab = label()
    server.admin("POST", f"/admin/apps/{server.app_id}/oauth-grants",
                 {"provider_id": "google", "principal": {"type": "system"}, "label": lab,
                  "scopes": ["email"]})
    page = await app.list_grants(label=lab)
    (item,) = page.grants
    assert isinstance(item, OAuthGrantItem)
    assert item.grant_kind == "oauth" and item.scopes == ["email"]
    match item:
        case OAuthGrantItem(grant_id=gid, provider_id="google"):
            assert gid == item.grant_id
        case _:
            raise AssertionError("no match")
    again = (await app.list_grants(label=lab)).grants[0]
    assert again == item and again is not item
    assert len({item, again}) == 1  # frozen values: hashable, equal ones hash alike
    assert "OAuthGrantItem(" in repr(item)
    with pytest.raises(AttributeError):
        item.label = "x"  # type: ignore[misc]


async def test_user_token_getter_scopes_listing(server: Server) -> None:
    lab = label()
    admin_app = App(server.app_key)
    await admin_app.create_managed_secret_grant(
        server.ms_id, principal=UserPrincipal(user_token=server.user_token, label=lab))
    other = server.user_token_for(f"other-{uuid.uuid4().hex[:6]}")

    async def getter() -> str:
        return other

    app = App(server.app_key, user_token_getter=getter)
    assert (await app.list_grants(label=lab)).total == 0
    assert (await app.list_grants(label=lab, end_user_token=server.user_token)).total == 1
    app2 = App(server.app_key, user_token_getter=lambda: server.user_token)
    assert (await app2.list_grants(label=lab)).total == 1

    def broken() -> str:
        raise RuntimeError("boom")

    with pytest.raises(grantline.GrantlineError, match="user_token_getter failed"):
        await App(server.app_key, user_token_getter=broken).list_grants()


async def test_gather_200_overlaps(server: Server) -> None:
    app = App(server.app_key)
    server.fault("/sdk/grants/list", 0, 200, delay_ms=200)
    t0 = time.perf_counter()
    pages = await asyncio.gather(*[app.list_grants(limit=1) for _ in range(200)])
    elapsed = time.perf_counter() - t0
    server.clear_faults()
    assert len(pages) == 200 and all(p.limit == 1 for p in pages)
    assert elapsed < 200 * 0.2 / 4, elapsed  # far from sequential


def test_works_under_several_loops(server: Server) -> None:
    app = App(server.app_key)
    for _ in range(3):
        page = asyncio.run(app.list_grants(limit=1))
        assert page.limit == 1
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(app.list_grants(limit=2)).limit == 2
    finally:
        loop.close()


def test_each_event_loop_releases_its_queue(server: Server) -> None:
    """A loop that is gone takes its completion queue (a socket pair) with it: no fd leak."""
    import gc

    from grantline._client import _dispatchers

    app = App(server.app_key)
    asyncio.run(app.list_grants(limit=1))
    gc.collect()
    fds, queues = len(os.listdir("/proc/self/fd")), len(_dispatchers)
    for _ in range(40):
        asyncio.run(app.list_grants(limit=1))
    gc.collect()
    assert len(_dispatchers) <= queues
    assert len(os.listdir("/proc/self/fd")) <= fds + 2


def test_uvloop(server: Server) -> None:
    import uvloop  # a test dependency (scripts/test.sh): a loop that is not asyncio's own

    app = App(server.app_key)

    async def main() -> tuple[list[int], int]:
        pages = await asyncio.gather(*[app.list_grants(limit=n) for n in (1, 2, 3)])
        every = [g async for g in app.iter_grants(limit=2)]
        return [p.limit for p in pages], len(every)

    limits, every = uvloop.run(main())
    assert limits == [1, 2, 3] and every > 0


# ------------------------------------------------------------------ cancellation


async def _cancel_midway(server: Server, prefix: str, call: Coroutine[Any, Any, Any]) -> None:
    """Cancels ``call`` during a 2 s server delay; its Rust task must be gone well before."""
    from grantline._client import _dispatcher

    d = _dispatcher(asyncio.get_running_loop())
    assert d.completions.pending() == 0  # finished calls leave nothing behind
    server.fault(prefix, 0, 1, delay_ms=2000)
    try:
        task = asyncio.ensure_future(call)
        await asyncio.sleep(0.2)
        assert d.completions.pending() == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        deadline = time.monotonic() + 1.0
        while d.completions.pending() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert d.completions.pending() == 0, "the Rust request was not aborted"
        assert not d.pending
    finally:
        server.clear_faults()


async def test_cancel_aborts_create(server: Server) -> None:
    app = App(server.app_key)
    await _cancel_midway(server, "/sdk/managed-secrets/", app.create_managed_secret_grant(
        server.ms_id, principal=SystemPrincipal(label=label())))
    g = await app.create_managed_secret_grant(server.ms_id, principal=SystemPrincipal(label=label()))
    assert g.principal_type == "system"


async def test_cancel_aborts_list(server: Server) -> None:
    from grantline._client import _dispatcher

    app = App(server.app_key)
    await _cancel_midway(server, "/sdk/grants/list", app.list_grants(limit=1))
    assert (await app.list_grants(limit=1)).limit == 1
    assert _dispatcher(asyncio.get_running_loop()).completions.pending() == 0


async def test_cancel_aborts_iter_grants(server: Server) -> None:
    app = App(server.app_key)

    async def first() -> Any:
        async for item in app.iter_grants(limit=1):
            return item

    await _cancel_midway(server, "/sdk/grants/list", first())
    assert await first() is not None


def test_cancel_native_queue(server: Server) -> None:
    """An aborted call posts no outcome; a finished or unknown token is not cancellable."""
    app = grantline._native.AsyncApp({"api_key": server.app_key, "max_retries": 0})
    c = grantline._native.Completions()
    assert c.cancel(12345) is False

    def settle() -> None:
        deadline = time.monotonic() + 5.0
        while c.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert c.pending() == 0

    done = app.call(c, "list_grants", {"limit": 1})
    settle()
    assert [(t, ok) for t, ok, _ in c.drain()] == [(done, True)]
    assert c.cancel(done) is False
    server.fault("/sdk/grants/list", 0, 1, delay_ms=2000)
    try:
        slow = app.call(c, "list_grants", {"limit": 1})
        time.sleep(0.2)
        assert c.pending() == 1
        assert c.cancel(slow) is True
        assert c.cancel(slow) is False
        settle()
        assert c.drain() == []
    finally:
        server.clear_faults()


# ------------------------------------------------------------------ errors


async def test_error_classes(server: Server) -> None:
    app = App(server.app_key, max_retries=0)
    lab = label()
    await app.create_managed_secret_grant(server.ms_id, principal=SystemPrincipal(label=lab))
    with pytest.raises(grantline.SiblingLabelConflictError) as e1:
        await app.create_managed_secret_grant(server.ms_id, principal=SystemPrincipal(label=lab))
    assert e1.value.status == 409 and e1.value.code == "sibling_label_conflict"
    assert isinstance(e1.value, grantline.ConflictError) and isinstance(e1.value, grantline.ApiError)

    two = server.new_secret(f"two-{uuid.uuid4().hex[:6]}", credentials=2)
    with pytest.raises(grantline.CredentialIdRequiredError) as e2:
        await app.create_managed_secret_grant(two, principal=SystemPrincipal(label=label()))
    assert len(e2.value.credentials) == 2
    cred = e2.value.credentials[0].credential_id
    ok = await app.create_managed_secret_grant(two, principal=SystemPrincipal(label=label()),
                                               credential_id=cred)
    assert ok.credential_id == cred

    end_user = server.new_secret(f"eu-{uuid.uuid4().hex[:6]}", credentials=0)
    cred_eu = server.admin(
        "POST", f"/admin/apps/{server.app_id}/managed-secrets/{end_user}/credentials",
        {"label": "theirs", "kind": "end_user", "value": "s3cr3t-end-user"})
    with pytest.raises(grantline.EndUserCredentialNotAssignableError) as e4:
        await app.create_managed_secret_grant(
            end_user, principal=SystemPrincipal(label=label()),
            credential_id=cred_eu["credential_id"])
    assert e4.value.code == "end_user_credential_not_assignable"
    assert isinstance(e4.value, grantline.ConflictError)
    assert "s3cr3t" not in str(e4.value)

    with pytest.raises(grantline.GrantNotFoundError) as e3:
        await app.revoke_grant(str(uuid.uuid4()))
    assert e3.value.status == 404
    await app.revoke_grant(ok.grant_id)
    with pytest.raises(grantline.GrantRevokedError):
        await app.revoke_grant(ok.grant_id)

    with pytest.raises(grantline.ReAuthRequiredError):
        await app.create_managed_secret_grant(
            server.ms_id, principal=UserPrincipal(user_token="not.a.jwt", label=label()))
    with pytest.raises(grantline.UnprocessableEntityError):
        await app.create_managed_secret_grant(server.ms_id, principal=AgentPrincipal(label="x"))
    with pytest.raises(grantline.AuthenticationError):
        await App("alter_rk_abcdefghijklmnopqrstuv_iwpykn").list_grants()
    with pytest.raises(grantline.AgentNotFoundError):
        await app.get_agent(str(uuid.uuid4())).list_grants()


async def test_server_rate_limit_timeout_network_validation(server: Server) -> None:
    app = App(server.app_key, max_retries=0)
    server.fault("/sdk/grants/list", 503, 1, retry_after="7")
    with pytest.raises(grantline.ServerError) as e:
        await app.list_grants()
    assert e.value.retry_after == 7 and e.value.status == 503
    server.fault("/sdk/grants/list", 429, 1, retry_after="3")
    with pytest.raises(grantline.RateLimitError) as r:
        await app.list_grants()
    assert r.value.retry_after == 3
    # retries are core behaviour: one 503 then success
    server.fault("/sdk/grants/list", 503, 1, retry_after="0")
    assert (await App(server.app_key, max_retries=2).list_grants(limit=1)).limit == 1
    server.fault("/sdk/grants/list", 0, 1, delay_ms=1500)
    with pytest.raises(grantline.RequestTimeoutError):
        await App(server.app_key, timeout=0.3, max_retries=0).list_grants()
    server.clear_faults()
    server.fault("/sdk/grants/list", 200, 1, body="<html>oops</html>")
    with pytest.raises(grantline.ResponseValidationError):
        await app.list_grants()
    server.clear_faults()
    with pytest.raises(grantline.NetworkError):
        await App(server.app_key, base_url="http://127.0.0.1:9", max_retries=0).list_grants()


def test_errors_pickle() -> None:
    err = grantline.SiblingLabelConflictError(
        "taken", status=409, code="sibling_label_conflict", request_id="r1",
        details={"a": 1}, label="ops", credentials=[("c1", "l1")])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is grantline.SiblingLabelConflictError
    assert (back.status, back.code, back.request_id, back.details, back.label) == (
        409, "sibling_label_conflict", "r1", {"a": 1}, "ops")
    assert back.credentials[0].credential_id == "c1"
    assert isinstance(grantline.InvalidArgumentError("x"), ValueError)


async def test_panic_becomes_grantline_error() -> None:
    from grantline import _native
    from grantline._client import _submit

    with pytest.raises(grantline.GrantlineError, match="panic"):
        _native._panic_for_test()
    with pytest.raises(grantline.GrantlineError, match="panic"):
        await _submit(lambda c: _native._panic_for_test(c))
