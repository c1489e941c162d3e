"""The one Python harness for a real ``grantline-server``: find the binary, start ``dev`` on a
free port with the store a suite asks for, read the tenant it prints, provision through the
admin API, and always stop the process.

Used by ``server/tests/official/conftest.py`` and ``bindings-python/tests/conftest.py``
(each puts this directory on ``sys.path``). Standard library only; Python 3.9+.

The store: ``memory`` (``dev``'s in-memory default), ``file`` (a SQLite file in a temporary
directory) or ``postgres`` (a fresh database on the cluster whose admin URL is
``GRANTLINE_TEST_POSTGRES``; ``server/scripts/with-postgres.sh`` provides one, and the server
creates the database). Suites take it from ``GRANTLINE_TEST_STORE`` (:func:`store_from_env`).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator, Optional

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0
STORES = ("memory", "file", "postgres")
TENANT_KEYS = (
    "base_url", "admin_token", "app_id", "app_key", "agent_id", "agent_key", "idp_id",
    "user_token", "group_id", "managed_secret_id", "credential_id", "managed_secret_slug",
    "provider_url",
)


class HarnessError(RuntimeError):
    """The server could not be found, started or read."""


def server_binary() -> str:
    """``GRANTLINE_SERVER_BIN``, else builds ``grantline-server`` with cargo and returns
    ``<cargo target dir>/debug/grantline-server`` (``CARGO_TARGET_DIR`` is honoured)."""
    explicit = os.environ.get("GRANTLINE_SERVER_BIN")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise HarnessError(f"GRANTLINE_SERVER_BIN={explicit} is not an executable file")
        return explicit
    try:
        subprocess.run(["cargo", "build", "-q", "-p", "grantline-server"], cwd=ROOT, check=True)
        meta = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )
        target = json.loads(meta.stdout)["target_directory"]
    except (OSError, subprocess.CalledProcessError, KeyError, ValueError) as e:
        raise HarnessError(
            f"cannot build or locate grantline-server (set GRANTLINE_SERVER_BIN): {e}"
        ) from e
    return str(Path(target) / "debug" / "grantline-server")


def store_from_env(default: str = "file") -> str:
    """The store ``GRANTLINE_TEST_STORE`` names (``memory``, ``file``, ``postgres``)."""
    store = os.environ.get("GRANTLINE_TEST_STORE") or default
    if store not in STORES:
        raise HarnessError(f"GRANTLINE_TEST_STORE={store}: one of {', '.join(STORES)}")
    return store


def database_args(store: str, workdir: Path) -> list[str]:
    """The ``--database`` arguments of ``dev`` for ``store`` (nothing for ``memory``)."""
    if store == "memory":
        return []
    if store == "file":
        return ["--database", f"sqlite://{workdir / 'db.sqlite'}"]
    if store == "postgres":
        admin = os.environ.get("GRANTLINE_TEST_POSTGRES")
        if not admin:
            raise HarnessError(
                "the postgres store needs GRANTLINE_TEST_POSTGRES (run through "
                "server/scripts/with-postgres.sh)"
            )
        base = admin.rsplit("/", 1)[0]
        return ["--database", f"{base}/gl_py_{uuid.uuid4().hex}"]
    raise HarnessError(f"unknown store {store!r}: one of {', '.join(STORES)}")


class AdminError(Exception):
    """A non-2xx answer of the admin API."""

    def __init__(self, status: int, body: Any, method: str, path: str) -> None:
        super().__init__(f"{method} {path} → {status}: {body}")
        self.status = status
        self.body = body


class Admin:
    """The admin API of one server (bearer token, JSON)."""

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

    # The documented routes (server/README.md, "HTTP surface").
    def create_app(self, name: str) -> str:
        return str(self.call("POST", "/admin/apps", {"name": name})["app_id"])

    def create_agent(self, app: str, name: str) -> str:
        return str(self.call("POST", f"/admin/apps/{app}/agents", {"name": name})["agent_id"])

    def set_agent_status(self, app: str, agent: str, status: str) -> Any:
        return self.call("PATCH", f"/admin/apps/{app}/agents/{agent}", {"status": status})

    def mint_key(self, app: str, kind: str = "app", agent_id: Optional[str] = None) -> Any:
        body: dict[str, Any] = {"kind": kind}
        if agent_id is not None:
            body["agent_id"] = agent_id
        return self.call("POST", f"/admin/apps/{app}/keys", body)

    def revoke_key(self, app: str, key_id: str) -> Any:
        return self.call("DELETE", f"/admin/apps/{app}/keys/{key_id}")

    def add_idp(self, app: str, issuer: str, audience: str, hs256_secret: str) -> str:
        return str(self.call(
            "POST",
            f"/admin/apps/{app}/idps",
            {"issuer": issuer, "audience": audience, "hs256_secret": hs256_secret},
        )["idp_id"])

    def user_token(self, app: str, idp: str, sub: str, groups: Optional[list[str]] = None,
                   ttl_seconds: Optional[int] = None) -> str:
        body: dict[str, Any] = {"sub": sub, "groups": groups or []}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return str(self.call("POST", f"/admin/apps/{app}/idps/{idp}/tokens", body)["token"])

    def add_managed_secret(self, app: str, slug: str, name: str) -> str:
        return str(self.call(
            "POST", f"/admin/apps/{app}/managed-secrets", {"slug": slug, "name": name}
        )["managed_secret_id"])

    def add_credential(self, app: str, ms: str, label: str, kind: str = "developer",
                       value: Optional[str] = None) -> str:
        return str(self.call(
            "POST",
            f"/admin/apps/{app}/managed-secrets/{ms}/credentials",
            {"label": label, "kind": kind, "value": value or f"secret-{uuid.uuid4().hex}"},
        )["credential_id"])

    def oauth_grant(self, app: str, provider_id: str, principal: dict[str, Any],
                    **extra: Any) -> str:
        body = {"provider_id": provider_id, "principal": principal, **extra}
        return str(self.call("POST", f"/admin/apps/{app}/oauth-grants", body)["grant_id"])

    def set_injection(self, app: str, ms: str, header: str = "Authorization",
                      format: str = "Bearer {token}", query_param: Optional[str] = None,
                      allowed_base_urls: Optional[list[str]] = None) -> Any:
        body: dict[str, Any] = {"header": header, "format": format}
        if query_param is not None:
            body["query_param"] = query_param
        if allowed_base_urls is not None:
            body["allowed_base_urls"] = allowed_base_urls
        return self.call("PUT", f"/admin/apps/{app}/managed-secrets/{ms}/injection", body)

    def set_grant_token(self, app: str, grant: str, access_token: str) -> Any:
        return self.call("PUT", f"/admin/apps/{app}/oauth-grants/{grant}/token",
                         {"access_token": access_token})

    def api_calls(self, app: str, limit: int = 100) -> list[Any]:
        return list(self.call("GET", f"/admin/apps/{app}/api-calls?limit={limit}")["records"])

    def audit(self, app: str, limit: int = 100) -> list[Any]:
        return list(self.call("GET", f"/admin/apps/{app}/audit?limit={limit}")["records"])

    def fault(self, path_prefix: str, status: int, times: int = 1, **kw: Any) -> Any:
        return self.call("POST", "/admin/faults", {"path_prefix": path_prefix, "status": status,
                                                   "times": times, **kw})

    def clear_faults(self) -> Any:
        return self.call("DELETE", "/admin/faults")


class DevServer:
    """A running ``grantline-server dev`` and the tenant it printed (``info``); its stderr goes
    to ``log``. ``stop()`` closes its stdin (it exits), then escalates: never leaves a process
    behind."""

    def __init__(self, binary: str, workdir: Path, database: list[str]) -> None:
        self.workdir = workdir
        self.log = workdir / "server.log"
        self._stderr = open(self.log, "wb")
        env = dict(os.environ)
        env.setdefault("GRANTLINE_LOG", "warn")
        self.proc = subprocess.Popen(
            [binary, "dev", "--listen", "127.0.0.1:0", *database, "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            cwd=workdir, env=env,
        )
        self.info: dict[str, Any] = self._read_tenant()

    def _read_tenant(self) -> dict[str, Any]:
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
            raise HarnessError(
                f"grantline-server dev printed no JSON line within {STARTUP_TIMEOUT}s "
                f"(exit code {self.proc.returncode}); stderr:\n{self.stderr_text()}"
            )
        try:
            info = json.loads(line)
        except ValueError:
            self.stop()
            raise HarnessError(f"first stdout line is not JSON: {line!r}") from None
        missing = set(TENANT_KEYS) - set(info)
        if missing:
            self.stop()
            raise HarnessError(f"dev JSON line lacks {sorted(missing)}")
        return dict(info)

    def stderr_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> Optional[int]:
        p = self.proc
        with contextlib.suppress(OSError):
            if p.stdin and not p.stdin.closed:
                p.stdin.close()
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


class Server:
    """The demo tenant of a running server, with admin helpers."""

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
        self.provider_url: str = info["provider_url"]
        self.api = Admin(self.base_url, info["admin_token"])
        self.log: Optional[Path] = None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """One admin API call (raises :class:`AdminError` on a non-2xx answer)."""
        return self.api.call(method, path, body)

    def new_secret(self, slug: str, credentials: int = 1) -> str:
        """A managed secret of the demo app with ``credentials`` developer credentials."""
        ms = self.api.add_managed_secret(self.app_id, slug, slug)
        for i in range(credentials):
            self.api.add_credential(self.app_id, ms, f"cred-{i}", value=f"s3cr3t-value-{i}")
        return ms

    def injected_secret(self, slug: str, value: str, **injection: Any) -> str:
        """A managed secret of the demo app with one developer credential ``value``, injected
        as ``injection`` says (``header``, ``format``, ``query_param``, ``allowed_base_urls``;
        default ``Authorization: Bearer {token}``, any https or loopback URL)."""
        ms = self.api.add_managed_secret(self.app_id, slug, slug)
        self.api.add_credential(self.app_id, ms, "key", value=value)
        self.api.set_injection(self.app_id, ms, **injection)
        return ms

    def user_token_for(self, sub: str, groups: Optional[list[str]] = None) -> str:
        return self.api.user_token(self.app_id, self.idp_id, sub, groups)

    def fault(self, path_prefix: str, status: int, times: int, **kw: Any) -> None:
        self.api.fault(path_prefix, status, times, **kw)

    def clear_faults(self) -> None:
        self.api.clear_faults()


@contextlib.contextmanager
def running_dev(store: str = "memory", binary: Optional[str] = None) -> Iterator[DevServer]:
    """``grantline-server dev`` on ``store`` in a temporary directory, until the block ends."""
    binary = binary or server_binary()
    with tempfile.TemporaryDirectory(prefix="grantline-") as tmp:
        server = DevServer(binary, Path(tmp), database_args(store, Path(tmp)))
        try:
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def running_server(*database: str) -> Iterator[Server]:
    """``grantline-server dev`` on a free port (its stderr in ``Server.log``) until the block
    ends; ``database`` is ``("--database", URL)`` or nothing for the default in-memory one."""
    binary = server_binary()
    with tempfile.TemporaryDirectory(prefix="grantline-") as tmp:
        dev = DevServer(binary, Path(tmp), list(database))
        srv = Server(dev.info)
        srv.log = dev.log
        try:
            yield srv
        finally:
            dev.stop()


@contextlib.contextmanager
def alter_base_url(url: str) -> Iterator[None]:
    """Points the official client (which reads ``ALTER_BASE_URL`` when constructed) at ``url``
    for the block."""
    old = os.environ.get("ALTER_BASE_URL")
    os.environ["ALTER_BASE_URL"] = url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("ALTER_BASE_URL", None)
        else:
            os.environ["ALTER_BASE_URL"] = old
