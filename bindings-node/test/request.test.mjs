// request() against a real grantline-server and a provider stub (a local HTTP server that
// records what it receives): where the credential goes and where it never goes, URL rules, the
// audit record, provider errors, a timeout, expired and revoked grants.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { inspect } from 'node:util';
import { randomUUID } from 'node:crypto';
import * as gl from 'grantline';
import { startServer, label } from './helpers.mjs';

let srv;
let t;

before(async () => {
  srv = await startServer();
  t = srv.tenant;
});
after(async () => {
  await srv?.stop();
});

/** A provider stub on a free loopback port; `seen` lists what it received. */
async function stub(redirectTo = null) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://stub');
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method, path: url.pathname, query: url.search.slice(1), headers: req.rawHeaders, body });
      const auth = req.headers.authorization ?? '';
      switch (url.pathname) {
        case '/unauthorized':
          res.writeHead(401).end('no');
          return;
        case '/scope':
          res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="repo admin"' }).end('scopes');
          return;
        case '/echo-error':
          res.writeHead(500).end(`bad token ${auth}`);
          return;
        case '/slow':
          setTimeout(() => res.end('late'), 3000);
          return;
        case '/redirect':
          res.writeHead(302, { location: redirectTo }).end();
          return;
        default:
          res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 's=1' });
          res.end(JSON.stringify({ ok: true, path: url.pathname }));
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** A managed secret with a known credential, and a system grant on it. */
async function secret(injection = {}) {
  const value = `cred-${randomUUID()}`;
  const ms = (await srv.post(`/admin/apps/${t.app_id}/managed-secrets`, { slug: label('s'), name: 'S' })).managed_secret_id;
  await srv.post(`/admin/apps/${t.app_id}/managed-secrets/${ms}/credentials`, { label: 'k', kind: 'developer', value });
  await srv.admin('PUT', `/admin/apps/${t.app_id}/managed-secrets/${ms}/injection`, {
    header: 'Authorization',
    format: 'Bearer {token}',
    ...injection,
  });
  const app = new gl.App({ apiKey: t.app_key, baseUrl: t.base_url });
  const grant = (await app.createManagedSecretGrant(ms, { principal: gl.systemPrincipal(label('r')) })).grantId;
  return { value, ms, grant, app };
}

async function calls(grantId) {
  const page = await srv.admin('GET', `/admin/apps/${t.app_id}/api-calls?limit=1000`);
  return page.records.filter((c) => c.grant_id === grantId);
}

function headerValues(seen, name) {
  const out = [];
  for (let i = 0; i < seen.headers.length; i += 2) {
    if (seen.headers[i].toLowerCase() === name.toLowerCase()) out.push(seen.headers[i + 1]);
  }
  return out;
}

test('the credential goes exactly once into its request; keys stay as written', async () => {
  const s = await stub();
  const { value, grant, app } = await secret();
  const resp = await app.request('post', `${s.url}/items/{id}`, {
    grantId: grant,
    pathParams: { id: 'a b' },
    extraHeaders: { 'X-Trace': 't1' },
    queryParams: { q: 1, tag: ['x', 'y'] },
    json: { camelKey: { nested_key: 1 } },
    reason: 'sync',
    context: { toolName: 't' },
  });
  assert.equal(resp.status, 200);
  assert.equal(resp.ok, true);
  assert.deepEqual(await resp.json(), { ok: true, path: '/items/a%20b' });
  assert.equal(await resp.text(), JSON.stringify({ ok: true, path: '/items/a%20b' }));
  assert.equal(Buffer.from(await resp.arrayBuffer()).toString(), await resp.text());
  assert.equal(resp.headers['content-type'], 'application/json');
  assert.equal(resp.grantId, grant);
  assert.equal(s.seen.length, 1);
  const [seen] = s.seen;
  assert.deepEqual([seen.method, seen.path, seen.query], ['POST', '/items/a%20b', 'q=1&tag=x&tag=y']);
  assert.deepEqual(headerValues(seen, 'authorization'), [`Bearer ${value}`]);
  assert.equal(JSON.stringify({ ...seen, body: seen.body.toString() }).split(value).length - 1, 1);
  assert.deepEqual(JSON.parse(seen.body), { camelKey: { nested_key: 1 } });
  await app.close(); // resolves once the audit record is written
  const [call] = await calls(grant);
  assert.equal(call.response_status, 200);
  assert.deepEqual(call.record.context, { toolName: 't' });
  assert.deepEqual(call.record.request_body, { camelKey: { nested_key: 1 } });
  assert.equal(call.record.request_headers['X-Trace'], 't1');
  const text = JSON.stringify(call);
  assert.ok(!text.includes(value) && !text.toLowerCase().includes('authorization'), text);
  assert.ok(!inspect(resp).includes(value) && !inspect(app).includes(value));
  await s.close();
});

test('a byte body, a header format and a query injection', async () => {
  const s = await stub();
  const { value, grant, app } = await secret({ header: 'X-Api-Key', format: '{token}', query_param: 'api_key' });
  await app.request('PUT', `${s.url}/raw`, { grantId: grant, body: new Uint8Array([0, 255, 98]) });
  const [seen] = s.seen;
  assert.deepEqual([...seen.body], [0, 255, 98]);
  assert.deepEqual(headerValues(seen, 'x-api-key'), [value]);
  assert.equal(seen.query, `api_key=${value}`);
  assert.deepEqual(headerValues(seen, 'authorization'), []);
  await app.close();
  assert.ok(!JSON.stringify(await calls(grant)).includes(value));
  await s.close();
});

