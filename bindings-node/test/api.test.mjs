// Every method and every principal against a real grantline-server, through the ESM entry point.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  App,
  Agent,
  isValidKey,
  userPrincipal,
  groupPrincipal,
  systemPrincipal,
  agentPrincipal,
  InvalidArgumentError,
} from 'grantline';
import { startServer, label } from './helpers.mjs';

let srv;
let t;
let app;

before(async () => {
  srv = await startServer();
  t = srv.tenant;
  app = new App({ apiKey: t.app_key, baseUrl: t.base_url });
});
after(async () => {
  await srv?.stop();
});

test('creates a grant for each principal, with policy and credential', async () => {
  const cases = [
    [userPrincipal(t.user_token, label('user')), 'user'],
    [{ type: 'user', userToken: t.user_token, label: label('user-obj') }, 'user'],
    [groupPrincipal(t.group_id, t.idp_id, label('group')), 'group'],
    [systemPrincipal(label('system')), 'system'],
    [systemPrincipal(), 'system'],
  ];
  for (const [principal, kind] of cases) {
    const g = await app.createManagedSecretGrant(t.managed_secret_id, { principal });
    assert.equal(g.principalType, kind);
    assert.match(g.grantId, /^[0-9a-f-]{36}$/);
    assert.ok(g.createdAt instanceof Date && !Number.isNaN(g.createdAt.getTime()));
    assert.equal(g.label, principal.label ?? null);
  }
  const expiresAt = new Date(Date.now() + 3_600_000);
  const g = await app.createManagedSecretGrant(t.managed_secret_id, {
    principal: systemPrincipal(label('policy')),
    grantPolicy: { expiresAt, maxTtlSeconds: 600, defaultTtlSeconds: 60 },
    credentialId: t.credential_id,
  });
  assert.equal(g.credentialId, t.credential_id);
  assert.ok(g.grantExpiresAt instanceof Date);
  assert.ok(g.grantExpiresAt.getTime() <= Date.now() + 601_000);
  const withString = await app.createManagedSecretGrant(t.managed_secret_id, {
    principal: systemPrincipal(label('policy-str')),
    grantPolicy: { expiresAt: expiresAt.toISOString() },
  });
  assert.equal(withString.grantExpiresAt?.toISOString(), expiresAt.toISOString());
});

test('agents issue grants for themselves: Agent and app.getAgent', async () => {
  const agent = new Agent({ apiKey: t.agent_key, baseUrl: t.base_url });
  const own = await agent.createManagedSecretGrant(t.managed_secret_id, {
    principal: agentPrincipal(label('agent')),
  });
  assert.equal(own.principalType, 'agent');
  const viaApp = app.getAgent(t.agent_id);
  assert.ok(viaApp instanceof Agent);
  assert.equal(viaApp.caller, t.agent_id);
  const g2 = await viaApp.createManagedSecretGrant(t.managed_secret_id, {
    principal: { type: 'agent', label: label('agent-via-app') },
  });
  assert.equal(g2.principalType, 'agent');
  const page = await agent.listGrants({ limit: 100 });
  const ids = page.grants.map((g) => g.grantId);
  assert.ok(ids.includes(own.grantId) && ids.includes(g2.grantId));
  assert.ok(page.grants.every((g) => g.principalType === 'agent'));
  await assert.rejects(
    agent.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal('x') }),
    InvalidArgumentError,
  );
  const all = [];
  for await (const g of viaApp.iterGrants({ limit: 1 })) all.push(g.grantId);
  assert.ok(all.includes(own.grantId));
});

test('listGrants: page shape, filters, kinds, dates', async () => {
  const lbl = label('list');
  const created = await app.createManagedSecretGrant(t.managed_secret_id, {
    principal: systemPrincipal(lbl),
  });
  await srv.post(`/admin/apps/${t.app_id}/oauth-grants`, {
    provider_id: 'github',
    principal: { type: 'system' },
    label: label('oauth'),
    scopes: ['repo', 'read:user'],
    account_identifier: 'octocat',
  });
  const page = await app.listGrants({ label: lbl });
  assert.deepEqual(
    { total: page.total, limit: page.limit, offset: page.offset, hasMore: page.hasMore },
    { total: 1, limit: 100, offset: 0, hasMore: false },
  );
  const [item] = page.grants;
  assert.equal(item.grantKind, 'managed_secret');
  assert.equal(item.grantId, created.grantId);
  assert.equal(item.managedSecretId, t.managed_secret_id);
  assert.equal(item.managedSecretSlug, t.managed_secret_slug);
  assert.equal(item.status, 'active');
  assert.ok(item.createdAt instanceof Date);
  assert.equal(item.createdAt.getTime(), created.createdAt.getTime());

  const oauth = await app.listGrants({ providerId: 'github' });
  assert.ok(oauth.total >= 1);
  const o = oauth.grants[0];
  assert.equal(o.grantKind, 'oauth');
  assert.equal(o.providerId, 'github');
  assert.deepEqual(o.scopes, ['repo', 'read:user']);
  assert.equal(o.accountIdentifier, 'octocat');

  const byStatus = await app.listGrants({ status: 'active', limit: 1000 });
  assert.ok(byStatus.grants.every((g) => g.status === 'active'));
  const kinds = new Set(byStatus.grants.map((g) => g.grantKind));
  assert.ok(kinds.has('managed_secret') && kinds.has('oauth'));

  // An end user sees only their own grants and their groups'.
  const userLbl = label('mine');
  await app.createManagedSecretGrant(t.managed_secret_id, {
    principal: userPrincipal(t.user_token, userLbl),
  });
  const mine = await app.listGrants({ endUserToken: t.user_token, limit: 1000 });
  assert.ok(mine.grants.some((g) => g.label === userLbl));
  assert.ok(mine.grants.every((g) => ['user', 'group'].includes(g.principalType)));
});

