// The daemon in scrape mode against a real HAProxy's built-in exporter and
// the backends' own /metrics, with no Prometheus anywhere (issue 5's
// done-when). skewwatch runs as a child process (`node dist/cli.js run`)
// from a config file written here.
//
// Proves: per-server rates skewwatch computes from its own scrapes match
// HAProxy's own counters (runtime API `show stat` stot deltas over the same
// window) within 5 %; weights 2:1:1 give expected shares 0.5/0.25/0.25;
// runtime weight and state changes (`set weight`, `set server ... state
// maint`) reach /api/v1/status within a few seconds and maintenance is
// excluded from the expected distribution; /metrics and /readyz.
//
// Run: npm run build && node --import tsx --test test/e2e/scrape-haproxy.test.ts
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  freePort,
  requireBinaries,
  sleep,
  startFleet,
  startLoad,
  waitFor,
  type Fleet,
  type LoadRun,
  type ProcessHandle,
} from './harness/index.js';
import { StotSampler, cleanEnv, getJson, httpGet, jsonLines, metricValue, relErr, startDaemon, writeFile } from './support/skewwatch.js';
import type { BackendStat, PoolStats } from '../../src/core/types.js';

interface StatusPool {
  pool: string;
  severity: string;
  explanation: string;
  totalRate: number;
  unavailable: string[];
  stats: PoolStats;
  backends: BackendStat[];
}
interface Status {
  source: { mode: string; preset: string; lastSuccessAt: string | null; blindCycles: number };
  pools: StatusPool[];
}

const skip = requireBinaries(['haproxy']);
const RATE = 60;

