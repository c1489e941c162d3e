// Each error class, from the real server where it can produce it, else from an injected fault;
// and bad inputs: a typed error before any I/O.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import * as gl from 'grantline';
import { startServer, label } from './helpers.mjs';

const { App, Agent, systemPrincipal, userPrincipal, agentPrincipal } = gl;
let srv;
let t;
let app;

before(async () => {
  srv = await startServer();
  t = srv.tenant;
  app = new App({ apiKey: t.app_key, baseUrl: t.base_url, maxRetries: 0 });
});
after(async () => {
  await srv?.stop();
});

function isError(cls, check) {
  return (err) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err?.name}: ${err?.message}`);
    assert.ok(err instanceof gl.GrantlineError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, cls.name);
    assert.equal(typeof err.stack, 'string');
    assert.ok(err.message.length > 0);
    check?.(err);
    return true;
  };
}

const create = (client, principal, extra = {}) =>
  client.createManagedSecretGrant(t.managed_secret_id, { principal, ...extra });

test('AuthenticationError: an unknown key', async () => {
  const stranger = new App({
    apiKey: 'alter_rk_abcdefghijklmnopqrstuv_iwpykn',
    baseUrl: t.base_url,
  });
  await assert.rejects(
    stranger.listGrants(),
    isError(gl.AuthenticationError, (e) => {
      assert.equal(e.status, 401);
      assert.ok(!e.message.includes('alter_rk_'));
      assert.ok(!(e instanceof gl.ReAuthRequiredError));
    }),
  );
});

test('ReAuthRequiredError: a user token that does not verify', async () => {
  await assert.rejects(
    create(app, userPrincipal('eyJhbGciOiJIUzI1NiJ9.e30.bad', label('u'))),
    isError(gl.ReAuthRequiredError, (e) => {
      assert.equal(e.status, 401);
      assert.equal(e.code, 'jwt_validation_error');
    }),
  );
});

test('AgentSelfGrantOnlyError: an agent caller issuing for someone else', async () => {
  const asAgent = new App({
    apiKey: t.app_key,
    baseUrl: t.base_url,
    caller: t.agent_id,
    callerType: 'agent',
  });
  await assert.rejects(
    create(asAgent, systemPrincipal(label('s'))),
    isError(gl.AgentSelfGrantOnlyError, (e) => {
      assert.equal(e.status, 403);
      assert.equal(e.code, 'agent_self_grant_only');
    }),
  );
});

test('UnprocessableEntityError: an agent principal without an agent caller', async () => {
  await assert.rejects(
    create(app, agentPrincipal(label('a'))),
    isError(gl.UnprocessableEntityError, (e) => assert.equal(e.status, 422)),
  );
  await assert.rejects(
    create(app, systemPrincipal(label('past')), { grantPolicy: { expiresAt: new Date(Date.now() - 60_000) } }),
    isError(gl.UnprocessableEntityError),
  );
});

test('GrantNotFoundError and AgentNotFoundError', async () => {
  await assert.rejects(
    app.revokeGrant(randomUUID()),
    isError(gl.GrantNotFoundError, (e) => assert.equal(e.status, 404)),
  );
  await assert.rejects(
    app.getAgent(randomUUID()).listGrants(),
    isError(gl.AgentNotFoundError, (e) => assert.equal(e.status, 404)),
  );
});

test('SiblingLabelConflictError carries the label', async () => {
  const lbl = label('dup');
  await create(app, systemPrincipal(lbl));
  await assert.rejects(
    create(app, systemPrincipal(lbl)),
    isError(gl.SiblingLabelConflictError, (e) => {
      assert.equal(e.status, 409);
      assert.equal(e.code, 'sibling_label_conflict');
      assert.ok(e.label === null || e.label === lbl);
    }),
  );
});

test('CredentialIdRequiredError lists the credentials', async () => {
  const { managed_secret_id: ms } = await srv.post(`/admin/apps/${t.app_id}/managed-secrets`, {
    slug: label('two'),
    name: 'Two credentials',
  });
  const ids = [];
  for (const l of ['first', 'second']) {
    const c = await srv.post(`/admin/apps/${t.app_id}/managed-secrets/${ms}/credentials`, {
      label: l,
      kind: 'developer',
      value: `secret-${l}`,
    });
    ids.push(c.credential_id);
  }
  await assert.rejects(
    app.createManagedSecretGrant(ms, { principal: systemPrincipal(label('c')) }),
    isError(gl.CredentialIdRequiredError, (e) => {
      assert.equal(e.status, 409);
      assert.deepEqual(e.credentials.map((c) => c.credentialId).sort(), [...ids].sort());
      assert.ok(!e.message.includes('secret-first'));
    }),
  );
  const ok = await app.createManagedSecretGrant(ms, {
    principal: systemPrincipal(label('c')),
    credentialId: ids[1],
  });
  assert.equal(ok.credentialId, ids[1]);
});

test('GrantRevokedError: revoking twice', async () => {
  const g = await create(app, systemPrincipal(label('twice')));
  await app.revokeGrant(g.grantId);
  await assert.rejects(app.revokeGrant(g.grantId), isError(gl.GrantRevokedError));
});

test('errors from injected faults: 429, 5xx, 403, 409, bad 2xx body', async () => {
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 429, times: 1, retry_after: '7' });
  await assert.rejects(
    app.listGrants(),
    isError(gl.RateLimitError, (e) => {
      assert.equal(e.status, 429);
      assert.equal(e.retryAfter, 7);
    }),
  );
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 503, times: 1, retry_after: '2' });
  await assert.rejects(
    app.listGrants(),
    isError(gl.ServerError, (e) => {
      assert.equal(e.status, 503);
      assert.equal(e.retryAfter, 2);
    }),
  );
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 403, times: 1 });
  await assert.rejects(app.listGrants(), isError(gl.PermissionDeniedError));
  await srv.fault({
    path_prefix: '/sdk/grants/list',
    status: 403,
    times: 1,
    body: JSON.stringify({ error: 'grant_expired', message: 'expired' }),
  });
  await assert.rejects(app.listGrants(), isError(gl.GrantExpiredError, (e) => assert.equal(e.message, 'expired')));
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 409, times: 1 });
  await assert.rejects(app.listGrants(), isError(gl.ConflictError));
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 200, times: 1, body: 'not json' });
  await assert.rejects(
    app.listGrants(),
    isError(gl.ResponseValidationError, (e) => assert.ok(!e.message.startsWith('__grantline'))),
  );
});

test('retries: a 503 then success is retried by default', async () => {
  const retrying = new App({ apiKey: t.app_key, baseUrl: t.base_url });
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 503, times: 1, retry_after: '0' });
  const page = await retrying.listGrants({ limit: 1 });
  assert.equal(page.limit, 1);
});

test('RequestTimeoutError and NetworkError', async () => {
  const slow = new App({ apiKey: t.app_key, baseUrl: t.base_url, timeout: 200, maxRetries: 0 });
  await srv.fault({ path_prefix: '/sdk/grants/list', status: 0, times: 1, delay_ms: 1500 });
  await assert.rejects(slow.listGrants(), isError(gl.RequestTimeoutError));
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const nowhere = new App({ apiKey: t.app_key, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
  await assert.rejects(nowhere.listGrants(), isError(gl.NetworkError));
});

test('ClientClosedError after close()', async () => {
  const c = new App({ apiKey: t.app_key, baseUrl: t.base_url });
  c.close();
  await assert.rejects(c.listGrants(), isError(gl.ClientClosedError));
});

test('bad inputs are InvalidArgumentError before any I/O', async () => {
  // Every call below would reach this fault if it did any I/O; none may consume it.
  await srv.fault({ path_prefix: '/sdk', status: 418, times: 1 });
  const bad = [
    () => app.listGrants({ limit: 0 }),
    () => app.listGrants({ limit: 1001 }),
    () => app.listGrants({ limit: 1.5 }),
    () => app.listGrants({ limit: '10' }),
    () => app.listGrants({ offset: -1 }),
    () => app.listGrants({ label: 5 }),
    () => app.listGrants({ status: '' }),
    () => app.listGrants({ nope: true }),
    () => app.listGrants('limit=5'),
    () => app.listGrants({ limit: 10n }),
    () => app.createManagedSecretGrant(t.managed_secret_id, {}),
    () => app.createManagedSecretGrant(t.managed_secret_id),
    () => app.createManagedSecretGrant(42, { principal: systemPrincipal() }),
    () => app.createManagedSecretGrant('', { principal: systemPrincipal() }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: { type: 'robot' } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: 'system' }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: { type: 'user', label: 'x' } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: { type: 'user', userToken: 123, label: 'x' } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: { type: 'group', externalGroupId: 'eng', label: 'x' } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal('x'.repeat(256)) }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(), grantPolicy: { maxTtlSeconds: 0 } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(), grantPolicy: { maxTtlSeconds: '60' } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(), grantPolicy: { restrictions: {} } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(), grantPolicy: { expiresAt: 'tomorrow' } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(), grantPolicy: { defaultTtlSeconds: 10, maxTtlSeconds: 5 } }),
    () => app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(), credentialId: 7 }),
    () => app.revokeGrant('not-a-uuid'),
    () => app.revokeGrant(12345),
    () => app.revokeGrant(randomUUID(), { reason: 5 }),
  ];
  for (const [i, call] of bad.entries()) {
    await assert.rejects(call(), isError(gl.InvalidArgumentError), `bad input #${i}: ${call}`);
  }
  const badSync = [
    () => new App({}),
    () => new App(),
    () => new App({ apiKey: 12 }),
    () => new App({ apiKey: 'alter_rk_abcdefghijklmnopqrstuv_iwpyka' }),
    () => new App({ apiKey: t.app_key, baseUrl: 'http://example.com' }),
    () => new App({ apiKey: t.app_key, timeout: 0 }),
    () => new App({ apiKey: t.app_key, timeout: '30' }),
    () => new App({ apiKey: t.app_key, maxRetries: -1 }),
    () => new App({ apiKey: t.app_key, callerType: 'robot' }),
    () => new App({ apiKey: t.app_key, caller: 'line\nbreak' }),
    () => new App({ apiKey: t.app_key, apikey: 'x' }),
    () => new Agent({ apiKey: t.agent_key, callerType: 'agent' }),
    () => app.getAgent('not-a-uuid'),
    () => app.getAgent(),
  ];
  for (const [i, make] of badSync.entries()) {
    assert.throws(make, isError(gl.InvalidArgumentError), `bad constructor #${i}: ${make}`);
  }
  await assert.rejects(async () => {
    for await (const _ of app.iterGrants({ limit: 0 })) void _;
  }, isError(gl.InvalidArgumentError));
  // The fault is still there: nothing above reached the server.
  await assert.rejects(app.listGrants({ limit: 1 }), isError(gl.ApiError, (e) => assert.equal(e.status, 418)));
});

test('error messages never carry secrets', async () => {
  const e = await app
    .createManagedSecretGrant(t.managed_secret_id, { principal: userPrincipal('a'.repeat(9000), 'x') })
    .catch((err) => err);
  assert.ok(e instanceof gl.InvalidArgumentError);
  assert.ok(!e.message.includes('aaaaaaaaaa'));
});
