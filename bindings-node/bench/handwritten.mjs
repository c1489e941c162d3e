// The two clients a user could write by hand instead of using grantline: `undici.request` and
// `fetch`, each signing requests with node:crypto exactly as docs/wire.md §2 says (the server
// checks every signature) and building the same objects grantline returns (camelCase keys,
// `Date` timestamps). Only what the benchmark calls: listGrants and createManagedSecretGrant.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { request, Agent } from 'undici';

const date = (v) => (typeof v === 'string' ? new Date(v) : null);

function policy(p) {
  if (p == null) return null;
  return {
    expiresAt: date(p.expires_at),
    maxTtlSeconds: p.max_ttl_seconds ?? null,
    defaultTtlSeconds: p.default_ttl_seconds ?? null,
  };
}

// The benchmark's items are all managed-secret grants; an explicit mapping is the fastest a user
// would write.
function item(g) {
  return {
    grantKind: g.grant_kind,
    grantId: g.grant_id,
    managedSecretId: g.managed_secret_id,
    managedSecretSlug: g.managed_secret_slug,
    managedSecretName: g.managed_secret_name,
    agentId: g.agent_id ?? null,
    accountIdentifier: g.account_identifier ?? null,
    status: g.status,
    expiresAt: date(g.expires_at),
    grantExpiresAt: date(g.grant_expires_at),
    createdAt: new Date(g.created_at),
    lastUsedAt: date(g.last_used_at),
    principalType: g.principal_type,
    accessVia: g.access_via,
    delegatedAt: date(g.delegated_at),
    label: g.label ?? null,
    credentialId: g.credential_id ?? null,
    parentGrantId: g.parent_grant_id ?? null,
    grantPolicy: policy(g.grant_policy),
    depth: g.depth,
    delegable: g.delegable,
    scopeConstraint: g.scope_constraint ?? null,
    credentialKind: g.credential_kind ?? null,
    credentialLabel: g.credential_label ?? null,
  };
}

function page(p) {
  return { grants: p.grants.map(item), total: p.total, limit: p.limit, offset: p.offset, hasMore: p.has_more };
}

function created(r) {
  return {
    grantId: r.grant_id,
    principalType: r.principal_type,
    label: r.label ?? null,
    createdAt: new Date(r.created_at),
    credentialId: r.credential_id ?? null,
    grantExpiresAt: date(r.grant_expires_at),
  };
}

/** Signs requests for one API key and remembers the actor id the server returns. */
class Signer {
  #apiKey;
  #key;
  actorId = null;

  constructor(apiKey) {
    this.#apiKey = apiKey;
    this.#key = createHmac('sha256', apiKey).update('alter-signing-v1').digest();
  }

  headers(path, body) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    const hash = createHash('sha256').update(body).digest('hex');
    let toSign = `POST\n${path}\n${timestamp}\n${nonce}\n${hash}\n`;
    const h = {
      'x-api-key': this.#apiKey,
      'content-type': 'application/json',
      'x-alter-timestamp': timestamp,
      'x-alter-nonce': nonce,
      'x-alter-content-sha256': hash,
    };
    if (this.actorId) {
      toSign += `\nactor-id:${this.actorId}`;
      h['x-alter-actor-id'] = this.actorId;
    }
    const signature = createHmac('sha256', this.#key).update(toSign).digest('hex');
    h['x-alter-signature'] = signature;
    if (this.actorId) h['x-alter-signature-v2'] = signature;
    return h;
  }

  remember(actor) {
    if (typeof actor === 'string' && this.actorId === null) this.actorId = actor;
  }
}

function fail(status, text) {
  return new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
}

/** `undici.request` over one keep-alive pool. */
export function undiciClient({ apiKey, baseUrl }) {
  const signer = new Signer(apiKey);
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  async function post(path, payload) {
    const body = JSON.stringify(payload);
    const res = await request(baseUrl + path, {
      method: 'POST',
      headers: signer.headers(path, body),
      body,
      dispatcher,
    });
    signer.remember(res.headers['x-alter-actor-id']);
    if (res.statusCode >= 400) throw fail(res.statusCode, await res.body.text());
    return res.body.json();
  }
  return {
    raw: async (path, payload) => {
      const body = JSON.stringify(payload);
      const res = await request(baseUrl + path, { method: 'POST', headers: signer.headers(path, body), body, dispatcher });
      signer.remember(res.headers['x-alter-actor-id']);
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    },
    listGrants: async ({ limit = 100, offset = 0 } = {}) => page(await post('/sdk/grants/list', { limit, offset })),
    createManagedSecretGrant: async (managedSecretId, { principal }) =>
      created(
        await post(`/sdk/managed-secrets/${encodeURIComponent(managedSecretId)}/grants`, {
          principal: { type: principal.type, label: principal.label ?? null },
          grant_policy: {},
        }),
      ),
    close: () => dispatcher.close(),
  };
}

/** The global `fetch` (Node's bundled undici), keep-alive by default. */
export function fetchClient({ apiKey, baseUrl }) {
  const signer = new Signer(apiKey);
  async function post(path, payload) {
    const body = JSON.stringify(payload);
    const res = await fetch(baseUrl + path, { method: 'POST', headers: signer.headers(path, body), body });
    signer.remember(res.headers.get('x-alter-actor-id'));
    if (res.status >= 400) throw fail(res.status, await res.text());
    return res.json();
  }
  return {
    listGrants: async ({ limit = 100, offset = 0 } = {}) => page(await post('/sdk/grants/list', { limit, offset })),
    createManagedSecretGrant: async (managedSecretId, { principal }) =>
      created(
        await post(`/sdk/managed-secrets/${encodeURIComponent(managedSecretId)}/grants`, {
          principal: { type: principal.type, label: principal.label ?? null },
          grant_policy: {},
        }),
      ),
    close: async () => {},
  };
}
