"""User tokens the server must refuse (→ ReAuthRequiredError) or accept, crafted by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from alter_sdk import App, ReAuthRequiredError, UserPrincipal


def _b64(obj: object) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(claims: dict, secret: str | None, alg: str = "HS256") -> str:
    head = _b64({"alg": alg, "typ": "JWT"})
    body = _b64(claims)
    if secret is None:
        return f"{head}.{body}."
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), digest).digest()
    return f"{head}.{body}.{_b64(sig)}"


def claims(t, **over):
    now = int(time.time())
    c = {"iss": t.issuer, "aud": t.audience, "sub": "hand-made", "iat": now, "exp": now + 600,
         "groups": ["eng"]}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


async def test_hand_made_valid_token_is_accepted(tenant):
    tok = jwt(claims(tenant), tenant.hs256_secret)
    async with App(tenant.app_key) as app:
        r = await app.create_managed_secret_grant(
            tenant.ms_id, principal=UserPrincipal(user_token=tok, label="ok")
        )
        assert r.principal_type == "user"
        assert (await app.list_grants(end_user_token=tok)).total == 1
        # aud may also be a list containing the audience
        tok2 = jwt(claims(tenant, aud=["other", tenant.audience]), tenant.hs256_secret)
        assert (await app.list_grants(end_user_token=tok2)).total == 1


@pytest.mark.parametrize(
    "case",
    ["alg-none", "wrong-secret", "hs512", "wrong-aud", "wrong-iss", "expired", "no-exp",
     "not-yet-valid", "no-sub", "empty-sub"],
)
async def test_bad_token_is_reauth_required(tenant, case):
    t, s = tenant, tenant.hs256_secret
    now = int(time.time())
    tok = {
        "alg-none": lambda: jwt(claims(t), None, alg="none"),
        "wrong-secret": lambda: jwt(claims(t), s + "x"),
        "hs512": lambda: jwt(claims(t), s, alg="HS512"),
        "wrong-aud": lambda: jwt(claims(t, aud="someone-else"), s),
        "wrong-iss": lambda: jwt(claims(t, iss="https://evil.example"), s),
        "expired": lambda: jwt(claims(t, exp=now - 3600), s),
        "no-exp": lambda: jwt({k: v for k, v in claims(t).items() if k != "exp"}, s),
        "not-yet-valid": lambda: jwt(claims(t, nbf=now + 3600), s),
        "no-sub": lambda: jwt({k: v for k, v in claims(t).items() if k != "sub"}, s),
        "empty-sub": lambda: jwt(claims(t, sub=""), s),
    }[case]()
    async with App(t.app_key) as app:
        with pytest.raises(ReAuthRequiredError) as ei:
            await app.create_managed_secret_grant(
                t.ms_id, principal=UserPrincipal(user_token=tok, label="x")
            )
        assert type(ei.value) is ReAuthRequiredError
        with pytest.raises(ReAuthRequiredError):
            await app.list_grants(end_user_token=tok)
        assert (await app.list_grants()).total == 0
