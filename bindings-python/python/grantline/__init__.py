"""grantline: issue, list and revoke grants on Alter managed secrets.

A drop-in for ``alter_sdk``'s grant calls (same names and keywords), backed by one Rust core:
async ``App``/``Agent`` here, blocking ones in ``grantline.blocking``.
"""

from __future__ import annotations

from ._client import Agent, App, CallerType, GrantItem, Principal
from ._errors import (
    AgentNotFoundError,
    AgentsCannotMintError,
    AgentSelfGrantOnlyError,
    AlterSDKError,
    AlterValueError,
    ApiError,
    AuthenticationError,
    BackendError,
    CallerAgentMismatchError,
    CallerAgentResolutionError,
    ClientClosedError,
    ConflictError,
    CredentialChoice,
    CredentialIdRequiredError,
    EndUserCredentialNotAssignableError,
    GrantExpiredError,
    GrantlineError,
    GrantNotDelegableError,
    GrantNotFoundError,
    GrantRevokedError,
    InvalidArgumentError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ReAuthRequiredError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
    SiblingLabelConflictError,
    UnprocessableEntityError,
)
from ._errors import (
    TimeoutError as TimeoutError,  # the official name; shadows the builtin, so not in __all__
)
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
    RevokeGrantResult,
    SystemPrincipal,
    UnknownGrantItem,
    UserPrincipal,
    is_valid_key,
)
from ._native import __version__ as __version__  # the workspace version (Cargo.toml)

#: The official client's names for the same models.
UnifiedGrantListResult = GrantListResult
GrantPolicyInput = GrantPolicy
GrantListItem = GrantItem

__all__ = [
    "Agent",
    "AgentNotFoundError",
    "AgentPrincipal",
    "AgentSelfGrantOnlyError",
    "AgentsCannotMintError",
    "AlterSDKError",
    "AlterValueError",
    "ApiError",
    "App",
    "AuthenticationError",
    "BackendError",
    "CallerAgentMismatchError",
    "CallerAgentResolutionError",
    "CallerType",
    "ClientClosedError",
    "ConflictError",
    "CreateGrantResult",
    "CredentialChoice",
    "CredentialIdRequiredError",
    "DelegationResult",
    "EndUserCredentialNotAssignableError",
    "GrantExpiredError",
    "GrantInfo",
    "GrantItem",
    "GrantListItem",
    "GrantListResult",
    "GrantNotDelegableError",
    "GrantNotFoundError",
    "GrantPolicy",
    "GrantPolicyInput",
    "GrantRevokedError",
    "GrantlineError",
    "GroupPrincipal",
    "InvalidArgumentError",
    "ManagedSecretGrantItem",
    "NetworkError",
    "NotFoundError",
    "OAuthGrantItem",
    "PermissionDeniedError",
    "Principal",
    "RateLimitError",
    "ReAuthRequiredError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "RevokeGrantResult",
    "ServerError",
    "SiblingLabelConflictError",
    "SystemPrincipal",
    "UnifiedGrantListResult",
    "UnknownGrantItem",
    "UnprocessableEntityError",
    "UserPrincipal",
    "is_valid_key",
]
