"""No caller ever sees another app's data: other tenants' ids are 404 (never 403)."""

from __future__ import annotations

import pytest
from alter_sdk import (
    App,
    GrantNotFoundError,
    GroupPrincipal,
    SystemPrincipal,
    UserPrincipal,
)
from alter_sdk.exceptions import BackendError, ReAuthRequiredError

from conftest import AdminError


async def test_lists_are_per_tenant(tenant, other_tenant, admin):
    async with App(other_tenant.app_key) as other:
        await other.create_managed_secret_grant(
            other_tenant.ms_id, principal=SystemPrincipal(label="theirs")
        )
    admin.oauth_grant(other_tenant.app_id, "google", {"type": "system"})
    async with App(tenant.app_key) as app:
        await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal(label="ours"))
        page = await app.list_grants()
        assert page.total == 1 and page.grants[0].label == "ours"
        assert (await app.list_grants(provider_id=other_tenant.ms_slug)).total == 0
        assert (await app.list_grants(provider_id="google")).total == 0


async def test_other_tenants_grant_cannot_be_revoked(tenant, other_tenant, admin):
    async with App(other_tenant.app_key) as other:
        r = await other.create_managed_secret_grant(
            other_tenant.ms_id, principal=SystemPrincipal(label="theirs")
        )
    oauth = admin.oauth_grant(other_tenant.app_id, "google", {"type": "system"})
    async with App(tenant.app_key) as app:
        for gid in (r.grant_id, oauth):
            with pytest.raises(GrantNotFoundError) as ei:
                await app.revoke_grant(gid)
            assert ei.value.status_code == 404
    async with App(other_tenant.app_key) as other:
        assert (await other.list_grants(status="active")).total == 2


async def test_other_tenants_managed_secret_is_not_found(tenant, other_tenant):
    async with App(tenant.app_key) as app:
        with pytest.raises(GrantNotFoundError):
            await app.create_managed_secret_grant(
                other_tenant.ms_id, principal=SystemPrincipal(label="x")
            )
        # other tenant's credential on our provider
        with pytest.raises(GrantNotFoundError):
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=SystemPrincipal(label="x"),
                credential_id=other_tenant.credential_id,
            )
        assert (await app.list_grants()).total == 0


async def test_other_tenants_idp_and_user_token(tenant, other_tenant):
    async with App(tenant.app_key) as app:
        with pytest.raises(BackendError) as ei:
            await app.create_managed_secret_grant(
                tenant.ms_id,
                principal=GroupPrincipal(
                    external_group_id="eng", idp_id=other_tenant.idp_id, label="g"
                ),
            )
        assert ei.value.status_code == 422
        with pytest.raises(ReAuthRequiredError):
            await app.create_managed_secret_grant(
                tenant.ms_id,
                principal=UserPrincipal(user_token=other_tenant.user_token("alice"), label="u"),
            )
        assert (await app.list_grants()).total == 0


async def test_system_oauth_label_is_per_tenant(tenant, other_tenant, admin):
    """Two apps may each hold a system OAuth grant with the same provider and label.

    Sibling labels are per principal per provider *within an app*; another tenant's grant must
    neither block this one nor be revealed by a 409.
    """
    admin.oauth_grant(other_tenant.app_id, "notion", {"type": "system"}, label="shared-label")
    gid = admin.oauth_grant(tenant.app_id, "notion", {"type": "system"}, label="shared-label")
    async with App(tenant.app_key) as app:
        page = await app.list_grants(provider_id="notion", label="shared-label")
        assert [g.grant_id for g in page.grants] == [gid]
