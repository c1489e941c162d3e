// Starts a real `grantline-server dev` for a test file (ephemeral port, fresh SQLite file) and
// offers its admin API for extra fixtures. The server exits when this process's pipe closes.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const workspace = path.resolve(here, '..', '..');

function serverBinary() {
  if (process.env.GRANTLINE_SERVER_BIN) return process.env.GRANTLINE_SERVER_BIN;
  execFileSync('cargo', ['build', '-q', '-p', 'grantline-server', '--bin', 'grantline-server'], {
    cwd: workspace,
    stdio: 'inherit',
  });
  const meta = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], {
      cwd: workspace,
      maxBuffer: 64 << 20,
    }).toString(),
  );
  const bin = path.join(meta.target_directory, 'debug', 'grantline-server');
  if (!existsSync(bin)) throw new Error(`grantline-server not found at ${bin}`);
  process.env.GRANTLINE_SERVER_BIN = bin;
  return bin;
}

export async function startServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'grantline-node-'));
  const child = spawn(
    serverBinary(),
    [
      'dev',
      '--listen',
      '127.0.0.1:0',
      '--database',
      `sqlite://${dir}/db.sqlite`,
      '--exit-on-stdin-close',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const tenant = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`grantline-server exited (${code}): ${stderr}`)));
  });
  child.unref();
  child.stdout.unref?.();
  child.stderr.unref?.();

  async function admin(method, urlPath, body) {
    const res = await fetch(tenant.base_url + urlPath, {
      method,
      headers: {
        authorization: `Bearer ${tenant.admin_token}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`admin ${method} ${urlPath}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    tenant,
    admin,
    post: (p, body) => admin('POST', p, body),
    fault: (spec) => admin('POST', '/admin/faults', spec),
    clearFaults: () => admin('DELETE', '/admin/faults'),
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Unique labels per test run. */
let n = 0;
export function label(prefix = 'l') {
  n += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${n}`;
}
