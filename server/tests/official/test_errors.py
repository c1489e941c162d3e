"""The typed errors the official client must raise against grantline-server."""

from __future__ import annotations

import base64
import json

import pytest
from alter_sdk import (
    App,
    CredentialChoice,
    CredentialIdRequiredError,
    EndUserCredentialNotAssignableError,
    GroupPrincipal,
    ReAuthRequiredError,
    SiblingLabelConflictError,
    SystemPrincipal,
    UserPrincipal,
)
from alter_sdk.exceptions import (
    AgentInactiveError,
    AgentRevokedError,
    BackendError,
    GrantExpiredError,
    GrantRevokedError,
    InvalidKeyError,
    KeyRevokedError,
)

from conftest import make_tenant


# ── sibling labels ──────────────────────────────────────────────────────────────


async def test_sibling_label_conflict_user(tenant):
    tok = tenant.user_token("alice")
    async with App(tenant.app_key) as app:
        await app.create_managed_secret_grant(
            tenant.ms_id, principal=UserPrincipal(user_token=tok, label="main")
        )
        with pytest.raises(SiblingLabelConflictError) as ei:
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=UserPrincipal(user_token=tok, label="main")
            )
        assert ei.value.status_code == 409
        assert ei.value.label == "main"
        # A fresh token for the same user (same sub) is still the same principal.
        tok2 = tenant.user_token("alice", ["other"])
        with pytest.raises(SiblingLabelConflictError):
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=UserPrincipal(user_token=tok2, label="main")
            )
        page = await app.list_grants(label="main")
        assert page.total == 1


async def test_sibling_label_conflict_group_and_system(tenant):
    async with App(tenant.app_key) as app:
        g = GroupPrincipal(external_group_id="eng", idp_id=tenant.idp_id, label="shared")
        await app.create_managed_secret_grant(tenant.ms_id, principal=g)
        with pytest.raises(SiblingLabelConflictError) as ei:
            await app.create_managed_secret_grant(tenant.ms_id, principal=g)
        assert ei.value.label == "shared"

        await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal(label="s"))
        with pytest.raises(SiblingLabelConflictError):
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=SystemPrincipal(label="s")
            )


async def test_same_label_is_fine_for_other_principals_and_providers(tenant):
    ms2, _, _ = tenant.new_managed_secret()
    async with App(tenant.app_key) as app:
        alice = tenant.user_token("alice")
        bob = tenant.user_token("bob")
        await app.create_managed_secret_grant(
            tenant.ms_id, principal=UserPrincipal(user_token=alice, label="main")
        )
        # other user, same label
        await app.create_managed_secret_grant(
            tenant.ms_id, principal=UserPrincipal(user_token=bob, label="main")
        )
        # same user, same label, other provider
        await app.create_managed_secret_grant(
            ms2, principal=UserPrincipal(user_token=alice, label="main")
        )
        # same user, other label
        await app.create_managed_secret_grant(
            tenant.ms_id, principal=UserPrincipal(user_token=alice, label="second")
        )
        # a group and the system with that label
        await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=GroupPrincipal(external_group_id="eng", idp_id=tenant.idp_id, label="main"),
        )
        await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="main")
        )
        assert (await app.list_grants()).total == 6


async def test_revoked_sibling_gives_its_label_up(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="rot")
        )
        await app.revoke_grant(r.grant_id)
        r2 = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="rot")
        )
        assert r2.grant_id != r.grant_id


# ── credential choice ───────────────────────────────────────────────────────────


async def test_credential_id_required_lists_choices(tenant, admin):
    second = admin.add_credential(tenant.app_id, tenant.ms_id, "backup")
    end_user = admin.add_credential(tenant.app_id, tenant.ms_id, "alice-own", kind="end_user")
    async with App(tenant.app_key) as app:
        with pytest.raises(CredentialIdRequiredError) as ei:
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=SystemPrincipal(label="x")
            )
        err = ei.value
        assert err.status_code == 409
        got = {(c.credential_id, c.label) for c in err.credentials}
        # every active developer credential, and only those
        assert got == {(tenant.credential_id, "default"), (second, "backup")}
        assert all(isinstance(c, CredentialChoice) for c in err.credentials)
        assert end_user not in {c.credential_id for c in err.credentials}
        assert (await app.list_grants()).total == 0

        # Naming one of the choices works and is reflected in the result and the listing.
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="x"), credential_id=second
        )
        assert r.credential_id == second
        (item,) = (await app.list_grants()).grants
        assert item.credential_id == second
        assert item.credential_label == "backup"
        assert item.credential_kind == "developer"


