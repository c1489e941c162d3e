"""A provider stub for ``request()`` tests: a local HTTP server (standard library, its own
thread, 127.0.0.1 only) that records every request it receives, so a test can assert where a
credential went and where it did not. Used by the Python package's suite and the official
client's. Paths:

- ``/unauthorized`` → 401; ``/scope`` → 403 with ``WWW-Authenticate: Bearer
  error="insufficient_scope", scope="repo admin"``; ``/echo-error`` → 500 whose body repeats the
  ``Authorization`` header (a careless provider); ``/slow`` → answers after 3 s;
  ``/redirect`` → 302 to ``redirect_to``; anything else → 200 ``{"ok": true, "path": …}`` with a
  ``Set-Cookie``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import urlsplit


class Seen:
    """One request the stub received."""

    def __init__(self, method: str, path: str, query: str, headers: list[tuple[str, str]],
                 body: bytes) -> None:
        self.method, self.path, self.query, self.headers, self.body = (
            method, path, query, headers, body)

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def everything(self) -> str:
        return f"{self.method} {self.path} {self.query} {self.headers!r} {self.body!r}"


class ProviderStub:
    """``with ProviderStub() as stub: stub.url, stub.seen``."""

    def __init__(self, redirect_to: Optional[str] = None) -> None:
        self.seen: list[Seen] = []
        self.redirect_to = redirect_to
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                stub.seen.append(Seen(self.command, parts.path, parts.query,
                                      list(self.headers.items()), body))
                status, headers, out = stub._answer(parts.path, self.headers.get("Authorization"))
                try:
                    self.send_response(status)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _answer(self, path: str, auth: Optional[str]) -> tuple[int, list[tuple[str, str]], bytes]:
        if path == "/unauthorized":
            return 401, [], b"no"
        if path == "/scope":
            return 403, [("WWW-Authenticate",
                          'Bearer error="insufficient_scope", scope="repo admin"')], b"need scopes"
        if path == "/echo-error":
            return 500, [], f"bad token {auth}".encode()
        if path == "/slow":
            time.sleep(3)
            return 200, [], b"late"
        if path == "/redirect":
            return 302, [("Location", self.redirect_to or "/")], b""
        body = json.dumps({"ok": True, "path": path}).encode()
        return 200, [("Content-Type", "application/json"), ("Set-Cookie", "s=1")], body

    def __enter__(self) -> ProviderStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
