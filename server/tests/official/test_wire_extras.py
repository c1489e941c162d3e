"""Wire features of the official client that change what is signed: the server must verify
them (scope constraints, request rules, ambient context, caller + actor id together)."""

from __future__ import annotations

from alter_sdk import Agent, App, SystemPrincipal


async def test_scope_constrained_client_is_verified(tenant):
    async with App(tenant.app_key) as app:
        await app.list_grants()  # actor id cached: the sibling copies it (v2 + constraints line)
        narrowed = app.with_constraints(scopes=["grants:read", "grants:write"])
        assert (await narrowed.list_grants()).total == 0
        r = await narrowed.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
        assert (await narrowed.revoke_grant(r.grant_id)).success


async def test_request_rule_client_is_verified(tenant):
    async with App(tenant.app_key) as app:
        ruled = app.with_constraints(
            scopes=["grants:read"],
            rule={"rule_type": "endpoint_deny", "rule_body": {"paths": ["/admin"]}},
        )
        assert (await ruled.list_grants()).total == 0


async def test_ambient_context_is_signed_on_list(tenant):
    async with Agent(tenant.agent_key) as agent:
        async with agent.trace(run_id="run-1", thread_id="t-9", step="search"):
            page = await agent.list_grants()
        assert page.total == 0
        assert agent.actor_id is not None
        async with agent.trace(run_id="run-2", note="café"):
            assert (await agent.list_grants()).total == 0


async def test_impersonated_agent_inside_trace(tenant):
    async with App(tenant.app_key) as app:
        agent = app.get_agent(tenant.agent_id)
        try:
            async with agent.trace(run_id="r"):
                assert (await agent.list_grants()).total == 0
        finally:
            await agent.close()
