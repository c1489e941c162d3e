"""The async clients: ``App`` and ``Agent``, drop-in for ``alter_sdk``'s grant calls.

Calls run as core futures on grantline's own I/O thread. Each running event loop gets one
completion queue whose file descriptor the loop watches (``loop.add_reader``); finished calls are
drained and their asyncio futures resolved on the loop's own thread. The methods themselves are
declared once, for the async and the blocking clients, in ``_api``.
"""

from __future__ import annotations

import os
import weakref
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union

from . import _native
from ._api import (
    AgentOperations,
    AppOperations,
    AsyncMode,
    CallerType,
    GrantItem,
    PolicyInput,
    Principal,
    UserTokenGetter,
    check_options,
    settings,
)
from ._errors import GrantlineError
from ._native import AsyncAgent, AsyncApp

if TYPE_CHECKING:  # asyncio is imported on first use: it costs more than all of grantline
    import asyncio

__all__ = ["Agent", "App", "CallerType", "GrantItem", "PolicyInput", "Principal", "UserTokenGetter"]


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


#: ``asyncio.get_running_loop`` and ``asyncio.CancelledError``, looked up on the first call.
_running_loop: Optional[Callable[[], asyncio.AbstractEventLoop]] = None
_cancelled: type[BaseException] = BaseException


async def _submit(start: Callable[..., int], *args: Any) -> Any:
    """Starts a native call on this loop's completion queue and waits for its outcome."""
    global _running_loop, _cancelled
    if _running_loop is None:
        import asyncio

        _running_loop, _cancelled = asyncio.get_running_loop, asyncio.CancelledError
    try:
        loop = _running_loop()
    except RuntimeError:
        raise GrantlineError(
            "grantline.App and grantline.Agent are async: await their calls inside an event "
            "loop (asyncio.run, trio via anyio's asyncio backend, a framework's async views), "
            "or use grantline.blocking.App / grantline.blocking.Agent in synchronous code"
        ) from None
    d = _dispatchers.get(loop) or _dispatcher(loop)
    token = start(d.completions, *args)
    fut = loop.create_future()
    d.pending[token] = fut
    try:
        return await fut
    except _cancelled:
        d.completions.cancel(token)  # abort the Rust request too
        raise
    finally:
        d.pending.pop(token, None)


_C = TypeVar("_C", bound="_AsyncClient")


_T = TypeVar("_T", bound="_ClientBase")


class _ClientBase:
    """What every client has (async and blocking)."""

    _native: Any
    _getter: Optional[UserTokenGetter] = None

    def with_constraints(
        self: _T,
        *,
        scopes: Optional[list[str]] = None,
        rule: Optional[dict[str, Any]] = None,
    ) -> _T:
        """A client sharing this one's connections whose every call carries these constraints,
        inside the signature: ``scopes`` to narrow to, and/or a one-off ``rule``
        (``{"rule_type": ..., "rule_body": {...}}``). Attenuation only narrows: call it on the
        original client, never on a constrained one."""
        clone = type(self).__new__(type(self))
        clone._native = self._native.with_constraints({"scopes": scopes, "rule": rule})
        clone._getter = self._getter
        return clone

    @property
    def base_url(self) -> str:
        """The resolved backend URL."""
        url: str = self._native.base_url
        return url

    @property
    def actor_id(self) -> Optional[str]:
        """The actor id the server returned, once it has."""
        actor: Optional[str] = self._native.actor_id
        return actor


def _prefix(client: object) -> str:
    return "blocking." if type(client).__module__ == "grantline.blocking" else ""


def _native_client(
    client: _ClientBase, getter: Any, logger: Any, **given: Any
) -> Any:
    """The native client of ``client``'s class for these settings (checked by the core)."""
    check_options(getter, logger)
    return type(client)._native_class(settings(**given))  # type: ignore[attr-defined]


_A = TypeVar("_A", bound="_AgentSettings")


class _AppSettings(_ClientBase, Generic[_A]):
    """An app client's construction (async and blocking): the settings, read by the core."""

    _native_class: Callable[[dict[str, Any]], Any]
    _agent_class: type[_A]

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
        self._getter = user_token_getter
        self._native = _native_client(
            self, user_token_getter, logger, api_key=api_key, base_url=base_url,
            timeout=timeout, max_retries=max_retries, caller=caller, caller_type=caller_type,
        )

    def get_agent(self, agent_id: Any) -> _A:
        """An ``Agent`` acting as the managed agent ``agent_id`` through this app's key."""
        return self._agent_class._wrap(self._native.get_agent(str(agent_id) if agent_id else ""))

    def __repr__(self) -> str:
        return f"{_prefix(self)}App(base_url={self.base_url!r})"


class _AgentSettings(_ClientBase):
    """An agent client's construction (async and blocking). ``user_token_getter`` is accepted
    for compatibility and never called (as in ``alter_sdk``): an agent sends an end-user token
    only when a call names one."""

    _native_class: Callable[[dict[str, Any]], Any]

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
        self._native = _native_client(
            self, user_token_getter, logger, api_key=api_key, base_url=base_url,
            timeout=timeout, max_retries=max_retries, caller=caller,
        )

    @classmethod
    def _wrap(cls: type[_A], native: Any) -> _A:
        agent = cls.__new__(cls)
        agent._native = native
        return agent

    @property
    def caller(self) -> Optional[str]:
        """The impersonated agent id (agents from ``App.get_agent``) or the given caller."""
        caller: Optional[str] = self._native.caller
        return caller

    def __repr__(self) -> str:
        return f"{_prefix(self)}Agent(base_url={self.base_url!r}, caller={self.caller!r})"


#: How long ``close()`` waits for pending audit records (they are dropped after it).
_FLUSH_SECONDS = 10.0


class _AsyncClient(_ClientBase, AsyncMode):
    """What the async ``App`` and ``Agent`` share: submitting, closing, context management."""

    # The module's coroutine itself (no method frame around it: one coroutine less per call).
    _submit = staticmethod(_submit)

    async def close(self) -> None:
        """Closes the client; later calls fail. Idempotent.

        Then waits (at most ``_FLUSH_SECONDS``, off the event loop) for the audit records of
        earlier ``request()`` calls, which are written in the background.
        """
        self._native.close()
        if self._native.pending_background():
            import asyncio

            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._native.flush, _FLUSH_SECONDS)

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()


class Agent(_AgentSettings, AgentOperations, _AsyncClient):
    """The workload client (async): an agent lists its grants and issues grants for itself."""

    _native_class = AsyncAgent


class App(_AppSettings[Agent], AppOperations, _AsyncClient):
    """The operator client (async): issue, list and revoke grants for an app."""

    _native_class = AsyncApp
    _agent_class = Agent
