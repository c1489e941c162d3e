"""The shared vectors (tests/vectors/) through the Python surface, over real HTTP.

Each error case and each list page is served by grantline-server's fault injection (status,
headers and raw body as the vector gives them), so the bytes go through the same transport,
classification and parsing a real response does, then through the Python conversion.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import grantline
import grantline.blocking
from conftest import Server

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
ERRORS = json.loads((VECTORS / "errors.json").read_text())["cases"]
PAGES = json.loads((VECTORS / "models.json").read_text())["list_pages"]
LIST = "/sdk/grants/list"


def serve(server: Server, status: int, body: str, headers: dict[str, str] | None = None) -> None:
    server.clear_faults()
    server.fault(LIST, status, 1, body=body, headers=headers or {})


def check_error(e: grantline.GrantlineError, case: dict[str, Any]) -> None:
    want = case["expected"]
    assert type(e).__name__ == want["kind"]
    assert isinstance(e, grantline.ApiError)
    assert e.status == case["status"]
    assert e.code == want["code"]
    assert str(e) == want["message"]
    assert e.retry_after == want["retry_after_seconds"]
    assert e.request_id == want["request_id"]
    assert e.label == want["label"]
    assert e.grant_id == want["grant_id"]
    got = [{"credential_id": c.credential_id, "label": c.label} for c in e.credentials]
    assert got == want["credentials"]


@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
async def test_error_vectors_async(server: Server, case: dict[str, Any]) -> None:
    serve(server, case["status"], case["body"], case["headers"])
    with pytest.raises(grantline.GrantlineError) as e:
        await grantline.App(server.app_key, max_retries=0).list_grants()
    check_error(e.value, case)


@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
def test_error_vectors_blocking(server: Server, case: dict[str, Any]) -> None:
    serve(server, case["status"], case["body"], case["headers"])
    with pytest.raises(grantline.GrantlineError) as e:
        grantline.blocking.App(server.app_key, max_retries=0).list_grants()
    check_error(e.value, case)


def as_wire(value: Any) -> Any:
    """A Python attribute value in the vectors' JSON form."""
    if isinstance(value, dt.datetime):
        assert value.tzinfo is not None
        return value
    if isinstance(value, grantline.GrantPolicy):
        policy = {
            "expires_at": value.expires_at,
            "max_ttl_seconds": value.max_ttl_seconds,
            "default_ttl_seconds": value.default_ttl_seconds,
        }
        return {k: v for k, v in policy.items() if v is not None}
    return value


def expected_value(key: str, value: Any) -> Any:
    """The vector's JSON value as the Python surface gives it (timestamps become datetimes)."""
    if isinstance(value, str) and key.endswith("_at"):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if key == "grant_policy" and isinstance(value, dict):
        return {k: expected_value(k, v) for k, v in value.items()}
    return value


def check_page(page: grantline.GrantListResult, want: dict[str, Any]) -> None:
    assert (page.total, page.limit, page.offset, page.has_more) == (
        want["total"], want["limit"], want["offset"], want["has_more"])
    assert len(page.grants) == len(want["grants"])
    for item, expected in zip(page.grants, want["grants"], strict=True):
        kind = expected.get("grant_kind")
        if kind in ("managed_secret", "oauth"):
            cls = (grantline.ManagedSecretGrantItem if kind == "managed_secret"
                   else grantline.OAuthGrantItem)
            assert isinstance(item, cls)
            for key, value in expected.items():
                assert as_wire(getattr(item, key)) == expected_value(key, value), key
        else:
            assert isinstance(item, grantline.UnknownGrantItem)
            assert (item.grant_kind, item.raw_grant_kind) == ("unknown", kind)
            assert item.fields == expected
            assert item.grant_id == (expected.get("grant_id") if isinstance(expected.get("grant_id"), str) else "")


@pytest.mark.parametrize("case", PAGES, ids=[c["name"] for c in PAGES])
async def test_model_vectors_async(server: Server, case: dict[str, Any]) -> None:
    serve(server, 200, json.dumps(case["response"]))
    app = grantline.App(server.app_key, max_retries=0)
    if "error" in case:
        with pytest.raises(grantline.GrantlineError) as e:
            await app.list_grants()
        assert type(e.value).__name__ == case["error"]
    else:
        check_page(await app.list_grants(), case["expected"])


@pytest.mark.parametrize("case", PAGES, ids=[c["name"] for c in PAGES])
def test_model_vectors_blocking(server: Server, case: dict[str, Any]) -> None:
    serve(server, 200, json.dumps(case["response"]))
    app = grantline.blocking.App(server.app_key, max_retries=0)
    if "error" in case:
        with pytest.raises(grantline.GrantlineError) as e:
            app.list_grants()
        assert type(e.value).__name__ == case["error"]
    else:
        page = app.list_grants()
        check_page(page, case["expected"])
        back = pickle.loads(pickle.dumps(page))  # every item kind and field survives pickling
        check_page(back, case["expected"])
        assert back.grants == page.grants
        assert not {id(g) for g in back.grants} & {id(g) for g in page.grants}
