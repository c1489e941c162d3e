# Type stubs for the PyO3 module grantline._native (checked against the compiled module by
# mypy stubtest in scripts/test.sh, so they cannot drift).
import datetime
from typing import Any, Literal, Optional, Union, final

__version__: str

def is_valid_key(key: object) -> bool: ...
def _panic_for_test(completions: Optional[Completions] = None) -> int: ...
def _restore(kind: str, wire: bytes) -> Any: ...
def _restore_page(
    grants: list[Any], total: int, limit: int, offset: int, has_more: bool
) -> GrantListResult: ...

@final
class Completions:
    def __new__(cls) -> Completions: ...
    def fileno(self) -> int: ...
    def drain(self) -> list[tuple[int, bool, Any]]: ...
    def cancel(self, token: int) -> bool:
        """Aborts the call ``token``; True if it was still running (no outcome follows)."""
    def pending(self) -> int:
        """How many calls submitted through this queue are still running."""

@final
class UserPrincipal:
    def __new__(cls, user_token: str, label: str) -> UserPrincipal: ...
    @property
    def type(self) -> Literal["user"]: ...
    @property
    def label(self) -> Optional[str]: ...
    @property
    def user_token(self) -> str: ...

@final
class GroupPrincipal:
    def __new__(cls, external_group_id: str, idp_id: str, label: str) -> GroupPrincipal: ...
    @property
    def type(self) -> Literal["group"]: ...
    @property
    def label(self) -> Optional[str]: ...
    @property
    def external_group_id(self) -> str: ...
    @property
    def idp_id(self) -> str: ...

@final
class SystemPrincipal:
    def __new__(cls, label: Optional[str] = None) -> SystemPrincipal: ...
    @property
    def type(self) -> Literal["system"]: ...
    @property
    def label(self) -> Optional[str]: ...

@final
class AgentPrincipal:
    def __new__(cls, label: Optional[str] = None) -> AgentPrincipal: ...
    @property
    def type(self) -> Literal["agent"]: ...
    @property
    def label(self) -> Optional[str]: ...

@final
class GrantPolicy:
    def __new__(
        cls,
        expires_at: Union[datetime.datetime, str, None] = None,
        max_ttl_seconds: Optional[int] = None,
        default_ttl_seconds: Optional[int] = None,
    ) -> GrantPolicy: ...
    @property
    def expires_at(self) -> Optional[datetime.datetime]: ...
    @property
    def max_ttl_seconds(self) -> Optional[int]: ...
    @property
    def default_ttl_seconds(self) -> Optional[int]: ...

