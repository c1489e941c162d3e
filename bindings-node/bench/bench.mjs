// Benchmark (not a test): client CPU per call of grantline against two clients written by hand
// (`undici.request` and `fetch`, signing with node:crypto and building the same objects), each in
// its own process, for listGrants({ limit: 100 }) and createManagedSecretGrant, against
//   - grantline-server (file database, 120 grants seeded), and
//   - a canned server (bench/canned-server.mjs) replaying that server's recorded answers instantly;
// then the same list with the server's fault injection adding 5 ms to every request (client CPU
// per call must not grow with server latency) beside a control (a fixed CPU task run back to back
// and with 5 ms idle before each run: what idling alone costs on this machine) and, under valgrind's
// callgrind, the same list's instructions per call with and without the delay; and calls/s with
// the event-loop delay (monitorEventLoopDelay p50/p99) while 1,000 calls are in flight.
//
// Rounds are interleaved (each round runs every client once, in rotating order) so the machine's
// noise falls on all clients alike; tables show the median of the rounds with min–max.
//
//   bash scripts/bench.sh                     (builds the release addon and a release server)
//   BENCH_ROUNDS=5 BENCH_CALLS=500 BENCH_LOAD_SECONDS=3 node bench/bench.mjs
//   BENCH_INSTRUCTIONS_ONLY=1 node bench/bench.mjs   (only the callgrind counts: the same on any
//                                                   machine load, for comparing two builds)
//   BENCH_INSTRUCTIONS_CALLS=0 skips them (~4 min per client).
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { App, systemPrincipal } from 'grantline';
import { startServer } from '../test/helpers.mjs';
import { undiciClient } from './handwritten.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 500);
const LATENCY_CALLS = Number(process.env.BENCH_LATENCY_CALLS ?? 300);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 3);
const DELAY_MS = 5;
const CLIENTS = (process.env.BENCH_CLIENTS ?? 'grantline,undici,fetch').split(',');
const OPS = ['list', 'create'];
const log = (...a) => console.error(...a);
const NAMES = {
  grantline: 'grantline',
  undici: 'hand-written `undici.request`',
  fetch: 'hand-written `fetch`',
  control: 'control: fixed CPU work, no I/O (JSON.parse + walk of the page; idle 5 ms before each)',
};

// --- servers --------------------------------------------------------------------------------
const srv = await startServer();
const t = srv.tenant;
const seeder = new App({ apiKey: t.app_key, baseUrl: t.base_url, maxRetries: 0 });
for (let i = 0; i < 120; i++) {
  await seeder.createManagedSecretGrant(t.managed_secret_id, { principal: systemPrincipal(`seed-${i}`) });
}
seeder.close();

