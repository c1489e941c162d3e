"""Blocking clients: the same surface as ``grantline.App``/``Agent`` without ``await``.

Usable from threads, Flask, Django and Celery; every call releases the GIL while it waits. Each
calling thread drives its calls on its own runtime and connection pool (grantline's core). The
methods are declared once, for both kinds of client, in ``grantline._api``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Optional, TypeVar

from ._api import AgentOperations, AppOperations, blocking_operation, blocking_pages
from ._client import _AgentSettings, _AppSettings, _ClientBase
from ._native import BlockingAgent, BlockingApp

__all__ = ["Agent", "App"]

_C = TypeVar("_C", bound="_BlockingClient")


class _BlockingClient(_ClientBase):
    """What the blocking ``App`` and ``Agent`` share: closing, context management."""

    def close(self) -> None:
        """Closes the client; later calls fail. Idempotent."""
        self._native.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class Agent(_AgentSettings, _BlockingClient):
    """The blocking workload client."""

    _native_class = BlockingAgent

    create_managed_secret_grant = blocking_operation(AgentOperations.create_managed_secret_grant)
    list_grants = blocking_operation(AgentOperations.list_grants)
    iter_grants = blocking_pages(AgentOperations.iter_grants)


class App(_AppSettings, _BlockingClient):
    """The blocking operator client."""

    _native_class = BlockingApp

    create_managed_secret_grant = blocking_operation(AppOperations.create_managed_secret_grant)
    list_grants = blocking_operation(AppOperations.list_grants)
    iter_grants = blocking_pages(AppOperations.iter_grants)
    revoke_grant = blocking_operation(AppOperations.revoke_grant)

    def get_agent(self, agent_id: Any) -> Agent:
        """A blocking ``Agent`` acting as the managed agent ``agent_id``."""
        return Agent._wrap(self._native.get_agent(str(agent_id) if agent_id else ""))