@final
class ManagedSecretGrantItem:
    __match_args__ = ("grant_id", "managed_secret_slug", "label")
    @property
    def grant_kind(self) -> Literal["managed_secret"]: ...
    @property
    def grant_id(self) -> str: ...
    @property
    def managed_secret_id(self) -> str: ...
    @property
    def managed_secret_slug(self) -> str: ...
    @property
    def managed_secret_name(self) -> str: ...
    @property
    def agent_id(self) -> Optional[str]: ...
    @property
    def account_identifier(self) -> Optional[str]: ...
    @property
    def status(self) -> str: ...
    @property
    def expires_at(self) -> Optional[datetime.datetime]: ...
    @property
    def grant_expires_at(self) -> Optional[datetime.datetime]: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def last_used_at(self) -> Optional[datetime.datetime]: ...
    @property
    def principal_type(self) -> str: ...
    @property
    def access_via(self) -> str: ...
    @property
    def delegated_at(self) -> Optional[datetime.datetime]: ...
    @property
    def label(self) -> Optional[str]: ...
    @property
    def credential_id(self) -> Optional[str]: ...
    @property
    def parent_grant_id(self) -> Optional[str]: ...
    @property
    def grant_policy(self) -> Optional[GrantPolicy]: ...
    @property
    def depth(self) -> int: ...
    @property
    def delegable(self) -> bool: ...
    @property
    def scope_constraint(self) -> Optional[list[str]]: ...
    @property
    def credential_kind(self) -> Optional[Literal["developer", "end_user"]]: ...
    @property
    def credential_label(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]:
        """Every field in its wire form (timestamps as RFC 3339 strings): JSON-ready."""
    def model_dump(self, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """``to_dict()`` under the official client's (pydantic) name."""


@final
class OAuthGrantItem:
    __match_args__ = ("grant_id", "provider_id", "label")
    @property
    def grant_kind(self) -> Literal["oauth"]: ...
    @property
    def grant_id(self) -> str: ...
    @property
    def provider_id(self) -> str: ...
    @property
    def scopes(self) -> list[str]: ...
    @property
    def account_identifier(self) -> Optional[str]: ...
    @property
    def account_display_name(self) -> Optional[str]: ...
    @property
    def api_base_url(self) -> Optional[str]: ...
    @property
    def status(self) -> str: ...
    @property
    def scope_mismatch(self) -> bool: ...
    @property
    def needs_reconnect(self) -> bool: ...
    @property
    def expires_at(self) -> Optional[datetime.datetime]: ...
    @property
    def grant_expires_at(self) -> Optional[datetime.datetime]: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def last_used_at(self) -> Optional[datetime.datetime]: ...
    @property
    def principal_type(self) -> str: ...
    @property
    def access_via(self) -> str: ...
    @property
    def delegated_at(self) -> Optional[datetime.datetime]: ...
    @property
    def delegated_agent_ids(self) -> list[str]: ...
    @property
    def label(self) -> Optional[str]: ...
    @property
    def credential_id(self) -> Optional[str]: ...
    @property
    def parent_grant_id(self) -> Optional[str]: ...
    @property
    def grant_policy(self) -> Optional[GrantPolicy]: ...
    @property
    def depth(self) -> int: ...
    @property
    def delegable(self) -> bool: ...
    @property
    def scope_constraint(self) -> Optional[list[str]]: ...
    def to_dict(self) -> dict[str, Any]:
        """Every field in its wire form (timestamps as RFC 3339 strings): JSON-ready."""
    def model_dump(self, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """``to_dict()`` under the official client's (pydantic) name."""


@final
class UnknownGrantItem:
    __match_args__ = ("raw_grant_kind", "grant_id")
    @property
    def grant_kind(self) -> Literal["unknown"]:
        """Always ``"unknown"``; the kind the server sent is ``raw_grant_kind``."""
    @property
    def raw_grant_kind(self) -> Optional[str]:
        """The ``grant_kind`` the server sent (None if it sent none)."""
    @property
    def grant_id(self) -> str: ...
    @property
    def label(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def fields(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]:
        """Every field in its wire form (timestamps as RFC 3339 strings): JSON-ready."""
    def model_dump(self, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """``to_dict()`` under the official client's (pydantic) name."""


@final
class CreateGrantResult:
    @property
    def grant_id(self) -> str: ...
    @property
    def principal_type(self) -> str: ...
    @property
    def label(self) -> Optional[str]: ...
    @property
    def credential_id(self) -> Optional[str]: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def grant_expires_at(self) -> Optional[datetime.datetime]: ...
    def to_dict(self) -> dict[str, Any]:
        """Every field in its wire form (timestamps as RFC 3339 strings): JSON-ready."""
    def model_dump(self, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """``to_dict()`` under the official client's (pydantic) name."""


@final
class RevokeGrantResult:
    @property
    def success(self) -> bool: ...
    @property
    def message(self) -> str: ...
    @property
    def grant_id(self) -> str: ...
    @property
    def revoked_at(self) -> datetime.datetime: ...
    def to_dict(self) -> dict[str, Any]:
        """Every field in its wire form (timestamps as RFC 3339 strings): JSON-ready."""
    def model_dump(self, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """``to_dict()`` under the official client's (pydantic) name."""


@final
class GrantListResult:
    @property
    def grants(self) -> list[Union[ManagedSecretGrantItem, OAuthGrantItem, UnknownGrantItem]]: ...
    @property
    def total(self) -> int: ...
    @property
    def limit(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def has_more(self) -> bool: ...
    def __len__(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """Every field in its wire form (timestamps as RFC 3339 strings): JSON-ready."""
    def model_dump(self, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """``to_dict()`` under the official client's (pydantic) name."""


_Item = Union[ManagedSecretGrantItem, OAuthGrantItem, UnknownGrantItem]

@final
class AsyncGrantStream:
    def next_batch(self, completions: Completions) -> int: ...

@final
class BlockingGrantIter:
    def __iter__(self) -> BlockingGrantIter: ...
    def __next__(self) -> _Item: ...

@final
class AsyncApp:
    def __new__(
        cls,
        api_key: str,
        base_url: Optional[str],
        timeout: float,
        max_retries: int,
        caller: Optional[str],
        caller_type: object,
        has_user_token_getter: bool,
    ) -> AsyncApp: ...
    @property
    def base_url(self) -> str: ...
    @property
    def actor_id(self) -> Optional[str]: ...
    def create(
        self,
        completions: Completions,
        managed_secret_id: str,
        principal: object,
        grant_policy: object,
        credential_id: Optional[str],
    ) -> int: ...
    def list(
        self,
        completions: Completions,
        provider_id: Optional[str],
        status: Optional[str],
        account: Optional[str],
        label: Optional[str],
        end_user_token: Optional[str],
        limit: int,
        offset: int,
    ) -> int: ...
    def grants(
        self,
        provider_id: Optional[str],
        status: Optional[str],
        account: Optional[str],
        label: Optional[str],
        end_user_token: Optional[str],
        limit: int,
        offset: int,
    ) -> AsyncGrantStream: ...
    def revoke(
        self,
        completions: Completions,
        grant_id: str,
        reason: Optional[str],
        user_token: Optional[str],
    ) -> int: ...
    def get_agent(self, agent_id: object) -> AsyncAgent: ...
    def close(self) -> None: ...

@final
class AsyncAgent:
    def __new__(
        cls,
        api_key: str,
        base_url: Optional[str],
        timeout: float,
        max_retries: int,
        caller: Optional[str],
    ) -> AsyncAgent: ...
    @property
    def base_url(self) -> str: ...
    @property
    def actor_id(self) -> Optional[str]: ...
    @property
    def caller(self) -> Optional[str]: ...
    def create(
        self,
        completions: Completions,
        managed_secret_id: str,
        principal: object,
        grant_policy: object,
        credential_id: Optional[str],
    ) -> int: ...
    def list(
        self,
        completions: Completions,
        provider_id: Optional[str],
        status: Optional[str],
        account: Optional[str],
        label: Optional[str],
        end_user_token: Optional[str],
        limit: int,
        offset: int,
    ) -> int: ...
    def grants(
        self,
        provider_id: Optional[str],
        status: Optional[str],
        account: Optional[str],
        label: Optional[str],
        end_user_token: Optional[str],
        limit: int,
        offset: int,
    ) -> AsyncGrantStream: ...
    def close(self) -> None: ...

@final
class BlockingApp:
    def __new__(
        cls,
        api_key: str,
        base_url: Optional[str],
        timeout: float,
        max_retries: int,
        caller: Optional[str],
        caller_type: object,
        has_user_token_getter: bool,
    ) -> BlockingApp: ...
    @property
    def base_url(self) -> str: ...
    @property
    def actor_id(self) -> Optional[str]: ...
    def create(
        self,
        managed_secret_id: str,
        principal: object,
        grant_policy: object,
        credential_id: Optional[str],
    ) -> CreateGrantResult: ...
    def list(
        self,
        provider_id: Optional[str],
        status: Optional[str],
        account: Optional[str],
        label: Optional[str],
        end_user_token: Optional[str],
        limit: int,
        offset: int,
    ) -> GrantListResult: ...
    def grants(
        self,
        provider_id: Optional[str],
        status: Optional[str],
        account: Optional[str],
        label: Optional[str],
        end_user_token: Optional[str],
        limit: int,
        offset: int,
    ) -> BlockingGrantIter: ...
    def revoke(
        self, grant_id: str, reason: Optional[str], user_token: Optional[str]
    ) -> RevokeGrantResult: ...
    def get_agent(self, agent_id: object) -> BlockingAgent: ...
    def close(self) -> None: ...

@final
class BlockingAgent:
    def __new__(
        cls,
        api_key: str,
        base_url: Optional[str],
        timeout: float,
        max_retries: int,
        caller: Optional[str],
    ) -> BlockingAgent: ...
    @property
    def base_url(self) -> str: ...
    @property
    def actor_id(self) -> Optional[str]: ...
    @property
    def caller(self) -> Optional[str]: ...
    def create(
        self,
        managed_secret_id: str,
        principal: object,
        grant_policy: object,
        credential_id: Optional[str],
    ) -> CreateGrantResult: ...
    def list(
        self,
        provider_id: Optional[str],
        status: Optional[str],
        account: Optional[str],
        label: Optional[str],
        end_user_token: Optional[str],
        limit: int,
        offset: int,
    ) -> GrantListResult: ...
    def grants(
        self,
        provider_id: Optional[str],
        status: Optional[str],
        account: Optional[str],
        label: Optional[str],
        end_user_token: Optional[str],
        limit: int,
        offset: int,
    ) -> BlockingGrantIter: ...
    def close(self) -> None: ...