describe('skewwatch run in scrape mode against real HAProxy (no Prometheus)', { skip, timeout: 150_000 }, () => {
  let fleet: Fleet | undefined;
  let daemon: ProcessHandle | undefined;
  let load: LoadRun | undefined;
  let sampler: StotSampler | undefined;
  let base = '';

  const status = () => getJson<Status>(`${base}/api/v1/status`);
  const pool = (s: Status) => s.pools.find((p) => p.pool === 'be_app');
  const backend = (p: StatusPool, name: string) => p.backends.find((b) => b.backend === name)!;

  before(async () => {
    fleet = await startFleet({
      backends: [{ weight: 2, cpuMs: 4 }, { weight: 1, cpuMs: 4 }, { weight: 1, cpuMs: 4 }],
      prometheus: false,
    });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const dir = fleet.dir;
    const targets = [
      `      - { url: "${fleet.haproxy.exporterUrl}", role: balancer }`,
      ...fleet.backends.map((b) => `      - { url: "${b.metricsUrl}", role: cpu, labels: { proxy: be_app, server: ${b.name} } }`),
    ];
    const cfg = writeFile(
      path.join(dir, 'skewwatch.yaml'),
      [
        'namespace: e2e-scrape',
        'interval: 1s',
        `listen: 127.0.0.1:${port}`,
        `state_dir: ${path.join(dir, 'skewwatch-state')}`,
        'log_level: info',
        'source:',
        '  mode: scrape',
        '  preset: haproxy',
        '  rate_window: 5s',
        '  scrape:',
        '    targets:',
        ...targets,
        '',
      ].join('\n'),
    );
    sampler = new StotSampler(fleet.haproxy.runtime, 'be_app').start();
    load = startLoad({ url: `${fleet.haproxy.frontendUrl}/`, rate: RATE, durationMs: 120_000 });
    daemon = await startDaemon({ args: ['--config', cfg], env: cleanEnv(), logFile: path.join(dir, 'skewwatch.log'), baseUrl: base });
  });

  after(async () => {
    load?.stop();
    await load?.done;
    await sampler?.stop();
    const info = await daemon?.stop();
    if (info && info.code !== 0) process.stderr.write(`skewwatch exited ${JSON.stringify(info)}:\n${daemon?.tail(30)}\n`);
    await fleet?.stopAll();
  });

  it('per-server rates match HAProxy stot deltas within 5 %, with weights 2:1:1 and health', async (t) => {
    // Let the 5 s window fill with steady load.
    await sleep(Math.max(0, load!.startedAt + 8000 - Date.now()));
    await waitFor('/readyz 200', async () => (await httpGet(`${base}/readyz`)).status === 200, 10_000);

    // Three consecutive cycles, each compared over its own window.
    let seen = '';
    for (let k = 0; k < 3; k++) {
      const s = await waitFor('a new cycle', async () => {
        const st = await status();
        return st.source.lastSuccessAt && st.source.lastSuccessAt !== seen && pool(st) ? st : undefined;
      }, 5000, 100);
      seen = s.source.lastSuccessAt!;
      assert.equal(s.source.mode, 'scrape');
      const p = pool(s)!;
      const end = Date.parse(seen);
      // The window is the span of the scrapes the rate covers: volume / rate.
      const windowMs = (p.stats.volume / p.totalRate) * 1000;
      assert.ok(windowMs > 4000 && windowMs < 6500, `window ${windowMs} ms`);
      await sleep(Math.max(0, end + 400 - Date.now())); // a stot sample after the window
      const lines: string[] = [];
      for (const [name, weight, expected] of [['s1', 2, 0.5], ['s2', 1, 0.25], ['s3', 1, 0.25]] as const) {
        const b = backend(p, name);
        const haproxy = sampler!.rate(name, end - windowMs, end);
        lines.push(`${name} skewwatch ${b.rate.toFixed(2)}/s haproxy ${haproxy.toFixed(2)}/s (${(relErr(b.rate, haproxy) * 100).toFixed(1)}%) w=${b.weight} exp=${b.expectedShare} share=${b.share.toFixed(3)} cpu=${b.utilisation?.toFixed(3)}`);
        assert.ok(relErr(b.rate, haproxy) <= 0.05, `${name}: skewwatch ${b.rate.toFixed(2)}/s vs HAProxy ${haproxy.toFixed(2)}/s`);
        assert.equal(b.weight, weight);
        assert.equal(b.health, 'up');
        assert.ok(Math.abs(b.expectedShare - expected) < 1e-9, `${name} expected share ${b.expectedShare}`);
        assert.ok(Math.abs(b.share - expected) < 0.05, `${name} observed share ${b.share}`);
        assert.notEqual(b.utilisation, null, `${name}: CPU from its own /metrics`);
      }
      t.diagnostic(`cycle ${seen} window ${Math.round(windowMs)} ms: ${lines.join('; ')}`);
      assert.equal(p.severity, 'ok', p.explanation);
    }

    const metrics = (await httpGet(`${base}/metrics`)).body;
    for (const name of ['s1', 's2', 's3']) {
      const v = metricValue(metrics, 'skewwatch_backend_share_ratio', { pool: 'be_app', backend: name });
      assert.ok(v !== undefined && v > 0.15 && v < 0.6, `skewwatch_backend_share_ratio ${name} = ${v}`);
    }
    assert.equal((await httpGet(`${base}/readyz`)).status, 200);
    const started = jsonLines(daemon!.logs()).find((l) => l.msg === 'skewwatch started');
    assert.equal(started?.mode, 'scrape', 'log line "skewwatch started" with mode scrape');
  });

  it('`set weight be_app/s1 1` shows in weight and expected share within a few seconds', async (t) => {
    // Weights are averaged over the rate window like the rates they are
    // compared with: the change shows at the next scrape and is complete one
    // window (5 s) later.
    const changedAt = Date.now();
    await fleet!.haproxy.runtime.setWeight('be_app', 's1', 1);
    await waitFor('s1 weight starts moving', async () => {
      const q = pool(await status());
      return q && backend(q, 's1').weight! < 2 ? q : undefined;
    }, 3000, 100);
    const movedAfterMs = Date.now() - changedAt;
    const p = await waitFor('s1 weight 1 in status', async () => {
      const q = pool(await status());
      return q && Math.abs(backend(q, 's1').weight! - 1) < 1e-9 ? q : undefined;
    }, 9000, 100);
    const seenAfterMs = Date.now() - changedAt;
    t.diagnostic(`weight moving after ${movedAfterMs} ms, 1 after ${seenAfterMs} ms; expected shares ${p.backends.map((b) => `${b.backend}=${b.expectedShare.toFixed(3)}`).join(' ')}`);
    assert.ok(movedAfterMs <= 3000, `took ${movedAfterMs} ms to notice`);
    for (const b of p.backends) assert.ok(Math.abs(b.expectedShare - 1 / 3) < 1e-9, `${b.backend} expected ${b.expectedShare}`);
    // Traffic follows within the 5 s window, and the rates still match HAProxy.
    await sleep(6500);
    const s = await status();
    const q = pool(s)!;
    const end = Date.parse(s.source.lastSuccessAt!);
    const windowMs = (q.stats.volume / q.totalRate) * 1000;
    await sleep(Math.max(0, end + 400 - Date.now()));
    for (const b of q.backends) {
      const haproxy = sampler!.rate(b.backend, end - windowMs, end);
      t.diagnostic(`${b.backend}: skewwatch ${b.rate.toFixed(2)}/s haproxy ${haproxy.toFixed(2)}/s share ${b.share.toFixed(3)}`);
      assert.ok(relErr(b.rate, haproxy) <= 0.05, `${b.backend}: skewwatch ${b.rate.toFixed(2)} vs HAProxy ${haproxy.toFixed(2)}`);
      assert.ok(Math.abs(b.share - 1 / 3) < 0.05, `${b.backend} share ${b.share}`);
    }
  });

  it('`set server be_app/s3 state maint` shows as maint and leaves the expected distribution', async (t) => {
    const changedAt = Date.now();
    await fleet!.haproxy.runtime.setServerState('be_app', 's3', 'maint');
    const p = await waitFor('s3 maint in status', async () => {
      const q = pool(await status());
      return q && backend(q, 's3').health === 'maint' ? q : undefined;
    }, 5000, 100);
    const seenAfterMs = Date.now() - changedAt;
    t.diagnostic(`maint visible after ${seenAfterMs} ms: ${p.severity}: ${p.explanation}; ${p.backends.map((b) => `${b.backend} ${b.health} exp=${b.expectedShare}`).join(', ')}`);
    assert.ok(seenAfterMs <= 3000, `took ${seenAfterMs} ms`);
    assert.deepEqual(p.unavailable, ['s3']);
    assert.equal(backend(p, 's3').expectedShare, 0);
    assert.ok(Math.abs(backend(p, 's1').expectedShare - 0.5) < 1e-9);
    assert.ok(Math.abs(backend(p, 's2').expectedShare - 0.5) < 1e-9);
    // Once the window holds only post-change traffic, s1/s2 split it and the pool is ok.
    await sleep(6500);
    const q = pool(await status())!;
    t.diagnostic(`after 6.5 s: ${q.severity}: ${q.explanation}; shares ${q.backends.map((b) => `${b.backend}=${b.share.toFixed(3)}`).join(' ')}`);
    assert.ok(Math.abs(backend(q, 's1').share - 0.5) < 0.05 && Math.abs(backend(q, 's2').share - 0.5) < 0.05);
    assert.equal(q.severity, 'ok', q.explanation);
    assert.equal((await httpGet(`${base}/readyz`)).status, 200);
    await fleet!.haproxy.runtime.setServerState('be_app', 's3', 'ready');
  });

  it('SIGTERM: exits 0', async () => {
    const info = await daemon!.stop(10_000);
    assert.deepEqual(info, { code: 0, signal: null }, daemon!.tail(20));
  });
});
