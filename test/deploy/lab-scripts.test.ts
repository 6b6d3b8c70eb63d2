// The lab's small programs, run for real on loopback: a backend whose
// requests cost CPU and whose /metrics shows it, a load generator that stops
// on its own, the runtime-API one-liner against a real HAProxy, and the
// image's healthcheck honouring SKEWWATCH_LISTEN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../e2e/harness/ports.js';
import { listenLoopback } from '../../src/util/listen.js';
import { ROOT, tool } from './tools.js';

const LAB = join(ROOT, 'deploy/lab');

async function until<T>(f: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cpuSeconds = (text: string) => Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)![1]);

test('app.mjs: requests cost CPU, and /metrics exposes process_cpu_seconds_total', async () => {
  const port = await freePort();
  const app = spawn(process.execPath, [join(LAB, 'app.mjs')], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORK_MS: '20' }, stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}`;
    const before = cpuSeconds(await until(async () => (await fetch(`${url}/metrics`)).text()));
    for (let i = 0; i < 10; i++) assert.equal((await fetch(url)).status, 200);
    const after = await (await fetch(`${url}/metrics`)).text();
    assert.ok(cpuSeconds(after) - before >= 0.15, `10 requests of 20 ms cost at least 0.15 s of CPU (${cpuSeconds(after) - before})`);
    assert.match(after, /^app_requests_total 10$/m);
  } finally {
    app.kill('SIGTERM');
  }
});

test('loadgen.mjs stops on its own after DURATION_SECONDS, having offered about the ramp', async () => {
  let hits = 0;
  const server = createServer((_req, res) => { hits++; res.end('ok'); });
  const port = await listenLoopback(server);
  try {
    const t0 = Date.now();
    // Asynchronously: this process serves the requests meanwhile.
    const child = spawn(process.execPath, [join(LAB, 'loadgen.mjs')], {
      env: { ...process.env, TARGET: `http://127.0.0.1:${port}/`, RATE_START: '50', RATE_END: '50', DURATION_SECONDS: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += String(d); });
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(killer);
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 8000, 'bounded in time');
    assert.match(stdout, /done after 1s/);
    assert.ok(hits >= 35 && hits <= 55, `about 50 requests in 1 s at 50/s (${hits})`);
  } finally {
    server.close();
  }
});

test('haproxy-admin.mjs sets a weight through a real HAProxy runtime API socket', async (t) => {
  const haproxy = tool(t, 'haproxy');
  if (!haproxy) return;
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-haproxy-'));
  const sock = join(dir, 'admin.sock');
  const [web, backend] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'haproxy.cfg'), `global\n  stats socket ${sock} mode 600 level admin\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend web\n  bind 127.0.0.1:${web}\n  default_backend be_app\nbackend be_app\n  server s1 127.0.0.1:${backend} weight 1\n  server s2 127.0.0.1:${backend} weight 1\n`);
  const proc = spawn(haproxy, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: 'ignore' });
  try {
    await until(async () => (existsSync(sock) ? true : undefined));
    const admin = (cmd: string) => spawnSync(process.execPath, [join(LAB, 'haproxy-admin.mjs'), cmd], { env: { ...process.env, HAPROXY_ADMIN: sock }, encoding: 'utf8', timeout: 10_000 });
    const set = admin('set weight be_app/s1 8');
    assert.equal(set.status, 0, set.stderr);
    assert.match(admin('get weight be_app/s1').stdout, /^8 \(initial 1\)/);
    const bad = spawnSync(process.execPath, [join(LAB, 'haproxy-admin.mjs'), 'show info'], { env: { ...process.env, HAPROXY_ADMIN: join(dir, 'nope.sock') }, encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /cannot reach HAProxy's runtime API/);
  } finally {
    proc.kill('SIGTERM');
  }
});

test('the image healthcheck asks /healthz on the port SKEWWATCH_LISTEN names', async () => {
  const paths: string[] = [];
  const server = createServer((req, res) => { paths.push(req.url ?? ''); res.statusCode = req.url === '/healthz' ? 200 : 404; res.end(); });
  const port = await listenLoopback(server);
  const check = (listen: string) => new Promise<number>((resolve) => {
    spawn(process.execPath, [join(ROOT, 'deploy/docker/healthcheck.mjs')], { env: { ...process.env, SKEWWATCH_LISTEN: listen }, stdio: 'ignore' }).on('exit', (c) => resolve(c ?? 1));
  });
  try {
    assert.equal(await check(`0.0.0.0:${port}`), 0, 'a wildcard listen address is reached on loopback');
    assert.equal(await check(`127.0.0.1:${port}`), 0);
    assert.deepEqual(paths, ['/healthz', '/healthz']);
    const closed = await freePort();
    assert.equal(await check(`127.0.0.1:${closed}`), 1, 'nothing listening: unhealthy');
  } finally {
    server.close();
  }
});
