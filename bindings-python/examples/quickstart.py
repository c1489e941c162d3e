"""grantline quickstart: issue grants to a user, a group, the system and an agent, list, revoke;
then mint a sibling grant, delegate a grant to a second agent, which lists and then loses it,
and use a grant: a call to the demo provider with the credential injected.

Reads ALTER_BASE_URL, ALTER_APP_KEY, ALTER_AGENT_KEY, ALTER_AGENT_ID, ALTER_USER_TOKEN,
ALTER_IDP_ID, ALTER_GROUP_ID, ALTER_MANAGED_SECRET_ID, ALTER_AGENT2_ID, ALTER_AGENT2_KEY and
ALTER_PROVIDER_URL (`grantline-server dev --format env` prints them).
"""

from __future__ import annotations

import asyncio
import os
import uuid

from grantline import (
    Agent,
    AgentPrincipal,
    App,
    GroupPrincipal,
    ManagedSecretGrantItem,
    OAuthGrantItem,
    SystemPrincipal,
    UserPrincipal,
    blocking,
)


async def main() -> None:
    env = os.environ
    secret = env["ALTER_MANAGED_SECRET_ID"]
    run = uuid.uuid4().hex[:6]
    async with App(env["ALTER_APP_KEY"]) as app:
        user = await app.create_managed_secret_grant(
            secret,
            principal=UserPrincipal(user_token=env["ALTER_USER_TOKEN"], label=f"user-{run}"),
            grant_policy={"max_ttl_seconds": 3600},
        )
        print(f"granted to the user:   {user.grant_id}")
        group = await app.create_managed_secret_grant(
            secret,
            principal=GroupPrincipal(
                external_group_id=env["ALTER_GROUP_ID"], idp_id=env["ALTER_IDP_ID"],
                label=f"group-{run}",
            ),
        )
        print(f"granted to the group:  {group.grant_id}")
        system = await app.create_managed_secret_grant(
            secret, principal=SystemPrincipal(label=f"system-{run}")
        )
        print(f"granted to the system: {system.grant_id}")

        agent = app.get_agent(env["ALTER_AGENT_ID"])
        own = await agent.create_managed_secret_grant(
            secret, principal=AgentPrincipal(label=f"agent-{run}")
        )
        print(f"the agent granted itself: {own.grant_id}")
        async with Agent(env["ALTER_AGENT_KEY"]) as by_key:
            mine = await by_key.list_grants()
            print(f"the agent (own key) sees {mine.total} grant(s)")
            # The agent uses its grant: leased, injected, recorded (close() waits for the record).
            resp = await by_key.request(
                "GET", f"{env['ALTER_PROVIDER_URL']}/v1/whoami", grant_id=own.grant_id,
                reason="quickstart",
            )
            print(f"the agent called the demo provider: {resp.status_code} {resp.json()['path']}")

        page = await app.list_grants(limit=10)
        print(f"{page.total} grant(s); the newest:")
        for item in page.grants:
            match item:
                case ManagedSecretGrantItem(grant_id, slug, label):
                    print(f"  managed_secret {grant_id} on {slug} [{item.principal_type}] {label}")
                case OAuthGrantItem(grant_id, provider, label):
                    print(f"  oauth          {grant_id} via {provider} {label}")
                case _:
                    print(f"  {item.grant_kind} {item.grant_id}")

        revoked = await app.revoke_grant(system.grant_id, reason="quickstart")
        print(f"revoked {revoked.grant_id} at {revoked.revoked_at.isoformat()}")

        # A sibling of the user's grant: the same credential and user, its own label and policy.
        sibling = await app.mint_grant(
            user.grant_id, label=f"user-{run}-ci", grant_policy={"max_ttl_seconds": 600}
        )
        print(f"minted a sibling grant {sibling.grant_id} ({sibling.label}), "
              f"same credential {sibling.credential_id}")

        # The agent hands its grant to a second agent, which lists it, then loses it.
        second = env["ALTER_AGENT2_ID"]
        async with Agent(env["ALTER_AGENT_KEY"]) as first, Agent(env["ALTER_AGENT2_KEY"]) as other:
            d = await first.delegate(own.grant_id, second, ttl_seconds=600)
            print(f"the agent delegated its grant to {second}: {d.grant_id} (depth {d.depth})")
            (held,) = [g for g in (await other.list_grants()).grants
                       if isinstance(g, ManagedSecretGrantItem) and g.grant_id == d.grant_id]
            print(f"  the second agent lists it: {held.access_via}, parent {held.parent_grant_id}, "
                  f"{held.status}")
            await app.revoke_delegation(own.grant_id, second)
            (held,) = [g for g in (await other.list_grants()).grants
                       if isinstance(g, ManagedSecretGrantItem) and g.grant_id == d.grant_id]
            print(f"  after the app revoked the delegation: {held.status}")


def main_blocking() -> None:
    """The same calls without await, e.g. in Flask, Django or Celery (never inside a running
    event loop: a blocking call there blocks the loop, and grantline warns)."""
    env = os.environ
    with blocking.App(env["ALTER_APP_KEY"]) as sync_app:
        active = sync_app.list_grants(status="active", limit=1)
        print(f"blocking client: {active.total} active grant(s)")


if __name__ == "__main__":
    asyncio.run(main())
    main_blocking()
