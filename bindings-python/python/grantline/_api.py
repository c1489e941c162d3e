"""The client surface, written once for the async and the blocking clients.

Each operation's keyword signature and docstring live here, once, in an ``*Operations`` class,
as an ``operation`` (or ``pages``) descriptor: the async clients (``grantline.App``/``Agent``)
and the blocking ones (``grantline.blocking``) inherit these classes, and the descriptor gives a
coroutine function on an async client, a plain function on a blocking one, each keeping the
signature for type checkers (a ``ParamSpec``) and passing the arguments to the core's operation
of the same name. Which
arguments an operation takes, their defaults and their rules are the core's (its operation
table): a test checks these signatures against it (``tests/vectors/api.json``).
"""

from __future__ import annotations

import inspect
import sys
import warnings
from collections.abc import AsyncIterator, Awaitable, Iterator
from enum import Enum
from types import MethodType
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union, overload

from . import _native
from ._errors import GrantlineError, InvalidArgumentError
from ._native import (
    AgentPrincipal,
    CreateGrantResult,
    DelegationResult,
    GrantInfo,
    GrantListResult,
    GrantPolicy,
    GroupPrincipal,
    ManagedSecretGrantItem,
    OAuthGrantItem,
    ProviderResponse,
    RevokeGrantResult,
    SystemPrincipal,
    UnknownGrantItem,
    UserPrincipal,
)

if TYPE_CHECKING:
    from typing import Concatenate, ParamSpec

    P = ParamSpec("P")
else:  # the classes below are generic in it for type checkers only
    P = TypeVar("P")

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


