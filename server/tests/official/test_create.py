"""create_managed_secret_grant through the official client: every principal kind, policy, errors."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from alter_sdk import (
    AgentPrincipal,
    App,
    BackendError,
    CreateGrantResult,
    GrantNotFoundError,
    GroupPrincipal,
    ManagedSecretGrantItem,
    PolicyViolationError,
    SystemPrincipal,
    UserPrincipal,
)
from alter_sdk.exceptions import AlterValueError

from support import is_uuid, label, parse_ts


def _assert_created(r: object, principal_type: str, lbl: str | None, credential_id: str) -> None:
    assert isinstance(r, CreateGrantResult)
    assert is_uuid(r.grant_id), r.grant_id
    assert r.principal_type == principal_type
    assert r.label == lbl
    assert r.credential_id == credential_id
    created = parse_ts(r.created_at)
    assert abs((datetime.now(timezone.utc) - created).total_seconds()) < 120


async def _one(app: App, grant_id: str) -> ManagedSecretGrantItem:
    page = await app.list_grants(limit=1000)
    found = [g for g in page.grants if g.grant_id == grant_id]
    assert len(found) == 1, f"grant {grant_id} not listed exactly once"
    return found[0]


# ── the dev tenant itself (what `grantline-server dev` prints) ──────────────────


async def test_dev_tenant_user_grant(dev):
    async with App(dev["app_key"]) as app:
        lbl = label()
        r = await app.create_managed_secret_grant(
            dev["managed_secret_id"],
            principal=UserPrincipal(user_token=dev["user_token"], label=lbl),
        )
        _assert_created(r, "user", lbl, dev["credential_id"])
        item = await _one(app, r.grant_id)
        assert isinstance(item, ManagedSecretGrantItem)
        assert item.managed_secret_id == dev["managed_secret_id"]
        assert item.managed_secret_slug == dev["managed_secret_slug"]
        assert item.principal_type == "user"
        assert item.status == "active"


async def test_dev_tenant_group_grant(dev):
    async with App(dev["app_key"]) as app:
        lbl = label()
        r = await app.create_managed_secret_grant(
            dev["managed_secret_id"],
            principal=GroupPrincipal(
                external_group_id=dev["group_id"], idp_id=dev["idp_id"], label=lbl
            ),
        )
        _assert_created(r, "group", lbl, dev["credential_id"])


# ── one fresh tenant per test ──────────────────────────────────────────────────


async def test_user_principal(tenant):
    tok = tenant.user_token("alice", ["eng"])
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=UserPrincipal(user_token=tok, label="alice-main")
        )
        _assert_created(r, "user", "alice-main", tenant.credential_id)
        item = await _one(app, r.grant_id)
        assert item.principal_type == "user"
        assert item.label == "alice-main"
        assert item.credential_id == tenant.credential_id
        assert item.credential_kind == "developer"
        assert item.credential_label == "default"
        assert item.managed_secret_name == tenant.ms_name
        assert item.grant_expires_at is None
        assert item.agent_id is None


async def test_group_principal(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=GroupPrincipal(external_group_id="eng", idp_id=tenant.idp_id, label="eng"),
        )
        _assert_created(r, "group", "eng", tenant.credential_id)
        item = await _one(app, r.grant_id)
        assert item.principal_type == "group"


async def test_group_principal_idp_id_uppercase_is_same_idp(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=GroupPrincipal(
                external_group_id="ops", idp_id=tenant.idp_id.upper(), label="ops"
            ),
        )
        assert r.principal_type == "group"


async def test_system_principal_with_and_without_label(tenant):
    async with App(tenant.app_key) as app:
        r1 = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="cron")
        )
        _assert_created(r1, "system", "cron", tenant.credential_id)
        # An unset label is sent as "label": null; the key must come back (null is fine).
        r2 = await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
        _assert_created(r2, "system", None, tenant.credential_id)
        assert r1.grant_id != r2.grant_id


async def test_system_principal_unlabelled_twice_is_allowed(tenant):
    # Sibling uniqueness is per label; grants without a label are not siblings.
    async with App(tenant.app_key) as app:
        a = await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
        b = await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
        assert a.grant_id != b.grant_id


async def test_agent_principal_via_caller_impersonation(tenant):
    # The official App with caller=<agent uuid>, caller_type="agent": the agent issues for itself.
    async with App(tenant.app_key, caller=tenant.agent_id, caller_type="agent") as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=AgentPrincipal(label="self")
        )
        _assert_created(r, "agent", "self", tenant.credential_id)
    async with App(tenant.app_key) as app:
        item = await _one(app, r.grant_id)
        assert item.principal_type == "agent"
        assert item.agent_id == tenant.agent_id


async def test_agent_principal_with_agent_key(tenant):
    # An agent key (alter_ak_) used through the official App class.
    async with App(tenant.agent_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=AgentPrincipal(label="own")
        )
        _assert_created(r, "agent", "own", tenant.credential_id)


async def test_agent_principal_without_agent_caller_is_422(tenant):
    async with App(tenant.app_key) as app:
        with pytest.raises(BackendError) as ei:
            await app.create_managed_secret_grant(tenant.ms_id, principal=AgentPrincipal())
        assert type(ei.value) is BackendError
        assert ei.value.status_code == 422
        # nothing was stored
        assert (await app.list_grants()).total == 0


async def test_agent_caller_may_only_grant_itself(tenant):
    async with App(tenant.agent_key) as app:
        with pytest.raises(PolicyViolationError) as ei:
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=SystemPrincipal(label="x")
            )
        assert ei.value.policy_error == "agent_self_grant_only"
    async with App(tenant.app_key, caller=tenant.agent_id, caller_type="agent") as app:
        with pytest.raises(PolicyViolationError):
            await app.create_managed_secret_grant(
                tenant.ms_id,
                principal=UserPrincipal(user_token=tenant.user_token("bob"), label="b"),
            )
    async with App(tenant.app_key) as app:
        assert (await app.list_grants()).total == 0


async def test_service_caller_is_an_app_caller(tenant):
    # caller="billing-cron" (type service) is still the app: it may grant to the system.
    async with App(tenant.app_key, caller="billing-cron") as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="billing")
        )
        assert r.principal_type == "system"


# ── grant_policy ────────────────────────────────────────────────────────────────


async def test_policy_max_ttl(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=SystemPrincipal(label="ttl"),
            grant_policy={"max_ttl_seconds": 3600},
        )
        item = await _one(app, r.grant_id)
        assert item.grant_expires_at is not None
        delta = parse_ts(item.grant_expires_at) - parse_ts(r.created_at)
        assert abs(delta.total_seconds() - 3600) < 1, delta
        assert item.grant_policy is not None
        assert item.grant_policy.get("max_ttl_seconds") == 3600
        assert item.status == "active"


async def test_policy_expires_at(tenant):
    at = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=SystemPrincipal(label="abs"),
            grant_policy={"expires_at": at.isoformat().replace("+00:00", "Z")},
        )
        item = await _one(app, r.grant_id)
        assert parse_ts(item.grant_expires_at) == at


async def test_policy_earliest_bound_wins(tenant):
    far = datetime.now(timezone.utc) + timedelta(days=30)
    near = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0)
    async with App(tenant.app_key) as app:
        r1 = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=SystemPrincipal(label="ttl-wins"),
            grant_policy={"expires_at": far.isoformat(), "max_ttl_seconds": 600},
        )
        i1 = await _one(app, r1.grant_id)
        d = parse_ts(i1.grant_expires_at) - parse_ts(r1.created_at)
        assert abs(d.total_seconds() - 600) < 1
        r2 = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=SystemPrincipal(label="abs-wins"),
            grant_policy={"expires_at": near.isoformat(), "max_ttl_seconds": 86400},
        )
        i2 = await _one(app, r2.grant_id)
        assert parse_ts(i2.grant_expires_at) == near


async def test_policy_default_ttl_alone_sets_no_grant_end(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=SystemPrincipal(label="dflt"),
            grant_policy={"default_ttl_seconds": 60},
        )
        item = await _one(app, r.grant_id)
        assert item.grant_expires_at is None
        assert item.grant_policy == {"default_ttl_seconds": 60}


async def test_policy_ttl_ends_and_status_becomes_expired(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=SystemPrincipal(label="short"),
            grant_policy={"max_ttl_seconds": 1},
        )
        time.sleep(1.3)
        item = await _one(app, r.grant_id)
        assert item.status == "expired"
        # An expired grant gives its label up: the same label can be issued again.
        r2 = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="short")
        )
        assert r2.grant_id != r.grant_id


@pytest.mark.parametrize(
    "policy",
    [
        {"expires_at": "2001-01-01T00:00:00Z"},  # in the past
        {"max_ttl_seconds": 60, "default_ttl_seconds": 120},  # default > max
    ],
    ids=["expires_at-in-past", "default-over-max"],
)
async def test_policy_rejected_by_server_is_backend_error_422(tenant, policy):
    async with App(tenant.app_key) as app:
        with pytest.raises(BackendError) as ei:
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=SystemPrincipal(label="p"), grant_policy=policy
            )
        assert type(ei.value) is BackendError
        assert ei.value.status_code == 422
        assert (await app.list_grants()).total == 0


async def test_policy_unknown_key_rejected_locally(tenant):
    async with App(tenant.app_key) as app:
        with pytest.raises(AlterValueError):
            await app.create_managed_secret_grant(
                tenant.ms_id, principal=SystemPrincipal(), grant_policy={"maxTtlSeconds": 5}
            )


# ── not found / bad input ──────────────────────────────────────────────────────


async def test_unknown_managed_secret_is_grant_not_found(tenant):
    async with App(tenant.app_key) as app:
        with pytest.raises(GrantNotFoundError) as ei:
            await app.create_managed_secret_grant(
                str(uuid.uuid4()), principal=SystemPrincipal(label="x")
            )
        assert ei.value.status_code == 404


async def test_managed_secret_slug_is_not_an_id(tenant):
    # The create path takes the provider's id, not its slug.
    async with App(tenant.app_key) as app:
        with pytest.raises(GrantNotFoundError):
            await app.create_managed_secret_grant(
                tenant.ms_slug, principal=SystemPrincipal(label="x")
            )


async def test_unknown_credential_id_is_grant_not_found(tenant):
    other_ms, _, other_creds = tenant.new_managed_secret()
    async with App(tenant.app_key) as app:
        for cred in (str(uuid.uuid4()), other_creds[0]):
            with pytest.raises(GrantNotFoundError):
                await app.create_managed_secret_grant(
                    tenant.ms_id, principal=SystemPrincipal(label="x"), credential_id=cred
                )
        assert (await app.list_grants()).total == 0


async def test_provider_without_developer_credential_is_grant_not_found(tenant):
    ms, _, _ = tenant.new_managed_secret(credentials=0)
    async with App(tenant.app_key) as app:
        with pytest.raises(GrantNotFoundError):
            await app.create_managed_secret_grant(ms, principal=SystemPrincipal(label="x"))


async def test_group_principal_unknown_idp_is_422(tenant):
    async with App(tenant.app_key) as app:
        for idp in (str(uuid.uuid4()), "not-a-uuid"):
            with pytest.raises(BackendError) as ei:
                await app.create_managed_secret_grant(
                    tenant.ms_id,
                    principal=GroupPrincipal(external_group_id="eng", idp_id=idp, label="g"),
                )
            assert type(ei.value) is BackendError
            assert ei.value.status_code == 422


async def test_explicit_credential_id_uppercase(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id,
            principal=SystemPrincipal(label="u"),
            credential_id=tenant.credential_id.upper(),
        )
        assert r.credential_id == tenant.credential_id


async def test_audit_records_create(tenant, admin):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="audited")
        )
    recs = [x for x in admin.audit(tenant.app_id) if x["grant_id"] == r.grant_id]
    assert [x["action"] for x in recs] == ["grant.create"]
    assert recs[0]["principal_type"] == "system"
    assert recs[0]["label"] == "audited"


# ── app TTL ceiling, round trips ───────────────────────────────────────────────


async def test_app_ttl_ceiling_applies_on_top(tenant, admin):
    admin.call("PUT", f"/admin/apps/{tenant.app_id}/ttl-ceiling", {"max_ttl_seconds": 120})
    async with App(tenant.app_key) as app:
        plain = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="no-policy")
        )
        longer = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="longer"),
            grant_policy={"max_ttl_seconds": 3600},
        )
        shorter = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="shorter"),
            grant_policy={"max_ttl_seconds": 30},
        )
        for r, ttl in ((plain, 120), (longer, 120), (shorter, 30)):
            item = await _one(app, r.grant_id)
            assert item.grant_expires_at is not None, r.label
            d = parse_ts(item.grant_expires_at) - parse_ts(r.created_at)
            assert abs(d.total_seconds() - ttl) < 1, (r.label, d)


async def test_create_result_matches_listing(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=SystemPrincipal(label="same")
        )
        item = await _one(app, r.grant_id)
        assert parse_ts(item.created_at) == parse_ts(r.created_at)
        assert item.label == r.label and item.principal_type == r.principal_type
        assert item.credential_id == r.credential_id


@pytest.mark.parametrize(
    "lbl", ["café ☕", "𝄞 clef", "x" * 255, "é" * 255, "𝄞" * 255],
    ids=["bmp", "astral", "255-ascii", "255-bmp", "255-astral"],
)
async def test_non_ascii_and_maximal_labels_round_trip(tenant, lbl):
    tok = tenant.user_token("unicode")
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=UserPrincipal(user_token=tok, label=lbl)
        )
        assert r.label == lbl
        page = await app.list_grants(label=lbl)
        assert [g.label for g in page.grants] == [lbl]
