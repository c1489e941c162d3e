// The error tree of docs/errors.md as `Error` subclasses. The native addon rejects with a payload
// naming the class (the core's classification); `fromNative` builds the matching instance.

/** A credential to choose from, carried by `CredentialIdRequiredError`. */
export interface CredentialChoice {
  credentialId: string;
  label: string;
}

/** The root of every error grantline throws. */
export class GrantlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad local input, rejected before any I/O. */
export class InvalidArgumentError extends GrantlineError {}

/** The fields every server error carries. */
export interface ApiErrorFields {
  status: number;
  code: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  retryAfter: number | null;
}

/** The server answered with an error status. */
export class ApiError extends GrantlineError {
  /** HTTP status. */
  readonly status: number;
  /** The wire `error` code, when the body had one. */
  readonly code: string | null;
  /** `X-Request-ID` of the response, when present. */
  readonly requestId: string | null;
  /** The error body (with `status_code`), for fields not modelled here. */
  readonly details: Record<string, unknown>;
  /** Seconds to wait before retrying (429 and 5xx), when the server said. */
  readonly retryAfter: number | null;

  constructor(message: string, fields: ApiErrorFields) {
    super(message);
    this.status = fields.status;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.details = fields.details;
    this.retryAfter = fields.retryAfter;
  }
}

/** 401. */
export class AuthenticationError extends ApiError {}
/** 401 `jwt_validation_error`: the end user must sign in again. */
export class ReAuthRequiredError extends AuthenticationError {}
/** 403. */
export class PermissionDeniedError extends ApiError {}
/** `grant_revoked`. */
export class GrantRevokedError extends PermissionDeniedError {
  /** The grant concerned, when the server said. */
  grantId: string | null = null;
}
/** `grant_expired`. */
export class GrantExpiredError extends PermissionDeniedError {}
/** 403 `agent_self_grant_only`: an agent may only issue grants for itself. */
export class AgentSelfGrantOnlyError extends PermissionDeniedError {}
/** 403 `agents_cannot_mint`: only an app mints sibling grants. */
export class AgentsCannotMintError extends PermissionDeniedError {}
/** 403 `grant_not_delegable`: the held grant cannot be delegated (onward); `details.detail_reason` says why. */
export class GrantNotDelegableError extends PermissionDeniedError {}
/** 404. */
export class NotFoundError extends ApiError {}
/** 404: no such grant (or not visible to this caller). */
export class GrantNotFoundError extends NotFoundError {}
/** 404: the agent could not be resolved. */
export class AgentNotFoundError extends NotFoundError {}
/** 409. */
export class ConflictError extends ApiError {}
/** 409 `sibling_label_conflict`. */
export class SiblingLabelConflictError extends ConflictError {
  /** The conflicting label, when the server said. */
  label: string | null = null;
}
/** 409 `credential_id_required`. */
export class CredentialIdRequiredError extends ConflictError {
  /** The credentials to choose from. */
  credentials: CredentialChoice[] = [];
}
/** 409 `end_user_credential_not_assignable`: only developer credentials can be granted. */
export class EndUserCredentialNotAssignableError extends ConflictError {}
/** 400 `caller_agent_mismatch`: the caller names another agent than the key's own. */
export class CallerAgentMismatchError extends ApiError {}
/** 422. */
export class UnprocessableEntityError extends ApiError {}
/** 429. */
export class RateLimitError extends ApiError {}
/** 5xx. */
export class ServerError extends ApiError {}
/** 5xx `caller_agent_resolution_error`: the agent could not be resolved now; retry. */
export class CallerAgentResolutionError extends ServerError {}

/** The connection failed. */
export class NetworkError extends GrantlineError {}
/** The request did not complete within the timeout. */
export class RequestTimeoutError extends NetworkError {}
/** A success response whose body does not parse. */
export class ResponseValidationError extends GrantlineError {
  /** The HTTP status of the response. */
  readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super(message);
    this.status = status;
  }
}
/** The client was closed. */
export class ClientClosedError extends GrantlineError {}

/** 422 `blocked_destination`: the grant's credential may not go to this URL. */
export class BlockedDestinationError extends ApiError {}
/** 403 `credential_revoked`: the credential the grant serves is no longer active. */
export class CredentialRevokedError extends PermissionDeniedError {}
/** 409 `ambiguous_grant`: several grants match; narrow with `label`/`account` or pass `grantId`. */
export class AmbiguousGrantError extends ConflictError {}
/** 404 `no_delegated_grant`: the agent holds no grant for the provider. */
export class NoDelegatedGrantError extends NotFoundError {}

