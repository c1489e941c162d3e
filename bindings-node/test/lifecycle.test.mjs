// mintGrant, delegate, revokeDelegation and withConstraints against a real grantline-server
// (docs/domain.md, "Minting and delegation").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  App,
  Agent,
  systemPrincipal,
  agentPrincipal,
  SiblingLabelConflictError,
  GrantNotDelegableError,
  GrantNotFoundError,
  AgentNotFoundError,
  ConflictError,
  PermissionDeniedError,
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

async function newAgent() {
  const { agent_id: id } = await srv.post(`/admin/apps/${t.app_id}/agents`, { name: label('agent') });
  const { key } = await srv.post(`/admin/apps/${t.app_id}/keys`, { kind: 'agent', agent_id: id });
  return [id, new Agent({ apiKey: key, baseUrl: t.base_url })];
}

test('an app mints a sibling grant on the same credential', async () => {
  const src = await app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(label('ops')) });
  const name = label('ops-ro');
  const info = await app.mintGrant(src.grantId, { label: name, grantPolicy: { maxTtlSeconds: 600 }, grantTags: ['ci'] });
  assert.notEqual(info.grantId, src.grantId);
  assert.equal(info.label, name);
  assert.equal(info.credentialId, src.credentialId);
  assert.equal(info.principalType, 'system');
  assert.equal(info.status, 'active');
  assert.ok(info.expiresAt instanceof Date && info.expiresAt > info.createdAt);
  await assert.rejects(app.mintGrant(src.grantId, { label: name }), (e) => {
    assert.ok(e instanceof SiblingLabelConflictError);
    assert.equal(e.label, name);
    return true;
  });
  await assert.rejects(app.mintGrant('00000000-0000-4000-8000-000000000000', { label: label() }), GrantNotFoundError);
});

test('an agent delegates its grant to a second agent, which lists and then loses it', async () => {
  const a = new Agent({ apiKey: t.agent_key, baseUrl: t.base_url });
  const b = new Agent({ apiKey: t.agent2_key, baseUrl: t.base_url });
  const [cId, c] = await newAgent();
  const root = await a.createManagedSecretGrant(t.managed_secret_id, { principal: agentPrincipal(label('deploy')) });
  const d = await a.delegate(root.grantId, t.agent2_id, { delegable: true, ttlSeconds: 3600 });
  assert.equal(d.parentGrantId, root.grantId);
  assert.equal(d.depth, 1);
  assert.equal(d.delegable, true);
  assert.equal(d.grantKind, 'managed_secret');
  assert.ok(d.expiresAt instanceof Date);

  const page = await b.listGrants();
  const item = page.grants.find((g) => g.grantId === d.grantId);
  assert.equal(item.accessVia, 'ms_delegation');
  assert.equal(item.depth, 1);
  assert.equal(item.parentGrantId, root.grantId);
  assert.equal(item.delegable, true);

  const d2 = await b.delegate(d.grantId, cId);
  assert.equal(d2.depth, 2);
  assert.equal(d2.delegable, false);
  await assert.rejects(c.delegate(d2.grantId, t.agent_id), (e) => {
    assert.ok(e instanceof GrantNotDelegableError);
    assert.ok(e instanceof PermissionDeniedError);
    assert.equal(e.details.detail_reason, 'holder_not_delegable');
    return true;
  });
  await assert.rejects(a.delegate(root.grantId, t.agent2_id), ConflictError);
  await assert.rejects(a.delegate(root.grantId, '00000000-0000-4000-8000-000000000000'), AgentNotFoundError);
  await assert.rejects(c.delegate(root.grantId, t.agent2_id), GrantNotFoundError);

  // The app revokes b's delegation: b and c lose it, a keeps its grant. Idempotent.
  await app.revokeDelegation(root.grantId, t.agent2_id);
  await app.revokeDelegation(root.grantId, t.agent2_id);
  const bs = (await b.listGrants()).grants.filter((g) => g.grantId === d.grantId);
  assert.deepEqual(bs.map((g) => g.status), ['revoked']);
  const cs = (await c.listGrants()).grants;
  assert.deepEqual(cs.map((g) => g.status), ['revoked']);
  const mine = (await a.listGrants()).grants.find((g) => g.grantId === root.grantId);
  assert.equal(mine.status, 'active');

  // An agent gives up its own delegation.
  const d3 = await a.delegate(root.grantId, cId);
  await c.revokeDelegation(root.grantId);
  const after3 = (await c.listGrants()).grants.find((g) => g.grantId === d3.grantId);
  assert.equal(after3.status, 'revoked');
});

test('constrained clients carry their headers through the lifecycle calls', async () => {
  const [bId] = await newAgent();
  const a = new Agent({ apiKey: t.agent_key, baseUrl: t.base_url }).withConstraints({ scopes: ['grants:read'] });
  const root = await a.createManagedSecretGrant(t.managed_secret_id, { principal: agentPrincipal(label('c')) });
  const d = await a.delegate(root.grantId, bId);
  assert.equal(d.depth, 1);
  const ruled = app.withConstraints({ rule: { ruleType: 'content_match', ruleBody: { deny: ['x'] } } });
  await ruled.revokeDelegation(root.grantId, bId);
  const all = (await app.listGrants({ limit: 1000 })).grants;
  assert.equal(all.find((g) => g.grantId === d.grantId).status, 'revoked');
});
