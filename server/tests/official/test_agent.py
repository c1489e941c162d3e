"""App.get_agent impersonation, Agent keys, and the actor-id / v2 signing handshake."""

from __future__ import annotations

import uuid

import pytest
from alter_sdk import (
    Agent,
    AgentPrincipal,
    App,
    SystemPrincipal,
    UserPrincipal,
)
from alter_sdk.exceptions import AgentNotFoundError, CallerAgentMismatchError

from conftest import make_tenant


async def _seed(t, admin):
    """system + user grants by the app, one grant per agent (two agents), one oauth agent grant."""
    other_agent = admin.create_agent(t.app_id, "second")
    ids = {}
    async with App(t.app_key) as app:
        ids["sys"] = (await app.create_managed_secret_grant(
            t.ms_id, principal=SystemPrincipal(label="s"))).grant_id
        ids["user"] = (await app.create_managed_secret_grant(
            t.ms_id, principal=UserPrincipal(user_token=t.user_token("u"), label="u"))).grant_id
    async with App(t.app_key, caller=t.agent_id, caller_type="agent") as a1:
        ids["mine"] = (await a1.create_managed_secret_grant(
            t.ms_id, principal=AgentPrincipal(label="mine"))).grant_id
    async with App(t.app_key, caller=other_agent, caller_type="agent") as a2:
        ids["theirs"] = (await a2.create_managed_secret_grant(
            t.ms_id, principal=AgentPrincipal(label="theirs"))).grant_id
    ids["oauth_mine"] = admin.oauth_grant(
        t.app_id, "github", {"type": "agent", "agent_id": t.agent_id}, label="gh")
    ids["oauth_sys"] = admin.oauth_grant(
        t.app_id, "github", {"type": "system"}, label=f"gh-{t.tag}")  # see FINDINGS.md #1
    return ids, other_agent


async def test_get_agent_lists_only_the_agents_grants(tenant, admin):
    ids, other_agent = await _seed(tenant, admin)
    async with App(tenant.app_key) as app:
        assert (await app.list_grants()).total == 6
        agent = app.get_agent(tenant.agent_id)
        try:
            page = await agent.list_grants()
            assert {g.grant_id for g in page.grants} == {ids["mine"], ids["oauth_mine"]}
            assert page.total == 2 and page.has_more is False
            assert all(g.principal_type == "agent" for g in page.grants)
            ms = [g for g in page.grants if g.grant_kind == "managed_secret"]
            assert ms[0].agent_id == tenant.agent_id
            # filters still apply
            assert (await agent.list_grants(provider_id="github")).total == 1
            assert (await agent.list_grants(provider_id=tenant.ms_slug)).total == 1
            p1 = await agent.list_grants(limit=1)
            assert (len(p1.grants), p1.total, p1.has_more) == (1, 2, True)
            # no actor id comes back on impersonated calls
            assert agent.actor_id is None
        finally:
            await agent.close()
        other = app.get_agent(uuid.UUID(other_agent))  # UUID objects are accepted too
        try:
            page = await other.list_grants()
            assert {g.grant_id for g in page.grants} == {ids["theirs"]}
        finally:
            await other.close()


async def test_get_agent_lenient_uuid_forms(tenant, admin):
    ids, _ = await _seed(tenant, admin)
    async with App(tenant.app_key) as app:
        for form in (tenant.agent_id.upper(), tenant.agent_id.replace("-", ""),
                     "{" + tenant.agent_id + "}"):
            agent = app.get_agent(form)
            try:
                assert (await agent.list_grants()).total == 2
            finally:
                await agent.close()


async def test_agent_key_sees_only_its_grants(tenant, admin):
    ids, _ = await _seed(tenant, admin)
    async with Agent(tenant.agent_key) as agent:
        page = await agent.list_grants()
        assert {g.grant_id for g in page.grants} == {ids["mine"], ids["oauth_mine"]}
        # an agent key gets its actor id back
        assert agent.actor_id is not None
        # and keeps working v2-signed
        assert (await agent.list_grants()).total == 2


async def test_agent_with_end_user_token_still_sees_only_itself(tenant, admin):
    ids, _ = await _seed(tenant, admin)
    async with Agent(tenant.agent_key) as agent:
        page = await agent.list_grants(end_user_token=tenant.user_token("u"))
        assert {g.grant_id for g in page.grants} == {ids["mine"], ids["oauth_mine"]}


async def test_unknown_agent_is_agent_not_found(tenant):
    async with App(tenant.app_key) as app:
        agent = app.get_agent(str(uuid.uuid4()))
        try:
            with pytest.raises(AgentNotFoundError) as ei:
                await agent.list_grants()
            assert ei.value.status_code == 404
        finally:
            await agent.close()


async def test_paused_or_revoked_agent_is_agent_not_found(tenant, admin):
    async with App(tenant.app_key) as app:
        for status in ("paused", "revoked"):
            admin.set_agent_status(tenant.app_id, tenant.agent_id, status)
            agent = app.get_agent(tenant.agent_id)
            try:
                with pytest.raises(AgentNotFoundError):
                    await agent.list_grants()
            finally:
                await agent.close()


async def test_other_tenants_agent_is_agent_not_found(tenant, admin):
    other = make_tenant(admin, "other")
    async with App(tenant.app_key) as app:
        agent = app.get_agent(other.agent_id)
        try:
            with pytest.raises(AgentNotFoundError):
                await agent.list_grants()
        finally:
            await agent.close()


async def test_agent_key_with_other_caller_is_mismatch(tenant, admin):
    second = admin.create_agent(tenant.app_id, "second")
    async with App(tenant.agent_key, caller=second, caller_type="agent") as app:
        with pytest.raises(CallerAgentMismatchError):
            await app.list_grants()
    # naming itself is fine
    async with App(tenant.agent_key, caller=tenant.agent_id, caller_type="agent") as app:
        assert (await app.list_grants()).total == 0


# ── actor id: v2 signing after the first call ──────────────────────────────────


async def test_actor_id_cached_and_v2_calls_work(tenant):
    async with App(tenant.app_key) as app:
        assert app.actor_id is None
        first = await app.list_grants()
        assert first.total == 0
        assert app.actor_id is not None
        assert app.actor_id.lower() == tenant.app_actor_id.lower()
        # every later call sends X-Alter-Actor-ID and is v2-signed: all three endpoints
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="v2"), grant_policy={"max_ttl_seconds": 60}
        )
        assert (await app.list_grants(label="v2")).total == 1
        assert (await app.revoke_grant(r.grant_id, reason="v2 revoke")).success is True
        assert app.actor_id.lower() == tenant.app_actor_id.lower()


async def test_actor_id_cached_from_an_error_response(tenant):
    async with App(tenant.app_key) as app:
        from alter_sdk import GrantNotFoundError

        with pytest.raises(GrantNotFoundError):
            await app.revoke_grant(str(uuid.uuid4()))
        assert app.actor_id is not None
        assert (await app.list_grants()).total == 0


async def test_actor_id_with_service_caller(tenant):
    # caller + actor id: all v2 identity lines at once (caller, caller-type, actor-id)
    async with App(tenant.app_key, caller="billing-cron") as app:
        await app.list_grants()
        # a service caller is a caller override: the server returns no actor id
        assert app.actor_id is None
        r = await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
        assert (await app.revoke_grant(r.grant_id)).success


async def test_many_sequential_calls_after_actor_id(tenant):
    # fresh nonce every call: no false replay rejections
    async with App(tenant.app_key) as app:
        for _ in range(30):
            await app.list_grants(limit=1)
