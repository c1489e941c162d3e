# pyright: strict
"""A typed user's code: each branch of a check on ``grant_kind``, of a ``match`` on the item
classes and of a check on a principal's ``type`` has the right type. ``scripts/test.sh`` runs
mypy --strict and pyright strict over this file; ``test_typed.py`` runs it against a server.
Unknown kinds get a branch of their own: leaving one out fails ``assert_never``."""

from __future__ import annotations

from typing import assert_never

import grantline


def by_kind(item: grantline.GrantItem) -> str:
    if item.grant_kind == "managed_secret":
        return f"managed_secret {item.managed_secret_slug} {item.credential_kind}"
    elif item.grant_kind == "oauth":
        return f"oauth {item.provider_id} {','.join(item.scopes)}"
    elif item.grant_kind == "unknown":
        return f"unknown {item.raw_grant_kind} {sorted(item.fields)}"
    else:
        assert_never(item)


def by_class(item: grantline.GrantItem) -> str:
    match item:
        case grantline.ManagedSecretGrantItem(grant_id, slug, label):
            return f"managed_secret {slug} {item.credential_kind} {label} {grant_id == item.grant_id}"
        case grantline.OAuthGrantItem(provider_id=provider):
            return f"oauth {provider} {','.join(item.scopes)}"
        case grantline.UnknownGrantItem(raw_kind, grant_id):
            return f"unknown {raw_kind} {grant_id == item.grant_id}"
        case _:
            assert_never(item)


def principal_line(p: grantline.Principal) -> str:
    if p.type == "user":
        return f"user label={p.label} token={len(p.user_token)} chars"
    elif p.type == "group":
        return f"group {p.external_group_id}@{p.idp_id}"
    elif p.type == "system":
        return f"system {p.label}"
    elif p.type == "agent":
        return f"agent {p.label}"
    else:
        assert_never(p)


async def list_lines(app: grantline.App) -> list[str]:
    page = await app.list_grants(limit=100)
    return [f"{by_kind(i)} | {by_class(i)}" for i in page.grants]