test('URLs are checked before any lease; allowed base URLs bound the lease', async () => {
  const s = await stub();
  const { grant, app } = await secret({ allowed_base_urls: [`${s.url}/allowed`] });
  for (const bad of ['http://example.com/x', 'ftp://127.0.0.1/', 'nope', 'https://x.example/{id}']) {
    await assert.rejects(app.request('GET', bad, { grantId: grant }), gl.InvalidArgumentError, bad);
  }
  await assert.rejects(app.request('GET', `${s.url}/elsewhere`, { grantId: grant }), gl.BlockedDestinationError);
  await app.request('GET', `${s.url}/allowed/x`, { grantId: grant });
  assert.deepEqual(s.seen.map((r) => r.path), ['/allowed/x']);
  for (const opts of [{}, { grantId: grant, provider: 'p' }, { grantId: grant, label: 'l' }, { grantId: grant, json: {}, body: 'x' }]) {
    await assert.rejects(app.request('GET', `${s.url}/allowed`, opts), gl.InvalidArgumentError);
  }
  await app.close();
  await s.close();
});

test('a redirect is returned, not followed', async () => {
  const elsewhere = await stub();
  const s = await stub(`${elsewhere.url}/stolen`);
  const { grant, app } = await secret();
  const resp = await app.request('GET', `${s.url}/redirect`, { grantId: grant });
  assert.equal(resp.status, 302);
  assert.equal(elsewhere.seen.length, 0);
  await app.close();
  await s.close();
  await elsewhere.close();
});

test('provider failures are typed and scrubbed', async () => {
  const s = await stub();
  const { value, grant, app } = await secret();
  await assert.rejects(app.request('GET', `${s.url}/unauthorized`, { grantId: grant }), (e) => {
    return e instanceof gl.ProviderUnauthorizedError && e instanceof gl.ProviderApiError && e.status === 401;
  });
  await assert.rejects(app.request('GET', `${s.url}/echo-error`, { grantId: grant }), (e) => {
    assert.ok(e instanceof gl.ProviderApiError && !(e instanceof gl.ProviderUnauthorizedError));
    assert.equal(e.status, 500);
    assert.equal(e.responseBody, 'bad token [REDACTED]');
    assert.ok(!inspect(e).includes(value) && !String(e).includes(value));
    return true;
  });
  await assert.rejects(app.request('GET', `${s.url}/scope`, { grantId: grant }), (e) => {
    assert.ok(e instanceof gl.ScopeReauthRequiredError);
    assert.deepEqual(e.missingScopes, ['repo', 'admin']);
    return true;
  });
  await app.close();
  const audit = await srv.admin('GET', `/admin/apps/${t.app_id}/audit?limit=1000`);
  assert.ok(audit.records.some((r) => r.action === 'grant.scope_mismatch' && r.grant_id === grant));
  const recorded = await calls(grant);
  assert.equal(recorded.length, 3);
  assert.ok(!JSON.stringify(recorded).includes(value));
  await s.close();
});

test('a timeout is typed, recorded and not retried', async () => {
  const s = await stub();
  const { grant, app } = await secret();
  await assert.rejects(app.request('GET', `${s.url}/slow`, { grantId: grant, timeout: 300 }), gl.RequestTimeoutError);
  assert.equal(s.seen.length, 1);
  await app.close();
  const [call] = await calls(grant);
  assert.equal(call.response_status, 0);
  assert.match(call.record.response_body, /^<transport error: timeout/);
  await s.close();
});

test('expired and revoked grants are refused before the provider', async () => {
  const s = await stub();
  const { ms, grant, app } = await secret();
  await app.revokeGrant(grant);
  await assert.rejects(app.request('GET', `${s.url}/x`, { grantId: grant }), gl.GrantRevokedError);
  const short = await app.createManagedSecretGrant(ms, {
    principal: gl.systemPrincipal(label('short')),
    grantPolicy: { maxTtlSeconds: 1 },
  });
  await new Promise((r) => setTimeout(r, 1100));
  await assert.rejects(app.request('GET', `${s.url}/x`, { grantId: short.grantId }), gl.GrantExpiredError);
  assert.equal(s.seen.length, 0);
  await app.close();
  await s.close();
});

test('an agent uses its own grant; close() without pending records resolves at once', async () => {
  const s = await stub();
  const value = `cred-${randomUUID()}`;
  const ms = (await srv.post(`/admin/apps/${t.app_id}/managed-secrets`, { slug: label('a'), name: 'A' })).managed_secret_id;
  await srv.post(`/admin/apps/${t.app_id}/managed-secrets/${ms}/credentials`, { label: 'k', kind: 'developer', value });
  const agent = new gl.Agent({ apiKey: t.agent_key, baseUrl: t.base_url });
  const g = await agent.createManagedSecretGrant(ms, { principal: gl.agentPrincipal(label('self')) });
  const resp = await agent.request('GET', `${s.url}/mine`, { grantId: g.grantId });
  assert.equal((await resp.json()).path, '/mine');
  assert.deepEqual(headerValues(s.seen[0], 'authorization'), [`Bearer ${value}`]);
  await agent.close();
  await agent.close();
  await s.close();
});
