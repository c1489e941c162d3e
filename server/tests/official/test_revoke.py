"""revoke_grant through the official client (both grant kinds, errors, audit)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from alter_sdk import (
    App,
    GrantNotFoundError,
    GroupPrincipal,
    RevokeGrantResult,
    SystemPrincipal,
    UserPrincipal,
)
from alter_sdk.exceptions import GrantRevokedError, PolicyViolationError

from support import parse_ts


async def test_revoke_managed_secret_grant(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="x")
        )
        res = await app.revoke_grant(r.grant_id, reason="rotating")
        assert isinstance(res, RevokeGrantResult)
        assert res.success is True
        assert res.grant_id == r.grant_id
        assert res.message
        revoked_at = parse_ts(res.revoked_at)
        assert abs((datetime.now(timezone.utc) - revoked_at).total_seconds()) < 120

        (item,) = (await app.list_grants()).grants
        assert item.status == "revoked"
        assert (await app.list_grants(status="revoked")).total == 1
        assert (await app.list_grants(status="active")).total == 0


async def test_revoke_oauth_grant(tenant, admin):
    gid = admin.oauth_grant(tenant.app_id, "google", {"type": "system"}, label=f"g-{tenant.tag}")
    async with App(tenant.app_key) as app:
        res = await app.revoke_grant(gid)
        assert res.success is True and res.grant_id == gid
        (item,) = (await app.list_grants(provider_id="google")).grants
        assert item.status == "revoked"
        with pytest.raises(GrantRevokedError):
            await app.revoke_grant(gid)


async def test_revoke_uppercase_id_is_lowercased(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
        res = await app.revoke_grant(r.grant_id.upper())
        assert res.grant_id == r.grant_id


async def test_revoke_unknown_grant_is_not_found(tenant):
    async with App(tenant.app_key) as app:
        with pytest.raises(GrantNotFoundError) as ei:
            await app.revoke_grant(str(uuid.uuid4()))
        assert ei.value.status_code == 404


async def test_revoke_by_agent_caller_is_refused(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
    for kwargs in ({"api_key": tenant.agent_key},
                   {"api_key": tenant.app_key, "caller": tenant.agent_id, "caller_type": "agent"}):
        async with App(**kwargs) as agent_app:
            with pytest.raises(PolicyViolationError):
                await agent_app.revoke_grant(r.grant_id)
    async with App(tenant.app_key) as app:
        (item,) = (await app.list_grants()).grants
        assert item.status == "active"


async def test_revoke_with_user_token_getter_scopes_to_that_user(tenant):
    alice = tenant.user_token("alice", ["eng"])
    bob = tenant.user_token("bob")
    async with App(tenant.app_key) as app:
        ra = await app.create_managed_secret_grant(
            tenant.ms_id, principal=UserPrincipal(user_token=alice, label="a")
        )
        rg = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=GroupPrincipal(external_group_id="eng", idp_id=tenant.idp_id, label="g"),
        )
        rs = await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
    async with App(tenant.app_key, user_token_getter=lambda: bob) as as_bob:
        for gid in (ra.grant_id, rg.grant_id, rs.grant_id):
            with pytest.raises(GrantNotFoundError):
                await as_bob.revoke_grant(gid)
    async with App(tenant.app_key, user_token_getter=lambda: alice) as as_alice:
        assert (await as_alice.revoke_grant(ra.grant_id)).success is True


async def test_revoke_is_audited_with_reason(tenant, admin):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="aud")
        )
        await app.revoke_grant(r.grant_id, reason="offboarding")
    recs = [x for x in admin.audit(tenant.app_id) if x["grant_id"] == r.grant_id]
    actions = [x["action"] for x in recs]
    assert sorted(actions) == ["grant.create", "grant.revoke"]
    (rev,) = [x for x in recs if x["action"] == "grant.revoke"]
    assert rev["reason"] == "offboarding"
