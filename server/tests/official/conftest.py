"""Fixtures: a real `grantline-server dev` per test module (the store from
`GRANTLINE_TEST_STORE`: a SQLite file by default, or `postgres`), and the admin API helper.

Starting, stopping and provisioning come from the one Python server harness,
`tests/harness/server_harness.py` (shared with bindings-python's suite).
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "harness"))
from server_harness import (  # noqa: E402
    Admin,
    AdminError,
    DevServer,
    HarnessError,
    alter_base_url,
    running_dev,
    server_binary,
    store_from_env,
)

__all__ = ["Admin", "AdminError", "DevServer"]


@pytest.fixture(scope="session")
def server_bin() -> str:
    try:
        return server_binary()
    except HarnessError as e:
        pytest.exit(str(e), returncode=2)


@pytest.fixture(scope="module")
def dev_server(server_bin: str) -> Iterator[DevServer]:
    with running_dev(store_from_env("file"), server_bin) as server:
        # The official client reads its base URL from ALTER_BASE_URL at construction.
        with alter_base_url(server.info["base_url"]):
            yield server


@pytest.fixture(scope="module")
def dev(dev_server: DevServer) -> dict[str, Any]:
    """The dev tenant (the JSON line)."""
    return dev_server.info


@pytest.fixture(scope="module")
def admin(dev: dict[str, Any]) -> Admin:
    return Admin(dev["base_url"], dev["admin_token"])


# ──────────────────────────────────────────────────────────────────────────────
# Fresh tenants: isolation between tests that count grants
# ──────────────────────────────────────────────────────────────────────────────


@dataclass
class Tenant:
    app_id: str
    app_key: str
    app_actor_id: str
    app_key_id: str
    agent_id: str
    agent_key: str
    agent_key_id: str
    idp_id: str
    ms_id: str
    ms_slug: str
    ms_name: str
    credential_id: str
    admin: Admin
    tag: str = ""
    issuer: str = ""
    audience: str = ""
    hs256_secret: str = ""

    def user_token(self, sub: str, groups: list[str] | None = None, **kw: Any) -> str:
        return self.admin.user_token(self.app_id, self.idp_id, sub, groups, **kw)

    def new_managed_secret(self, slug: str | None = None, name: str = "Extra",
                           credentials: int = 1) -> tuple[str, str, list[str]]:
        slug = slug or f"ms-{uuid.uuid4().hex[:10]}"
        ms = self.admin.add_managed_secret(self.app_id, slug, name)
        creds = [self.admin.add_credential(self.app_id, ms, f"cred-{i}") for i in range(credentials)]
        return ms, slug, creds


def make_tenant(admin: Admin, name: str = "t") -> Tenant:
    suffix = uuid.uuid4().hex[:8]
    app = admin.create_app(f"{name}-{suffix}")
    agent = admin.create_agent(app, f"agent-{suffix}")
    app_key = admin.mint_key(app, "app")
    agent_key = admin.mint_key(app, "agent", agent)
    issuer, audience, secret = f"https://idp-{suffix}.example", "aud", f"hs256-{uuid.uuid4().hex}"
    idp = admin.add_idp(app, issuer, audience, secret)
    slug = f"secret-{suffix}"
    ms = admin.add_managed_secret(app, slug, f"Secret {suffix}")
    cred = admin.add_credential(app, ms, "default")
    return Tenant(
        app_id=app, app_key=app_key["key"], app_actor_id=app_key["actor_id"],
        app_key_id=app_key["key_id"], agent_id=agent, agent_key=agent_key["key"],
        agent_key_id=agent_key["key_id"], idp_id=idp, ms_id=ms, ms_slug=slug,
        ms_name=f"Secret {suffix}", credential_id=cred, admin=admin, tag=suffix,
        issuer=issuer, audience=audience, hs256_secret=secret,
    )


@pytest.fixture
def tenant(admin: Admin) -> Tenant:
    """A brand-new app on the module's server (its own keys, agent, IDP, managed secret)."""
    return make_tenant(admin)


@pytest.fixture
def other_tenant(admin: Admin) -> Tenant:
    return make_tenant(admin, "other")
