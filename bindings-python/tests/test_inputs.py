"""Bad inputs: a typed error (InvalidArgumentError, also a ValueError) before any I/O."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

import grantline
from grantline import App, GroupPrincipal, SystemPrincipal, UserPrincipal, blocking

# Nothing listens here: any I/O would raise NetworkError, not InvalidArgumentError.
DEAD = "http://127.0.0.1:9"
KEY = "alter_rk_abcdefghijklmnopqrstuv_iwpykn"
MS = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"


def app() -> blocking.App:
    return blocking.App(KEY, base_url=DEAD, max_retries=0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: UserPrincipal(user_token="", label="l"),
        lambda: UserPrincipal(user_token="t", label=""),
        lambda: UserPrincipal(user_token="t", label="x" * 256),
        lambda: UserPrincipal(user_token=5, label="l"),
        lambda: GroupPrincipal(external_group_id="", idp_id="i", label="l"),
        lambda: GroupPrincipal(external_group_id="g", idp_id=None, label="l"),
        lambda: SystemPrincipal(label="x" * 256),
        lambda: SystemPrincipal(label=3),
        lambda: grantline.AgentPrincipal(label="x" * 256),
        lambda: grantline.GrantPolicy(max_ttl_seconds=0),
        lambda: grantline.GrantPolicy(max_ttl_seconds=True),
        lambda: grantline.GrantPolicy(max_ttl_seconds="60"),
        lambda: grantline.GrantPolicy(max_ttl_seconds=3.5),
        lambda: grantline.GrantPolicy(max_ttl_seconds=5, default_ttl_seconds=10),
        lambda: grantline.GrantPolicy(expires_at="tomorrow"),
    ],
)
def test_bad_models(build: Callable[[], Any]) -> None:
    with pytest.raises(grantline.InvalidArgumentError):
        build()


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.list_grants(limit=0),
        lambda a: a.list_grants(limit=1001),
        lambda a: a.list_grants(limit=True),
        lambda a: a.list_grants(limit="5"),
        lambda a: a.list_grants(limit=5.0),
        lambda a: a.list_grants(offset=-1),
        lambda a: a.list_grants(offset=False),
        lambda a: a.list_grants(status=""),
        lambda a: a.list_grants(label=7),
        lambda a: a.create_managed_secret_grant(MS, principal={"type": "system"}),
        lambda a: a.create_managed_secret_grant("", principal=SystemPrincipal()),
        lambda a: a.create_managed_secret_grant(None, principal=SystemPrincipal()),
        lambda a: a.create_managed_secret_grant(MS, principal=SystemPrincipal(),
                                                grant_policy={"maxTtlSeconds": 5}),
        lambda a: a.create_managed_secret_grant(MS, principal=SystemPrincipal(),
                                                grant_policy={"restrictions": {}}),
        lambda a: a.create_managed_secret_grant(MS, principal=SystemPrincipal(),
                                                grant_policy={"max_ttl_seconds": True}),
        lambda a: a.create_managed_secret_grant(MS, principal=SystemPrincipal(),
                                                grant_policy=[1]),
        lambda a: a.create_managed_secret_grant(MS, principal=SystemPrincipal(), credential_id=""),
        lambda a: a.revoke_grant("not-a-uuid"),
        lambda a: a.revoke_grant("{9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d}"),
        lambda a: a.revoke_grant(""),
        lambda a: a.get_agent(""),
        lambda a: a.get_agent("nope"),
    ],
)
def test_bad_calls_fail_before_io(call: Callable[[blocking.App], Any]) -> None:
    with pytest.raises(grantline.InvalidArgumentError) as e:
        call(app())
    assert isinstance(e.value, ValueError)


async def test_bad_async_calls_fail_before_io() -> None:
    a = App(KEY, base_url=DEAD, max_retries=0)
    with pytest.raises(grantline.InvalidArgumentError):
        await a.list_grants(limit=0)
    with pytest.raises(grantline.InvalidArgumentError):
        await a.list_grants(limit=True)
    with pytest.raises(grantline.InvalidArgumentError):
        await a.create_managed_secret_grant(MS, principal=SystemPrincipal(),
                                            grant_policy={"nope": 1})
    with pytest.raises(grantline.InvalidArgumentError):
        await a.revoke_grant("x")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_key": ""},
        {"api_key": "alter_rk_bad"},
        {"api_key": 5},
        {"api_key": KEY, "base_url": "http://example.com"},
        {"api_key": KEY, "base_url": "ftp://x"},
        {"api_key": KEY, "timeout": 0},
        {"api_key": KEY, "timeout": True},
        {"api_key": KEY, "max_retries": -1},
        {"api_key": KEY, "max_retries": False},
        {"api_key": KEY, "caller": ""},
        {"api_key": KEY, "caller": "x\n"},
        {"api_key": KEY, "caller_type": "robot"},
        {"api_key": KEY, "user_token_getter": "not callable"},
        {"api_key": KEY, "logger": object()},
    ],
)
def test_bad_construction(kwargs: dict[str, Any]) -> None:
    with pytest.raises(grantline.InvalidArgumentError):
        App(**kwargs)
    with pytest.raises(grantline.InvalidArgumentError):
        blocking.App(**kwargs)


def test_key_format_vectors() -> None:
    v = json.loads((VECTORS / "key_format.json").read_text())
    for key in v["valid"]:
        k = key if isinstance(key, str) else key["key"]
        assert grantline.is_valid_key(k), k
    for key in v["invalid"]:
        k = key if isinstance(key, str) else key["key"]
        assert not grantline.is_valid_key(k), k
    assert grantline.is_valid_key(None) is False


def test_repr_never_shows_secrets() -> None:
    p = UserPrincipal(user_token="eyJsecret-token", label="mine")
    assert "eyJsecret-token" not in repr(p)
    assert p.user_token == "eyJsecret-token"
    a = App(KEY, base_url=DEAD)
    assert KEY not in repr(a)
    assert p == UserPrincipal(user_token="eyJsecret-token", label="mine")
    assert hash(p) == hash(UserPrincipal(user_token="eyJsecret-token", label="mine"))
    assert len({grantline.GrantPolicy(max_ttl_seconds=5), grantline.GrantPolicy(max_ttl_seconds=5)}) == 1


def test_values_pickle_and_copy() -> None:
    import copy
    import pickle

    values = [
        UserPrincipal(user_token="eyJsecret-token", label="mine"),
        GroupPrincipal(external_group_id="eng", idp_id="idp-1", label="team"),
        SystemPrincipal(label="cron"),
        SystemPrincipal(),
        grantline.AgentPrincipal(label=None),
        grantline.GrantPolicy(max_ttl_seconds=60, default_ttl_seconds=30),
    ]
    for v in values:
        for back in (pickle.loads(pickle.dumps(v)), copy.deepcopy(v)):
            assert back == v and type(back) is type(v)


def test_naive_expires_at_is_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, no DST
    time.tzset()
    try:
        naive = dt.datetime(2030, 1, 1, 12, 0)
        policy = grantline.GrantPolicy(expires_at=naive)
        assert policy.expires_at == dt.datetime(2030, 1, 1, 6, 30, tzinfo=dt.timezone.utc)
        assert policy == grantline.GrantPolicy(expires_at=naive.astimezone())
        assert "expires_at=2030-01-01T06:30:00.000000Z" in repr(policy)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_official_options_accepted() -> None:
    import logging

    opts: dict[str, Any] = {"logger": logging.getLogger("mine"), "user_token_getter": lambda: "t"}
    for cls in (App, grantline.Agent, blocking.App, blocking.Agent):
        assert cls(KEY, base_url=DEAD, **opts).base_url == DEAD
