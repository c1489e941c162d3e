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
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from . import _native
from ._errors import GrantlineError, InvalidArgumentError
from ._native import (
    AgentPrincipal,
    AsyncAgent,
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


def _check_getter(getter: object) -> None:
    if getter is not None and not callable(getter):
        raise InvalidArgumentError("user_token_getter must be callable")


async def _resolve_token(getter: UserTokenGetter) -> str:
    import inspect

    try:
        value = getter()
        if inspect.isawaitable(value):
            value = await value
    except Exception as e:
        raise GrantlineError("user_token_getter failed") from e
    if not isinstance(value, str) or not value:
        raise GrantlineError("user_token_getter must return a non-empty string")
    return value


class _Dispatcher:
    """One event loop's completion queue and pending futures."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
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


def _dispatcher() -> _Dispatcher:
    import asyncio

    loop = asyncio.get_running_loop()
    d = _dispatchers.get(loop)
    if d is None:
        d = _Dispatcher(loop)
        _dispatchers[loop] = d
    return d


async def _submit(start: Callable[..., int], *args: Any) -> Any:
    d = _dispatcher()
    token = start(d.completions, *args)
    fut: asyncio.Future[Any] = d.loop.create_future()
    d.pending[token] = fut
    try:
        return await fut
    finally:
        d.pending.pop(token, None)


async def _iterate(stream: AsyncGrantStream) -> AsyncIterator[GrantItem]:
    while True:
        batch: list[GrantItem] = await _submit(stream.next_batch)
        if not batch:
            return
        for item in batch:
            yield item


class App:
    """The operator client (async): issue, list and revoke grants for an app."""

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
        _check_getter(user_token_getter)
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

    @property
    def base_url(self) -> str:
        """The resolved backend URL."""
        return self._native.base_url

    @property
    def actor_id(self) -> Optional[str]:
        """The actor id the server returned, once it has."""
        return self._native.actor_id

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
        """One page of grants."""
        if end_user_token is None and self._getter is not None:
            end_user_token = await _resolve_token(self._getter)
        result: GrantListResult = await _submit(
            self._native.list, provider_id, status, account, label, end_user_token, limit, offset
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
        """Every matching grant, page after page (``limit`` is the page size)."""
        if end_user_token is None and self._getter is not None:
            end_user_token = await _resolve_token(self._getter)
        stream = self._native.grants(
            provider_id, status, account, label, end_user_token, limit, offset
        )
        async for item in _iterate(stream):
            yield item

    async def revoke_grant(self, grant_id: str, *, reason: Optional[str] = None) -> RevokeGrantResult:
        """Revokes a grant of either kind."""
        token = await _resolve_token(self._getter) if self._getter is not None else None
        result: RevokeGrantResult = await _submit(self._native.revoke, grant_id, reason, token)
        return result

    def get_agent(self, agent_id: Any) -> Agent:
        """An ``Agent`` acting as the managed agent ``agent_id`` through this app's key."""
        return Agent._wrap(self._native.get_agent(str(agent_id) if agent_id else agent_id))

    async def close(self) -> None:
        """Closes the client; later calls fail. Idempotent."""
        self._native.close()

    async def __aenter__(self) -> App:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()


class Agent:
    """The workload client (async): an agent lists its grants and issues grants for itself."""

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
        _check_getter(user_token_getter)
        self._native = _native.AsyncAgent(api_key, base_url, timeout, max_retries, caller)

    @classmethod
    def _wrap(cls, native: AsyncAgent) -> Agent:
        agent = cls.__new__(cls)
        agent._native = native
        return agent

    @property
    def base_url(self) -> str:
        """The resolved backend URL."""
        return self._native.base_url

    @property
    def actor_id(self) -> Optional[str]:
        """The actor id the server returned, once it has."""
        return self._native.actor_id

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
        """One page of the grants this agent can see."""
        result: GrantListResult = await _submit(
            self._native.list, provider_id, status, account, label, end_user_token, limit, offset
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
        """Every grant this agent can see, page after page."""
        stream = self._native.grants(
            provider_id, status, account, label, end_user_token, limit, offset
        )
        async for item in _iterate(stream):
            yield item

    async def close(self) -> None:
        """Closes the client. Idempotent."""
        self._native.close()

    async def __aenter__(self) -> Agent:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()
