"""mint_grant, delegate and revoke_delegation through the official client (docs/domain.md,
"Minting and delegation")."""

from __future__ import annotations

import pytest
from alter_sdk import Agent, AgentPrincipal, App, GrantInfo, SystemPrincipal
from alter_sdk.exceptions import (
    BackendError,
    GrantNotDelegableError,
    GrantNotFoundError,
    SiblingLabelConflictError,
)
from alter_sdk.models import DelegationResult

from support import parse_ts


def new_agent(tenant, name: str) -> tuple[str, str]:
    agent_id = tenant.admin.create_agent(tenant.app_id, f"{name}-{tenant.tag}")
    key = tenant.admin.mint_key(tenant.app_id, "agent", agent_id)["key"]
    return agent_id, key


async def own_grant(tenant, label: str) -> str:
    """A grant the demo agent holds (the official Agent has no create call: the App issues as
    the agent, with caller impersonation)."""
    async with App(tenant.app_key, caller=tenant.agent_id, caller_type="agent") as as_agent:
        r = await as_agent.create_managed_secret_grant(
            tenant.ms_id, principal=AgentPrincipal(label=label)
        )
    return r.grant_id


async def test_mint_grant(tenant):
    async with App(tenant.app_key) as app:
        src = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="ops")
        )
        info = await app.mint_grant(
            src.grant_id, label="ops-ro", grant_policy={"max_ttl_seconds": 600},
            grant_tags=["ci"],
        )
        assert isinstance(info, GrantInfo)
        assert info.grant_id != src.grant_id
        assert info.label == "ops-ro"
        assert info.credential_id == tenant.credential_id
        assert info.provider_id == tenant.ms_slug
        assert info.principal_type == "system"
        assert info.status == "active"
        assert info.grant_policy == {"max_ttl_seconds": 600}
        assert parse_ts(info.expires_at) > parse_ts(info.created_at)

        with pytest.raises(SiblingLabelConflictError) as e:
            await app.mint_grant(src.grant_id, label="ops")
        assert e.value.label == "ops"
        with pytest.raises(GrantNotFoundError):
            await app.mint_grant("00000000-0000-4000-8000-000000000000", label="x")
        page = await app.list_grants()
        assert {g.label for g in page.grants} == {"ops", "ops-ro"}

    mine = await own_grant(tenant, "mine")
    # The official Agent has no mint_grant; the wire refuses an agent key all the same (checked
    # in tests/lifecycle.rs). Minting from the agent's grant through the app works.
    async with App(tenant.app_key) as app:
        sib = await app.mint_grant(mine, label="mine-2")
        assert sib.principal_type == "agent"
    actions = [r["action"] for r in tenant.admin.audit(tenant.app_id)]
    assert actions.count("grant.mint") == 2


async def test_delegate_list_and_revoke(tenant):
    b_id, b_key = new_agent(tenant, "b")
    c_id, c_key = new_agent(tenant, "c")
    async with Agent(tenant.agent_key) as a, Agent(b_key) as b, Agent(c_key) as c:
        root = await own_grant(tenant, "deploy")
        d = await a.delegate(root, b_id, delegable=True, ttl_seconds=3600)
        assert isinstance(d, DelegationResult)
        assert d.parent_grant_id == root
        assert d.depth == 1
        assert d.delegable is True
        assert d.status == "active"
        assert d.grant_kind == "managed_secret"
        assert d.expires_at is not None

        # b lists it, with its chain.
        (item,) = (await b.list_grants()).grants
        assert item.grant_id == d.grant_id
        assert item.access_via == "ms_delegation"
        assert item.depth == 1
        assert item.parent_grant_id == root
        assert item.delegable is True

        # b hands it on (a leaf), c holds it two deep.
        d2 = await b.delegate(d.grant_id, c_id)
        assert (d2.depth, d2.delegable) == (2, False)
        with pytest.raises(GrantNotDelegableError) as e:
            await c.delegate(d2.grant_id, tenant.agent_id)
        assert e.value.detail_reason == "holder_not_delegable"
        # A second delegation to the same agent: 409.
        with pytest.raises(BackendError):
            await a.delegate(root, b_id)

        # b gives its delegation up: c's below it goes too, a's grant stays.
        await b.revoke_delegation(root)
        assert {g.status for g in (await b.list_grants()).grants} == {"revoked"}
        assert {g.status for g in (await c.list_grants()).grants} == {"revoked"}
        (mine,) = (await a.list_grants()).grants
        assert mine.status == "active"

    # The app revokes a delegation by agent.
    async with Agent(tenant.agent_key) as a, App(tenant.app_key) as app:
        d3 = await a.delegate(root, c_id)
        await app.revoke_delegation(root, c_id)
        await app.revoke_delegation(root, c_id)  # idempotent
        page = await app.list_grants()
        status = {g.grant_id: g.status for g in page.grants}
        assert status[d3.grant_id] == "revoked"
        assert status[root] == "active"
    actions = [r["action"] for r in tenant.admin.audit(tenant.app_id)]
    assert actions.count("grant.delegate") == 3
    assert actions.count("delegation.revoke") == 2


async def test_delegate_narrows_oauth_scopes(tenant, admin):
    b_id, b_key = new_agent(tenant, "b")
    root = admin.oauth_grant(
        tenant.app_id, "github", {"type": "agent", "agent_id": tenant.agent_id},
        label=f"gh-{tenant.tag}", scopes=["repo", "gist"],
    )
    async with Agent(tenant.agent_key) as a, Agent(b_key) as b:
        d = await a.delegate(root, b_id, scope_constraint=["gist"])
        assert d.grant_kind == "oauth"
        (item,) = (await b.list_grants()).grants
        assert item.access_via == "oauth_delegation"
        assert item.scope_constraint == ["gist"]
        with pytest.raises(BackendError) as e:
            await a.delegate(root, b_id, scope_constraint=["admin:org"])
        assert "invalid_scope_constraint" in repr(e.value.details) + str(e.value)
        (mine,) = [g for g in (await a.list_grants()).grants if g.grant_id == root]
        assert mine.delegated_agent_ids == [b_id]
