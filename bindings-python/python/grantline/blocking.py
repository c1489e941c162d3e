"""Blocking clients: the same surface as ``grantline.App``/``Agent`` without ``await``.

Usable from threads, Flask, Django and Celery; every call releases the GIL while it waits. Each
calling thread drives its calls on its own runtime and connection pool (grantline's core). The
methods are declared once, for both kinds of client, in ``grantline._api``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Optional, TypeVar

from ._api import AgentOperations, AppOperations, BlockingMode
from ._client import _FLUSH_SECONDS, _AgentSettings, _AppSettings, _ClientBase
from ._native import BlockingAgent, BlockingApp

__all__ = ["Agent", "App"]

_C = TypeVar("_C", bound="_BlockingClient")


class _BlockingClient(_ClientBase, BlockingMode):
    """What the blocking ``App`` and ``Agent`` share: closing, context management."""

    def close(self) -> None:
        """Closes the client; later calls fail. Idempotent. Then waits (at most 10 s) for the
        audit records of earlier ``request()`` calls, written in the background."""
        self._native.close()
        if self._native.pending_background():
            self._native.flush(_FLUSH_SECONDS)

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class Agent(_AgentSettings, AgentOperations, _BlockingClient):
    """The blocking workload client."""

    _native_class = BlockingAgent


class App(_AppSettings[Agent], AppOperations, _BlockingClient):
    """The blocking operator client."""

    _native_class = BlockingApp
    _agent_class = Agent
