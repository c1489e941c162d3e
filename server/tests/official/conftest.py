"""Fixtures: a real `grantline-server dev` per test module, and a tiny admin API helper.

The server is started with an ephemeral port, a fresh SQLite file in a temp dir and
`--exit-on-stdin-close`; it is always stopped (stdin closed, then SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

HERE = Path(__file__).resolve().parent
STARTUP_TIMEOUT = 60.0


# ──────────────────────────────────────────────────────────────────────────────
# Locating and running the server
# ──────────────────────────────────────────────────────────────────────────────


def server_binary() -> str:
    """GRANTLINE_SERVER_BIN, else `<cargo target dir>/debug/grantline-server` (run.sh builds it)."""
    env = os.environ.get("GRANTLINE_SERVER_BIN")
    if env:
        if not os.access(env, os.X_OK):
            pytest.exit(f"GRANTLINE_SERVER_BIN={env} is not an executable file", returncode=2)
        return env
    try:
        meta = json.loads(
            subprocess.run(
                ["cargo", "metadata", "--format-version", "1", "--no-deps"],
                cwd=HERE,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        candidate = Path(meta["target_directory"]) / "debug" / "grantline-server"
    except (OSError, subprocess.CalledProcessError, KeyError, ValueError) as e:
        pytest.exit(f"cannot locate grantline-server (set GRANTLINE_SERVER_BIN): {e}", returncode=2)
    if not candidate.is_file():
        pytest.exit(
            f"{candidate} not found: run `cargo build -p grantline-server` or use run.sh",
            returncode=2,
        )
    return str(candidate)


class DevServer:
    """A running `grantline-server dev` process and the JSON line it printed."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.workdir = workdir
        self.stderr_path = workdir / "server.stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        db = workdir / "db.sqlite"
        env = dict(os.environ)
        env.setdefault("GRANTLINE_LOG", "warn")
        self.proc = subprocess.Popen(
            [
                binary,
                "dev",
                "--listen",
                "127.0.0.1:0",
                "--database",
                f"sqlite://{db}",  # db is absolute → sqlite:///abs/path/db.sqlite
                "--exit-on-stdin-close",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=workdir,
            env=env,
        )
        self.info: dict[str, Any] = self._read_first_line()

    def _read_first_line(self) -> dict[str, Any]:
        box: dict[str, bytes] = {}

        def reader() -> None:
            assert self.proc.stdout is not None
            box["line"] = self.proc.stdout.readline()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(STARTUP_TIMEOUT)
        line = box.get("line", b"")
        if not line:
            self.stop()
            raise RuntimeError(
                f"grantline-server dev printed no JSON line within {STARTUP_TIMEOUT}s "
                f"(exit code {self.proc.returncode}); stderr:\n{self.stderr_text()}"
            )
        try:
            info = json.loads(line)
        except ValueError as e:
            self.stop()
            raise RuntimeError(f"first stdout line is not JSON: {line!r}") from e
        missing = {
            "base_url", "admin_token", "app_id", "app_key", "agent_id", "agent_key",
            "idp_id", "user_token", "group_id", "managed_secret_id", "credential_id",
            "managed_secret_slug",
        } - set(info)
        if missing:
            self.stop()
            raise RuntimeError(f"dev JSON line lacks {sorted(missing)}: {info.keys()}")
        return info

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> int | None:
        """Close stdin (the server exits), then escalate. Never leaves a process behind."""
        p = self.proc
        try:
            if p.stdin and not p.stdin.closed:
                p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p.stdout:
            p.stdout.close()
        self._stderr.close()
        return p.returncode


@pytest.fixture(scope="session")
def server_bin() -> str:
    return server_binary()


@pytest.fixture(scope="module")
def dev_server(server_bin: str) -> Iterator[DevServer]:
    workdir = Path(tempfile.mkdtemp(prefix="grantline-official-"))
    server = DevServer(server_bin, workdir)
    old = os.environ.get("ALTER_BASE_URL")
    # The official client reads its base URL from ALTER_BASE_URL at construction.
    os.environ["ALTER_BASE_URL"] = server.info["base_url"]
    try:
        yield server
    finally:
        if old is None:
            os.environ.pop("ALTER_BASE_URL", None)
        else:
            os.environ["ALTER_BASE_URL"] = old
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def dev(dev_server: DevServer) -> dict[str, Any]:
    """The dev tenant (the JSON line)."""
    return dev_server.info


# ──────────────────────────────────────────────────────────────────────────────
# Admin API helper (urllib only)
# ──────────────────────────────────────────────────────────────────────────────


class AdminError(Exception):
    def __init__(self, status: int, body: Any, method: str, path: str) -> None:
        super().__init__(f"{method} {path} → {status}: {body}")
        self.status = status
        self.body = body


class Admin:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            raise AdminError(e.code, parsed, method, path) from None
        return json.loads(raw) if raw else None

    # Thin wrappers over the documented routes.
    def create_app(self, name: str) -> str:
        return self.call("POST", "/admin/apps", {"name": name})["app_id"]

    def create_agent(self, app: str, name: str) -> str:
        return self.call("POST", f"/admin/apps/{app}/agents", {"name": name})["agent_id"]

    def set_agent_status(self, app: str, agent: str, status: str) -> Any:
        return self.call("PATCH", f"/admin/apps/{app}/agents/{agent}", {"status": status})

    def mint_key(self, app: str, kind: str = "app", agent_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind}
        if agent_id is not None:
            body["agent_id"] = agent_id
        return self.call("POST", f"/admin/apps/{app}/keys", body)

    def revoke_key(self, app: str, key_id: str) -> Any:
        return self.call("DELETE", f"/admin/apps/{app}/keys/{key_id}")

    def add_idp(self, app: str, issuer: str, audience: str, hs256_secret: str) -> str:
        return self.call(
            "POST",
            f"/admin/apps/{app}/idps",
            {"issuer": issuer, "audience": audience, "hs256_secret": hs256_secret},
        )["idp_id"]

    def user_token(
        self, app: str, idp: str, sub: str, groups: list[str] | None = None,
        ttl_seconds: int | None = None,
    ) -> str:
        body: dict[str, Any] = {"sub": sub, "groups": groups or []}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return self.call("POST", f"/admin/apps/{app}/idps/{idp}/tokens", body)["token"]

    def add_managed_secret(self, app: str, slug: str, name: str) -> str:
        return self.call(
            "POST", f"/admin/apps/{app}/managed-secrets", {"slug": slug, "name": name}
        )["managed_secret_id"]

    def add_credential(self, app: str, ms: str, label: str, kind: str = "developer",
                       value: str | None = None) -> str:
        return self.call(
            "POST",
            f"/admin/apps/{app}/managed-secrets/{ms}/credentials",
            {"label": label, "kind": kind, "value": value or f"secret-{uuid.uuid4().hex}"},
        )["credential_id"]

    def oauth_grant(self, app: str, provider_id: str, principal: dict[str, Any],
                    **extra: Any) -> str:
        body = {"provider_id": provider_id, "principal": principal, **extra}
        return self.call("POST", f"/admin/apps/{app}/oauth-grants", body)["grant_id"]

    def audit(self, app: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/admin/apps/{app}/audit")["records"]


@pytest.fixture(scope="module")
def admin(dev: dict[str, Any]) -> Admin:
    return Admin(dev["base_url"], dev["admin_token"])


# ──────────────────────────────────────────────────────────────────────────────
# Fresh tenants: isolation between tests that count grants
# ──────────────────────────────────────────────────────────────────────────────


@dataclass
class Tenant:
    app_id: str
    app_key: str
    app_actor_id: str
    app_key_id: str
    agent_id: str
    agent_key: str
    agent_key_id: str
    idp_id: str
    ms_id: str
    ms_slug: str
    ms_name: str
    credential_id: str
    admin: Admin
    tag: str = ""
    issuer: str = ""
    audience: str = ""
    hs256_secret: str = ""

    def user_token(self, sub: str, groups: list[str] | None = None, **kw: Any) -> str:
        return self.admin.user_token(self.app_id, self.idp_id, sub, groups, **kw)

    def new_managed_secret(self, slug: str | None = None, name: str = "Extra",
                           credentials: int = 1) -> tuple[str, str, list[str]]:
        slug = slug or f"ms-{uuid.uuid4().hex[:10]}"
        ms = self.admin.add_managed_secret(self.app_id, slug, name)
        creds = [self.admin.add_credential(self.app_id, ms, f"cred-{i}") for i in range(credentials)]
        return ms, slug, creds


def make_tenant(admin: Admin, name: str = "t") -> Tenant:
    suffix = uuid.uuid4().hex[:8]
    app = admin.create_app(f"{name}-{suffix}")
    agent = admin.create_agent(app, f"agent-{suffix}")
    app_key = admin.mint_key(app, "app")
    agent_key = admin.mint_key(app, "agent", agent)
    issuer, audience, secret = f"https://idp-{suffix}.example", "aud", f"hs256-{uuid.uuid4().hex}"
    idp = admin.add_idp(app, issuer, audience, secret)
    slug = f"secret-{suffix}"
    ms = admin.add_managed_secret(app, slug, f"Secret {suffix}")
    cred = admin.add_credential(app, ms, "default")
    return Tenant(
        app_id=app, app_key=app_key["key"], app_actor_id=app_key["actor_id"],
        app_key_id=app_key["key_id"], agent_id=agent, agent_key=agent_key["key"],
        agent_key_id=agent_key["key_id"], idp_id=idp, ms_id=ms, ms_slug=slug,
        ms_name=f"Secret {suffix}", credential_id=cred, admin=admin, tag=suffix,
        issuer=issuer, audience=audience, hs256_secret=secret,
    )


@pytest.fixture
def tenant(admin: Admin) -> Tenant:
    """A brand-new app on the module's server (its own keys, agent, IDP, managed secret)."""
    return make_tenant(admin)


@pytest.fixture
def other_tenant(admin: Admin) -> Tenant:
    return make_tenant(admin, "other")
