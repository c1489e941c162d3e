"""Concurrent official-client calls: the rules hold under races (labels, revoke, totals)."""

from __future__ import annotations

import asyncio

from alter_sdk import App, SiblingLabelConflictError, SystemPrincipal, UserPrincipal
from alter_sdk.exceptions import GrantRevokedError


async def test_concurrent_same_label_exactly_one_wins(tenant):
    tok = tenant.user_token("racer")
    async with App(tenant.app_key) as app:
        results = await asyncio.gather(
            *(
                app.create_managed_secret_grant(
                    tenant.ms_id, principal=UserPrincipal(user_token=tok, label="race")
                )
                for _ in range(12)
            ),
            return_exceptions=True,
        )
        ok = [r for r in results if not isinstance(r, BaseException)]
        conflicts = [r for r in results if isinstance(r, SiblingLabelConflictError)]
        others = [r for r in results if isinstance(r, BaseException)
                  and not isinstance(r, SiblingLabelConflictError)]
        assert not others, others
        assert len(ok) == 1 and len(conflicts) == 11
        page = await app.list_grants(label="race")
        assert page.total == 1 and page.grants[0].grant_id == ok[0].grant_id


async def test_concurrent_creates_are_all_counted(tenant):
    async with App(tenant.app_key) as app:
        await asyncio.gather(
            *(
                app.create_managed_secret_grant(
                    tenant.ms_id, principal=SystemPrincipal(label=f"c{i}")
                )
                for i in range(20)
            )
        )
        page = await app.list_grants(limit=7)
        assert page.total == 20 and page.has_more is True
        assert (await app.list_grants(limit=1000)).total == 20


async def test_concurrent_revoke_exactly_one_succeeds(tenant):
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(tenant.ms_id, principal=SystemPrincipal())
        results = await asyncio.gather(
            *(app.revoke_grant(r.grant_id) for _ in range(8)), return_exceptions=True
        )
        ok = [x for x in results if not isinstance(x, BaseException)]
        revoked = [x for x in results if isinstance(x, GrantRevokedError)]
        assert len(ok) == 1 and len(revoked) == 7, results
