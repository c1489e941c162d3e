"""Mistakes a new user makes get errors that name the fix."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def test_no_base_url_says_how_to_reach_a_local_server() -> None:
    """Without base_url or ALTER_BASE_URL the client goes to the platform; when that fails (as
    it does on a machine without its network), the error says how to point it elsewhere."""
    env = {k: v for k, v in os.environ.items() if k != "ALTER_BASE_URL"}
    script = textwrap.dedent(
        """
        import grantline.blocking as b, grantline
        app = b.App("alter_rk_abcdefghijklmnopqrstuv_iwpykn", max_retries=0, timeout=5)
        try:
            app.list_grants()
        except grantline.GrantlineError as e:
            print(type(e).__name__, e)
        """
    )
    # An unresolvable platform host stands in for "no network" (no DNS answer is ever cached).
    env["HTTPS_PROXY"] = "http://127.0.0.1:9"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=60)
    assert "NetworkError" in out.stdout or "RequestTimeoutError" in out.stdout, out
    assert "ALTER_BASE_URL" in out.stdout and "base_url" in out.stdout, out.stdout


def test_the_async_client_outside_an_event_loop_points_at_blocking() -> None:
    import pytest

    import grantline

    app = grantline.App("alter_rk_abcdefghijklmnopqrstuv_iwpykn", base_url="http://127.0.0.1:9")
    call = app.list_grants()
    with pytest.raises(grantline.GrantlineError, match="grantline.blocking"):
        call.send(None)  # what driving it without a loop amounts to


async def test_a_blocking_call_on_an_event_loop_warns() -> None:
    import pytest

    import grantline
    import grantline.blocking

    app = grantline.blocking.App("alter_rk_abcdefghijklmnopqrstuv_iwpykn",
                                 base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.warns(RuntimeWarning, match="asyncio.to_thread"), pytest.raises(
            grantline.NetworkError):
        app.list_grants()
