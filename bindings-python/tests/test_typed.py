"""Runs tests/typed/narrowing.py (the typed user's script) against a real server, with an
item of every kind in one page."""

from __future__ import annotations

import json

from typed.narrowing import by_class, by_kind, list_lines, principal_line

import grantline
from conftest import Server

LIST = "/sdk/grants/list"


def _page(server: Server) -> str:
    def item(kind: str | None, **fields: object) -> dict[str, object]:
        base: dict[str, object] = {"grant_id": f"g-{kind}", "status": "active",
                                   "created_at": "2026-01-01T00:00:00Z",
                                   "principal_type": "system"}
        if kind is not None:
            base["grant_kind"] = kind
        return {**base, **fields}

    return json.dumps({
        "grants": [
            item("managed_secret", managed_secret_id=server.ms_id, managed_secret_slug="demo",
                 managed_secret_name="Demo", credential_kind="developer", label="ms"),
            item("oauth", provider_id="google", scopes=["email", "profile"]),
            item("connector", label="from-a-newer-server"),
            item(None),
        ],
        "total": 4, "limit": 100, "offset": 0, "has_more": False,
    })


async def test_every_kind_takes_its_own_branch(server: Server) -> None:
    server.clear_faults()
    server.fault(LIST, 200, 1, body=_page(server))
    lines = await list_lines(grantline.App(server.app_key, max_retries=0))
    assert lines == [
        "managed_secret demo developer | managed_secret demo developer ms True",
        "oauth google email,profile | oauth google email,profile",
        "unknown connector ['created_at', 'grant_id', 'grant_kind', 'label', 'principal_type',"
        " 'status'] | unknown connector True",
        "unknown None ['created_at', 'grant_id', 'principal_type', 'status'] | unknown None True",
    ]


async def test_real_items_and_principals(server: Server) -> None:
    app = grantline.App(server.app_key)
    await app.create_managed_secret_grant(
        server.ms_id, principal=grantline.SystemPrincipal(label="typed-user"))
    page = await app.list_grants(limit=5)
    assert page.grants and all(by_kind(i).split()[0] == i.grant_kind for i in page.grants)
    assert all(by_class(i).split()[0] == i.grant_kind for i in page.grants)
    assert principal_line(grantline.UserPrincipal(server.user_token, "u")).startswith("user ")
    assert principal_line(grantline.GroupPrincipal("eng", server.idp_id, "g")) == (
        f"group eng@{server.idp_id}")
    assert principal_line(grantline.SystemPrincipal("s")) == "system s"
    assert principal_line(grantline.AgentPrincipal()) == "agent None"
