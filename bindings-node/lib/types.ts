// Public types: options, principals, policies and results (camelCase, `Date` timestamps).

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

/** Grant lifetime policy. */
export interface GrantPolicy {
  /** Absolute end; a `Date` or an ISO-8601 string. */
  expiresAt?: Date | string | null;
  maxTtlSeconds?: number | null;
  defaultTtlSeconds?: number | null;
}

/** A policy as the server reports it. */
export interface GrantPolicyInfo {
  expiresAt: Date | null;
  maxTtlSeconds: number | null;
  defaultTtlSeconds: number | null;
}

export interface CreateManagedSecretGrantOptions {
  principal: Principal;
  grantPolicy?: GrantPolicy | null;
  /** Required when the managed secret holds several developer credentials. */
  credentialId?: string | null;
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
}

export interface RevokeGrantOptions {
  reason?: string | null;
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
  grantPolicy: GrantPolicyInfo | null;
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
  grantId: string | null;
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
