"""`grantline-server dev`, then the official client's list_grants() from a plain Python shell.

The snippet only uses what the dev server printed (base_url via ALTER_BASE_URL, app_key) and the
public `alter_sdk` API, exactly as a user would paste it into `python`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SNIPPET = r"""
import asyncio, json, os, alter_sdk

async def main():
    async with alter_sdk.App(os.environ["APP_KEY"]) as app:
        page = await app.list_grants()
        again = await app.list_grants(provider_id=os.environ["SLUG"], limit=1)
        print(json.dumps({
            "version": alter_sdk.__version__,
            "type": type(page).__name__,
            "total": page.total,
            "has_more": page.has_more,
            "kinds": sorted({type(g).__name__ for g in page.grants}),
            "filtered_total": again.total,
            "actor_id": app.actor_id,
        }))

asyncio.run(main())
"""


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_list_grants_from_a_plain_python_shell(dev, admin):
    # something to list: one managed-secret grant (by the dev app) and one oauth grant
    admin.oauth_grant(dev["app_id"], "google", {"type": "system"}, label="shell")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        ALTER_BASE_URL=dev["base_url"], APP_KEY=dev["app_key"], SLUG=dev["managed_secret_slug"]
    )
    create = _run(
        "import asyncio, os, alter_sdk\n"
        "async def m():\n"
        "    async with alter_sdk.App(os.environ['APP_KEY']) as app:\n"
        "        await app.create_managed_secret_grant(os.environ['MS'], "
        "principal=alter_sdk.SystemPrincipal(label='shell'))\n"
        "asyncio.run(m())\n",
        {**env, "MS": dev["managed_secret_id"]},
    )
    assert create.returncode == 0, create.stderr

    proc = _run(SNIPPET, env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["version"] == "0.29.0"
    assert out["type"] == "UnifiedGrantListResult"
    assert out["total"] >= 2
    assert {"ManagedSecretGrantItem", "OAuthGrantItem"} <= set(out["kinds"])
    assert out["filtered_total"] >= 1
    assert out["actor_id"]


def test_bare_dev_command_then_plain_shell(server_bin, tmp_path):
    """Exactly the README flow: `grantline-server dev` with no flags (in-memory DB, any free
    port), copy base_url and app_key from its JSON line, `list_grants()` from `python -c`;
    then Ctrl-C/SIGTERM stops it cleanly."""
    import signal

    proc = subprocess.Popen(
        [server_bin, "dev"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, cwd=tmp_path, text=True,
    )
    try:
        line = proc.stdout.readline()
        info = json.loads(line)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            ALTER_BASE_URL=info["base_url"], APP_KEY=info["app_key"],
            SLUG=info["managed_secret_slug"],
        )
        out = _run(SNIPPET, env)
        assert out.returncode == 0, out.stderr
        res = json.loads(out.stdout.strip().splitlines()[-1])
        assert res["type"] == "UnifiedGrantListResult" and res["total"] == 0
        assert res["has_more"] is False and res["actor_id"]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError("grantline-server dev ignored SIGTERM for 10 s")
        proc.stdout.close()
    assert proc.returncode == 0, f"exit code {proc.returncode} after SIGTERM"
    # nothing was written to the working directory (in-memory database by default)
    assert list(tmp_path.iterdir()) == []
