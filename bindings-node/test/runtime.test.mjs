// Runtime behaviour: the event loop keeps ticking under load, worker_threads, CommonJS, panics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as esm from 'grantline';
import { startServer, label } from './helpers.mjs';

const require = createRequire(import.meta.url);
let srv;
let t;

before(async () => {
  srv = await startServer();
  t = srv.tenant;
});
after(async () => {
  await srv?.stop();
});

test('require and import give the same module', () => {
  const cjs = require('grantline');
  assert.equal(cjs.App, esm.App);
  assert.equal(cjs.SiblingLabelConflictError, esm.SiblingLabelConflictError);
  assert.equal(typeof cjs.isValidKey, 'function');
});

test('the event loop is never blocked: a timer ticks during 1,000 concurrent calls', async () => {
  const app = new esm.App({ apiKey: t.app_key, baseUrl: t.base_url });
  await app.createManagedSecretGrant(t.managed_secret_id, { principal: esm.systemPrincipal(label('tick')) });
  let ticks = 0;
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks += 1;
  }, 5);
  const started = performance.now();
  const calls = [];
  for (let i = 0; i < 1000; i++) calls.push(app.listGrants({ limit: 5 }));
  const pages = await Promise.all(calls);
  const elapsed = performance.now() - started;
  clearInterval(timer);
  assert.equal(pages.length, 1000);
  assert.ok(pages.every((p) => p.grants.length > 0));
  // The timer ran all along: at least a tick per 50 ms of the run, and no stall near the run.
  assert.ok(ticks >= Math.floor(elapsed / 50), `ticks=${ticks} elapsed=${elapsed.toFixed(0)}ms`);
  assert.ok(maxGap < Math.max(250, elapsed / 4), `max gap ${maxGap.toFixed(0)} ms over ${elapsed.toFixed(0)} ms`);
});

test('works inside worker_threads, several at once', async () => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { App, systemPrincipal, SiblingLabelConflictError } = require('grantline');
    (async () => {
      const app = new App({ apiKey: workerData.key, baseUrl: workerData.url });
      const principal = systemPrincipal(workerData.label);
      const g = await app.createManagedSecretGrant(workerData.ms, { principal });
      let conflict = false;
      try { await app.createManagedSecretGrant(workerData.ms, { principal }); }
      catch (e) { conflict = e instanceof SiblingLabelConflictError; }
      const page = await app.listGrants({ label: workerData.label });
      parentPort.postMessage({ id: g.grantId, listed: page.grants[0].grantId, conflict,
        isDate: page.grants[0].createdAt instanceof Date });
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack) }));
  `;
  const run = (lbl) =>
    new Promise((resolve, reject) => {
      const w = new Worker(code, {
        eval: true,
        workerData: { key: t.app_key, url: t.base_url, ms: t.managed_secret_id, label: lbl },
      });
      w.once('message', (m) => {
        w.terminate().then(() => resolve(m), reject);
      });
      w.once('error', reject);
    });
  const results = await Promise.all([run(label('w1')), run(label('w2')), run(label('w3'))]);
  for (const r of results) {
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.id, r.listed);
    assert.equal(r.conflict, true);
    assert.equal(r.isDate, true);
  }
  // The main thread's clients still work after the workers are gone.
  const again = await run(label('w4'));
  assert.equal(again.error, undefined, again.error);
  const app = new esm.App({ apiKey: t.app_key, baseUrl: t.base_url });
  assert.ok((await app.listGrants({ limit: 1 })).total > 0);
});

test('a Rust panic becomes a GrantlineError and the process goes on', async () => {
  await assert.rejects(esm._panicForTests('boom'), (err) => {
    assert.equal(err.constructor, esm.GrantlineError);
    assert.match(err.message, /panic.*boom/);
    return true;
  });
  assert.deepEqual(await esm._panicForTests(''), []);
  const app = new esm.App({ apiKey: t.app_key, baseUrl: t.base_url });
  assert.ok((await app.listGrants({ limit: 1 })).limit === 1);
});