/**
 * The provider answered `request` with an error status (`status` ≥ 400). `responseBody` is its
 * body (text up to 10,000 bytes, else a size note; any credential of the call replaced by
 * `[REDACTED]`).
 */
export class ProviderApiError extends GrantlineError {
  /** The provider's HTTP status. */
  readonly status: number;
  /** `grant_id`, `provider_id`, `method`, `url` (without its query), `response_body`, … */
  readonly details: Record<string, unknown>;
  /** The grant the call used. */
  readonly grantId: string | null;

  constructor(message: string, status: number, details: Record<string, unknown>, grantId: string | null) {
    super(message);
    this.status = status;
    this.details = details;
    this.grantId = grantId;
  }

  /** The provider's body (see the class). */
  get responseBody(): string | null {
    const b = this.details.response_body;
    return typeof b === 'string' ? b : null;
  }
}
/** The provider refused the injected credential (401). */
export class ProviderUnauthorizedError extends ProviderApiError {}
/** The provider reported missing scopes (403 `insufficient_scope`); the grant was reported. */
export class ScopeReauthRequiredError extends ProviderApiError {
  /** The scopes the provider named, if it did. */
  get missingScopes(): string[] | null {
    const m = this.details.missing_scopes;
    return Array.isArray(m) ? (m as string[]) : null;
  }
}

const PROVIDER_CLASSES: Record<
  string,
  new (message: string, status: number, details: Record<string, unknown>, grantId: string | null) => ProviderApiError
> = {
  ProviderApiError,
  ProviderUnauthorizedError,
  ScopeReauthRequiredError,
};

type ApiErrorClass = new (message: string, fields: ApiErrorFields) => ApiError;

const API_CLASSES: Record<string, ApiErrorClass> = {
  ApiError,
  AuthenticationError,
  ReAuthRequiredError,
  PermissionDeniedError,
  GrantRevokedError,
  GrantExpiredError,
  AgentSelfGrantOnlyError,
  AgentsCannotMintError,
  GrantNotDelegableError,
  NotFoundError,
  GrantNotFoundError,
  AgentNotFoundError,
  ConflictError,
  SiblingLabelConflictError,
  CredentialIdRequiredError,
  EndUserCredentialNotAssignableError,
  CallerAgentMismatchError,
  UnprocessableEntityError,
  RateLimitError,
  ServerError,
  CallerAgentResolutionError,
  BlockedDestinationError,
  CredentialRevokedError,
  AmbiguousGrantError,
  NoDelegatedGrantError,
};

const OTHER_CLASSES: Record<string, new (message: string) => GrantlineError> = {
  GrantlineError,
  InvalidArgumentError,
  NetworkError,
  RequestTimeoutError,
  ClientClosedError,
};

/** What the native addon reports instead of throwing (see `src/error.rs`). */
export interface NativeErrorData {
  class: string;
  message: string;
  status?: number | null;
  code?: string | null;
  requestId?: string | null;
  detailsJson?: string | null;
  retryAfter?: number | null;
  label?: string | null;
  grantId?: string | null;
  credentials?: CredentialChoice[] | null;
}

/** Whether a native result is a reported error rather than a value. */
export function isNativeError(value: unknown): value is NativeErrorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { class?: unknown }).class === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** The `GrantlineError` subclass a native error names, with its fields. */
export function fromNative(p: NativeErrorData): GrantlineError {
  const apiClass = API_CLASSES[p.class];
  if (apiClass !== undefined) {
    const err = new apiClass(p.message, {
      status: p.status ?? 0,
      code: p.code ?? null,
      requestId: p.requestId ?? null,
      details: p.detailsJson ? (JSON.parse(p.detailsJson) as Record<string, unknown>) : {},
      retryAfter: p.retryAfter ?? null,
    });
    if (err instanceof SiblingLabelConflictError) err.label = p.label ?? null;
    if (err instanceof GrantRevokedError) err.grantId = p.grantId ?? null;
    if (err instanceof CredentialIdRequiredError) err.credentials = p.credentials ?? [];
    return err;
  }
  const providerClass = PROVIDER_CLASSES[p.class];
  if (providerClass !== undefined) {
    const details = p.detailsJson ? (JSON.parse(p.detailsJson) as Record<string, unknown>) : {};
    return new providerClass(p.message, p.status ?? 0, details, p.grantId ?? null);
  }
  if (p.class === 'ResponseValidationError') {
    return new ResponseValidationError(p.message, p.status ?? null);
  }
  const other = OTHER_CLASSES[p.class] ?? GrantlineError;
  return new other(p.message);
}