test('pagination: listGrants offsets and iterGrants walks every page', async () => {
  const lbl = label('page');
  // Labels are unique per principal: use distinct users (one group id per grant).
  const ids = [];
  for (let i = 0; i < 7; i++) {
    const g = await app.createManagedSecretGrant(t.managed_secret_id, {
      principal: groupPrincipal(`${lbl}-g${i}`, t.idp_id, lbl),
    });
    ids.push(g.grantId);
  }
  const first = await app.listGrants({ label: lbl, limit: 3 });
  assert.equal(first.total, 7);
  assert.equal(first.grants.length, 3);
  assert.equal(first.hasMore, true);
  const last = await app.listGrants({ label: lbl, limit: 3, offset: 6 });
  assert.equal(last.grants.length, 1);
  assert.equal(last.hasMore, false);
  const seen = [];
  for await (const g of app.iterGrants({ label: lbl, limit: 2 })) seen.push(g.grantId);
  assert.deepEqual([...seen].sort(), [...ids].sort());
  // Newest first.
  assert.equal(seen[0], ids[ids.length - 1]);
  const fromOffset = [];
  for await (const g of app.iterGrants({ label: lbl, limit: 3, offset: 5 })) fromOffset.push(g);
  assert.equal(fromOffset.length, 2);
  const none = [];
  for await (const g of app.iterGrants({ label: label('nothing') })) none.push(g);
  assert.equal(none.length, 0);
});

test('revokeGrant revokes a grant of either kind', async () => {
  const g = await app.createManagedSecretGrant(t.managed_secret_id, {
    principal: systemPrincipal(label('revoke')),
  });
  const r = await app.revokeGrant(g.grantId, { reason: 'rotated' });
  assert.equal(r.success, true);
  assert.equal(r.grantId, g.grantId);
  assert.ok(r.revokedAt instanceof Date);
  const { grant_id: oauthId } = await srv.post(`/admin/apps/${t.app_id}/oauth-grants`, {
    provider_id: 'slack',
    principal: { type: 'system' },
  });
  const r2 = await app.revokeGrant(oauthId.toUpperCase());
  assert.equal(r2.grantId, oauthId);
  const page = await app.listGrants({ status: 'revoked', limit: 1000 });
  const revoked = page.grants.map((x) => x.grantId);
  assert.ok(revoked.includes(g.grantId) && revoked.includes(oauthId));
});

test('isValidKey follows the key format', () => {
  assert.equal(isValidKey(t.app_key), true);
  assert.equal(isValidKey(t.agent_key), true);
  assert.equal(isValidKey('alter_rk_abcdefghijklmnopqrstuv_iwpyka'), false);
  assert.equal(isValidKey(42), false);
});

test('a client never shows its key', () => {
  const agent = app.getAgent(t.agent_id);
  for (const client of [app, agent, new Agent({ apiKey: t.agent_key, baseUrl: t.base_url })]) {
    for (const shown of [inspect(client), inspect(client, { showHidden: true, depth: 9 }), String(client), JSON.stringify(client), inspect({ nested: [client] })]) {
      assert.ok(!shown.includes(t.app_key) && !shown.includes(t.agent_key), shown);
      assert.ok(!shown.includes('alter_'), shown);
    }
  }
  assert.match(inspect(app), /App \{ baseUrl: "http:\/\/127\.0\.0\.1:\d+"/);
  assert.equal(app.baseUrl, t.base_url);
});

test('several clients in one process', async () => {
  const other = await srv.post('/admin/apps', { name: 'second' });
  const key = await srv.post(`/admin/apps/${other.app_id}/keys`, { kind: 'app' });
  const app2 = new App({ apiKey: key.key, baseUrl: t.base_url, timeout: 10_000, maxRetries: 0 });
  const [a, b] = await Promise.all([app.listGrants({ limit: 1 }), app2.listGrants({ limit: 1 })]);
  assert.ok(a.total > 0);
  assert.equal(b.total, 0);
});