// What the canned server replays: grantline-server's own answers to the benchmark's two calls.
const recorder = undiciClient({ apiKey: t.app_key, baseUrl: t.base_url });
const recorded = {};
for (const [name, p, body] of [
  ['list', '/sdk/grants/list', { limit: 100, offset: 0 }],
  ['create', `/sdk/managed-secrets/${t.managed_secret_id}/grants`, { principal: { type: 'system', label: 'canned' }, grant_policy: {} }],
  ['list', '/sdk/grants/list', { limit: 100, offset: 0 }], // after the create: the page a client sees
]) {
  const r = await recorder.raw(p, body);
  if (r.status !== 200 && r.status !== 201) throw new Error(`recording ${name}: ${r.status} ${r.body}`);
  recorded[name] = { status: r.status, actorId: r.headers['x-alter-actor-id'] ?? null, body: r.body };
}
await recorder.close();
const tmp = mkdtempSync(path.join(tmpdir(), 'grantline-bench-'));
writeFileSync(path.join(tmp, 'recording.json'), JSON.stringify(recorded));
const canned = spawn(process.execPath, [path.join(here, 'canned-server.mjs'), path.join(tmp, 'recording.json')], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const cannedUrl = await new Promise((resolve, reject) => {
  createInterface({ input: canned.stdout }).once('line', (l) => resolve(JSON.parse(l).baseUrl));
  canned.once('exit', (c) => reject(new Error(`canned server exited (${c})`)));
});
const TARGETS = {
  'grantline-server': t.base_url,
  canned: cannedUrl,
};

// --- instructions: the latency question counted by callgrind ------------------------------
// CPU time on this VM grows for any code that idles between runs (the control below); the
// client's own work is its instructions (user space, every thread), which idling does not change.
// Per list call: the difference of a whole worker run of `small` calls and of `small + n` calls
// (the same warm-up calls before each), so start-up and warm-up cancel out.
const INSTRUCTIONS_CALLS = Number(process.env.BENCH_INSTRUCTIONS_CALLS ?? 100);
const INSTRUCTIONS_ONLY = process.env.BENCH_INSTRUCTIONS_ONLY === '1';

async function instructions(kind, warmUp, calls) {
  const out = path.join(tmp, `callgrind-${kind}-${calls}.out`);
  const w = worker(kind, t.base_url, {
    execPath: 'valgrind',
    execArgv: ['--tool=callgrind', '--quiet', '--smc-check=all', `--callgrind-out-file=${out}`, process.execPath],
  });
  await w.ready;
  await w.ask({ cmd: 'run', op: 'list', calls, warmUp });
  w.exit();
  const code = await w.exited;
  if (code !== 0) throw new Error(`${kind} under callgrind exited (${code})`);
  const totals = readFileSync(out, 'utf8').split('\n').filter((l) => /^(summary|totals):/.test(l));
  return Number(totals.at(-1).split(/\s+/)[1]);
}

const grind = {};
const which = spawnSync('valgrind', ['--version']);
for (const kind of INSTRUCTIONS_CALLS > 0 && which.status === 0 ? CLIENTS : []) {
  grind[kind] = {};
  const small = 20;
  const warmUp = 50; // V8 is still tiering the decoder up after 20 calls (counts swung by 20%)
  for (const setting of ['none', 'delayed']) {
    if (setting === 'delayed') await srv.fault({ path_prefix: '/sdk/', status: 0, delay_ms: DELAY_MS, times: 1_000_000_000 });
    try {
      const a = await instructions(kind, warmUp, small);
      const b = await instructions(kind, warmUp, small + INSTRUCTIONS_CALLS);
      grind[kind][setting] = (b - a) / INSTRUCTIONS_CALLS;
    } finally {
      if (setting === 'delayed') await srv.clearFaults();
    }
    log(`instructions ${kind} ${setting}: ${Math.round(grind[kind][setting]).toLocaleString('en-US')}/call`);
  }
}

function printInstructions() {
  if (!Object.keys(grind).length) return;
  console.log(`\n### the same, in instructions per list call (callgrind; ${INSTRUCTIONS_CALLS} calls per setting)\n`);
  console.log('| client | no delay: instructions/call | +5 ms: instructions/call | change |');
  console.log('|---|---:|---:|---:|');
  const n = (x) => Math.round(x).toLocaleString('en-US');
  for (const [kind, { none, delayed }] of Object.entries(grind)) {
    const change = (delayed / none - 1) * 100;
    console.log(`| ${NAMES[kind]} | ${n(none)} | ${n(delayed)} | ${change >= 0 ? '+' : ''}${change.toFixed(1)}% |`);
  }
}

if (INSTRUCTIONS_ONLY) {
  printInstructions();
  canned.stdin.end();
  await srv.stop();
  rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}

// --- workers --------------------------------------------------------------------------------
/** A client's worker process; `options` go to `fork` (the callgrind runs start it under valgrind). */
function worker(kind, baseUrl, options = {}) {
  const child = fork(path.join(here, 'worker.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let pending = null;
  child.on('message', (m) => {
    const p = pending;
    pending = null;
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`${kind} worker: ${m.error}`));
  });
  child.on('exit', (code) => pending?.reject(new Error(`${kind} worker exited (${code})`)));
  const ask = (msg) =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
      child.send(msg);
    });
  const ready = ask({
    cmd: 'setup',
    kind,
    apiKey: t.app_key,
    baseUrl,
    managedSecretId: t.managed_secret_id,
    listBody: recorded.list.body,
  });
  return { kind, ask, ready, exited, exit: () => child.send({ cmd: 'exit' }) };
}

