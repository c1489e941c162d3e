// The TypeScript surface against the core's contract (tests/vectors/, generated from the core):
// every error class and its ancestors (error_tree.json), every model's fields and their types
// (model_fields.json), every operation and setting (api.json); and the per-call options the
// contract brings: a call's own timeout, a revoke as an end user, the app's userTokenGetter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gl from 'grantline';
import { startServer, label } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const vector = (name) =>
  JSON.parse(readFileSync(path.join(here, '..', '..', 'tests', 'vectors', name), 'utf8'));
const TREE = vector('error_tree.json').classes;
const MODELS = vector('model_fields.json').models;
const API = vector('api.json');

let srv;
let t;
const userToken = async (sub) =>
  (await srv.post(`/admin/apps/${t.app_id}/idps/${t.idp_id}/tokens`, { sub })).token;
before(async () => {
  srv = await startServer();
  t = srv.tenant;
});
after(async () => {
  await srv?.stop();
});

test('every error class has the ancestors of the tree', () => {
  for (const entry of TREE) {
    const cls = gl[entry.class];
    assert.equal(typeof cls, 'function', entry.class);
    const chain = [];
    for (let p = Object.getPrototypeOf(cls.prototype); p && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
      chain.push(p.constructor.name);
    }
    assert.deepEqual(chain, entry.parents, entry.class);
  }
  const ours = Object.entries(gl)
    .filter(([name, v]) => typeof v === 'function' && v.prototype instanceof Error && v.name === name)
    .map(([name]) => name);
  assert.deepEqual(new Set(ours), new Set(TREE.map((c) => c.class).filter((c) => c !== 'GrantlineError').concat('GrantlineError')));
});

function typeOk(value, ty) {
  if (ty.endsWith('?')) return value === null || typeOk(value, ty.slice(0, -1));
  if (ty.startsWith("'")) return ty.split('|').map((v) => v.replaceAll("'", '')).includes(value);
  switch (ty) {
    case 'str':
      return typeof value === 'string';
    case 'int':
      return Number.isInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'datetime':
      return value instanceof Date && !Number.isNaN(value.getTime());
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'list[str]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'list[GrantItem]':
      return Array.isArray(value);
    case 'GrantPolicy':
      return typeof value === 'object' && value !== null && 'maxTtlSeconds' in value;
    default:
      throw new Error(`unknown type ${ty}`);
  }
}

test('every model has exactly the fields of the vector, with their types', async () => {
  const item = (kind, fields) => ({
    grant_kind: kind,
    grant_id: `g-${kind}`,
    status: 'active',
    created_at: '2026-01-01T00:00:00Z',
    principal_type: 'system',
    grant_expires_at: '2027-01-01T00:00:00Z',
    label: 'l',
    grant_policy: { max_ttl_seconds: 60, expires_at: '2027-01-01T00:00:00Z' },
    scope_constraint: ['a'],
    ...fields,
  });
  const body = JSON.stringify({
    grants: [
      item('managed_secret', {
        managed_secret_id: t.managed_secret_id,
        managed_secret_slug: 'demo',
        managed_secret_name: 'Demo',
        credential_kind: 'developer',
      }),
      item('oauth', { provider_id: 'google', scopes: ['email'], delegated_agent_ids: ['x'] }),
      item('connector', {}),
    ],
    total: 3,
    limit: 100,
    offset: 0,
    has_more: false,
  });
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 200, body });
  const app = new gl.App({ apiKey: t.app_key, baseUrl: t.base_url, maxRetries: 0 });
  const page = await app.listGrants();
  const created = await app.createManagedSecretGrant(t.managed_secret_id, {
    principal: gl.systemPrincipal(label('contract')),
  });
  const revoked = await app.revokeGrant(created.grantId);
  const [ms, oauth, unknown] = page.grants;
  const samples = {
    GrantPolicy: ms.grantPolicy,
    ManagedSecretGrantItem: ms,
    OAuthGrantItem: oauth,
    UnknownGrantItem: unknown,
    CreateGrantResult: created,
    RevokeGrantResult: revoked,
    GrantListResult: page,
    // The demo secret goes to the demo provider `dev` started.
    ProviderResponse: await app.request('GET', `${t.provider_url}/contract`, {
      grantId: (await app.createManagedSecretGrant(t.managed_secret_id, { principal: gl.systemPrincipal() })).grantId,
    }),
  };
  // GrantInfo and DelegationResult come from mints and delegations (lifecycle.test.mjs).
  assert.deepEqual(
    new Set(Object.keys(samples)),
    new Set(MODELS.map((m) => m.name).filter((n) => !['GrantInfo', 'DelegationResult'].includes(n))),
  );
  for (const model of MODELS.filter((m) => m.name in samples)) {
    const obj = samples[model.name];
    // A field TypeScript reads through a method (`text()`) has no TypeScript name.
    const fields = model.fields.filter((f) => f.typescript !== null);
    assert.deepEqual(
      Object.keys(obj).sort(),
      fields.map((f) => f.typescript).sort(),
      model.name,
    );
    for (const f of fields) {
      assert.ok(typeOk(obj[f.typescript], f.type), `${model.name}.${f.typescript}: ${f.type} ≠ ${obj[f.typescript]}`);
    }
  }
});

