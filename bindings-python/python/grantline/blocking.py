"""Blocking clients: the same surface as ``grantline.App``/``Agent`` without ``await``.

Usable from threads, Flask, Django and Celery; every call releases the GIL while it waits. Each
calling thread drives its calls on its own runtime and connection pool (grantline's core).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, Optional, TypeVar, Union

from . import _native
from ._client import (
    CallerType,
    GrantItem,
    PolicyInput,
    Principal,
    UserTokenGetter,
    _caller_type,
    _check_options,
    _checked_token,
)
from ._errors import GrantlineError
from ._native import (
    AgentPrincipal,
    BlockingAgent,
    BlockingApp,
    CreateGrantResult,
    GrantListResult,
    RevokeGrantResult,
)

__all__ = ["Agent", "App"]


def _resolve_token(getter: UserTokenGetter) -> str:
    import inspect

    try:
        value = getter()
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()  # never awaited: no "was never awaited" warning
            raise GrantlineError(
                "an async user_token_getter cannot be used with a blocking client"
            )
    except GrantlineError:
        raise
    except Exception as e:
        raise GrantlineError("user_token_getter failed") from e
    return _checked_token(value)


_C = TypeVar("_C", bound="_BlockingClient")


class _BlockingClient:
    """What the blocking ``App`` and ``Agent`` share: listing, closing, context management."""

    _native: Union[BlockingApp, BlockingAgent]
    _getter: Optional[UserTokenGetter] = None

    @property
    def base_url(self) -> str:
        """The resolved backend URL."""
        return self._native.base_url

    @property
    def actor_id(self) -> Optional[str]:
        """The actor id the server returned, once it has."""
        return self._native.actor_id

    def _token(self, explicit: Optional[str]) -> Optional[str]:
        """An explicit ``end_user_token`` wins; else the getter's (apps only), else none."""
        if explicit is None and self._getter is not None:
            return _resolve_token(self._getter)
        return explicit

    def list_grants(
        self,
        *,
        provider_id: Optional[str] = None,
        status: Optional[str] = None,
        account: Optional[str] = None,
        label: Optional[str] = None,
        end_user_token: Optional[str] = None,
        limit: int = 100,
        offset: int = 0,
    ) -> GrantListResult:
        """One page of the grants this client can see.

        An app sees every grant it owns; an agent, its own grants and those delegated to it.
        """
        token = self._token(end_user_token)
        return self._native.list(provider_id, status, account, label, token, limit, offset)

    def iter_grants(
        self,
        *,
        provider_id: Optional[str] = None,
        status: Optional[str] = None,
        account: Optional[str] = None,
        label: Optional[str] = None,
        end_user_token: Optional[str] = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Iterator[GrantItem]:
        """Every grant ``list_grants`` would page through, each page fetched when needed (on
        the thread that advances the iterator)."""
        token = self._token(end_user_token)
        return self._native.grants(provider_id, status, account, label, token, limit, offset)

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


class App(_BlockingClient):
    """The blocking operator client."""

    _native: BlockingApp

    def __init__(
        self,
        api_key: str,
        *,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        caller: Optional[str] = None,
        caller_type: Union[CallerType, str] = "service",
        user_token_getter: Optional[UserTokenGetter] = None,
        logger: Any = None,
    ) -> None:
        _check_options(user_token_getter, logger)
        self._getter = user_token_getter
        self._native = _native.BlockingApp(
            api_key,
            base_url,
            timeout,
            max_retries,
            caller,
            _caller_type(caller_type),
            user_token_getter is not None,
        )

    def __repr__(self) -> str:
        return f"blocking.App(base_url={self.base_url!r})"

    def create_managed_secret_grant(
        self,
        managed_secret_id: str,
        *,
        principal: Principal,
        grant_policy: PolicyInput = None,
        credential_id: Optional[str] = None,
    ) -> CreateGrantResult:
        """Issues a grant on a managed secret to ``principal``."""
        return self._native.create(managed_secret_id, principal, grant_policy, credential_id)

    def revoke_grant(self, grant_id: str, *, reason: Optional[str] = None) -> RevokeGrantResult:
        """Revokes a grant of either kind."""
        return self._native.revoke(grant_id, reason, self._token(None))

    def get_agent(self, agent_id: Any) -> Agent:
        """A blocking ``Agent`` acting as the managed agent ``agent_id``."""
        return Agent._wrap(self._native.get_agent(str(agent_id) if agent_id else agent_id))


class Agent(_BlockingClient):
    """The blocking workload client (``user_token_getter`` is accepted and never called)."""

    _native: BlockingAgent

    def __init__(
        self,
        api_key: str,
        *,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        caller: Optional[str] = None,
        user_token_getter: Optional[UserTokenGetter] = None,
        logger: Any = None,
    ) -> None:
        _check_options(user_token_getter, logger)
        self._native = _native.BlockingAgent(api_key, base_url, timeout, max_retries, caller)

    @classmethod
    def _wrap(cls, native: BlockingAgent) -> Agent:
        agent = cls.__new__(cls)
        agent._native = native
        return agent

    @property
    def caller(self) -> Optional[str]:
        """The impersonated agent id (agents from ``App.get_agent``) or the given caller."""
        return self._native.caller

    def __repr__(self) -> str:
        return f"blocking.Agent(base_url={self.base_url!r}, caller={self.caller!r})"

    def create_managed_secret_grant(
        self,
        managed_secret_id: str,
        *,
        principal: AgentPrincipal,
        grant_policy: PolicyInput = None,
        credential_id: Optional[str] = None,
    ) -> CreateGrantResult:
        """Issues a grant for the agent itself (only ``AgentPrincipal`` is accepted)."""
        return self._native.create(managed_secret_id, principal, grant_policy, credential_id)
