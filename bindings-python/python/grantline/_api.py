"""The client surface, written once for the async and the blocking clients.

Each operation's keyword signature and docstring live here, in a ``_*Operations`` class; the
async clients (``grantline.App``/``Agent``) and the blocking ones (``grantline.blocking``) take
them with ``async_operation``/``blocking_operation``, which keep the signature for type checkers
(a ``ParamSpec``) and pass the arguments to the core's operation of the same name. Which
arguments an operation takes, their defaults and their rules are the core's (its operation
table): a test checks these signatures against it (``tests/vectors/api.json``).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Iterator
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

from . import _native
from ._errors import GrantlineError, InvalidArgumentError
from ._native import (
    AgentPrincipal,
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

if TYPE_CHECKING:
    from typing import Concatenate, ParamSpec

    P = ParamSpec("P")

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

Principal = Union[UserPrincipal, GroupPrincipal, SystemPrincipal, AgentPrincipal]
GrantItem = Union[ManagedSecretGrantItem, OAuthGrantItem, UnknownGrantItem]
PolicyInput = Union[GrantPolicy, dict[str, Any], None]
UserTokenGetter = Callable[[], Union[str, Awaitable[str]]]


class CallerType(str, Enum):
    """Who is calling (``X-Alter-Caller-Type``)."""

    AGENT = "agent"
    SERVICE = "service"


#: name → the option an App's ``user_token_getter`` fills when the call names no token.
_USER_TOKEN_OPTION: dict[str, Optional[str]] = {
    name: token_option for name, _positional, _options, token_option in _native.operations()
}


def settings(**given: Any) -> dict[str, Any]:
    """A client's settings for the core (enums as their values)."""
    return {k: v.value if isinstance(v, Enum) else v for k, v in given.items()}


def check_options(getter: object, logger: object) -> None:
    """The official client's constructor checks on the options grantline takes for compatibility.

    ``logger`` is only checked: grantline logs to ``logging.getLogger("grantline")``.
    """
    if getter is not None and not callable(getter):
        raise InvalidArgumentError("user_token_getter must be callable")
    if logger is not None and not callable(getattr(logger, "warning", None)):
        raise InvalidArgumentError("logger must have a callable warning method")


def checked_token(value: object) -> str:
    """What a ``user_token_getter`` returned, if it is a usable token."""
    if not isinstance(value, str) or not value:
        raise GrantlineError("user_token_getter must return a non-empty string")
    return value


def _getter_failed(e: Exception) -> GrantlineError:
    err = GrantlineError("user_token_getter failed")
    err.__cause__ = e
    return err


async def resolve_token_async(getter: UserTokenGetter) -> str:
    try:
        value = getter()
        if inspect.isawaitable(value):
            value = await value
    except Exception as e:
        raise _getter_failed(e) from e
    return checked_token(value)


def resolve_token(getter: UserTokenGetter) -> str:
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
        raise _getter_failed(e) from e
    return checked_token(value)


class _Binder:
    """Binds a call's arguments by the spec's signature into the core's keyword arguments."""

    def __init__(self, spec: Callable[..., Any]) -> None:
        self.name = spec.__name__
        params = list(inspect.signature(spec).parameters.values())[1:]  # without self
        self.positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        self.names = {p.name for p in params}
        self.token_option = _USER_TOKEN_OPTION.get(self.name)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if len(args) > len(self.positional):
            raise TypeError(
                f"{self.name}() takes {len(self.positional)} positional arguments"
                f" but {len(args)} were given"
            )
        bound = dict(zip(self.positional, args))  # noqa: B905 (no strict= on 3.9; lengths checked)
        for key, value in kwargs.items():
            if key not in self.names:
                raise TypeError(f"{self.name}() got an unexpected keyword argument {key!r}")
            if key in bound:
                raise TypeError(f"{self.name}() got multiple values for argument {key!r}")
            bound[key] = value
        return bound

    def dress(self, method: F, spec: Callable[..., Any]) -> F:
        """Gives ``method`` the spec's name, docs and signature (for ``help`` and IDEs)."""
        method.__name__ = self.name
        method.__qualname__ = spec.__qualname__
        method.__doc__ = spec.__doc__
        method.__signature__ = inspect.signature(spec)  # type: ignore[attr-defined]
        return method

    def needs_token(self, client: Any, bound: dict[str, Any]) -> bool:
        return (
            self.token_option is not None
            and getattr(client, "_getter", None) is not None
            and bound.get(self.token_option) is None
        )


