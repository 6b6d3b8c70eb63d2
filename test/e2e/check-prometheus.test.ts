// `skewwatch check` against a real Prometheus scraping a real HAProxy
// (issue 2's done-when). The CLI runs as a child process, configured by
// environment variables only: SKEWWATCH_PROMETHEUS_URL and
// SKEWWATCH_RATE_WINDOW, no config file.
//
// Proves: per-backend rates from Prometheus match what HAProxy served
// (runtime API stot deltas) and what the load generator received, within
// 10 %; health and weights come through; a balanced pool exits 0; a weight
// misconfiguration exits 1 naming s1; an unreachable Prometheus exits 2 with
// a clear message.
//
// Run: npm run build && node --import tsx --test test/e2e/check-prometheus.test.ts
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  countByServer,
  freePort,
  makeTempDir,
  removeTempDir,
  requireBinaries,
  sleep,
  startFleet,
  startLoad,
  type Fleet,
  type LoadRun,
} from './harness/index.js';
import { StotSampler, cleanEnv, relErr, runCli, writeFile } from './support/skewwatch.js';
import type { PoolVerdict } from '../../src/core/types.js';

interface CheckJson {
  at: string;
  alerting: Record<string, string[]>;
  pools: PoolVerdict[];
}

const skip = requireBinaries(['haproxy', 'prometheus']);
const RATE = 90;
const WINDOW_S = 10;

