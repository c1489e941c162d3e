"""list_grants through the official client: both grant kinds, filters, pagination, visibility."""

from __future__ import annotations

import time

import pytest
from alter_sdk import (
    App,
    GroupPrincipal,
    ManagedSecretGrantItem,
    OAuthGrantItem,
    SystemPrincipal,
    UnifiedGrantListResult,
    UserPrincipal,
)

from support import all_pages, is_uuid, parse_ts


@pytest.fixture
async def mixed(tenant, admin):
    """A tenant with 2 managed-secret providers and OAuth grants on two providers.

    managed secret A (tenant.ms): alice "a1", alice "a2", group eng "eng", system "sys", agent "bot"
    managed secret B:            system "sys", bob "b1"
    oauth google:  alice (work@acme.com, label "work"), system (ops@acme.com, label "ops")
    oauth github:  system (ops@acme.com, label "ops"), agent (bot@acme.com, label "bot")
    """
    t = tenant
    ms_b, slug_b, _ = t.new_managed_secret(name=t.ms_name)  # same display name, other slug
    alice = t.user_token("alice", ["eng"])
    bob = t.user_token("bob", ["sales"])
    ids: dict[str, str] = {}
    # tenant-unique: a system OAuth label must not collide across tenants (FINDINGS.md #1)
    ops = f"ops-{t.tag}"

    async def create() -> None:
        async with App(t.app_key) as app:
            c = app.create_managed_secret_grant
            ids["a1"] = (await c(t.ms_id, principal=UserPrincipal(user_token=alice, label="a1"))).grant_id
            ids["a2"] = (await c(t.ms_id, principal=UserPrincipal(user_token=alice, label="a2"))).grant_id
            ids["eng"] = (await c(t.ms_id, principal=GroupPrincipal(
                external_group_id="eng", idp_id=t.idp_id, label="eng"))).grant_id
            ids["sys"] = (await c(t.ms_id, principal=SystemPrincipal(label="sys"))).grant_id
            ids["b_sys"] = (await c(ms_b, principal=SystemPrincipal(label="sys"))).grant_id
            ids["b1"] = (await c(ms_b, principal=UserPrincipal(user_token=bob, label="b1"))).grant_id
        async with App(t.app_key, caller=t.agent_id, caller_type="agent") as as_agent:
            from alter_sdk import AgentPrincipal

            ids["bot"] = (await as_agent.create_managed_secret_grant(
                t.ms_id, principal=AgentPrincipal(label="bot"))).grant_id

    await create()
    ids["g_alice"] = admin.oauth_grant(
        t.app_id, "google", {"type": "user", "sub": "alice", "idp_id": t.idp_id},
        label="work", account_identifier="work@acme.com", account_display_name="Alice Work",
        scopes=["email", "calendar"],
    )
    ids["g_sys"] = admin.oauth_grant(
        t.app_id, "google", {"type": "system"}, label=ops, account_identifier="ops@acme.com",
    )
    ids["gh_sys"] = admin.oauth_grant(
        t.app_id, "github", {"type": "system"}, label=ops, account_identifier="ops@acme.com",
        scopes=["repo"],
    )
    ids["gh_bot"] = admin.oauth_grant(
        t.app_id, "github", {"type": "agent", "agent_id": t.agent_id}, label="bot",
        account_identifier="bot@acme.com",
    )
    return {"ops": ops, "t": t, "ids": ids, "alice": alice, "bob": bob, "slug_b": slug_b, "ms_b": ms_b}


def _ids(page: UnifiedGrantListResult) -> set[str]:
    return {g.grant_id for g in page.grants}


async def test_both_kinds_parse(mixed):
    t, ids = mixed["t"], mixed["ids"]
    async with App(t.app_key) as app:
        page = await app.list_grants()
    assert isinstance(page, UnifiedGrantListResult)
    assert page.total == len(ids) == 11
    assert page.has_more is False and page.limit == 100 and page.offset == 0
    assert _ids(page) == set(ids.values())
    by_id = {g.grant_id: g for g in page.grants}
    for key in ("g_alice", "g_sys", "gh_sys", "gh_bot"):
        assert isinstance(by_id[ids[key]], OAuthGrantItem), key
    for key in ("a1", "a2", "eng", "sys", "b_sys", "b1", "bot"):
        assert isinstance(by_id[ids[key]], ManagedSecretGrantItem), key

    g = by_id[ids["g_alice"]]
    assert g.grant_kind == "oauth" and g.provider_id == "google"
    assert g.principal_type == "user"
    assert g.label == "work"
    assert g.account_identifier == "work@acme.com"
    assert g.account_display_name == "Alice Work"
    assert sorted(g.scopes) == ["calendar", "email"]
    assert g.status == "active"
    assert by_id[ids["gh_bot"]].principal_type == "agent"

    m = by_id[ids["eng"]]
    assert m.grant_kind == "managed_secret"
    assert m.managed_secret_id == t.ms_id
    assert m.managed_secret_slug == t.ms_slug
    assert m.managed_secret_name == t.ms_name
    assert m.principal_type == "group"
    assert m.access_via == "ownership"
    assert by_id[ids["bot"]].agent_id == t.agent_id
    assert by_id[ids["b1"]].managed_secret_slug == mixed["slug_b"]
    for item in page.grants:
        assert is_uuid(item.grant_id)
        parse_ts(item.created_at)


