// The shared vectors (../tests/vectors) that apply to this package: key format; error
// classification and wire models, replayed through the real server's fault injection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as gl from 'grantline';
import { startServer } from './helpers.mjs';

const vectors = (name) =>
  JSON.parse(readFileSync(new URL(`../../tests/vectors/${name}.json`, import.meta.url), 'utf8'));

let srv;
let app;
before(async () => {
  srv = await startServer();
  app = new gl.App({ apiKey: srv.tenant.app_key, baseUrl: srv.tenant.base_url, maxRetries: 0 });
});
after(async () => {
  await srv?.stop();
});

test('key format vectors', () => {
  const v = vectors('key_format');
  for (const key of v.valid) assert.equal(gl.isValidKey(key), true, key);
  for (const key of v.invalid) assert.equal(gl.isValidKey(key), false, key);
});

test('error classification vectors', async () => {
  const v = vectors('errors');
  let replayed = 0;
  for (const c of v.cases) {
    // The fault injector sets Retry-After but not X-Request-ID.
    if (c.headers['x-request-id'] !== undefined) continue;
    await srv.fault({
      path_prefix: '/sdk/grants/list',
      status: c.status,
      times: 1,
      body: c.body,
      ...(c.headers['retry-after'] !== undefined ? { retry_after: c.headers['retry-after'] } : {}),
    });
    const err = await app.listGrants().then(
      () => assert.fail(`${c.name}: no error`),
      (e) => e,
    );
    const exp = c.expected;
    assert.equal(err.name, exp.kind, c.name);
    assert.ok(err instanceof gl[exp.kind], c.name);
    assert.equal(err.status, c.status, c.name);
    assert.equal(err.code, exp.code, c.name);
    assert.equal(err.message, exp.message, c.name);
    assert.equal(err.retryAfter, exp.retry_after_seconds, c.name);
    if (err instanceof gl.SiblingLabelConflictError) assert.equal(err.label, exp.label, c.name);
    if (err instanceof gl.GrantRevokedError) assert.equal(err.grantId, exp.grant_id, c.name);
    if (err instanceof gl.CredentialIdRequiredError) {
      assert.deepEqual(
        err.credentials,
        exp.credentials.map((x) => ({ credentialId: x.credential_id, label: x.label })),
        c.name,
      );
    }
    replayed += 1;
  }
  assert.ok(replayed >= 20, `replayed ${replayed}`);
});

test('wire model vectors: kinds kept, unknown kinds kept, bad pages rejected', async () => {
  const v = vectors('models');
  for (const c of v.list_pages) {
    await srv.fault({
      path_prefix: '/sdk/grants/list',
      status: 200,
      times: 1,
      body: JSON.stringify(c.response),
    });
    if (c.error !== undefined) {
      await assert.rejects(app.listGrants(), gl.ResponseValidationError, c.name);
      continue;
    }
    const page = await app.listGrants();
    const exp = c.expected;
    assert.equal(page.total, exp.total, c.name);
    assert.equal(page.hasMore, exp.has_more, c.name);
    assert.equal(page.grants.length, exp.grants.length, c.name);
    page.grants.forEach((g, i) => {
      const e = exp.grants[i];
      const kind = e.grant_kind === 'managed_secret' || e.grant_kind === 'oauth' ? e.grant_kind : 'unknown';
      assert.equal(g.grantKind, kind, c.name);
      if (g.grantKind === 'unknown') {
        assert.equal(g.rawGrantKind, e.grant_kind ?? null, c.name);
        assert.deepEqual(g.fields, e, c.name);
      } else {
        assert.equal(g.grantId, e.grant_id, c.name);
        assert.equal(g.status, e.status, c.name);
        assert.equal(g.label, e.label, c.name);
        assert.equal(g.createdAt.getTime(), new Date(e.created_at).getTime(), c.name);
        if (g.grantKind === 'oauth') assert.deepEqual(g.scopes, e.scopes, c.name);
      }
    });
  }
});
