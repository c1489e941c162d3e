"""The Python surface against the core's contract (tests/vectors/, generated from the core):
every operation and setting of the async and blocking clients (api.json), every exception
class and its ancestors (error_tree.json), every model's fields and their types
(model_fields.json)."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

import grantline
import grantline.blocking
from conftest import Server

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
API = json.loads((VECTORS / "api.json").read_text())
TREE = json.loads((VECTORS / "error_tree.json").read_text())["classes"]
MODELS = json.loads((VECTORS / "model_fields.json").read_text())["models"]

CLIENTS = {
    "App": [grantline.App, grantline.blocking.App],
    "Agent": [grantline.Agent, grantline.blocking.Agent],
}
#: Host-only settings: a callable and the official client's logger (checked, unused).
HOST_SETTINGS = {"user_token_getter", "logger"}


def _params(fn: Any) -> list[inspect.Parameter]:
    return list(inspect.signature(fn).parameters.values())[1:]  # without self


@pytest.mark.parametrize("op", API["operations"], ids=[o["name"] for o in API["operations"]])
def test_operations_match_the_core(op: dict[str, Any]) -> None:
    names = op["python"]
    for kind, classes in CLIENTS.items():
        for cls in classes:
            method = getattr(cls, names["method"], None)
            if kind not in op["clients"]:
                assert method is None, f"{cls.__module__}.{cls.__name__} has {names['method']}"
                continue
            assert method is not None, f"{cls.__module__}.{cls.__name__} lacks {names['method']}"
            params = _params(method)
            positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
            keyword = {p.name: p for p in params if p.kind is p.KEYWORD_ONLY}
            app_only = {o["python"] for o in op["app_only"]}
            options = [o for o in names["options"] if kind == "App" or o not in app_only]
            # The core's required arguments come first, in order (some stay keyword-only where
            # the official client has them so: principal, label); an app-only option may be
            # positional where the official client has it so (revoke_delegation's agent_id).
            core_first = [p for p in positional if p in names["positional"]]
            assert core_first == names["positional"][: len(core_first)], cls
            assert set(positional) - set(names["positional"]) <= app_only, cls
            assert set(positional) | set(keyword) == set(names["positional"]) | set(options), cls
            for name, default in op["defaults"].items():
                assert keyword[name].default == default, (cls, name)
            for name in options:
                if name not in op["defaults"] and name in keyword:
                    assert keyword[name].default is None, (cls, name)


def test_both_surfaces_list_the_same_methods() -> None:
    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    assert public(grantline.App) == public(grantline.blocking.App)
    assert public(grantline.Agent) == public(grantline.blocking.Agent)
    for kind, (async_cls, blocking_cls) in CLIENTS.items():
        for name in public(async_cls):
            a, b = getattr(async_cls, name), getattr(blocking_cls, name)
            if callable(a):
                assert [(p.name, p.kind, p.default) for p in _params(a)] == [
                    (p.name, p.kind, p.default) for p in _params(b)
                ], (kind, name)


def test_settings_match_the_core() -> None:
    settings = API["settings"]
    for kind, classes in CLIENTS.items():
        for cls in classes:
            params = {p.name: p for p in _params(cls.__init__)}
            expected = set(settings["python"]) - ({"caller_type"} if kind == "Agent" else set())
            assert set(params) - HOST_SETTINGS == expected, cls
            assert params["timeout"].default == settings["defaults"]["timeout_seconds"]
            assert params["max_retries"].default == settings["defaults"]["max_retries"]
            if kind == "App":
                assert params["caller_type"].default == settings["defaults"]["app_caller_type"]


@pytest.mark.parametrize("entry", TREE, ids=[c["class"] for c in TREE])
def test_error_classes_match_the_tree(entry: dict[str, Any]) -> None:
    cls = getattr(grantline, entry["class"])
    ours = [c.__name__ for c in cls.__mro__[1:] if c.__module__.startswith("grantline")]
    assert ours == entry["parents"]


def test_every_error_class_is_in_the_tree() -> None:
    names = {c["class"] for c in TREE}
    ours = {
        name
        for name, obj in vars(grantline).items()
        if isinstance(obj, type) and issubclass(obj, grantline.GrantlineError) and obj.__name__ == name
    }
    assert ours == names


def _type_ok(value: Any, ty: str) -> bool:
    if ty.endswith("?"):
        return value is None or _type_ok(value, ty[:-1])
    if ty.startswith("'"):
        return value in [v.strip("'") for v in ty.split("|")]
    simple: dict[str, Any] = {"str": str, "int": int, "bool": bool, "datetime": dt.datetime,
                              "object": dict, "bytes": bytes}
    if ty in simple:
        ok = isinstance(value, simple[ty]) and not (ty == "int" and isinstance(value, bool))
        return ok and (ty != "datetime" or value.tzinfo is not None)
    if ty == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if ty == "list[GrantItem]":
        return isinstance(value, list)
    return type(value).__name__ == ty


def _page(server: Server) -> str:
    def item(kind: str, **fields: Any) -> dict[str, Any]:
        return {"grant_kind": kind, "grant_id": f"g-{kind}", "status": "active",
                "created_at": "2026-01-01T00:00:00Z", "principal_type": "system",
                "grant_expires_at": "2027-01-01T00:00:00Z", "label": "l",
                "grant_policy": {"max_ttl_seconds": 60, "expires_at": "2027-01-01T00:00:00Z"},
                "scope_constraint": ["a"], **fields}

    return json.dumps({
        "grants": [
            item("managed_secret", managed_secret_id=server.ms_id, managed_secret_slug="demo",
                 managed_secret_name="Demo", credential_kind="developer"),
            item("oauth", provider_id="google", scopes=["email"], delegated_agent_ids=["x"]),
            item("connector"),
        ],
        "total": 3, "limit": 100, "offset": 0, "has_more": False,
    })


async def _minted(app: grantline.App, source: str) -> Any:
    """A GrantInfo, from its wire form (mints against a server are in test_lifecycle.py)."""
    wire = {"grant_id": source, "provider_id": "demo", "scopes": [], "status": "active",
            "created_at": "2026-01-01T00:00:00Z", "principal_type": "system",
            "grant_policy": {"max_ttl_seconds": 60}}
    return grantline._native._restore("grant_info", json.dumps(wire).encode())


def _delegation() -> Any:
    wire = {"grant_id": "c", "grant_kind": "oauth", "parent_grant_id": "g", "depth": 1,
            "delegable": False, "status": "active", "expires_at": "2027-01-01T00:00:00Z"}
    return grantline._native._restore("delegation", json.dumps(wire).encode())


async def test_models_have_exactly_the_fields(server: Server) -> None:
    server.clear_faults()
    server.fault("/sdk/grants/list", 200, 1, body=_page(server))
    app = grantline.App(server.app_key, max_retries=0)
    page = await app.list_grants()
    created = await app.create_managed_secret_grant(
        server.ms_id, principal=grantline.SystemPrincipal(label="contract"))
    revoked = await app.revoke_grant(created.grant_id)
    ms, oauth, unknown = page.grants
    assert ms.grant_policy is not None
    samples: dict[str, Any] = {
        "GrantPolicy": ms.grant_policy, "ManagedSecretGrantItem": ms, "OAuthGrantItem": oauth,
        "UnknownGrantItem": unknown, "CreateGrantResult": created, "RevokeGrantResult": revoked,
        "GrantListResult": page,
        "GrantInfo": await _minted(app, created.grant_id),
        "DelegationResult": _delegation(),
        # The demo secret goes to the demo provider `dev` started.
        "ProviderResponse": await app.request(
            "GET", f"{server.provider_url}/contract", grant_id=(
                await app.create_managed_secret_grant(
                    server.ms_id, principal=grantline.SystemPrincipal(label=None))
            ).grant_id),
    }
    assert set(samples) == {m["name"] for m in MODELS}
    for model in MODELS:
        obj = samples[model["name"]]
        assert type(obj).__name__ == model["name"]
        fields = {f["python"]: f["type"] for f in model["fields"]}
        public = {n for n in dir(obj) if not n.startswith("_") and not callable(getattr(obj, n))}
        assert public == set(fields), model["name"]
        for name, ty in fields.items():
            value = getattr(obj, name)
            assert _type_ok(value, ty), (model["name"], name, ty, value)