const workers = {};
for (const [target, url] of Object.entries(TARGETS)) {
  workers[target] = {};
  for (const kind of CLIENTS) workers[target][kind] = worker(kind, url);
}
await Promise.all(Object.values(workers).flatMap((w) => Object.values(w).map((x) => x.ready)));

const rotate = (list, r) => list.map((_, i) => list[(i + r) % list.length]);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// --- sequential CPU per call ---------------------------------------------------------------
const seqRuns = {}; // target → op → kind → [result per round]
for (const target of Object.keys(TARGETS)) {
  seqRuns[target] = {};
  for (const op of OPS) seqRuns[target][op] = Object.fromEntries(CLIENTS.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of rotate(CLIENTS, r)) {
      for (const op of OPS) {
        const res = await workers[target][kind].ask({ cmd: 'run', op, calls: CALLS });
        seqRuns[target][op][kind].push(res);
        log(`${target} round ${r + 1} ${kind} ${op}: ${res.cpuMs.toFixed(3)} ms CPU/call (JS ${res.jsMs.toFixed(3)}, io ${res.ioMs.toFixed(3)})`);
      }
    }
  }
}

// --- latency: the same list with 5 ms added by the server ----------------------------------
const latRuns = Object.fromEntries(CLIENTS.map((k) => [k, { none: [], delayed: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of rotate(CLIENTS, r)) {
    const w = workers['grantline-server'][kind];
    latRuns[kind].none.push(await w.ask({ cmd: 'run', op: 'list', calls: LATENCY_CALLS }));
    await srv.fault({ path_prefix: '/sdk/', status: 0, delay_ms: DELAY_MS, times: 1_000_000_000 });
    latRuns[kind].delayed.push(await w.ask({ cmd: 'run', op: 'list', calls: LATENCY_CALLS }));
    await srv.clearFaults();
    const [a, b] = [latRuns[kind].none.at(-1), latRuns[kind].delayed.at(-1)];
    log(`latency round ${r + 1} ${kind}: ${a.cpuMs.toFixed(3)} → ${b.cpuMs.toFixed(3)} ms CPU/call (wall ${a.wallMs.toFixed(1)} → ${b.wallMs.toFixed(1)} ms)`);
  }
}

// The control: a fixed CPU task (parse and walk the recorded page, no I/O), run back to back and
// with the process idle 5 ms before each run, in the grantline worker's process. What it gains
// is what idling costs any code on this machine (cold caches, the CPU's wake-up), not the client.
const control = { none: [], delayed: [] };
for (let r = 0; r < ROUNDS; r++) {
  const w = workers['grantline-server'].grantline ?? Object.values(workers['grantline-server'])[0];
  control.none.push(await w.ask({ cmd: 'run', op: 'work', calls: LATENCY_CALLS }));
  control.delayed.push(await w.ask({ cmd: 'run', op: 'work', calls: LATENCY_CALLS, idleMs: DELAY_MS }));
  log(`control round ${r + 1}: ${control.none.at(-1).cpuMs.toFixed(3)} → ${control.delayed.at(-1).cpuMs.toFixed(3)} ms CPU/run`);
}

// --- load: 1,000 calls in flight -----------------------------------------------------------
const loadRuns = [];
for (const target of Object.keys(TARGETS)) {
  for (const kind of CLIENTS) {
    const res = await workers[target][kind].ask({ cmd: 'load', op: 'list', inFlight: 1000, seconds: LOAD_SECONDS });
    loadRuns.push({ target, kind, ...res });
    log(`load ${target} ${kind}: ${res.callsPerSecond.toFixed(0)}/s, loop delay p99 ${res.p99.toFixed(1)} ms`);
  }
}

for (const w of Object.values(workers).flatMap((x) => Object.values(x))) w.exit();
canned.stdin.end();
await srv.stop();
rmSync(tmp, { recursive: true, force: true });

// --- tables ---------------------------------------------------------------------------------
const f3 = (x) => x.toFixed(3);
const spread = (xs) => `${f3(median(xs))} (${f3(Math.min(...xs))}–${f3(Math.max(...xs))})`;
const CALL = { list: '`listGrants({ limit: 100 })`', create: '`createManagedSecretGrant`' };

console.log(`\nNode ${process.version}; ${ROUNDS} rounds × ${CALLS} sequential calls per client; median (min–max) of the rounds.`);
console.log('CPU: the client process, all threads (ms per call); JS: the main thread; io: grantline-io.\n');
for (const target of Object.keys(TARGETS)) {
  console.log(`### against ${target === 'canned' ? 'the canned server' : 'grantline-server (file database, 120 grants)'}\n`);
  console.log('| call | client | CPU/call (ms) | JS thread (ms) | grantline-io (ms) | context switches/call | CPU ratio to grantline |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const op of OPS) {
    const g = seqRuns[target][op].grantline;
    for (const kind of CLIENTS) {
      const runs = seqRuns[target][op][kind];
      const ratios = g ? runs.map((x, i) => x.cpuMs / g[i].cpuMs) : [];
      const ratio = kind === 'grantline' || !g ? '' : `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
      console.log(
        `| ${CALL[op]} | ${NAMES[kind]} | ${spread(runs.map((x) => x.cpuMs))} | ${spread(runs.map((x) => x.jsMs))} | ${kind === 'grantline' ? spread(runs.map((x) => x.ioMs)) : '–'} | ${median(runs.map((x) => x.switches)).toFixed(1)} | ${ratio} |`,
      );
    }
  }
  console.log('');
}

console.log(`### client CPU per list call with the server adding ${DELAY_MS} ms per request (grantline-server fault injection)\n`);
console.log(`${ROUNDS} rounds × ${LATENCY_CALLS} calls; each round runs both settings back to back.\n`);
console.log('| client | no delay: CPU/call (ms) | +5 ms: CPU/call (ms) | change (median of rounds) | wall/call (ms) |');
console.log('|---|---:|---:|---:|---:|');
for (const [kind, { none, delayed }] of [...Object.entries(latRuns), ['control', control]]) {
  const change = none.map((x, i) => (delayed[i].cpuMs / x.cpuMs - 1) * 100);
  console.log(
    `| ${NAMES[kind]} | ${spread(none.map((x) => x.cpuMs))} | ${spread(delayed.map((x) => x.cpuMs))} | ${median(change) >= 0 ? '+' : ''}${median(change).toFixed(1)}% (${Math.min(...change).toFixed(1)}…${Math.max(...change).toFixed(1)}) | ${median(none.map((x) => x.wallMs)).toFixed(1)} → ${median(delayed.map((x) => x.wallMs)).toFixed(1)} |`,
  );
}
printInstructions();

console.log(`\n### 1,000 \`listGrants({ limit: 100 })\` calls in flight for ${LOAD_SECONDS} s\n`);
console.log('| server | client | calls/s | CPU/call (ms) | event-loop delay p50 (ms) | p99 (ms) | max (ms) |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of loadRuns) {
  console.log(
    `| ${r.target} | ${NAMES[r.kind]} | ${r.callsPerSecond.toFixed(0)} | ${f3(r.cpuMs)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} |`,
  );
}
process.exit(0);