def async_operation(
    spec: Callable[Concatenate[Any, P], R],
) -> Callable[Concatenate[Any, P], Awaitable[R]]:
    """The async method for the core operation ``spec`` declares."""
    binder = _Binder(spec)

    async def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        bound = binder.bind(args, kwargs)
        if binder.needs_token(self, bound):
            bound[binder.token_option] = await resolve_token_async(self._getter)  # type: ignore[index]
        result: R = await self._submit(self._native.call, binder.name, bound)
        return result

    return binder.dress(method, spec)


def blocking_operation(
    spec: Callable[Concatenate[Any, P], R],
) -> Callable[Concatenate[Any, P], R]:
    """The blocking method for the core operation ``spec`` declares."""
    binder = _Binder(spec)

    def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        bound = binder.bind(args, kwargs)
        if binder.needs_token(self, bound):
            bound[binder.token_option] = resolve_token(self._getter)  # type: ignore[index]
        result: R = self._native.call(binder.name, bound)
        return result

    return binder.dress(method, spec)


def async_pages(
    spec: Callable[Concatenate[Any, P], Iterator[GrantItem]],
) -> Callable[Concatenate[Any, P], AsyncIterator[GrantItem]]:
    """``iter_grants`` for an async client: every page of ``list_grants``, item by item."""
    binder = _Binder(spec)
    binder.token_option = _USER_TOKEN_OPTION["list_grants"]

    async def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[GrantItem]:
        bound = binder.bind(args, kwargs)
        if binder.needs_token(self, bound):
            bound[binder.token_option] = await resolve_token_async(self._getter)  # type: ignore[index]
        stream = self._native.grants(bound)
        while True:
            batch: list[GrantItem] = await self._submit(stream.next_batch)
            if not batch:
                return
            for item in batch:
                yield item

    return binder.dress(method, spec)


def blocking_pages(
    spec: Callable[Concatenate[Any, P], Iterator[GrantItem]],
) -> Callable[Concatenate[Any, P], Iterator[GrantItem]]:
    """``iter_grants`` for a blocking client: each page fetched on the thread that advances."""
    binder = _Binder(spec)
    binder.token_option = _USER_TOKEN_OPTION["list_grants"]

    def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[GrantItem]:
        bound = binder.bind(args, kwargs)
        if binder.needs_token(self, bound):
            bound[binder.token_option] = resolve_token(self._getter)  # type: ignore[index]
        items: Iterator[GrantItem] = self._native.grants(bound)
        return items

    return binder.dress(method, spec)


class ListingOperations:
    """The listing calls of every client (signatures and docs; see the module docstring)."""

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
        timeout: Optional[float] = None,
    ) -> GrantListResult:
        """One page of the grants this client can see.

        An app sees every grant it owns (with ``end_user_token``, or its ``user_token_getter``,
        only that end user's and their groups'); an agent, its own grants. Filters are AND-ed;
        ``limit`` is 1 to 1000; ``timeout`` (seconds) overrides the client's for this call.
        """
        raise NotImplementedError

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
        timeout: Optional[float] = None,
    ) -> Iterator[GrantItem]:
        """Every grant ``list_grants`` would page through (``limit`` is the page size)."""
        raise NotImplementedError


class AppOperations(ListingOperations):
    """The operations of an app client."""

    def create_managed_secret_grant(
        self,
        managed_secret_id: str,
        *,
        principal: Principal,
        grant_policy: PolicyInput = None,
        credential_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> CreateGrantResult:
        """Issues a grant on a managed secret to ``principal``.

        ``grant_policy`` bounds its lifetime (a ``GrantPolicy`` or a dict of its fields);
        ``credential_id`` may be omitted while the secret has one developer credential. Never
        retried once the server may have acted on it.
        """
        raise NotImplementedError

    def revoke_grant(
        self,
        grant_id: str,
        *,
        reason: Optional[str] = None,
        user_token: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> RevokeGrantResult:
        """Revokes a grant of either kind.

        ``user_token`` (or the app's ``user_token_getter``) revokes as that end user: only
        their own grants.
        """
        raise NotImplementedError


class AgentOperations(ListingOperations):
    """The operations of an agent client."""

    def create_managed_secret_grant(
        self,
        managed_secret_id: str,
        *,
        principal: AgentPrincipal,
        grant_policy: PolicyInput = None,
        credential_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> CreateGrantResult:
        """Issues a grant for the agent itself (only ``AgentPrincipal`` is accepted)."""
        raise NotImplementedError