async def test_order_is_created_at_desc(mixed):
    async with App(mixed["t"].app_key) as app:
        page = await app.list_grants()
    keys = [(parse_ts(g.created_at), g.grant_id) for g in page.grants]
    assert keys == sorted(keys, reverse=True)


async def test_filter_provider_id_slug_and_oauth(mixed):
    t, ids = mixed["t"], mixed["ids"]
    async with App(t.app_key) as app:
        a = await app.list_grants(provider_id=t.ms_slug)
        assert _ids(a) == {ids[k] for k in ("a1", "a2", "eng", "sys", "bot")}
        assert a.total == 5
        b = await app.list_grants(provider_id=mixed["slug_b"])
        assert _ids(b) == {ids["b_sys"], ids["b1"]}
        google = await app.list_grants(provider_id="google")
        assert _ids(google) == {ids["g_alice"], ids["g_sys"]}
        assert all(isinstance(g, OAuthGrantItem) for g in google.grants)
        github = await app.list_grants(provider_id="github")
        assert _ids(github) == {ids["gh_sys"], ids["gh_bot"]}
        none = await app.list_grants(provider_id="nonexistent")
        assert none.grants == [] and none.total == 0 and none.has_more is False
        # the display name is not a filter key (two providers share it)
        assert (await app.list_grants(provider_id=t.ms_name)).total == 0
        # the provider's id is not the filter key either
        assert (await app.list_grants(provider_id=t.ms_id)).total == 0


async def test_filter_label_account_and_combined(mixed):
    t, ids = mixed["t"], mixed["ids"]
    async with App(t.app_key) as app:
        assert _ids(await app.list_grants(label="sys")) == {ids["sys"], ids["b_sys"]}
        assert _ids(await app.list_grants(label=mixed["ops"])) == {ids["g_sys"], ids["gh_sys"]}
        assert _ids(await app.list_grants(account="ops@acme.com")) == {ids["g_sys"], ids["gh_sys"]}
        assert _ids(await app.list_grants(account="work@acme.com")) == {ids["g_alice"]}
        both = await app.list_grants(provider_id="github", account="ops@acme.com", label=mixed["ops"])
        assert _ids(both) == {ids["gh_sys"]} and both.total == 1
        assert (await app.list_grants(provider_id="google", label="bot")).total == 0
        assert _ids(await app.list_grants(provider_id=t.ms_slug, label="sys")) == {ids["sys"]}


async def test_filter_status(mixed):
    t, ids = mixed["t"], mixed["ids"]
    async with App(t.app_key) as app:
        await app.revoke_grant(ids["a2"])
        await app.revoke_grant(ids["gh_sys"])
        exp = await app.create_managed_secret_grant(
            t.ms_id, principal=SystemPrincipal(label="exp"), grant_policy={"max_ttl_seconds": 1}
        )
        time.sleep(1.3)
        revoked = await app.list_grants(status="revoked")
        assert _ids(revoked) == {ids["a2"], ids["gh_sys"]}
        assert all(g.status == "revoked" for g in revoked.grants)
        expired = await app.list_grants(status="expired")
        assert _ids(expired) == {exp.grant_id}
        assert expired.grants[0].status == "expired"
        active = await app.list_grants(status="active")
        assert active.total == 9
        assert all(g.status == "active" for g in active.grants)
        assert _ids(await app.list_grants(status="revoked", provider_id="github")) == {ids["gh_sys"]}
        assert (await app.list_grants()).total == 12


