// The packed transfer (src/pack.rs → lib/decode.generated.ts) against the plain conversion of the
// same wire JSON: every field of every model, `Date`s to the millisecond, key order, and objects
// that behave as plain objects (no getters, no prototype of their own), including non-ASCII and
// astral-plane strings, repeated values, nulls, lists, policies and unknown kinds. Also: the
// packer writes fields in the order of tests/vectors/model_fields.json (the decoder is generated
// from that file), and the completion queue keeps the process alive exactly while calls run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import * as gl from 'grantline';
import { startServer } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const vector = (name) => JSON.parse(readFileSync(path.join(here, '..', '..', 'tests', 'vectors', name), 'utf8'));
// ProviderResponse is not packed (its body is bytes): it crosses as JSON text (lib/response.ts).
const NOT_PACKED = new Set(['ProviderResponse']);
const MODELS = Object.fromEntries(
  vector('model_fields.json')
    .models.filter((m) => !NOT_PACKED.has(m.name))
    .map((m) => [m.name, m.fields]),
);

let srv;
let t;
let app;
before(async () => {
  srv = await startServer();
  t = srv.tenant;
  app = new gl.App({ apiKey: t.app_key, baseUrl: t.base_url, maxRetries: 0 });
});
after(async () => {
  await srv?.stop();
});

/** What a plain conversion makes of one model's wire JSON (as the core writes it back). */
function reference(model, wire) {
  const out = {};
  for (const f of MODELS[model]) {
    const ty = f.type.replace(/\?$/, '');
    const v = f.wire === null ? undefined : wire[f.wire];
    if (f.typescript === 'grantKind') out.grantKind = model === 'UnknownGrantItem' ? 'unknown' : wire.grant_kind;
    else if (f.typescript === 'rawGrantKind') out.rawGrantKind = typeof wire.grant_kind === 'string' ? wire.grant_kind : null;
    else if (f.typescript === 'fields') out.fields = wire;
    else if (model === 'UnknownGrantItem') out[f.typescript] = typeof v === 'string' ? v : ty === f.type ? '' : null;
    else if (ty === 'datetime') out[f.typescript] = typeof v === 'string' ? new Date(v) : null;
    else if (ty === 'GrantPolicy') out[f.typescript] = v == null ? null : reference('GrantPolicy', v);
    else if (ty === 'list[GrantItem]') out[f.typescript] = v.map(item);
    else out[f.typescript] = v ?? null;
  }
  return out;
}

function item(wire) {
  const model =
    wire.grant_kind === 'managed_secret' ? 'ManagedSecretGrantItem' : wire.grant_kind === 'oauth' ? 'OAuthGrantItem' : 'UnknownGrantItem';
  return reference(model, wire);
}

/** Model objects (not an unknown item's raw `fields`) have the plain conversion's key order. */
function assertKeyOrder(got, want, what) {
  assert.deepEqual(Object.keys(got), Object.keys(want), what);
  for (const [k, v] of Object.entries(want)) {
    if (k === 'fields') continue;
    if (Array.isArray(v)) v.forEach((w, i) => w && typeof w === 'object' && assertKeyOrder(got[k][i], w, `${what}.${k}[${i}]`));
    else if (v && typeof v === 'object' && !(v instanceof Date)) assertKeyOrder(got[k], v, `${what}.${k}`);
  }
}

/** Equal to the plain conversion, keys in the same order, and plain through and through. */
function assertPlain(got, want, what) {
  assert.deepStrictEqual(got, want, what);
  assertKeyOrder(got, want, what);
  const copy = structuredClone(got); // a getter would become a value here
  assert.equal(inspect(got, { depth: 9 }), inspect(copy, { depth: 9 }), what);
  assert.equal(JSON.stringify(got), JSON.stringify(copy), what);
  assert.deepStrictEqual({ ...got }, copy, what);
  for (const obj of [got, ...(got.grants ?? [])]) {
    assert.equal(Object.getPrototypeOf(obj), Object.prototype, what);
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(obj))) {
      assert.ok('value' in d && d.enumerable && d.writable, `${what}: ${k} is a plain property`);
    }
  }
}

async function listed(body) {
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 200, times: 1, body: JSON.stringify(body) });
  return app.listGrants();
}

test('the packer writes every model in the order and types of model_fields.json', () => {
  const layout = JSON.parse(gl._native.packedLayout());
  const normal = (ty) => {
    // A union of literals is packed as a string; a single literal (grant_kind) is not packed.
    const nullable = ty.endsWith('?');
    const base = nullable ? ty.slice(0, -1) : ty;
    return base.includes('|') ? `str${nullable ? '?' : ''}` : ty;
  };
  assert.deepEqual(Object.keys(layout).sort(), Object.keys(MODELS).sort());
  for (const [model, fields] of Object.entries(MODELS)) {
    assert.deepEqual(
      layout[model],
      fields.map((f) => [f.python, normal(f.type)]),
      model,
    );
  }
});

