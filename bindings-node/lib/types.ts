// Public types: options, principals, policies and results (camelCase, `Date` timestamps).

/** Supplies the end user's JWT for an app's calls that take one, when the call names none. */
export type UserTokenGetter = () => string | Promise<string>;

/** Settings of `new App(...)`. */
export interface AppOptions {
  /** An app key (`alter_rk_…`). Never shown by `util.inspect`, `toString` or errors. */
  apiKey: string;
  /** Default: `ALTER_BASE_URL`, else `https://backend.alterauth.com`. */
  baseUrl?: string;
  /** Per-request timeout in milliseconds (default 30000). */
  timeout?: number;
  /** Retries after the first attempt (default 2; 0 disables them). */
  maxRetries?: number;
  /** Sent as `X-Alter-Caller`. */
  caller?: string;
  /** `'service'` (default) or `'agent'`; sent only together with `caller`. */
  callerType?: 'service' | 'agent';
  /**
   * Supplies the end user's JWT for `listGrants`, `iterGrants` and `revokeGrant` when the call
   * names none (`endUserToken`, `userToken`), scoping them to that user.
   */
  userTokenGetter?: UserTokenGetter;
}

/** Settings of `new Agent(...)`. */
export interface AgentOptions {
  /** An agent key (`alter_ak_…`). */
  apiKey: string;
  baseUrl?: string;
  /** Per-request timeout in milliseconds (default 30000). */
  timeout?: number;
  maxRetries?: number;
  caller?: string;
}

/** An end user, identified by a JWT from one of the app's identity providers. */
export interface UserPrincipal {
  type: 'user';
  userToken: string;
  label: string;
}
/** Every member of an IDP group. */
export interface GroupPrincipal {
  type: 'group';
  externalGroupId: string;
  idpId: string;
  label: string;
}
/** The system: no identity. */
export interface SystemPrincipal {
  type: 'system';
  label?: string | null;
}
/** The calling agent itself. */
export interface AgentPrincipal {
  type: 'agent';
  label?: string | null;
}
/** Who a grant is issued to, discriminated on `type`. */
export type Principal = UserPrincipal | GroupPrincipal | SystemPrincipal | AgentPrincipal;

/** Bounds on a grant's lifetime, as the server reports them (every key present) and as you
 * pass them (any subset; see `GrantPolicyInput`). The grant ends at the earliest bound. */
export interface GrantPolicy {
  /** Absolute end of the grant. */
  expiresAt?: Date | null;
  /** The grant ends `maxTtlSeconds` after it was created, at the latest. */
  maxTtlSeconds?: number | null;
  /** Lifetime of each credential handed out through the grant (≤ `maxTtlSeconds`). */
  defaultTtlSeconds?: number | null;
}

/** A policy to create a grant with: `expiresAt` may also be an ISO-8601 string. */
export type GrantPolicyInput = Omit<GrantPolicy, 'expiresAt'> & { expiresAt?: Date | string | null };

/** @deprecated The name of `GrantPolicy` before 0.1.0 aligned names with the other languages. */
export type GrantPolicyInfo = GrantPolicy;

export interface CreateManagedSecretGrantOptions<P extends Principal = Principal> {
  /** Who the grant is for (an agent issues only to itself: `{ type: 'agent' }`). */
  principal: P;
  grantPolicy?: GrantPolicyInput | null;
  /** Required when the managed secret holds several developer credentials. */
  credentialId?: string | null;
  /** This call's timeout in milliseconds (default: the client's). */
  timeout?: number;
}

export interface ListGrantsOptions {
  /** An OAuth provider id or a managed-secret slug. */
  providerId?: string;
  status?: GrantStatus;
  account?: string;
  label?: string;
  /** Restrict an app caller's view to this end user's grants. */
  endUserToken?: string;
  /** 1–1000, default 100. */
  limit?: number;
  offset?: number;
  /** This call's timeout in milliseconds (default: the client's). */
  timeout?: number;
}

export interface RevokeGrantOptions {
  /** Why, recorded in the audit log. */
  reason?: string | null;
  /** Revoke as this end user (their JWT): only their own grants. Default: `userTokenGetter`'s. */
  userToken?: string | null;
  /** This call's timeout in milliseconds (default: the client's). */
  timeout?: number;
}

export interface MintGrantOptions {
  /** The sibling's label: unique among the credential's active grants. */
  label: string;
  /** Its own policy (`expiresAt`, `maxTtlSeconds`; no `defaultTtlSeconds` on a mint). */
  grantPolicy?: GrantPolicyInput | null;
  /** Tags stored on the sibling. */
  grantTags?: string[] | null;
  /** This call's timeout in milliseconds (default: the client's). */
  timeout?: number;
}

export interface DelegateOptions {
  /** Whether the child may delegate onward (default: a new child may not). */
  delegable?: boolean | null;
  /** Provider scopes to narrow the child to (1–100 scope tokens; never `*`). */
  scopeConstraint?: string[] | null;
  /** The child's lifetime in seconds (never past the parent's). */
  ttlSeconds?: number | null;
  /** This call's timeout in milliseconds (default: the client's). */
  timeout?: number;
}

