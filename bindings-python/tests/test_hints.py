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


def test_plain_http_to_a_loopback_host_is_logged_once_not_printed() -> None:
    """A local server over http is the normal first run: nothing on stderr by default; with
    logging at INFO, one record per URL on the `grantline` logger."""
    script = textwrap.dedent(
        """
        import logging, sys
        import grantline, grantline.blocking as b
        if sys.argv[1] == "info":
            logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
        for _ in range(3):
            app = b.App("alter_rk_abcdefghijklmnopqrstuv_iwpykn", base_url="http://127.0.0.1:9",
                        max_retries=0)
            try:
                app.list_grants()
            except grantline.NetworkError:
                pass
        """
    )
    quiet = subprocess.run([sys.executable, "-c", script, "default"], capture_output=True,
                           text=True, timeout=60)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet
    loud = subprocess.run([sys.executable, "-c", script, "info"], capture_output=True, text=True,
                          timeout=60)
    assert loud.returncode == 0, loud
    assert loud.stderr.count("plain http to a loopback host") == 1, loud.stderr
    assert "grantline INFO" in loud.stderr, loud.stderr