describe('skewwatch check against real Prometheus + HAProxy', { skip, timeout: 150_000 }, () => {
  let fleet: Fleet | undefined;
  let load: LoadRun | undefined;
  let sampler: StotSampler | undefined;
  let tmp: string | undefined;
  let env: NodeJS.ProcessEnv = {};

  before(async () => {
    tmp = makeTempDir();
    fleet = await startFleet({
      backends: [{ weight: 1, cpuMs: 4 }, { weight: 1, cpuMs: 4 }, { weight: 1, cpuMs: 4 }],
      scrapeIntervalS: 1,
    });
    env = cleanEnv({ SKEWWATCH_PROMETHEUS_URL: fleet.prometheus!.url, SKEWWATCH_RATE_WINDOW: `${WINDOW_S}s`, SKEWWATCH_STATE_DIR: path.join(tmp, 'state') });
    sampler = new StotSampler(fleet.haproxy.runtime, 'be_app').start();
    // One open-loop run for the whole file; stopped in after().
    load = startLoad({ url: `${fleet.haproxy.frontendUrl}/`, rate: RATE, durationMs: 120_000 });
  });

  after(async () => {
    load?.stop();
    await load?.done;
    await sampler?.stop();
    await fleet?.stopAll();
    if (tmp) removeTempDir(tmp);
  });

  it('balanced 1:1:1 at 90 req/s: rates match HAProxy and the client within 10 %, exit 0', async (t) => {
    const f = fleet!;
    // ~20 s of load: the 10 s window is full and steady.
    await sleep(Math.max(0, load!.startedAt + 20_000 - Date.now()));
    const r = await runCli(['check', '--json'], env);
    assert.equal(r.code, 0, `exit ${r.code}; stderr: ${r.stderr}\nstdout: ${r.stdout}`);
    const out = JSON.parse(r.stdout) as CheckJson;
    assert.deepEqual(out.alerting, {});
    const pool = out.pools.find((p) => p.pool === 'be_app');
    assert.ok(pool, `pool be_app expected, got ${out.pools.map((p) => p.pool).join(', ')}`);
    assert.equal(pool.severity, 'ok', pool.explanation);
    assert.deepEqual(pool.backends.map((b) => b.backend).sort(), ['s1', 's2', 's3']);

    // Same window as Prometheus' rate(...[10s]) evaluated at `at`.
    const at = Date.parse(out.at);
    const from = at - WINDOW_S * 1000;
    await sleep(Math.max(0, at + 500 - Date.now())); // a stot sample after `at`
    const client = countByServer(load!.records(), from, at);
    for (const b of pool.backends) {
      const haproxy = sampler!.rate(b.backend, from, at);
      const clientRate = (client[b.backend] ?? 0) / WINDOW_S;
      t.diagnostic(`${b.backend}: check ${b.rate.toFixed(2)}/s, haproxy stot ${haproxy.toFixed(2)}/s, client ${clientRate.toFixed(2)}/s, share ${b.share.toFixed(3)} expected ${b.expectedShare.toFixed(3)}`);
      assert.ok(relErr(b.rate, haproxy) <= 0.1, `${b.backend}: check ${b.rate.toFixed(2)}/s vs HAProxy ${haproxy.toFixed(2)}/s`);
      assert.ok(relErr(b.rate, clientRate) <= 0.1, `${b.backend}: check ${b.rate.toFixed(2)}/s vs client ${clientRate.toFixed(2)}/s`);
      assert.ok(relErr(b.rate, RATE / 3) <= 0.1, `${b.backend}: ${b.rate.toFixed(2)}/s, offered ${RATE / 3}/s`);
      assert.equal(b.health, 'up');
      assert.equal(b.weight, 1);
      assert.ok(Math.abs(b.expectedShare - 1 / 3) < 1e-9);
    }
    // HAProxy itself agrees on weight and status.
    for (const row of await f.haproxy.runtime.servers('be_app')) {
      assert.equal(row.weight, 1);
      assert.equal(row.status, 'UP');
    }
    t.diagnostic(`check took ${r.durationMs} ms; pool total ${pool.totalRate.toFixed(2)}/s`);
  });

  it('weight misconfiguration (set weight be_app/s1 256): check exits 1 and names s1 hot', async (t) => {
    const f = fleet!;
    await f.haproxy.runtime.setWeight('be_app', 's1', 256);
    const changedAt = Date.now();
    // Keep the load going long enough that the whole 10 s window is after the change.
    await sleep(15_000);

    // Env only (no CPU signal in query mode): skewwatch reads the new weight
    // from HAProxy, so traffic *matches the configuration* (s1 expected
    // 256/258) and the verdict is ok. A correct weighted config is not a skew;
    // a wrong weight is only visible against CPU capacity.
    const plain = await runCli(['check', '--json'], env);
    const plainOut = JSON.parse(plain.stdout) as CheckJson;
    const plainPool = plainOut.pools.find((p) => p.pool === 'be_app')!;
    const ps1 = plainPool.backends.find((b) => b.backend === 's1')!;
    t.diagnostic(`env-only check: exit ${plain.code}, ${plainPool.severity}: ${plainPool.explanation}; s1 weight ${ps1.weight} share ${ps1.share.toFixed(3)} expected ${ps1.expectedShare.toFixed(3)}`);
    assert.equal(ps1.weight, 256, 'the runtime weight change reaches check through Prometheus');
    assert.ok(Math.abs(ps1.expectedShare - 256 / 258) < 1e-6);
    assert.ok(ps1.share > 0.95, `s1 takes the traffic: share ${ps1.share}`);
    assert.equal(plain.code, 0, `without CPU the weight change looks intended: ${plain.stdout}`);

    // With the backends' CPU (process_cpu_seconds_total, labelled proxy/server
    // by the harness's scrape config) the misconfiguration shows: s1 takes
    // 99 % of the requests with a third of the capacity. The config file only
    // adds the CPU query; the URL and window still come from the environment.
    const cfg = writeFile(
      path.join(tmp!, 'check-cpu.yaml'),
      [
        'source:',
        '  mode: prometheus',
        '  preset: haproxy',
        '  queries:',
        '    cpu: sum by (proxy, server) (rate(process_cpu_seconds_total{job="backends"}[{{window}}]))',
        '',
      ].join('\n'),
    );
    const r = await runCli(['check', '--json', '--config', cfg], env);
    assert.equal(r.code, 1, `exit ${r.code}; stderr: ${r.stderr}\nstdout: ${r.stdout}`);
    const out = JSON.parse(r.stdout) as CheckJson;
    const pool = out.pools.find((p) => p.pool === 'be_app')!;
    t.diagnostic(`cpu check ${Date.parse(out.at) - changedAt} ms after the change: exit ${r.code}, ${pool.severity} [${pool.reasons.join(', ')}]: ${pool.explanation}; alerting ${JSON.stringify(out.alerting)}`);
    assert.ok(pool.hot.includes('s1'), `s1 among hot: ${JSON.stringify(pool.hot)}`);
    assert.ok(pool.reasons.includes('overweighted'), `reasons ${pool.reasons.join(', ')}`);
    assert.equal(pool.severity, 'critical');
    assert.ok(out.alerting.be_app?.includes('TrafficSkewCritical'), `alerting ${JSON.stringify(out.alerting)}`);
    const s1 = pool.backends.find((b) => b.backend === 's1')!;
    assert.ok((s1.utilisation ?? 0) > 0.15, `s1 CPU ${s1.utilisation}`);
  });

  it('Prometheus unreachable: exit 2 with a clear message on stderr', async () => {
    const port = await freePort(); // bound and released: nothing listens there
    const r = await runCli(['check', '--json'], cleanEnv({ SKEWWATCH_PROMETHEUS_URL: `http://127.0.0.1:${port}`, SKEWWATCH_RATE_WINDOW: '10s', SKEWWATCH_STATE_DIR: path.join(tmp ?? os.tmpdir(), 'state') }));
    assert.equal(r.code, 2, `exit ${r.code}; stdout ${r.stdout}`);
    assert.match(r.stderr, /unreachable/);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.equal(r.stdout, '', 'no JSON on failure');
  });
});
