// One benchmarked client in its own process, driven by bench.mjs over the IPC channel, so each
// client's CPU is its process's alone. Per run it reports the process's CPU (every thread), the
// CPU of each thread by name (the JS thread, grantline-io, the rest) from /proc, and context
// switches, for `calls` sequential calls; `load` measures calls/s and event-loop delay with
// `inFlight` calls outstanding.
import { readFileSync, readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { App, systemPrincipal } from 'grantline';
import { undiciClient, fetchClient } from './handwritten.mjs';

/** CPU nanoseconds and context switches of every thread of this process, by thread group. */
function threads() {
  const out = {};
  for (const tid of readdirSync('/proc/self/task')) {
    let comm, cpu, switches;
    try {
      comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      cpu = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
      switches =
        Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]) +
        Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]);
    } catch {
      continue; // the thread ended meanwhile
    }
    const group = tid === String(process.pid) ? 'js' : comm.startsWith('grantline') ? 'io' : 'other';
    out[group] ??= { cpu: 0, switches: 0 };
    out[group].cpu += cpu;
    out[group].switches += switches;
  }
  return out;
}

function diff(after, before) {
  const out = {};
  for (const [g, v] of Object.entries(after)) {
    const b = before[g] ?? { cpu: 0, switches: 0 };
    out[g] = { cpu: v.cpu - b.cpu, switches: v.switches - b.switches };
  }
  return out;
}

// What every client's caller does with a page: read every field of every item once, so work a
// client defers to property access would be counted.
let sink = 0;
function readAll(page) {
  if (page.grants.length !== 100) throw new Error(`expected 100 grants, got ${page.grants.length}`);
  for (const g of page.grants) {
    for (const k in g) {
      const v = g[k];
      if (v instanceof Date) sink += v.getTime() & 1;
      else if (v !== null) sink += 1;
    }
  }
}

let client;
let ops;
let seq = 0;

function setup({ kind, apiKey, baseUrl, managedSecretId, listBody }) {
  const label = () => `bench-${kind}-${process.pid}-${(seq += 1)}`;
  if (kind === 'grantline') client = new App({ apiKey, baseUrl, maxRetries: 0 });
  else if (kind === 'undici') client = undiciClient({ apiKey, baseUrl });
  else if (kind === 'fetch') client = fetchClient({ apiKey, baseUrl });
  else throw new Error(`unknown client ${kind}`);
  ops = {
    list: async () => readAll(await client.listGrants({ limit: 100 })),
    create: async () => {
      const r = await client.createManagedSecretGrant(managedSecretId, { principal: systemPrincipal(label()) });
      if (!(r.createdAt instanceof Date)) throw new Error('createdAt is not a Date');
    },
    // The control: the same CPU work every time and no I/O (parse the recorded 100-grant page
    // and walk it), to see what idling between calls alone does to the CPU a fixed task costs.
    work: async () => {
      const page = JSON.parse(listBody);
      for (const g of page.grants) for (const k in g) if (g[k] !== null) sink += 1;
    },
  };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `calls` sequential calls of `op` after `warmUp` uncounted ones (JIT, pool, actor id); with
 * `idleMs`, the process idles that long between calls.
 */
async function run({ op, calls, idleMs = 0, warmUp = Math.min(50, calls) }) {
  const call = ops[op];
  for (let i = 0; i < warmUp; i++) await call();
  const t0 = threads();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < calls; i++) {
    if (idleMs > 0) await pause(idleMs);
    await call();
  }
  const wall = performance.now() - w0;
  const c = process.cpuUsage(c0);
  const per = diff(threads(), t0);
  const ms = (ns) => ns / 1e6 / calls;
  return {
    cpuMs: (c.user + c.system) / 1000 / calls,
    jsMs: ms(per.js?.cpu ?? 0),
    ioMs: ms(per.io?.cpu ?? 0),
    otherMs: ms(per.other?.cpu ?? 0),
    switches: Object.values(per).reduce((s, v) => s + v.switches, 0) / calls,
    wallMs: wall / calls,
  };
}

async function load({ op, inFlight, seconds }) {
  const call = ops[op];
  await Promise.all(Array.from({ length: Math.min(inFlight, 64) }, () => call()));
  const h = monitorEventLoopDelay({ resolution: 1 });
  let calls = 0;
  const c0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  h.enable();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await call();
        calls += 1;
      }
    }),
  );
  h.disable();
  const c = process.cpuUsage(c0);
  const elapsed = (performance.now() - started) / 1000;
  return {
    callsPerSecond: calls / elapsed,
    cpuMs: (c.user + c.system) / 1000 / calls,
    p50: h.percentile(50) / 1e6,
    p99: h.percentile(99) / 1e6,
    max: h.max / 1e6,
  };
}

process.on('message', async (msg) => {
  try {
    let result = null;
    if (msg.cmd === 'setup') setup(msg);
    else if (msg.cmd === 'run') result = await run(msg);
    else if (msg.cmd === 'load') result = await load(msg);
    else if (msg.cmd === 'exit') {
      await client?.close?.();
      process.disconnect();
      return;
    }
    process.send({ ok: true, result });
  } catch (e) {
    process.send({ ok: false, error: e instanceof Error ? e.stack : String(e) });
  }
});