async def test_end_user_credential_not_assignable(tenant, admin):
    end_user = admin.add_credential(tenant.app_id, tenant.ms_id, "alice-own", kind="end_user")
    async with App(tenant.app_key) as app:
        with pytest.raises(EndUserCredentialNotAssignableError) as ei:
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=SystemPrincipal(label="x"), credential_id=end_user
            )
        assert ei.value.status_code == 409
        # The sole developer credential is still implied (end-user ones do not count).
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="x")
        )
        assert r.credential_id == tenant.credential_id


async def test_only_end_user_credentials_is_not_found(tenant, admin):
    from alter_sdk import GrantNotFoundError

    ms = admin.add_managed_secret(tenant.app_id, "eu-only", "EU only")
    admin.add_credential(tenant.app_id, ms, "bob-own", kind="end_user")
    async with App(tenant.app_key) as app:
        with pytest.raises(GrantNotFoundError):
            await app.create_managed_secret_grant(ms, principal=SystemPrincipal(label="x"))


# ── user tokens ─────────────────────────────────────────────────────────────────


def _tamper(token: str) -> str:
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


@pytest.mark.parametrize("kind", ["garbage", "tampered", "other-tenant-idp", "expired"])
async def test_bad_user_token_is_reauth_required(tenant, admin, kind):
    if kind == "garbage":
        tok = "not-a-jwt"
    elif kind == "tampered":
        tok = _tamper(tenant.user_token("alice"))
    elif kind == "other-tenant-idp":
        tok = make_tenant(admin).user_token("alice")
    else:
        try:
            tok = tenant.user_token("alice", ttl_seconds=-120)
        except Exception:
            pytest.skip("admin API refuses negative ttl_seconds; cannot mint an expired token")
    async with App(tenant.app_key) as app:
        with pytest.raises(ReAuthRequiredError) as ei:
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=UserPrincipal(user_token=tok, label="x")
            )
        assert type(ei.value) is ReAuthRequiredError
        assert ei.value.status_code == 401
        with pytest.raises(ReAuthRequiredError):
            await app.list_grants(end_user_token=tok)
        assert (await app.list_grants()).total == 0


async def test_user_token_getter_bad_token_on_list(tenant):
    async with App(tenant.app_key, user_token_getter=lambda: "bad.token.here") as app:
        with pytest.raises(ReAuthRequiredError):
            await app.list_grants()


# ── keys and agents ─────────────────────────────────────────────────────────────


async def test_unknown_well_formed_key_is_invalid_key(dev):
    # a syntactically valid scoped key (valid checksum) that the server never minted
    key = "alter_rk_abcdefghijklmnopqrstuv_iwpykn"
    async with App(key) as app:
        with pytest.raises(InvalidKeyError):
            await app.list_grants()


async def test_revoked_key_is_key_revoked(tenant, admin):
    async with App(tenant.app_key) as app:
        await app.list_grants()
        admin.revoke_key(tenant.app_id, tenant.app_key_id)
        with pytest.raises(KeyRevokedError):
            await app.list_grants()


async def test_paused_and_revoked_agent_key(tenant, admin):
    async with App(tenant.agent_key) as agent_app:
        await agent_app.list_grants()
        admin.set_agent_status(tenant.app_id, tenant.agent_id, "paused")
        with pytest.raises(AgentInactiveError):
            await agent_app.list_grants()
        admin.set_agent_status(tenant.app_id, tenant.agent_id, "revoked")
        with pytest.raises(AgentRevokedError):
            await agent_app.list_grants()


async def test_revoke_twice_is_grant_revoked(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="x")
        )
        await app.revoke_grant(r.grant_id)
        with pytest.raises(GrantRevokedError) as ei:
            await app.revoke_grant(r.grant_id)
        assert type(ei.value) is GrantRevokedError
        assert not isinstance(ei.value, GrantExpiredError)
        assert ei.value.grant_id == r.grant_id


async def test_list_rejects_unknown_status_value(tenant):
    async with App(tenant.app_key) as app:
        with pytest.raises(BackendError) as ei:
            await app.list_grants(status="bogus")
        assert ei.value.status_code == 422
