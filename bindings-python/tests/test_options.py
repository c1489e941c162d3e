"""Per-call options, on the async and the blocking clients: a call's own timeout, and a revoke as
an end user (the ``user_token`` option, or the app's ``user_token_getter``)."""

from __future__ import annotations

import asyncio
import time

import pytest

import grantline
import grantline.blocking
from conftest import Server

LIST = "/sdk/grants/list"


async def test_a_calls_timeout_overrides_the_clients(server: Server) -> None:
    server.clear_faults()
    server.fault(LIST, 0, 2, delay_ms=1500)
    app = grantline.App(server.app_key, max_retries=0)  # its own timeout: 30 s
    started = time.monotonic()
    with pytest.raises(grantline.RequestTimeoutError):
        await app.list_grants(timeout=0.2)
    blocking = grantline.blocking.App(server.app_key, max_retries=0)
    with pytest.raises(grantline.RequestTimeoutError):
        await asyncio.to_thread(lambda: blocking.list_grants(timeout=0.2))
    assert time.monotonic() - started < 1.4
    server.clear_faults()
    with pytest.raises(grantline.InvalidArgumentError, match="timeout"):
        await app.list_grants(timeout=0)


def _user_grants(server: Server, sub: str) -> tuple[str, str]:
    """A grant of the end user ``sub`` and one of the system; ``sub``'s token."""
    token = server.user_token_for(sub)
    app = grantline.blocking.App(server.app_key)
    own = app.create_managed_secret_grant(
        server.ms_id, principal=grantline.UserPrincipal(user_token=token, label=f"{sub}-own"))
    app.create_managed_secret_grant(
        server.ms_id, principal=grantline.SystemPrincipal(label=f"{sub}-sys"))
    return own.grant_id, token


def test_revoke_as_an_end_user(server: Server) -> None:
    bapp = grantline.blocking.App(server.app_key)
    for client in ("async", "blocking"):
        own, token = _user_grants(server, f"revoker-{client}")
        other_id = bapp.list_grants(label=f"revoker-{client}-sys").grants[0].grant_id
        if client == "async":

            async def revoke(grant_id: str, token: str = token) -> str:
                app = grantline.App(server.app_key)
                return (await app.revoke_grant(grant_id, user_token=token)).grant_id

            with pytest.raises(grantline.GrantNotFoundError):
                asyncio.run(revoke(other_id))
            assert asyncio.run(revoke(own)) == own
        else:
            with pytest.raises(grantline.GrantNotFoundError):
                bapp.revoke_grant(other_id, user_token=token)
            assert bapp.revoke_grant(own, user_token=token).grant_id == own


async def test_the_getter_scopes_a_revoke(server: Server) -> None:
    own, token = await asyncio.to_thread(_user_grants, server, "getter-revoker")
    page = await grantline.App(server.app_key).list_grants(label="getter-revoker-sys")
    other_id = page.grants[0].grant_id

    async def getter() -> str:
        return token

    app = grantline.App(server.app_key, user_token_getter=getter)
    with pytest.raises(grantline.GrantNotFoundError):
        await app.revoke_grant(other_id)
    assert (await app.revoke_grant(own)).grant_id == own


def test_unknown_keywords_are_type_errors(server: Server) -> None:
    app = grantline.blocking.App(server.app_key)
    with pytest.raises(TypeError, match="lmit"):
        app.list_grants(lmit=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="positional"):
        app.revoke_grant("a", "b")  # type: ignore[misc]


async def test_constrained_clients_sign_their_constraints(server: Server) -> None:
    """The server verifies a signature over the constraint headers; a mismatch is a 401."""
    app = grantline.App(server.app_key)
    reader = app.with_constraints(scopes=["grants:read"],
                                  rule={"rule_type": "json_match", "rule_body": {"effect": "deny"}})
    assert type(reader) is grantline.App
    assert (await reader.list_grants(limit=1)).limit == 1
    blocking_reader = grantline.blocking.App(server.app_key).with_constraints(scopes=["a", "b"])
    assert (await asyncio.to_thread(lambda: blocking_reader.list_grants(limit=1))).limit == 1
    with pytest.raises(grantline.InvalidArgumentError, match="constrained already"):
        reader.with_constraints(scopes=["x"])
    for bad in ({}, {"scopes": []}, {"scopes": ["*"]}, {"scopes": ["a,b"]},
                {"rule": {"rule_type": "", "rule_body": {}}}, {"rule": {"rule_type": "x"}}):
        with pytest.raises(grantline.InvalidArgumentError):
            app.with_constraints(**bad)