async def test_end_user_token_visibility(mixed):
    t, ids = mixed["t"], mixed["ids"]
    async with App(t.app_key) as app:
        page = await app.list_grants(end_user_token=mixed["alice"])
        # alice's own grants (both kinds) and her group's
        assert _ids(page) == {ids["a1"], ids["a2"], ids["eng"], ids["g_alice"]}
        assert page.total == 4
        bob = await app.list_grants(end_user_token=mixed["bob"])
        assert _ids(bob) == {ids["b1"]}
        # filters still apply on top
        f = await app.list_grants(end_user_token=mixed["alice"], provider_id="google")
        assert _ids(f) == {ids["g_alice"]}
    async with App(t.app_key, user_token_getter=lambda: mixed["alice"]) as as_alice:
        page = await as_alice.list_grants(limit=2)
        assert page.total == 4 and page.has_more is True and len(page.grants) == 2


async def test_group_grant_reaches_future_members(mixed):
    t, ids = mixed["t"], mixed["ids"]
    carol = t.user_token("carol", ["eng", "unknown-group"])  # first seen after the grant
    async with App(t.app_key) as app:
        assert _ids(await app.list_grants(end_user_token=carol)) == {ids["eng"]}


async def test_pagination_several_pages(tenant, admin):
    t = tenant
    async with App(t.app_key) as app:
        created = []
        for i in range(23):
            r = await app.create_managed_secret_grant(
                t.ms_id, principal=SystemPrincipal(label=f"s{i:02d}")
            )
            created.append(r.grant_id)
    for i in range(4):
        created.append(admin.oauth_grant(t.app_id, "slack", {"type": "system"}, label=f"o{i}"))
    async with App(t.app_key) as app:
        for limit in (1, 5, 10, 27, 100):
            items = await all_pages(app, limit)
            assert [g.grant_id for g in items] == [
                g.grant_id for g in (await app.list_grants(limit=1000)).grants
            ]
            assert {g.grant_id for g in items} == set(created)
            assert len(items) == 27

        p1 = await app.list_grants(limit=10)
        assert (len(p1.grants), p1.total, p1.has_more) == (10, 27, True)
        p3 = await app.list_grants(limit=10, offset=20)
        assert (len(p3.grants), p3.total, p3.has_more) == (7, 27, False)
        exact = await app.list_grants(limit=10, offset=27)
        assert (exact.grants, exact.total, exact.has_more) == ([], 27, False)
        beyond = await app.list_grants(limit=10, offset=500)
        assert (beyond.grants, beyond.total, beyond.has_more, beyond.offset) == ([], 27, False, 500)

        # filtered pagination: totals count only the matches
        ms_items = await all_pages(app, 4, provider_id=t.ms_slug)
        assert len(ms_items) == 23
        assert all(isinstance(g, ManagedSecretGrantItem) for g in ms_items)
        oauth_items = await all_pages(app, 3, provider_id="slack")
        assert len(oauth_items) == 4
        assert all(isinstance(g, OAuthGrantItem) for g in oauth_items)
        f = await app.list_grants(provider_id=t.ms_slug, limit=10, offset=10)
        assert (len(f.grants), f.total, f.has_more) == (10, 23, True)
        f_beyond = await app.list_grants(provider_id=t.ms_slug, limit=10, offset=100)
        assert (f_beyond.grants, f_beyond.total, f_beyond.has_more) == ([], 23, False)

        # revoke some: status-filtered pages
        for gid in created[:6]:
            await app.revoke_grant(gid)
        assert len(await all_pages(app, 4, status="active")) == 21
        assert len(await all_pages(app, 4, status="revoked")) == 6


async def test_list_limits_accepted(tenant):
    async with App(tenant.app_key) as app:
        for limit in (1, 1000):
            page = await app.list_grants(limit=limit)
            assert page.limit == limit and page.total == 0


async def test_user_visibility_follows_the_tokens_groups_and_idp(mixed, admin):
    t, ids = mixed["t"], mixed["ids"]
    # alice without the "eng" group in this token: only her own grants
    alice_solo = t.user_token("alice", [])
    async with App(t.app_key) as app:
        assert _ids(await app.list_grants(end_user_token=alice_solo)) == {
            ids["a1"], ids["a2"], ids["g_alice"]}
    # a second IDP of the same app with its own "eng" group and its own "alice"
    idp2 = admin.add_idp(t.app_id, f"https://idp2-{t.tag}.example", "aud2", "second-secret-0123456789")
    async with App(t.app_key) as app:
        g2 = await app.create_managed_secret_grant(
            t.ms_id, principal=GroupPrincipal(external_group_id="eng", idp_id=idp2, label="eng"))
        alice2 = admin.user_token(t.app_id, idp2, "alice", ["eng"])
        assert _ids(await app.list_grants(end_user_token=alice2)) == {g2.grant_id}
        assert _ids(await app.list_grants(end_user_token=mixed["alice"])) == {
            ids["a1"], ids["a2"], ids["eng"], ids["g_alice"]}