test('App and Agent have exactly the operations of the core', () => {
  for (const op of API.operations) {
    const method = op.typescript.method;
    for (const [kind, cls] of [['App', gl.App], ['Agent', gl.Agent]]) {
      const has = typeof cls.prototype[method] === 'function';
      assert.equal(has, op.clients.includes(kind), `${kind}.${method}`);
    }
  }
});

test('every documented option and setting is accepted under its camelCase name', async () => {
  const app = new gl.App({ apiKey: t.app_key, baseUrl: t.base_url, maxRetries: 0, timeout: 30000, caller: 'svc', callerType: 'service' });
  assert.deepEqual(
    new Set(API.settings.typescript),
    new Set(['apiKey', 'baseUrl', 'timeout', 'maxRetries', 'caller', 'callerType']),
  );
  // The snake_case spelling is refused, named as written, with the camelCase list.
  assert.throws(
    () => new gl.App({ apiKey: t.app_key, base_url: t.base_url }),
    (e) => e instanceof gl.InvalidArgumentError && /base_url/.test(e.message) && /baseUrl/.test(e.message),
  );
  await assert.rejects(
    app.createManagedSecretGrant(t.managed_secret_id, {
      principal: gl.systemPrincipal(label('x')),
      grantPolicy: { max_ttl_seconds: 60 },
    }),
    (e) => e instanceof gl.InvalidArgumentError && /max_ttl_seconds/.test(e.message) && /maxTtlSeconds/.test(e.message),
  );
  const list = API.operations.find((o) => o.name === 'list_grants');
  const opts = Object.fromEntries(list.typescript.options.map((o) => [o, undefined]));
  assert.ok((await app.listGrants({ ...opts, limit: 1, timeout: 5000 })).limit === 1);
});

test('a call’s own timeout overrides the client’s', async () => {
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 0, delay_ms: 1500 });
  const app = new gl.App({ apiKey: t.app_key, baseUrl: t.base_url, maxRetries: 0 });
  const started = Date.now();
  await assert.rejects(app.listGrants({ timeout: 200 }), gl.RequestTimeoutError);
  assert.ok(Date.now() - started < 1400);
  await srv.clearFaults();
  await assert.rejects(app.listGrants({ timeout: 0 }), (e) => e instanceof gl.InvalidArgumentError && /milliseconds/.test(e.message));
});

test('a revoke as an end user, by option and by the app’s userTokenGetter', async () => {
  const app = new gl.App({ apiKey: t.app_key, baseUrl: t.base_url, maxRetries: 0 });
  for (const way of ['option', 'getter']) {
    const sub = label(`revoker-${way}`);
    const token = await userToken(sub);
    const own = await app.createManagedSecretGrant(t.managed_secret_id, {
      principal: gl.userPrincipal(token, `${sub}-own`),
    });
    const other = await app.createManagedSecretGrant(t.managed_secret_id, {
      principal: gl.systemPrincipal(`${sub}-sys`),
    });
    const scoped =
      way === 'option'
        ? { app, opts: { userToken: token } }
        : { app: new gl.App({ apiKey: t.app_key, baseUrl: t.base_url, userTokenGetter: async () => token }), opts: {} };
    await assert.rejects(scoped.app.revokeGrant(other.grantId, scoped.opts), gl.GrantNotFoundError);
    assert.equal((await scoped.app.revokeGrant(own.grantId, scoped.opts)).grantId, own.grantId);
  }
  // The getter also scopes a listing; one that fails is an InvalidArgumentError.
  const token = await userToken(label('lister'));
  const scoped = new gl.App({ apiKey: t.app_key, baseUrl: t.base_url, userTokenGetter: () => token });
  assert.equal((await scoped.listGrants()).total, 0);
  const failing = new gl.App({ apiKey: t.app_key, baseUrl: t.base_url, userTokenGetter: () => { throw new Error('no session'); } });
  await assert.rejects(failing.listGrants(), (e) => e instanceof gl.InvalidArgumentError && /no session/.test(e.message));
  assert.throws(() => new gl.App({ apiKey: t.app_key, userTokenGetter: 'nope' }), gl.InvalidArgumentError);
});
