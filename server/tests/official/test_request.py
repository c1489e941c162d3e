"""request() through the official client: /sdk/token, the provider call against a local stub,
the api-call audit record, the scope-mismatch report, and /sdk/token's refusals as the
official client's typed errors."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
from alter_sdk import Agent, AgentPrincipal, App, SystemPrincipal, UserPrincipal
from alter_sdk.exceptions import (
    AmbiguousGrantError,
    BlockedDestinationError,
    GrantExpiredError,
    GrantNotFoundError,
    GrantRevokedError,
    PolicyViolationError,
    ProviderAPIError,
    ProviderUnauthorizedError,
    ScopeReauthRequiredError,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "harness"))
from provider_stub import ProviderStub  # noqa: E402


@pytest.fixture
def stub():
    with ProviderStub() as s:
        yield s


def secret(tenant, **injection):
    """A managed secret of the tenant with one known credential, injected as asked."""
    value = f"cred-{uuid.uuid4().hex}"
    ms = tenant.admin.add_managed_secret(tenant.app_id, f"s-{uuid.uuid4().hex[:8]}", "Stub")
    tenant.admin.add_credential(tenant.app_id, ms, "key", value=value)
    tenant.admin.set_injection(tenant.app_id, ms, **injection)
    return ms, value


async def test_request_injects_calls_and_records(tenant, stub):
    ms, value = secret(tenant)
    async with App(tenant.app_key) as app:
        g = await app.create_managed_secret_grant(ms, principal=SystemPrincipal(label="use"))
        resp = await app.request(
            "POST", f"{stub.url}/items/{{id}}", grant_id=g.grant_id, path_params={"id": "7"},
            json={"a": 1}, extra_headers={"X-Trace": "t"}, query_params={"q": "1"},
            reason="sync", context={"tool": "t"},
        )
        assert resp.status_code == 200
        assert resp.json()["path"] == "/items/7"
    # close() awaited the audit task.
    [seen] = stub.seen
    assert seen.header_values("Authorization") == [f"Bearer {value}"]
    assert seen.everything().count(value) == 1
    [call] = tenant.admin.api_calls(tenant.app_id)
    assert call["grant_id"] == g.grant_id
    assert call["method"] == "POST" and call["response_status"] == 200
    assert call["url"] == f"{stub.url}/items/7"
    assert call["record"]["reason"] == "sync"
    assert call["record"]["request_headers"]["X-Trace"] == "t"
    assert value not in json.dumps(call)
    uses = [r for r in tenant.admin.audit(tenant.app_id) if r["action"] == "grant.use"]
    assert len(uses) == 1 and uses[0]["grant_id"] == g.grant_id


async def test_header_and_query_injection_settings(tenant, stub):
    ms, value = secret(tenant, header="X-Api-Key", format="key={token}", query_param="api_key")
    async with App(tenant.app_key) as app:
        g = await app.create_managed_secret_grant(ms, principal=SystemPrincipal(label="q"))
        await app.request("GET", f"{stub.url}/x", grant_id=g.grant_id)
    [seen] = stub.seen
    assert seen.header_values("X-Api-Key") == [f"key={value}"]
    assert seen.query == f"api_key={value}"


async def test_provider_errors_and_the_scope_report(tenant, stub):
    ms, _ = secret(tenant)
    async with App(tenant.app_key) as app:
        g = await app.create_managed_secret_grant(ms, principal=SystemPrincipal(label="e"))
        with pytest.raises(ProviderUnauthorizedError):
            await app.request("GET", f"{stub.url}/unauthorized", grant_id=g.grant_id)
        with pytest.raises(ProviderAPIError) as e:
            await app.request("GET", f"{stub.url}/echo-error", grant_id=g.grant_id)
        assert e.value.status_code == 500
        with pytest.raises(ScopeReauthRequiredError):
            await app.request("GET", f"{stub.url}/scope", grant_id=g.grant_id)
    # The report arrived (close() awaited it): the grant is flagged.
    actions = [r["action"] for r in tenant.admin.audit(tenant.app_id)]
    assert "grant.scope_mismatch" in actions


async def test_token_refusals_are_the_official_errors(tenant, stub):
    ms, _ = secret(tenant, allowed_base_urls=[f"{stub.url}/ok"])
    async with App(tenant.app_key) as app:
        g = await app.create_managed_secret_grant(ms, principal=SystemPrincipal(label="r"))
        with pytest.raises(BlockedDestinationError):
            await app.request("GET", f"{stub.url}/elsewhere", grant_id=g.grant_id)
        with pytest.raises(GrantNotFoundError):
            await app.request("GET", f"{stub.url}/ok", grant_id=str(uuid.uuid4()))
        short = await app.create_managed_secret_grant(
            ms, principal=SystemPrincipal(label="short"), grant_policy={"max_ttl_seconds": 1})
        await app.revoke_grant(g.grant_id)
        with pytest.raises(GrantRevokedError):
            await app.request("GET", f"{stub.url}/ok", grant_id=g.grant_id)
        import asyncio

        await asyncio.sleep(1.1)
        with pytest.raises(GrantExpiredError):
            await app.request("GET", f"{stub.url}/ok", grant_id=short.grant_id)
        # A user grant without the user's token.
        alice = tenant.user_token("alice")
        ug = await app.create_managed_secret_grant(
            ms, principal=UserPrincipal(user_token=alice, label="u"))
        with pytest.raises(PolicyViolationError):
            await app.request("GET", f"{stub.url}/ok", grant_id=ug.grant_id)
        resp = await app.request("GET", f"{stub.url}/ok", grant_id=ug.grant_id, user_token=alice)
        assert resp.status_code == 200
        # By provider: two of alice's grants are ambiguous until a label picks one.
        await app.create_managed_secret_grant(
            ms, principal=UserPrincipal(user_token=alice, label="u2"))
        slug = next(g.managed_secret_slug for g in (await app.list_grants()).grants
                    if g.grant_id == ug.grant_id)
        with pytest.raises(AmbiguousGrantError):
            await app.request("GET", f"{stub.url}/ok", provider=slug, user_token=alice)
        resp = await app.request("GET", f"{stub.url}/ok", provider=slug, label="u2",
                                 user_token=alice)
        assert resp.status_code == 200
    assert [s.path for s in stub.seen] == ["/ok", "/ok"]


async def test_an_agent_uses_its_own_grant(tenant, stub):
    ms, value = secret(tenant)
    # The official Agent has no create call: the app key issues it as the agent.
    async with App(tenant.app_key, caller=tenant.agent_id, caller_type="agent") as as_agent:
        g = await as_agent.create_managed_secret_grant(ms, principal=AgentPrincipal(label="self"))
    async with Agent(tenant.agent_key) as agent:
        resp = await agent.request("GET", f"{stub.url}/me", grant_id=g.grant_id)
        assert resp.status_code == 200
    assert stub.seen[0].header_values("Authorization") == [f"Bearer {value}"]
    async with App(tenant.app_key) as app:
        with pytest.raises(PolicyViolationError):
            await app.request("GET", f"{stub.url}/me", grant_id=g.grant_id)
