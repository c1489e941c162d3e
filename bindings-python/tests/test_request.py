"""``request()`` against a real server and a provider stub (a local HTTP server that records
what it receives): where the credential goes and where it never goes, URL rules, the audit
record, provider errors, a timeout, expired and revoked grants, async and blocking."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import grantline
from conftest import Server
from grantline import SystemPrincipal, blocking

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "harness"))
from provider_stub import ProviderStub  # noqa: E402


@pytest.fixture
def stub() -> Iterator[ProviderStub]:
    with ProviderStub() as s:
        yield s


class Secret:
    """A managed secret with a known credential, and a system grant on it (``made``)."""

    def __init__(self, server: Server, **injection: Any) -> None:
        self.value = f"cred-{uuid.uuid4().hex}"
        self.ms = server.injected_secret(f"s-{uuid.uuid4().hex[:8]}", self.value, **injection)
        self.server = server
        self.grant = ""

    async def made(self) -> Secret:
        async with grantline.App(self.server.app_key) as app:
            self.grant = (await app.create_managed_secret_grant(
                self.ms, principal=SystemPrincipal(label=f"r-{uuid.uuid4().hex[:8]}")
            )).grant_id
        return self


def calls(server: Server, grant_id: str) -> list[dict[str, Any]]:
    return [c for c in server.api.api_calls(server.app_id, 1000) if c["grant_id"] == grant_id]


async def test_the_credential_goes_exactly_once_into_its_request(
    server: Server, stub: ProviderStub
) -> None:
    s = await Secret(server).made()
    app = grantline.App(server.app_key)
    resp = await app.request(
        "POST", f"{stub.url}/items/{{id}}", grant_id=s.grant, path_params={"id": "a b"},
        extra_headers={"X-Trace": "t1"}, query_params={"q": 1, "tag": ["x", "y"]},
        json={"camelKey": {"nestedKey": 1}}, reason="sync", context={"toolName": "t"},
    )
    assert resp.status_code == 200
    assert resp.json() == {"ok": True, "path": "/items/a%20b"}
    assert json.loads(resp.content) == resp.json()
    assert resp.text == resp.content.decode()
    assert resp.headers["content-type"] == "application/json"
    assert resp.grant_id == s.grant
    [seen] = stub.seen
    assert (seen.method, seen.path, seen.query) == ("POST", "/items/a%20b", "q=1&tag=x&tag=y")
    assert seen.header_values("Authorization") == [f"Bearer {s.value}"]
    assert seen.everything().count(s.value) == 1
    # Free-form keys arrive exactly as written.
    assert json.loads(seen.body) == {"camelKey": {"nestedKey": 1}}
    assert seen.header_values("X-Trace") == ["t1"]
    await app.close()  # waits for the audit record
    [call] = calls(server, s.grant)
    assert call["method"] == "POST" and call["response_status"] == 200
    assert call["record"]["reason"] == "sync"
    assert call["record"]["context"] == {"toolName": "t"}
    assert call["record"]["request_body"] == {"camelKey": {"nestedKey": 1}}
    assert "set-cookie" not in call["record"]["response_headers"]
    text = json.dumps(call)
    assert s.value not in text and "authorization" not in text.lower()
    # Nothing the caller can print shows it.
    assert s.value not in repr(resp) + repr(app)


async def test_bytes_bodies_and_query_injection(server: Server, stub: ProviderStub) -> None:
    s = await Secret(server, header="X-Api-Key", format="{token}", query_param="api_key").made()
    async with grantline.App(server.app_key) as app:
        resp = await app.request("PUT", f"{stub.url}/raw", grant_id=s.grant, body=b"\x00\xffbin")
        assert resp.status_code == 200
    [seen] = stub.seen
    assert seen.body == b"\x00\xffbin"
    assert seen.header_values("X-Api-Key") == [s.value]
    assert seen.query == f"api_key={s.value}"
    assert seen.header_values("Authorization") == []
    [call] = calls(server, s.grant)
    assert s.value not in json.dumps(call)
    assert call["record"]["request_body"] == "<binary body: 5 bytes>"


async def test_urls_are_checked_before_any_lease(server: Server, stub: ProviderStub) -> None:
    s = await Secret(server, allowed_base_urls=[f"{stub.url}/allowed"]).made()
    app = grantline.App(server.app_key)
    for bad in ["http://example.com/x", "ftp://127.0.0.1/", "nope", "https://x.example/{id}"]:
        with pytest.raises(grantline.InvalidArgumentError):
            await app.request("GET", bad, grant_id=s.grant)
    with pytest.raises(grantline.BlockedDestinationError):
        await app.request("GET", f"{stub.url}/elsewhere", grant_id=s.grant)
    await app.request("GET", f"{stub.url}/allowed/x", grant_id=s.grant)
    assert [r.path for r in stub.seen] == ["/allowed/x"]
    for bad_args in [{}, {"grant_id": s.grant, "provider": "p"}, {"grant_id": s.grant, "label": "l"},
                     {"grant_id": s.grant, "json": {}, "body": b"x"}]:
        with pytest.raises(grantline.InvalidArgumentError):
            await app.request("GET", f"{stub.url}/allowed", **bad_args)


async def test_redirects_are_returned_not_followed(server: Server) -> None:
    s = await Secret(server).made()
    with ProviderStub() as elsewhere, ProviderStub(redirect_to=f"{elsewhere.url}/x") as stub:
        resp = await grantline.App(server.app_key).request(
            "GET", f"{stub.url}/redirect", grant_id=s.grant)
        assert resp.status_code == 302
        assert elsewhere.seen == []


async def test_provider_failures_are_typed_and_scrubbed(server: Server, stub: ProviderStub) -> None:
    s = await Secret(server).made()
    app = grantline.App(server.app_key)
    with pytest.raises(grantline.ProviderUnauthorizedError) as unauthorized:
        await app.request("GET", f"{stub.url}/unauthorized", grant_id=s.grant)
    assert unauthorized.value.status_code == 401
    with pytest.raises(grantline.ProviderAPIError) as failed:
        await app.request("GET", f"{stub.url}/echo-error", grant_id=s.grant)
    assert failed.value.status_code == 500
    assert failed.value.response_body == "bad token [REDACTED]"
    assert s.value not in repr(failed.value) + str(failed.value) + repr(failed.value.details)
    with pytest.raises(grantline.ScopeReauthRequiredError) as scope:
        await app.request("GET", f"{stub.url}/scope", grant_id=s.grant)
    assert scope.value.missing_scopes == ["repo", "admin"]
    assert isinstance(scope.value, grantline.ProviderApiError)
    await app.close()
    actions = [r["action"] for r in server.api.audit(server.app_id, 1000)
               if r["grant_id"] == s.grant]
    assert "grant.scope_mismatch" in actions
    recorded = calls(server, s.grant)
    assert len(recorded) == 3 and s.value not in json.dumps(recorded)


async def test_a_timeout(server: Server, stub: ProviderStub) -> None:
    s = await Secret(server).made()
    app = grantline.App(server.app_key)
    started = time.monotonic()
    with pytest.raises(grantline.RequestTimeoutError):
        await app.request("GET", f"{stub.url}/slow", grant_id=s.grant, timeout=0.3)
    assert time.monotonic() - started < 2.5
    assert len(stub.seen) == 1  # never retried
    await app.close()
    [call] = calls(server, s.grant)
    assert call["response_status"] == 0
    assert call["record"]["response_body"].startswith("<transport error: timeout")


async def test_expired_and_revoked_grants(server: Server, stub: ProviderStub) -> None:
    s = await Secret(server).made()
    app = grantline.App(server.app_key)
    await app.revoke_grant(s.grant)
    with pytest.raises(grantline.GrantRevokedError):
        await app.request("GET", f"{stub.url}/x", grant_id=s.grant)
    short = await app.create_managed_secret_grant(
        s.ms, principal=SystemPrincipal(label="short"), grant_policy={"max_ttl_seconds": 1})
    time.sleep(1.1)
    with pytest.raises(grantline.GrantExpiredError):
        await app.request("GET", f"{stub.url}/x", grant_id=short.grant_id)
    assert stub.seen == []


def test_blocking_and_agents(server: Server, stub: ProviderStub) -> None:
    value = f"cred-{uuid.uuid4().hex}"
    ms = server.injected_secret(f"s-{uuid.uuid4().hex[:8]}", value)
    with blocking.Agent(server.agent_key) as agent:
        grant = agent.create_managed_secret_grant(
            ms, principal=grantline.AgentPrincipal(label=f"self-{uuid.uuid4().hex[:6]}")).grant_id
        resp = agent.request("GET", f"{stub.url}/mine", grant_id=grant)
        assert resp.status_code == 200 and resp.json()["path"] == "/mine"
    # close() waited for the record.
    assert len(calls(server, grant)) == 1
    # The app may not use the agent's grant.
    with blocking.App(server.app_key) as app, pytest.raises(grantline.PermissionDeniedError):
        app.request("GET", f"{stub.url}/x", grant_id=grant)
