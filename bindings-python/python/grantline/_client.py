"""The async clients: ``App`` and ``Agent``, drop-in for ``alter_sdk``'s grant calls.

Calls run as core futures on grantline's own I/O thread. Each running event loop gets one
completion queue whose file descriptor the loop watches (``loop.add_reader``); finished calls are
drained and their asyncio futures resolved on the loop's own thread.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import AsyncIterator, Awaitable
from enum import Enum
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

from . import _native
from ._errors import GrantlineError, InvalidArgumentError
from ._native import (
    AgentPrincipal,
    AsyncAgent,
    AsyncApp,
    AsyncGrantStream,
    CreateGrantResult,
    GrantListResult,
    GrantPolicy,
    GroupPrincipal,
    ManagedSecretGrantItem,
    OAuthGrantItem,
    RevokeGrantResult,
    SystemPrincipal,
    UnknownGrantItem,
    UserPrincipal,
)

if TYPE_CHECKING:  # asyncio is imported on first use: it costs more than all of grantline
    import asyncio

Principal = Union[UserPrincipal, GroupPrincipal, SystemPrincipal, AgentPrincipal]
GrantItem = Union[ManagedSecretGrantItem, OAuthGrantItem, UnknownGrantItem]
PolicyInput = Union[GrantPolicy, dict[str, Any], None]
UserTokenGetter = Callable[[], Union[str, Awaitable[str]]]


class CallerType(str, Enum):
    """Who is calling (``X-Alter-Caller-Type``)."""

    AGENT = "agent"
    SERVICE = "service"


def _caller_type(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _check_options(getter: object, logger: object) -> None:
    """The official client's constructor checks on the options grantline takes for compatibility.

    ``logger`` is only checked: grantline logs to ``logging.getLogger("grantline")``.
    """
    if getter is not None and not callable(getter):
        raise InvalidArgumentError("user_token_getter must be callable")
    if logger is not None and not callable(getattr(logger, "warning", None)):
        raise InvalidArgumentError("logger must have a callable warning method")


async def _resolve_token(getter: UserTokenGetter) -> str:
    import inspect

    try:
        value = getter()
        if inspect.isawaitable(value):
            value = await value
    except Exception as e:
        raise GrantlineError("user_token_getter failed") from e
    return _checked_token(value)


def _checked_token(value: object) -> str:
    """What a ``user_token_getter`` returned, if it is a usable token."""
    if not isinstance(value, str) or not value:
        raise GrantlineError("user_token_getter must return a non-empty string")
    return value


class _Dispatcher:
    """One event loop's completion queue and pending futures.

    It holds no reference to its loop: ``_dispatchers`` is keyed weakly by the loop, so a loop
    that is gone (each ``asyncio.run`` makes one) takes its dispatcher and socket pair with it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.completions = _native.Completions()
        self.pending: dict[int, asyncio.Future[Any]] = {}
        loop.add_reader(self.completions.fileno(), self._drain)

    def _drain(self) -> None:
        for token, ok, value in self.completions.drain():
            fut = self.pending.pop(token, None)
            if fut is None or fut.done():
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)


_dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Dispatcher] = (
    weakref.WeakKeyDictionary()
)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_dispatchers.clear)


def _dispatcher(loop: asyncio.AbstractEventLoop) -> _Dispatcher:
    d = _dispatchers.get(loop)
    if d is None:
        d = _Dispatcher(loop)
        _dispatchers[loop] = d
    return d


async def _submit(start: Callable[..., int], *args: Any) -> Any:
    import asyncio

    loop = asyncio.get_running_loop()
    d = _dispatcher(loop)
    token = start(d.completions, *args)
    fut: asyncio.Future[Any] = loop.create_future()
    d.pending[token] = fut
    try:
        return await fut
    except asyncio.CancelledError:
        d.completions.cancel(token)  # abort the Rust request too
        raise
    finally:
        d.pending.pop(token, None)


async def _iterate(stream: AsyncGrantStream) -> AsyncIterator[GrantItem]:
    while True:
        batch: list[GrantItem] = await _submit(stream.next_batch)
        if not batch:
            return
        for item in batch:
            yield item


_C = TypeVar("_C", bound="_AsyncClient")


