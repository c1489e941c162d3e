"""Starts a real grantline-server (ephemeral port, fresh SQLite database) for the session."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _server_bin() -> str:
    explicit = os.environ.get("GRANTLINE_SERVER_BIN")
    if explicit:
        return explicit
    subprocess.run(["cargo", "build", "-q", "-p", "grantline-server"], cwd=ROOT, check=True)
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    target = json.loads(meta.stdout)["target_directory"]
    return str(Path(target) / "debug" / "grantline-server")


class Server:
    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.base_url: str = info["base_url"]
        self.app_id: str = info["app_id"]
        self.app_key: str = info["app_key"]
        self.agent_id: str = info["agent_id"]
        self.agent_key: str = info["agent_key"]
        self.idp_id: str = info["idp_id"]
        self.user_token: str = info["user_token"]
        self.group_id: str = info["group_id"]
        self.ms_id: str = info["managed_secret_id"]
        self.ms_slug: str = info["managed_secret_slug"]
        self.credential_id: str = info["credential_id"]
        self.log: Path | None = None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        req = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.info['admin_token']}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def new_secret(self, slug: str, credentials: int = 1) -> str:
        ms = self.admin(
            "POST", f"/admin/apps/{self.app_id}/managed-secrets", {"slug": slug, "name": slug}
        )["managed_secret_id"]
        for i in range(credentials):
            self.admin(
                "POST",
                f"/admin/apps/{self.app_id}/managed-secrets/{ms}/credentials",
                {"label": f"cred-{i}", "kind": "developer", "value": f"s3cr3t-value-{i}"},
            )
        return str(ms)

    def user_token_for(self, sub: str, groups: list[str] | None = None) -> str:
        return str(
            self.admin(
                "POST",
                f"/admin/apps/{self.app_id}/idps/{self.idp_id}/tokens",
                {"sub": sub, "groups": groups or []},
            )["token"]
        )

    def fault(self, path_prefix: str, status: int, times: int, **kw: Any) -> None:
        self.admin("POST", "/admin/faults", {"path_prefix": path_prefix, "status": status,
                                             "times": times, **kw})

    def clear_faults(self) -> None:
        self.admin("DELETE", "/admin/faults")


@contextlib.contextmanager
def running_server(*database: str) -> Iterator[Server]:
    """``grantline-server dev`` on a free port (its stderr in ``Server.log``) until the block
    ends; ``database`` is ``("--database", URL)`` or nothing for the default in-memory one."""
    binary = _server_bin()
    with tempfile.TemporaryDirectory() as tmp, open(f"{tmp}/server.log", "w+") as log:
        proc = subprocess.Popen(
            [binary, "dev", "--listen", "127.0.0.1:0", *database, "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            raise RuntimeError("grantline-server dev printed nothing")
        srv = Server(json.loads(line))
        srv.log = Path(log.name)
        try:
            yield srv
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as tmp, running_server(
        "--database", f"sqlite://{tmp}/db.sqlite"
    ) as srv:
        old = os.environ.get("ALTER_BASE_URL")
        os.environ["ALTER_BASE_URL"] = srv.base_url
        try:
            yield srv
        finally:
            if old is None:
                os.environ.pop("ALTER_BASE_URL", None)
            else:
                os.environ["ALTER_BASE_URL"] = old