def _warn_if_on_a_loop(name: str) -> None:
    """A blocking call on a thread that runs an event loop stalls every task of that loop."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and asyncio._get_running_loop() is not None:
        warnings.warn(
            f"grantline.blocking: {name}() was called on a thread that runs an asyncio event "
            "loop, which it blocks until the call returns; use grantline.App with await there, "
            "or run the blocking call in a thread (await asyncio.to_thread(...))",
            RuntimeWarning,
            stacklevel=3,
        )


class _Binder:
    """Binds a call's arguments by the spec's signature into the core's keyword arguments."""

    def __init__(self, spec: Callable[..., Any], token_of: Optional[str] = None) -> None:
        self.name = spec.__name__
        params = list(inspect.signature(spec).parameters.values())[1:]  # without self
        self.positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        self.names = {p.name for p in params}
        self.token_option = _USER_TOKEN_OPTION.get(token_of or self.name)

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

    def _token_slot(self, client: Any, bound: dict[str, Any]) -> Optional[str]:
        """The option an app's getter must fill for this call, if any."""
        option = self.token_option
        if option is None or getattr(client, "_getter", None) is None or bound.get(option) is not None:
            return None
        return option

    async def bind_async(self, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self.bind(args, kwargs)
        slot = self._token_slot(client, bound)
        if slot is not None:
            bound[slot] = await resolve_token_async(client._getter)
        return bound

    def bind_blocking(self, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self.bind(args, kwargs)
        slot = self._token_slot(client, bound)
        if slot is not None:
            bound[slot] = resolve_token(client._getter)
        return bound


class AsyncMode:
    """Marks the async clients: an operation read on one is a coroutine function."""

    _native: Any
    _getter: Optional[UserTokenGetter]

    async def _submit(self, start: Callable[..., int], *args: Any) -> Any:
        raise NotImplementedError


class BlockingMode:
    """Marks the blocking clients: an operation read on one runs on the calling thread."""

    _native: Any
    _getter: Optional[UserTokenGetter]


class _Dual:
    """A method with an async and a blocking body; which one a client gets depends on its mode."""

    _async: Callable[..., Any]
    _blocking: Callable[..., Any]
    __name__: str
    __qualname__: str

    def _dress(
        self,
        binder: _Binder,
        spec: Callable[..., Any],
        name: Optional[str] = None,
        doc: Optional[str] = None,
    ) -> None:
        for target in (self._async, self._blocking, self):
            binder.dress(target, spec)
            if name is not None:
                target.__name__ = name
                target.__qualname__ = spec.__qualname__.replace(spec.__name__, name)
                target.__signature__ = inspect.signature(spec).replace(  # type: ignore[union-attr]
                    return_annotation="Iterator[GrantItem]"
                )
            if doc is not None:
                target.__doc__ = doc

    def _bound(self, client: Any) -> Any:
        if client is None:
            return self
        fn = self._async if isinstance(client, AsyncMode) else self._blocking
        return MethodType(fn, client)

    def __call__(self, client: Any, /, *args: Any, **kwargs: Any) -> Any:
        return self._bound(client)(*args, **kwargs)


class operation(_Dual, Generic[P, R]):
    """A core operation, declared once by its keyword signature and docstring (the decorated
    function's body is never run). Read on an async client it is a coroutine function, on a
    blocking one a plain function, both with that signature for type checkers."""

    def __init__(self, spec: Callable[Concatenate[Any, P], R]) -> None:
        binder = _Binder(spec)

        async def run_async(client: AsyncMode, /, *args: Any, **kwargs: Any) -> Any:
            # bind_async inlined: one coroutine less per call (measured, README "Benchmark").
            bound = binder.bind(args, kwargs)
            slot = binder._token_slot(client, bound)
            if slot is not None and client._getter is not None:
                bound[slot] = await resolve_token_async(client._getter)
            return await client._submit(client._native.call, binder.name, bound)

        def run_blocking(client: BlockingMode, /, *args: Any, **kwargs: Any) -> Any:
            _warn_if_on_a_loop(binder.name)
            return client._native.call(binder.name, binder.bind_blocking(client, args, kwargs))

        self._async, self._blocking = run_async, run_blocking
        self._dress(binder, spec)

    @overload
    def __get__(self, client: None, owner: type) -> operation[P, R]: ...
    @overload
    def __get__(self, client: AsyncMode, owner: type) -> Callable[P, Awaitable[R]]: ...
    @overload
    def __get__(self, client: BlockingMode, owner: type) -> Callable[P, R]: ...
    def __get__(self, client: Any, owner: type) -> Any:
        return self._bound(client)


class pages(_Dual, Generic[P]):
    """``iter_grants``: every page of ``list_grants``, item by item (an async iterator on an
    async client; on a blocking one an iterator whose pages load on the thread that advances)."""

    def __init__(self, spec: Callable[Concatenate[Any, P], GrantListResult], doc: str) -> None:
        binder = _Binder(spec)

        async def run_async(client: AsyncMode, /, *args: Any, **kwargs: Any) -> AsyncIterator[GrantItem]:
            stream = client._native.grants(await binder.bind_async(client, args, kwargs))
            while True:
                batch: list[GrantItem] = await client._submit(stream.next_batch)
                if not batch:
                    return
                for item in batch:
                    yield item

        def run_blocking(client: BlockingMode, /, *args: Any, **kwargs: Any) -> Iterator[GrantItem]:
            items: Iterator[GrantItem] = client._native.grants(
                binder.bind_blocking(client, args, kwargs)
            )
            return items

        self._async, self._blocking = run_async, run_blocking
        self._dress(binder, spec, name="iter_grants", doc=doc)

    @overload
    def __get__(self, client: None, owner: type) -> pages[P]: ...
    @overload
    def __get__(
        self, client: AsyncMode, owner: type
    ) -> Callable[P, AsyncIterator[GrantItem]]: ...
    @overload
    def __get__(self, client: BlockingMode, owner: type) -> Callable[P, Iterator[GrantItem]]: ...
    def __get__(self, client: Any, owner: type) -> Any:
        return self._bound(client)


def list_grants(
    self: Any,
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


def request(
    self: Any,
    method: str,
    url: str,
    *,
    grant_id: Optional[str] = None,
    provider: Optional[str] = None,
    account: Optional[str] = None,
    label: Optional[str] = None,
    app_user_id: Optional[str] = None,
    json: Any = None,
    body: Optional[bytes] = None,
    extra_headers: Optional[dict[str, str]] = None,
    query_params: Optional[dict[str, Any]] = None,
    path_params: Optional[dict[str, str]] = None,
    reason: Optional[str] = None,
    context: Optional[dict[str, str]] = None,
    user_token: Optional[str] = None,
    timeout: Optional[float] = None,
) -> ProviderResponse:
    """Calls a provider's API with a grant's credential injected; returns its response.

    The grant is ``grant_id``, or the one ``provider`` resolves to (narrowed by ``account``,
    ``label``, or on an agent ``app_user_id``). ``path_params`` fill ``{name}`` placeholders of
    ``url``; ``json`` or ``body`` (bytes) is the request body; ``extra_headers`` and
    ``query_params`` are sent as given. The credential goes only to ``https`` URLs (plain http
    only to localhost) and to the secret's allowed base URLs; the call is never retried and
    redirects are returned, not followed. It is recorded in the background with ``reason``
    and ``context`` (``close()`` waits for the record). A status of 400 or more raises
    ``ProviderApiError`` (401: ``ProviderUnauthorizedError``; 403 ``insufficient_scope``:
    ``ScopeReauthRequiredError``). ``timeout`` (seconds) bounds the lease and the call each.
    """
    raise NotImplementedError


class ListingOperations:
    """The calls of every client (signatures and docs; see the module docstring)."""

    list_grants = operation(list_grants)
    request = operation(request)
    iter_grants = pages(
        list_grants,
        "Every grant ``list_grants`` would page through (``limit`` is the page size), each page"
        " fetched as the iteration reaches it.",
    )


class AppOperations(ListingOperations):
    """The operations of an app client."""

    @operation
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

    @operation
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

    @operation
    def mint_grant(
        self,
        source_grant_id: str,
        *,
        label: str,
        grant_policy: PolicyInput = None,
        grant_tags: Optional[list[str]] = None,
        timeout: Optional[float] = None,
    ) -> GrantInfo:
        """Mints a sibling grant on the source grant's credential: the same principal, its own
        ``label`` (unique among the credential's active grants) and policy (``expires_at``,
        ``max_ttl_seconds``; no ``default_ttl_seconds``). Delegations are not copied."""
        raise NotImplementedError

    @operation
    def revoke_delegation(
        self, grant_id: str, agent_id: str, *, timeout: Optional[float] = None
    ) -> None:
        """Revokes agent ``agent_id``'s delegation of ``grant_id`` and every delegation below
        it; the grant itself stays. Idempotent."""
        raise NotImplementedError


class AgentOperations(ListingOperations):
    """The operations of an agent client."""

    @operation
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

    @operation
    def delegate(
        self,
        grant_id: str,
        to_agent_id: str,
        *,
        delegable: Optional[bool] = None,
        scope_constraint: Optional[list[str]] = None,
        ttl_seconds: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> DelegationResult:
        """Hands a grant this agent holds to another agent of the same app, one level deeper.

        The child never outlives the grant (``ttl_seconds`` only shortens) nor outranks it
        (``scope_constraint`` only narrows); ``delegable=True`` lets it delegate onward.
        """
        raise NotImplementedError

    @operation
    def revoke_delegation(self, grant_id: str, *, timeout: Optional[float] = None) -> None:
        """Revokes this agent's own delegation of ``grant_id`` (and every delegation below it).
        Idempotent."""
        raise NotImplementedError