class _AsyncClient:
    """What the async ``App`` and ``Agent`` share: listing, closing, context management."""

    _native: Union[AsyncApp, AsyncAgent]
    _getter: Optional[UserTokenGetter] = None

    @property
    def base_url(self) -> str:
        """The resolved backend URL."""
        return self._native.base_url

    @property
    def actor_id(self) -> Optional[str]:
        """The actor id the server returned, once it has."""
        return self._native.actor_id

    async def _token(self, explicit: Optional[str]) -> Optional[str]:
        """An explicit ``end_user_token`` wins; else the getter's (apps only), else none."""
        if explicit is None and self._getter is not None:
            return await _resolve_token(self._getter)
        return explicit

    async def list_grants(
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
        token = await self._token(end_user_token)
        result: GrantListResult = await _submit(
            self._native.list, provider_id, status, account, label, token, limit, offset
        )
        return result

    async def iter_grants(
        self,
        *,
        provider_id: Optional[str] = None,
        status: Optional[str] = None,
        account: Optional[str] = None,
        label: Optional[str] = None,
        end_user_token: Optional[str] = None,
        limit: int = 100,
        offset: int = 0,
    ) -> AsyncIterator[GrantItem]:
        """Every grant ``list_grants`` would page through (``limit`` is the page size)."""
        token = await self._token(end_user_token)
        stream = self._native.grants(provider_id, status, account, label, token, limit, offset)
        async for item in _iterate(stream):
            yield item

    async def close(self) -> None:
        """Closes the client; later calls fail. Idempotent."""
        self._native.close()

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()


class App(_AsyncClient):
    """The operator client (async): issue, list and revoke grants for an app."""

    _native: AsyncApp

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
        self._native = _native.AsyncApp(
            api_key,
            base_url,
            timeout,
            max_retries,
            caller,
            _caller_type(caller_type),
            user_token_getter is not None,
        )

    def __repr__(self) -> str:
        return f"App(base_url={self.base_url!r})"

    async def create_managed_secret_grant(
        self,
        managed_secret_id: str,
        *,
        principal: Principal,
        grant_policy: PolicyInput = None,
        credential_id: Optional[str] = None,
    ) -> CreateGrantResult:
        """Issues a grant on a managed secret to ``principal``."""
        result: CreateGrantResult = await _submit(
            self._native.create, managed_secret_id, principal, grant_policy, credential_id
        )
        return result

    async def revoke_grant(self, grant_id: str, *, reason: Optional[str] = None) -> RevokeGrantResult:
        """Revokes a grant of either kind."""
        token = await self._token(None)
        result: RevokeGrantResult = await _submit(self._native.revoke, grant_id, reason, token)
        return result

    def get_agent(self, agent_id: Any) -> Agent:
        """An ``Agent`` acting as the managed agent ``agent_id`` through this app's key."""
        return Agent._wrap(self._native.get_agent(str(agent_id) if agent_id else agent_id))


class Agent(_AsyncClient):
    """The workload client (async): an agent lists its grants and issues grants for itself.

    ``user_token_getter`` is accepted for compatibility and never called (as in ``alter_sdk``):
    an agent sends an end-user token only when one is passed explicitly.
    """

    _native: AsyncAgent

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
        self._native = _native.AsyncAgent(api_key, base_url, timeout, max_retries, caller)

    @classmethod
    def _wrap(cls, native: AsyncAgent) -> Agent:
        agent = cls.__new__(cls)
        agent._native = native
        return agent

    @property
    def caller(self) -> Optional[str]:
        """The impersonated agent id (agents from ``App.get_agent``) or the given caller."""
        return self._native.caller

    def __repr__(self) -> str:
        return f"Agent(base_url={self.base_url!r}, caller={self.caller!r})"

    async def create_managed_secret_grant(
        self,
        managed_secret_id: str,
        *,
        principal: AgentPrincipal,
        grant_policy: PolicyInput = None,
        credential_id: Optional[str] = None,
    ) -> CreateGrantResult:
        """Issues a grant for the agent itself (only ``AgentPrincipal`` is accepted)."""
        result: CreateGrantResult = await _submit(
            self._native.create, managed_secret_id, principal, grant_policy, credential_id
        )
        return result
