// Wire-shaped JSON from the native addon (the core's serialization) to the public objects.
import type {
  CreateGrantResult,
  DelegationResult,
  GrantInfo,
  GrantItem,
  GrantPage,
  GrantPolicy,
  ManagedSecretGrantItem,
  OAuthGrantItem,
  RevokeGrantResult,
} from './types';

type Wire = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function date(v: unknown): Date | null {
  return typeof v === 'string' ? new Date(v) : null;
}

function policy(v: Wire | null | undefined): GrantPolicy | null {
  if (v == null) return null;
  return {
    expiresAt: date(v.expires_at),
    maxTtlSeconds: v.max_ttl_seconds ?? null,
    defaultTtlSeconds: v.default_ttl_seconds ?? null,
  };
}

function managedSecret(g: Wire): ManagedSecretGrantItem {
  return {
    grantKind: 'managed_secret',
    grantId: g.grant_id,
    managedSecretId: g.managed_secret_id,
    managedSecretSlug: g.managed_secret_slug,
    managedSecretName: g.managed_secret_name,
    agentId: g.agent_id,
    accountIdentifier: g.account_identifier,
    status: g.status,
    expiresAt: date(g.expires_at),
    grantExpiresAt: date(g.grant_expires_at),
    createdAt: new Date(g.created_at),
    lastUsedAt: date(g.last_used_at),
    principalType: g.principal_type,
    accessVia: g.access_via,
    delegatedAt: date(g.delegated_at),
    label: g.label,
    credentialId: g.credential_id,
    parentGrantId: g.parent_grant_id,
    grantPolicy: policy(g.grant_policy),
    depth: g.depth,
    delegable: g.delegable,
    scopeConstraint: g.scope_constraint,
    credentialKind: g.credential_kind,
    credentialLabel: g.credential_label,
  };
}

function oauth(g: Wire): OAuthGrantItem {
  return {
    grantKind: 'oauth',
    grantId: g.grant_id,
    providerId: g.provider_id,
    scopes: g.scopes,
    accountIdentifier: g.account_identifier,
    accountDisplayName: g.account_display_name,
    apiBaseUrl: g.api_base_url,
    status: g.status,
    scopeMismatch: g.scope_mismatch,
    needsReconnect: g.needs_reconnect,
    expiresAt: date(g.expires_at),
    grantExpiresAt: date(g.grant_expires_at),
    createdAt: new Date(g.created_at),
    lastUsedAt: date(g.last_used_at),
    principalType: g.principal_type,
    accessVia: g.access_via,
    delegatedAt: date(g.delegated_at),
    delegatedAgentIds: g.delegated_agent_ids,
    label: g.label,
    credentialId: g.credential_id,
    parentGrantId: g.parent_grant_id,
    grantPolicy: policy(g.grant_policy),
    depth: g.depth,
    delegable: g.delegable,
    scopeConstraint: g.scope_constraint,
  };
}

export function grantItem(g: Wire): GrantItem {
  switch (g.grant_kind) {
    case 'managed_secret':
      return managedSecret(g);
    case 'oauth':
      return oauth(g);
    default:
      return {
        grantKind: 'unknown',
        rawGrantKind: typeof g.grant_kind === 'string' ? g.grant_kind : null,
        grantId: typeof g.grant_id === 'string' ? g.grant_id : '',
        label: typeof g.label === 'string' ? g.label : null,
        status: typeof g.status === 'string' ? g.status : null,
        fields: g,
      };
  }
}

export function grantPage(json: string): GrantPage {
  const p = JSON.parse(json) as Wire;
  const wire = p.grants as Wire[];
  const grants = new Array<GrantItem>(wire.length);
  for (let i = 0; i < wire.length; i++) grants[i] = grantItem(wire[i]!);
  return { grants, total: p.total, limit: p.limit, offset: p.offset, hasMore: p.has_more };
}

export function grantItems(json: string): GrantItem[] {
  return (JSON.parse(json) as Wire[]).map(grantItem);
}

export function createResult(json: string): CreateGrantResult {
  const r = JSON.parse(json) as Wire;
  return {
    grantId: r.grant_id,
    principalType: r.principal_type,
    label: r.label,
    createdAt: new Date(r.created_at),
    credentialId: r.credential_id,
    grantExpiresAt: date(r.grant_expires_at),
  };
}

export function revokeResult(json: string): RevokeGrantResult {
  const r = JSON.parse(json) as Wire;
  return {
    success: r.success,
    message: r.message,
    grantId: r.grant_id,
    revokedAt: new Date(r.revoked_at),
  };
}

export function grantInfo(json: string): GrantInfo {
  const g = JSON.parse(json) as Wire;
  return {
    grantId: g.grant_id,
    providerId: g.provider_id,
    scopes: g.scopes,
    accountIdentifier: g.account_identifier,
    accountDisplayName: g.account_display_name,
    apiBaseUrl: g.api_base_url,
    status: g.status,
    scopeMismatch: g.scope_mismatch,
    expiresAt: date(g.expires_at),
    createdAt: new Date(g.created_at),
    lastUsedAt: date(g.last_used_at),
    principalType: g.principal_type,
    label: g.label,
    credentialId: g.credential_id,
    grantPolicy: policy(g.grant_policy),
  };
}

export function delegationResult(json: string): DelegationResult {
  const d = JSON.parse(json) as Wire;
  return {
    grantId: d.grant_id,
    grantKind: d.grant_kind,
    parentGrantId: d.parent_grant_id,
    depth: d.depth,
    delegable: d.delegable,
    status: d.status,
    expiresAt: date(d.expires_at),
  };
}

export function nothing(): void {}

/** A provider's answer to `request`, read like a fetch `Response`. */
export class ProviderResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The headers, names in lower case (a repeated header's values joined by ", "). */
  readonly headers: Record<string, string>;
  /** The grant the call used. */
  readonly grantId: string;
  readonly #body: Buffer;

  constructor(status: number, headers: Record<string, string>, body: Buffer, grantId: string) {
    this.status = status;
    this.headers = headers;
    this.grantId = grantId;
    this.#body = body;
  }

  /** Whether the status is 2xx. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body as UTF-8 text. */
  async text(): Promise<string> {
    return this.#body.toString('utf8');
  }

  /** The body parsed as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(this.#body.toString('utf8'));
  }

  /** The body's bytes (a copy). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const copy = new Uint8Array(this.#body.byteLength);
    copy.set(this.#body);
    return copy.buffer;
  }

  /** The body's bytes as a Buffer (a copy). */
  async buffer(): Promise<Buffer> {
    return Buffer.from(this.#body);
  }

  toString(): string {
    return `ProviderResponse(${this.status})`;
  }
}

export function providerResponse(json: string): ProviderResponse {
  const w = JSON.parse(json) as Wire;
  const headers: Record<string, string> = {};
  for (const [k, v] of w.headers as [string, string][]) {
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  return new ProviderResponse(w.status, headers, Buffer.from(w.body_base64, 'base64'), w.grant_id);
}