test('every models.json page builds the objects the plain conversion builds', async () => {
  const v = vector('models.json'); // its pages that parse, and what the core makes of them
  let items = 0;
  for (const c of v.list_pages) {
    if (c.error !== undefined) continue;
    const page = await listed(c.response);
    assertPlain(page, reference('GrantListResult', c.expected), c.name);
    items += page.grants.length;
  }
  assert.ok(items >= 5, `checked ${items} items`);
});

test('strings of any script, repeated values, nulls, lists, policies and unknown kinds', async () => {
  const ms = (i, extra) => ({
    grant_kind: 'managed_secret',
    grant_id: `0b7d6c1e-6f7e-4f6b-9c1a-${String(i).padStart(12, '0')}`,
    managed_secret_id: t.managed_secret_id,
    managed_secret_slug: 'stripe',
    managed_secret_name: 'Stripe — paiements ✓',
    agent_id: null,
    account_identifier: i % 2 ? 'acct_Ωmega' : null,
    status: 'active',
    expires_at: null,
    grant_expires_at: i % 3 ? '2027-01-02T03:04:05.678901Z' : null,
    created_at: i === 0 ? '1969-12-31T23:59:59.999999Z' : `2026-11-25T09:00:0${i % 10}.123456Z`,
    last_used_at: i === 1 ? '2026-11-25T10:00:00.999999999Z' : null,
    principal_type: 'system',
    access_via: 'ownership',
    delegated_at: null,
    label: ['😀 emoji', 'naïve', 'plain', '', '日本語のラベル', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢'][i % 6],
    credential_id: '5c1a2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    parent_grant_id: null,
    grant_policy: i % 2 ? { expires_at: '2030-01-01T00:00:00.000000Z', max_ttl_seconds: 3600, default_ttl_seconds: null } : null,
    depth: i % 4,
    delegable: i % 2 === 0,
    scope_constraint: i % 3 === 0 ? null : ['read', 'wrïte', ''],
    credential_kind: i % 2 ? 'end_user' : 'developer',
    credential_label: i % 5 === 0 ? 'ключ' : null,
    ...extra,
  });
  const grants = [];
  for (let i = 0; i < 40; i++) grants.push(ms(i));
  grants.splice(7, 0, {
    grant_kind: 'oauth',
    grant_id: '7a1b2c3d-0000-4000-8000-000000000001',
    provider_id: 'google',
    scopes: ['email', 'profile', 'ü'],
    account_identifier: 'ann@example.com',
    account_display_name: 'Ann Ünder',
    api_base_url: 'https://www.googleapis.com',
    status: 'active',
    scope_mismatch: true,
    needs_reconnect: false,
    expires_at: '2026-12-01T00:00:00.000000Z',
    grant_expires_at: null,
    created_at: '2026-01-01T00:00:00.000000Z',
    last_used_at: null,
    principal_type: 'user',
    access_via: 'ownership',
    delegated_at: null,
    delegated_agent_ids: [],
    label: '🎉',
    credential_id: null,
    parent_grant_id: null,
    grant_policy: { expires_at: null, max_ttl_seconds: null, default_ttl_seconds: 60 },
    depth: 0,
    delegable: false,
    scope_constraint: null,
  });
  grants.splice(3, 0, { grant_kind: 'connector', grant_id: 'c-1', label: 'ñ 😀', status: 7, nested: { a: [1, 'ü'] } });
  grants.push({ grant_kind: 'connector', note: 'no id' });
  const body = { grants, total: 1234, limit: 100, offset: 40, has_more: true };
  const page = await listed(body);
  assert.equal(page.grants.length, grants.length);
  assertPlain(page, reference('GrantListResult', body), 'crafted page');
  assert.equal(page.grants[0].createdAt.getTime(), -1, 'before 1970: ms as Date parses the text');
  assert.equal(page.grants[1].lastUsedAt.getTime(), Date.parse('2026-11-25T10:00:00.999Z'));
});

test('create and revoke results are the plain objects', async () => {
  const created = await app.createManagedSecretGrant(t.managed_secret_id, {
    principal: gl.systemPrincipal('ëxample 😀'),
    grantPolicy: { maxTtlSeconds: 3600 },
  });
  const [listedItem] = (await app.listGrants({ label: 'ëxample 😀' })).grants;
  assertPlain(
    created,
    {
      grantId: listedItem.grantId,
      principalType: 'system',
      label: 'ëxample 😀',
      createdAt: listedItem.createdAt,
      credentialId: listedItem.credentialId,
      grantExpiresAt: listedItem.grantExpiresAt,
    },
    'create',
  );
  const revoked = await app.revokeGrant(created.grantId, { reason: 'dönë' });
  assert.deepEqual(Object.keys(revoked), MODELS.RevokeGrantResult.map((f) => f.typescript));
  assert.equal(revoked.success, true);
  assert.equal(revoked.grantId, created.grantId);
  assert.ok(revoked.revokedAt instanceof Date && !Number.isNaN(revoked.revokedAt.getTime()));
  assertPlain(revoked, { ...revoked }, 'revoke');
});

test('mint, delegate and revokeDelegation results are the plain objects', async () => {
  // A small local server answers with the shapes the core reads (core/src/models.rs), every
  // field set as this test chooses (test/lifecycle.test.mjs runs the calls against
  // grantline-server), and records what it was asked.
  const source = '0b7d6c1e-6f7e-4f6b-9c1a-000000000001';
  const agentId = '9a1b2c3d-0000-4000-8000-0000000000a1';
  const info = {
    grant_id: '0b7d6c1e-6f7e-4f6b-9c1a-000000000002',
    provider_id: 'stripe',
    scopes: ['read', 'wrïte'],
    account_identifier: 'acct_Ωmega',
    account_display_name: null,
    api_base_url: 'https://api.stripe.com',
    status: 'active',
    scope_mismatch: false,
    expires_at: '2027-01-02T03:04:05.678901Z',
    created_at: '2026-11-25T09:00:01.123456Z',
    last_used_at: null,
    principal_type: 'system',
    label: 'sïbling 😀',
    credential_id: '5c1a2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    grant_policy: { expires_at: null, max_ttl_seconds: 3600, default_ttl_seconds: null },
  };
  const delegation = {
    grant_id: '0b7d6c1e-6f7e-4f6b-9c1a-000000000003',
    grant_kind: 'managed_secret',
    parent_grant_id: source,
    depth: 2,
    delegable: true,
    status: 'active',
    expires_at: null,
  };
  const answers = {
    [`POST /sdk/grants/${source}/mint`]: [201, info],
    [`POST /sdk/grants/${source}/delegate`]: [201, delegation],
    [`DELETE /sdk/grants/${source}/delegations/${agentId}`]: [204, null],
  };
  const asked = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = `${req.method} ${req.url}`;
      asked.push(key);
      const [status, body] = answers[key] ?? [404, { code: 'not_found', message: 'no such endpoint' }];
      res.writeHead(status, body === null ? {} : { 'content-type': 'application/json' });
      res.end(body === null ? undefined : JSON.stringify(body));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const baseUrl = `http://127.0.0.1:${server.address().port}`;
    const local = new gl.App({ apiKey: t.app_key, baseUrl, maxRetries: 0 });
    const minted = await local.mintGrant(source, { label: 'sïbling 😀' });
    assertPlain(minted, reference('GrantInfo', info), 'mintGrant');
    const delegated = await local.getAgent(agentId).delegate(source, '9a1b2c3d-0000-4000-8000-0000000000a2');
    assertPlain(delegated, reference('DelegationResult', delegation), 'delegate');
    assert.equal(await local.revokeDelegation(source, agentId), undefined);
    assert.deepEqual(asked, Object.keys(answers));
    local.close();
  } finally {
    server.close();
  }
});

test('a running call keeps the process alive; an idle client does not', async () => {
  const script = `
    const { App } = require('grantline');
    const app = new App({ apiKey: process.env.KEY, baseUrl: process.env.URL, maxRetries: 0 });
    app.listGrants({ limit: 1 }).then((p) => console.log('listed', p.limit));
  `;
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 0, delay_ms: 700, times: 1 });
  const started = Date.now();
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: path.join(here, '..'),
    env: { ...process.env, KEY: t.app_key, URL: t.base_url },
    timeout: 20_000,
  }).toString();
  assert.equal(out.trim(), 'listed 1');
  assert.ok(Date.now() - started >= 700, 'waited for the delayed answer');
  // Idle after its call: the process ends on its own (no handle left behind).
  const child = spawn(process.execPath, ['-e', `${script}; setTimeout(() => {}, 10)`], {
    cwd: path.join(here, '..'),
    env: { ...process.env, KEY: t.app_key, URL: t.base_url },
  });
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('the process did not exit after its call'));
    }, 15_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 0);
});
