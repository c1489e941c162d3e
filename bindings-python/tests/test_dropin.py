"""Code written for alter_sdk 0.29 runs unchanged with only the import switched to grantline."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import Server

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, uuid
    from {module} import App, SystemPrincipal, UserPrincipal, GroupPrincipal
    from {module} import SiblingLabelConflictError, GrantNotFoundError

    async def main():
        label = "dropin-" + uuid.uuid4().hex[:8]
        async with App(api_key=os.environ["KEY"]) as app:
            g = await app.create_managed_secret_grant(
                os.environ["MS"],
                principal=SystemPrincipal(label=label),
                grant_policy={{"max_ttl_seconds": 3600}},
            )
            u = await app.create_managed_secret_grant(
                os.environ["MS"],
                principal=UserPrincipal(user_token=os.environ["TOKEN"], label=label),
            )
            grp = await app.create_managed_secret_grant(
                os.environ["MS"],
                principal=GroupPrincipal(external_group_id="eng", idp_id=os.environ["IDP"], label=label),
            )
            try:
                await app.create_managed_secret_grant(
                    os.environ["MS"], principal=SystemPrincipal(label=label))
            except SiblingLabelConflictError:
                print("conflict")
            page = await app.list_grants(label=label, limit=10)
            kinds = sorted(i.principal_type for i in page.grants)
            print(page.total, kinds, [i.grant_kind for i in page.grants][0])
            r = await app.revoke_grant(g.grant_id, reason="done")
            print(r.success, r.grant_id == g.grant_id)
            try:
                await app.revoke_grant(str(uuid.uuid4()))
            except GrantNotFoundError:
                print("not found")
            agent = app.get_agent(os.environ["AGENT"])
            print((await agent.list_grants(limit=5)).limit)
            await agent.close()

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("module", ["alter_sdk", "grantline"])
def test_same_code_both_clients(server: Server, module: str) -> None:
    pytest.importorskip(module)
    env = dict(os.environ, KEY=server.app_key, MS=server.ms_id, TOKEN=server.user_token,
               IDP=server.idp_id, AGENT=server.agent_id, ALTER_BASE_URL=server.base_url)
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(module=module)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:5] == [
        "conflict",
        "3 ['group', 'system', 'user'] managed_secret",
        "True True",
        "not found",
        "5",
    ], out.stdout


async def test_model_dump_matches_the_official_models(server: Server) -> None:
    """`model_dump()` gives what alter_sdk's pydantic models give for the same server data."""
    import json
    import uuid

    alter_sdk = pytest.importorskip("alter_sdk")
    import grantline

    label = "dump-" + uuid.uuid4().hex[:8]
    ours, theirs = grantline.App(server.app_key), alter_sdk.App(api_key=server.app_key)
    made = await ours.create_managed_secret_grant(
        server.ms_id, principal=grantline.SystemPrincipal(label=label),
        grant_policy={"max_ttl_seconds": 3600})
    dump = made.model_dump()
    assert json.loads(json.dumps(dump)) == dump  # JSON-ready
    assert dump["grant_id"] == made.grant_id and dump["label"] == label
    page_ours, page_theirs = await ours.list_grants(label=label), await theirs.list_grants(label=label)
    assert page_ours.model_dump() == page_theirs.model_dump()
    assert page_ours.grants[0].to_dict() == page_theirs.grants[0].model_dump(mode="json")
    other = await ours.create_managed_secret_grant(
        server.ms_id, principal=grantline.SystemPrincipal(label=label + "-2"))
    mine, official = await ours.revoke_grant(made.grant_id), await theirs.revoke_grant(other.grant_id)
    shape = {k: type(v) for k, v in official.model_dump().items()}
    assert {k: type(v) for k, v in mine.model_dump().items()} == shape
    assert mine.model_dump()["grant_id"] == made.grant_id
    with pytest.raises(grantline.InvalidArgumentError):
        made.model_dump(mode="yaml")  # type: ignore[arg-type]
    await theirs.close()


#: What code written for alter_sdk 0.29 imports for the calls grantline covers (docs/wire.md §3).
OFFICIAL_NAMES = [
    "App", "Agent", "CallerType", "is_valid_key", "UserPrincipal", "GroupPrincipal",
    "SystemPrincipal", "AgentPrincipal", "Principal", "GrantPolicy", "GrantPolicyInput",
    "CreateGrantResult", "UnifiedGrantListResult", "GrantListItem", "OAuthGrantItem",
    "ManagedSecretGrantItem", "RevokeGrantResult", "CredentialChoice", "AlterSDKError",
    "AlterValueError", "BackendError", "ReAuthRequiredError", "GrantExpiredError",
    "GrantRevokedError", "GrantNotFoundError", "SiblingLabelConflictError",
    "CredentialIdRequiredError", "EndUserCredentialNotAssignableError", "RateLimitError",
    "AgentNotFoundError", "CallerAgentMismatchError", "CallerAgentResolutionError",
    "NetworkError", "TimeoutError",
]


def test_official_names_import() -> None:
    alter_sdk = pytest.importorskip("alter_sdk")
    import grantline

    assert all(hasattr(alter_sdk, n) for n in OFFICIAL_NAMES)  # the list itself is right
    missing = [n for n in OFFICIAL_NAMES if not hasattr(grantline, n)]
    assert not missing
    assert issubclass(grantline.TimeoutError, grantline.NetworkError)
    assert issubclass(grantline.EndUserCredentialNotAssignableError, grantline.BackendError)
