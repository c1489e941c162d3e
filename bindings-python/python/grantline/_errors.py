"""The exception tree of docs/errors.md. Raised from Rust (``grantline._native``) by class name.

Every class pickles, and carries ``status``, ``code``, ``request_id`` and ``details`` (``None`` /
``{}`` where they do not apply). The official client's names are kept as aliases:
``AlterSDKError`` = ``GrantlineError``, ``AlterValueError`` = ``InvalidArgumentError``,
``BackendError`` = ``ApiError`` (with ``status_code``), ``TimeoutError`` = ``RequestTimeoutError``.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional


class CredentialChoice(NamedTuple):
    """A credential to pass as ``credential_id`` (``CredentialIdRequiredError.credentials``)."""

    credential_id: str
    label: str


def _rebuild(cls: type[GrantlineError], message: str, kwargs: dict[str, Any]) -> GrantlineError:
    return cls(message, **kwargs)


class GrantlineError(Exception):
    """Every grantline error."""

    def __init__(
        self,
        message: str = "",
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        details: Optional[dict[str, Any]] = None,
        retry_after: Optional[float] = None,
        label: Optional[str] = None,
        grant_id: Optional[str] = None,
        credentials: Optional[list[tuple[str, str]]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details: dict[str, Any] = dict(details or {})
        self.retry_after = retry_after
        self.label = label
        self.grant_id = grant_id
        self.credentials: list[CredentialChoice] = [
            CredentialChoice(*c) for c in (credentials or [])
        ]

    @property
    def status_code(self) -> Optional[int]:
        """The HTTP status (the official client's name)."""
        return self.status

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            "status": self.status,
            "code": self.code,
            "request_id": self.request_id,
            "details": self.details,
            "retry_after": self.retry_after,
            "label": self.label,
            "grant_id": self.grant_id,
            "credentials": [tuple(c) for c in self.credentials],
        }
        return (_rebuild, (type(self), self.message, kwargs))


class InvalidArgumentError(GrantlineError, ValueError):
    """Bad local input, rejected before any I/O."""


class ClientClosedError(GrantlineError):
    """The client was closed."""


class ApiError(GrantlineError):
    """The server answered with an error status."""


class AuthenticationError(ApiError):
    """401."""


class ReAuthRequiredError(AuthenticationError):
    """401 ``jwt_validation_error``: the end user must sign in again."""


class PermissionDeniedError(ApiError):
    """403."""


class GrantRevokedError(PermissionDeniedError):
    """``grant_revoked``."""


class GrantExpiredError(PermissionDeniedError):
    """``grant_expired``."""


class AgentSelfGrantOnlyError(PermissionDeniedError):
    """403 ``agent_self_grant_only``."""


class AgentsCannotMintError(PermissionDeniedError):
    """403 ``agents_cannot_mint``: only an app mints sibling grants."""


class GrantNotDelegableError(PermissionDeniedError):
    """403 ``grant_not_delegable``: the held grant cannot be delegated (onward);
    ``details["detail_reason"]`` says why."""


class NotFoundError(ApiError):
    """404."""


class GrantNotFoundError(NotFoundError):
    """404 for a grant (or a managed secret / credential)."""


class AgentNotFoundError(NotFoundError):
    """404 ``caller_agent_unresolved`` / ``agent_not_found``."""


class ConflictError(ApiError):
    """409."""


class SiblingLabelConflictError(ConflictError):
    """409 ``sibling_label_conflict``; ``.label``."""


class CredentialIdRequiredError(ConflictError):
    """409 ``credential_id_required``; ``.credentials``."""


class EndUserCredentialNotAssignableError(ConflictError):
    """409 ``end_user_credential_not_assignable``: only developer credentials can be granted."""


class CallerAgentMismatchError(ApiError):
    """400 ``caller_agent_mismatch``: the caller names another agent than the key's own."""


class UnprocessableEntityError(ApiError):
    """422."""


class RateLimitError(ApiError):
    """429; ``.retry_after`` in seconds."""


class ServerError(ApiError):
    """5xx; ``.retry_after`` in seconds."""


class CallerAgentResolutionError(ServerError):
    """5xx ``caller_agent_resolution_error``: the agent could not be resolved now; retry."""


class BlockedDestinationError(ApiError):
    """The grant's credential may not go to this URL (422 ``blocked_destination``)."""


class CredentialRevokedError(PermissionDeniedError):
    """The credential the grant serves is no longer active (403 ``credential_revoked``)."""


class AmbiguousGrantError(ConflictError):
    """Several grants match the provider: narrow with ``label``/``account`` or pass
    ``grant_id`` (409 ``ambiguous_grant``; the candidates are in ``details``)."""


class NoDelegatedGrantError(NotFoundError):
    """The agent holds no grant for the provider (404 ``no_delegated_grant``)."""


class ProviderApiError(GrantlineError):
    """The provider answered ``request()`` with an error status (``status_code`` ≥ 400).

    ``response_body`` is its body (text up to 10,000 bytes, else a size note; any credential
    of the call replaced by ``[REDACTED]``).
    """

    @property
    def response_body(self) -> Optional[str]:
        """The provider's body (see the class)."""
        body = self.details.get("response_body")
        return body if isinstance(body, str) else None

    @property
    def provider_id(self) -> Optional[str]:
        """The grant's provider."""
        value = self.details.get("provider_id")
        return value if isinstance(value, str) else None


class ProviderUnauthorizedError(ProviderApiError):
    """The provider refused the injected credential (401)."""


class ScopeReauthRequiredError(ProviderApiError):
    """The provider reported missing scopes (403 ``insufficient_scope``); the grant was
    reported and must be re-authorized."""

    @property
    def missing_scopes(self) -> Optional[list[str]]:
        """The scopes the provider named, if it did."""
        value = self.details.get("missing_scopes")
        return list(value) if isinstance(value, list) else None


class NetworkError(GrantlineError):
    """The connection failed."""


class RequestTimeoutError(NetworkError):
    """The request did not complete in time."""


class ResponseValidationError(GrantlineError):
    """A success response whose body does not parse."""


ProviderAPIError = ProviderApiError
AlterSDKError = GrantlineError
AlterValueError = InvalidArgumentError
BackendError = ApiError
#: The official client's name (it shadows the builtin, so it is not in ``__all__``).
TimeoutError = RequestTimeoutError
