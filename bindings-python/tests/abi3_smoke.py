"""The one abi3 wheel on another CPython (3.9, the oldest supported, and the newest here):
import, a blocking and an async call against a real grantline-server, a typed error, pickling.

Run by scripts/test.sh with each extra interpreter; plain 3.9 syntax, no pytest.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import subprocess
import sys
import tempfile


def main() -> None:
    import grantline
    from grantline import blocking

    server_bin = os.environ["GRANTLINE_SERVER_BIN"]
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [server_bin, "dev", "--listen", "127.0.0.1:0", "--database",
             "sqlite://%s/db.sqlite" % tmp, "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            url, key, ms = info["base_url"], info["app_key"], info["managed_secret_id"]
            app = blocking.App(key, base_url=url)
            made = app.create_managed_secret_grant(
                ms, principal=grantline.SystemPrincipal(label="abi3"))
            page = asyncio.run(grantline.App(key, base_url=url).list_grants(label="abi3"))
            assert [g.grant_id for g in page.grants] == [made.grant_id], page
            assert pickle.loads(pickle.dumps(page.grants[0])) == page.grants[0]
            try:
                app.create_managed_secret_grant(ms, principal=grantline.SystemPrincipal(label="abi3"))
                raise AssertionError("no conflict")
            except grantline.SiblingLabelConflictError as e:
                assert e.status == 409
            try:
                app.list_grants(limit=0)
                raise AssertionError("limit=0 accepted")
            except grantline.InvalidArgumentError:
                pass
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)
    print("abi3 wheel works on Python %d.%d" % sys.version_info[:2])


if __name__ == "__main__":
    main()
