// Issue 11 items 4-6 and 8 in-process: a reload to a config that validates
// but cannot be built is rejected before anything running is touched; the
// old source is closed after a good reload; start-up refuses an unusable
// state dir, a second instance and a port in use, leaving nothing running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '../../src/app/runtime.js';
import { MemoryStateStore } from '../../src/state/store.js';
import { silentLogger } from '../../src/util/logger.js';
import { startServer, json } from '../fakes/http-server.js';
import { startSlackReceiver } from '../fakes/receivers/index.js';

const vector = (rates: number[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: rates.map((r, i) => ({ metric: { proxy: 'be_app', server: `s${i + 1}` }, value: [0, String(r)] })) },
});

async function fixture() {
  const prom = await startServer((_req, _b, res) => json(res, 200, vector([10, 10])));
  const slack = await startSlackReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-rtf-'));
  const config = join(dir, 'c.yaml');
  const write = (extra = '') => writeFileSync(config, `interval: 1s\nlisten: 127.0.0.1:0\nstate_dir: ${join(dir, 'state')}\nsource: { prometheus: { url: "${prom.url}"${extra} } }\nsinks: { slack: { webhook_url: "\${SLACK}" } }\n`);
  write();
  return { prom, slack, dir, config, write, close: async () => { await slack.close(); await prom.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('reload with a config that validates but cannot be built: rejected, the running parts untouched, the metric says so', async () => {
  const f = await fixture();
  const rt = await startRuntime({ configFile: f.config, env: { SLACK: f.slack.url }, log: silentLogger(), store: new MemoryStateStore() });
  try {
    const outboxBefore = rt.daemon.outbox;
    f.write(', tls: { ca_file: /nonexistent/ca.pem }');
    assert.equal(await rt.reload(), false);
    assert.equal(rt.daemon.outbox, outboxBefore, 'the running outbox was not replaced');
    assert.match(await rt.metrics.registry.getSingleMetricAsString('skewwatch_config_last_reload_successful'), /skewwatch_config_last_reload_successful 0/);
    // A Slack URL without a path, given through the environment on reload.
    f.write();
    assert.equal(await rt.reload(), true);
    assert.match(await rt.metrics.registry.getSingleMetricAsString('skewwatch_config_last_reload_successful'), /skewwatch_config_last_reload_successful 1/);
    const r = await startRuntime({ configFile: f.config, env: { SLACK: 'https://chat.example.com' }, log: silentLogger(), store: new MemoryStateStore() }).then(() => 'started', (e: Error) => e.message);
    assert.match(r, /webhookUrl has no path/, 'the same config is refused at start');
  } finally {
    await rt.stop(2000);
    await f.close();
  }
});

test('a good reload closes the previous source', async () => {
  const f = await fixture();
  const rt = await startRuntime({ configFile: f.config, env: { SLACK: f.slack.url }, log: silentLogger(), store: new MemoryStateStore() });
  try {
    let closed = 0;
    const old = (rt.daemon as unknown as { parts: { source: { close?: () => Promise<void> } } }).parts.source;
    const realClose = old.close?.bind(old);
    old.close = async () => { closed++; await realClose?.(); };
    assert.equal(await rt.reload(), true);
    // The old source is closed once its last cycle is done: wait for that
    // (bounded), rather than a fixed 200 ms a loaded machine can overrun.
    for (const deadline = Date.now() + 10_000; closed === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed, 1);
  } finally {
    await rt.stop(2000);
    await f.close();
  }
});

test('start-up: an unusable state dir, a second instance on one state dir, a port in use: each a clear error', async () => {
  const f = await fixture();
  try {
    writeFileSync(join(f.dir, 'file'), 'x');
    await assert.rejects(startRuntime({ configFile: f.config, env: { SLACK: f.slack.url, SKEWWATCH_STATE_DIR: join(f.dir, 'file', 'state') }, log: silentLogger() }), /state directory .* is not usable \(ENOTDIR\)/);
    const first = await startRuntime({ configFile: f.config, env: { SLACK: f.slack.url }, log: silentLogger() });
    try {
      // Same host and a live pid: the lock refuses (our own pid would count as stale, so pretend another process).
      const lock = join(f.dir, 'state', 'skewwatch.lock');
      const { readFileSync } = await import('node:fs');
      const info = JSON.parse(readFileSync(lock, 'utf8'));
      writeFileSync(lock, JSON.stringify({ ...info, pid: process.ppid }));
      await assert.rejects(startRuntime({ configFile: f.config, env: { SLACK: f.slack.url }, log: silentLogger() }), /is in use by another skewwatch/);
      writeFileSync(lock, JSON.stringify(info));
      const port = new URL(first.http.url).port;
      await assert.rejects(
        startRuntime({ configFile: f.config, env: { SLACK: f.slack.url, SKEWWATCH_STATE_DIR: join(f.dir, 'state2'), SKEWWATCH_LISTEN: `127.0.0.1:${port}` }, log: silentLogger() }),
        /cannot listen on 127\.0\.0\.1:\d+: the address is already in use/,
      );
    } finally {
      await first.stop(2000);
    }
  } finally {
    await f.close();
  }
});
