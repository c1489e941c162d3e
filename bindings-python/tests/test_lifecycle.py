"""mint_grant, delegate, revoke_delegation and with_constraints against a real grantline-server,
async and blocking (docs/domain.md, "Minting and delegation")."""

from __future__ import annotations

import uuid

import pytest

import grantline
from conftest import Server
from grantline import Agent, AgentPrincipal, App, SystemPrincipal, blocking


def lab() -> str:
    return f"lc-{uuid.uuid4().hex[:10]}"


def new_agent(server: Server) -> tuple[str, str]:
    agent_id = server.api.create_agent(server.app_id, lab())
    key = server.api.mint_key(server.app_id, "agent", agent_id)["key"]
    return agent_id, key


async def test_mint_grant(server: Server) -> None:
    async with App(server.app_key) as app:
        src = await app.create_managed_secret_grant(server.ms_id, principal=SystemPrincipal(label=lab()))
        name = lab()
        info = await app.mint_grant(
            src.grant_id, label=name, grant_policy={"max_ttl_seconds": 600}, grant_tags=["ci"]
        )
        assert isinstance(info, grantline.GrantInfo)
        assert info.grant_id != src.grant_id
        assert info.label == name
        assert info.credential_id == src.credential_id
        assert info.principal_type == "system"
        assert info.status == "active"
        assert info.expires_at is not None and info.expires_at > info.created_at
        with pytest.raises(grantline.SiblingLabelConflictError) as e:
            await app.mint_grant(src.grant_id, label=name)
        assert e.value.label == name
        with pytest.raises(grantline.UnprocessableEntityError):
            await app.mint_grant(src.grant_id, label=lab(), grant_policy={"expires_at": "2001-01-01T00:00:00Z"})
        with pytest.raises(grantline.GrantNotFoundError):
            await app.mint_grant(str(uuid.uuid4()), label=lab())
        # An agent of the app (impersonated) cannot mint: App-only on every client.
        assert not hasattr(app.get_agent(server.agent_id), "mint_grant")


async def test_delegate_list_and_lose(server: Server) -> None:
    b_id, b_key = new_agent(server)
    c_id, c_key = new_agent(server)
    async with Agent(server.agent_key) as a, Agent(b_key) as b, Agent(c_key) as c, App(server.app_key) as app:
        root = await a.create_managed_secret_grant(server.ms_id, principal=AgentPrincipal(label=lab()))
        d = await a.delegate(root.grant_id, b_id, delegable=True, ttl_seconds=3600)
        assert isinstance(d, grantline.DelegationResult)
        assert (d.parent_grant_id, d.depth, d.delegable, d.status) == (root.grant_id, 1, True, "active")
        assert d.grant_kind == "managed_secret"
        assert d.expires_at is not None

        (item,) = (await b.list_grants()).grants
        assert isinstance(item, grantline.ManagedSecretGrantItem)
        assert item.grant_id == d.grant_id
        assert (item.access_via, item.depth, item.parent_grant_id, item.delegable) == (
            "ms_delegation", 1, root.grant_id, True,
        )
        assert item.delegated_at is not None

        d2 = await b.delegate(d.grant_id, c_id)
        assert (d2.depth, d2.delegable) == (2, False)
        with pytest.raises(grantline.GrantNotDelegableError) as e:
            await c.delegate(d2.grant_id, b_id)
        assert e.value.details["detail_reason"] == "holder_not_delegable"
        with pytest.raises(grantline.ConflictError):
            await a.delegate(root.grant_id, b_id)
        with pytest.raises(grantline.AgentNotFoundError):
            await a.delegate(root.grant_id, str(uuid.uuid4()))
        with pytest.raises(grantline.GrantNotFoundError):
            await c.delegate(root.grant_id, b_id)

        # The app revokes b's delegation: b and c lose it; a keeps its grant. Idempotent.
        await app.revoke_delegation(root.grant_id, b_id)
        await app.revoke_delegation(root.grant_id, b_id)
        assert [i.status for i in (await b.list_grants()).grants] == ["revoked"]
        assert [i.status for i in (await c.list_grants()).grants] == ["revoked"]
        (mine,) = [i for i in (await a.list_grants()).grants if i.grant_id == root.grant_id]
        assert mine.status == "active" and mine.delegable is True

        # An agent gives up its own delegation.
        d3 = await a.delegate(root.grant_id, c_id)
        await c.revoke_delegation(root.grant_id)
        statuses = {i.grant_id: i.status for i in (await c.list_grants()).grants}
        assert statuses[d3.grant_id] == "revoked"


async def test_constrained_clients_call_the_lifecycle(server: Server) -> None:
    b_id, _ = new_agent(server)
    async with Agent(server.agent_key) as a:
        narrowed = a.with_constraints(scopes=["grants:read"])
        root = await narrowed.create_managed_secret_grant(server.ms_id, principal=AgentPrincipal(label=lab()))
        d = await narrowed.delegate(root.grant_id, b_id)
        assert d.depth == 1
        await narrowed.revoke_delegation(d.grant_id)  # b's, by its own id: not b → nothing to do
    async with App(server.app_key) as app:
        ruled = app.with_constraints(rule={"rule_type": "content_match", "rule_body": {"deny": ["x"]}})
        src = await ruled.create_managed_secret_grant(server.ms_id, principal=SystemPrincipal(label=lab()))
        info = await ruled.mint_grant(src.grant_id, label=lab())
        assert info.credential_id == src.credential_id
        await ruled.revoke_delegation(root.grant_id, b_id)
        page = await app.list_grants(limit=1000)
        assert {i.grant_id: i.status for i in page.grants}[d.grant_id] == "revoked"


def test_blocking_lifecycle(server: Server) -> None:
    b_id, b_key = new_agent(server)
    with blocking.App(server.app_key) as app, blocking.Agent(server.agent_key) as a, blocking.Agent(b_key) as b:
        src = app.create_managed_secret_grant(server.ms_id, principal=SystemPrincipal(label=lab()))
        sib = app.mint_grant(src.grant_id, label=lab())
        assert sib.credential_id == src.credential_id
        root = a.create_managed_secret_grant(server.ms_id, principal=AgentPrincipal(label=lab()))
        d = a.delegate(root.grant_id, b_id, ttl_seconds=60)
        assert (d.depth, d.delegable) == (1, False)
        assert [i.grant_id for i in b.list_grants().grants] == [d.grant_id]
        with pytest.raises(grantline.GrantNotDelegableError):
            b.delegate(d.grant_id, server.agent_id)
        b.revoke_delegation(root.grant_id)
        assert [i.status for i in b.list_grants().grants] == ["revoked"]
        app.revoke_delegation(root.grant_id, b_id)  # idempotent
        with pytest.raises(grantline.InvalidArgumentError):
            app.revoke_delegation(root.grant_id, "")
