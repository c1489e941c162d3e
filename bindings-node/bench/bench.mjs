// Benchmark (not a test): calls per second sequentially and with 64 and 1,000 calls in flight,
// and the event-loop delay meanwhile (perf_hooks.monitorEventLoopDelay, p50/p99), for
// listGrants({ limit: 100 }) and createManagedSecretGrant, against a local grantline-server.
//
//   npm run build && npm run bench            (BENCH_SECONDS=3 per row by default)
//   GRANTLINE_SERVER_BIN=<release grantline-server> npm run bench   for a faster server
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { App, systemPrincipal } from 'grantline';
import { startServer } from '../test/helpers.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const srv = await startServer();
const t = srv.tenant;
const app = new App({ apiKey: t.app_key, baseUrl: t.base_url, maxRetries: 0 });
let seq = 0;
const run = `${process.pid}-${Date.now().toString(36)}`;
const nextLabel = () => `bench-${run}-${(seq += 1)}`;

// 200 grants so that every list call returns a full page of 100.
for (let i = 0; i < 200; i++) {
  await app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(nextLabel()) });
}

const ops = {
  'listGrants(limit 100)': () => app.listGrants({ limit: 100 }),
  createManagedSecretGrant: () =>
    app.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(nextLabel()) }),
};

async function measure(op, inFlight) {
  // Warm up, then run `inFlight` loops for `seconds`.
  await Promise.all(Array.from({ length: Math.min(inFlight, 64) }, () => op()));
  const h = monitorEventLoopDelay({ resolution: 1 });
  let calls = 0;
  const deadline = performance.now() + seconds * 1000;
  h.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await op();
        calls += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  h.disable();
  return {
    callsPerSecond: calls / elapsed,
    p50: h.percentile(50) / 1e6,
    p99: h.percentile(99) / 1e6,
  };
}

const rows = [];
for (const [name, op] of Object.entries(ops)) {
  for (const inFlight of [1, 64, 1000]) {
    const r = await measure(op, inFlight);
    rows.push({ name, inFlight, ...r });
    console.error(`${name} x${inFlight}: ${r.callsPerSecond.toFixed(0)}/s, loop delay p99 ${r.p99.toFixed(1)} ms`);
  }
}
await srv.stop();

console.log(`\nNode ${process.version}, ${seconds} s per row, one grantline-server on loopback\n`);
console.log('| call | in flight | calls/s | event-loop delay p50 | p99 |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| \`${r.name}\` | ${r.inFlight === 1 ? '1 (sequential)' : r.inFlight} | ${r.callsPerSecond.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms |`,
  );
}