export interface RevokeDelegationOptions {
  /** This call's timeout in milliseconds (default: the client's). */
  timeout?: number;
}

/** Options of `request` (names as the official client's, in camelCase). */
export interface RequestOptions {
  /** The grant to use (exactly one of `grantId` and `provider`). */
  grantId?: string;
  /** Resolve the grant by provider: an OAuth provider id or a managed-secret slug. */
  provider?: string;
  /** With `provider`: the connected account to use. */
  account?: string;
  /** With `provider`: the sibling grant's label. */
  label?: string;
  /** With `provider`, on an agent: the end user whose delegation to use. */
  appUserId?: string;
  /** A JSON body (sent as `application/json`); not with `body`. */
  json?: unknown;
  /** A raw body (a string is sent as UTF-8); not with `json`. */
  body?: Uint8Array | ArrayBuffer | string;
  /** Headers to send besides the injected one (keys exactly as given). */
  extraHeaders?: Record<string, string>;
  /** Query parameters to add (an array value repeats the parameter; keys exactly as given). */
  queryParams?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  /** Values for `{name}` placeholders of the URL (percent-encoded). */
  pathParams?: Record<string, string>;
  /** Why, recorded with the lease and the audit record. */
  reason?: string;
  /** Free-form audit context (keys exactly as given). */
  context?: Record<string, string>;
  /** The end user's token, for a user or group grant (or the app's `userTokenGetter`). */
  userToken?: string;
  /** Timeout in milliseconds for the lease and the provider call each (default: the client's). */
  timeout?: number;
}

/** What a constrained client (`withConstraints`) carries on every call, inside the signature. */
export interface Constraints {
  /** Scopes every call is narrowed to (never `*`). */
  scopes?: string[];
  /** A one-off deny rule. */
  rule?: { ruleType: string; ruleBody: Record<string, unknown> };
}

/** What `mintGrant` returns: the new sibling grant. */
export interface GrantInfo {
  grantId: string;
  providerId: string;
  scopes: string[];
  accountIdentifier: string | null;
  accountDisplayName: string | null;
  apiBaseUrl: string | null;
  status: GrantStatus;
  scopeMismatch: boolean;
  expiresAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  principalType: string;
  label: string | null;
  credentialId: string | null;
  grantPolicy: GrantPolicy | null;
}

/** What `delegate` returns: the delegation child grant. */
export interface DelegationResult {
  grantId: string;
  grantKind: string;
  parentGrantId: string;
  depth: number;
  delegable: boolean;
  status: GrantStatus;
  expiresAt: Date | null;
}

export type GrantStatus = 'active' | 'expired' | 'revoked' | (string & {});

export interface CreateGrantResult {
  grantId: string;
  principalType: string;
  label: string | null;
  createdAt: Date;
  credentialId: string | null;
  grantExpiresAt: Date | null;
}

export interface RevokeGrantResult {
  success: boolean;
  message: string;
  grantId: string;
  revokedAt: Date;
}

interface GrantItemBase {
  grantId: string;
  status: GrantStatus;
  accountIdentifier: string | null;
  expiresAt: Date | null;
  grantExpiresAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  principalType: string;
  accessVia: string;
  delegatedAt: Date | null;
  label: string | null;
  credentialId: string | null;
  parentGrantId: string | null;
  grantPolicy: GrantPolicy | null;
  depth: number;
  delegable: boolean;
  scopeConstraint: string[] | null;
}

/** A grant on a managed secret. */
export interface ManagedSecretGrantItem extends GrantItemBase {
  grantKind: 'managed_secret';
  managedSecretId: string;
  managedSecretSlug: string;
  managedSecretName: string;
  agentId: string | null;
  credentialKind: 'developer' | 'end_user' | null;
  credentialLabel: string | null;
}

/** An OAuth grant. */
export interface OAuthGrantItem extends GrantItemBase {
  grantKind: 'oauth';
  providerId: string;
  scopes: string[];
  accountDisplayName: string | null;
  apiBaseUrl: string | null;
  scopeMismatch: boolean;
  needsReconnect: boolean;
  delegatedAgentIds: string[];
}

/** A grant of a kind this version does not know, kept with its raw wire fields. */
export interface UnknownGrantItem {
  grantKind: 'unknown';
  /** The `grant_kind` the server sent, if any. */
  rawGrantKind: string | null;
  /** The id the server sent (`''` if none, so every item has a string id). */
  grantId: string;
  label: string | null;
  status: string | null;
  /** Every field as sent (wire names). */
  fields: Record<string, unknown>;
}

/** One grant of a listing, discriminated on `grantKind`. */
export type GrantItem = ManagedSecretGrantItem | OAuthGrantItem | UnknownGrantItem;

/** One page of a listing. */
export interface GrantPage {
  grants: GrantItem[];
  total: number;
  limit: number;
  offset: number;
  hasMore: boolean;
}
