// skewwatch's own /metrics exposition passes `promtool check metrics` (names,
// units, suffixes, help), and the HTTP surface answers as Prometheus and
// Kubernetes expect.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { startHttpServer, parseListen, type HttpServerHandle, type StatusProvider } from '../../src/http/server.js';
import type { TrackedAlert } from '../../src/core/alerting/evaluator.js';
import type { AlertPhase } from '../../src/core/alerting/lifecycle.js';
import type { BackendStat, PoolVerdict } from '../../src/core/types.js';
import { verdict } from '../fakes/verdict.js';

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const IN_CI = process.env.CI === 'true';
const HAVE_PROMTOOL = existsSync(PROMTOOL);
const PROMTOOL_SKIP = HAVE_PROMTOOL ? false : `promtool not found at ${PROMTOOL}: apt-get install -y prometheus`;


function backend(name: string, share: number, expectedShare: number, utilisation: number | null): BackendStat {
  return {
    backend: name, health: 'up', weight: 1, rate: share * 100, share, expectedShare,
    ratio: share / expectedShare, utilisation, queue: 0, z: 0, outlier: null,
  };
}

function alert(ruleId: string, pool: string, phase: AlertPhase, v: PoolVerdict | null = null): TrackedAlert {
  return {
    ruleId, ruleName: ruleId, pool, poolLabels: { proxy: pool }, dedupKey: `default/${ruleId}/${pool}`,
    severity: 'warning',
    state: { phase, activeAt: 0, firedAt: phase === 'firing' ? 0 : null, resolvedAt: phase === 'resolved' ? 0 : null, lastHeldAt: 0, lastEvalAt: 0, missingSince: null },
    notified: phase === 'firing', lastNotifiedAt: null, lastResentAt: null, lastVerdict: v, silencedBy: null,
  };
}

/** A metrics registry with every series family populated. */
function populated(defaultMetrics: boolean): SkewwatchMetrics {
  const m = new SkewwatchMetrics({ defaultMetrics, version: '0.1.0-test' });
  const hot = verdict('be_app', 'critical', {
    backends: [backend('s1', 0.7, 0.25, 0.91), backend('s2', 0.1, 0.25, 0.2), backend('s3', 0.1, 0.25, null), backend('s4', 0.1, 0.25, 0.2)],
    forecast: { backend: 's1', secondsToSaturation: 240, slopePerSecond: 0.0002, threshold: 0.95, current: 0.91 },
  });
  const ok = verdict('be_static', 'ok', { backends: [backend('a', 0.5, 0.5, 0.3), backend('b', 0.5, 0.5, 0.31)] });
  const warn = verdict('be_api "quoted"\\path', 'warning'); // label values with characters that need escaping
  m.recordVerdicts([hot, ok, warn]);
  m.recordAlerts(
    {
      a: alert('TrafficSkewCritical', 'be_app', 'firing', hot),
      b: alert('TrafficSkew', 'be_app', 'firing', hot),
      c: alert('TrafficSkew', 'be_api', 'pending'),
      d: alert('TrafficSkew', 'be_static', 'resolved', ok),
      e: alert('TrafficSkew', 'be_old', 'inactive'),
    },
    ['TrafficSkew', 'TrafficSkewCritical', 'SkewwatchBlind'],
  );
  m.pollDuration.observe({ outcome: 'ok' }, 0.042);
  m.pollDuration.observe({ outcome: 'error' }, 5.1);
  m.cycles.inc({ outcome: 'ok' }, 10);
  m.cycles.inc({ outcome: 'error' });
  m.skippedCycles.inc();
  m.sourceErrors.inc({ kind: 'timeout' });
  m.sourceWarnings.inc({ signal: 'cpu' });
  m.lastSuccess.set(1_700_000_000);
  m.blindCycles.set(0);
  m.notifications.inc({ sink: 'slack', outcome: 'sent' }, 3);
  m.notifications.inc({ sink: 'pagerduty', outcome: 'retry' });
  m.outboxPending.set({ sink: 'pagerduty' }, 1);
  m.stateSaveErrors.inc();
  m.reloads.inc({ outcome: 'success' });
  return m;
}

/** Value of one series in the text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('SkewwatchMetrics', () => {
  it('exposes verdicts and alert states', async () => {
    const text = await populated(false).registry.metrics();
    assert.equal(sample(text, 'skewwatch_pools'), 3);
    assert.equal(sample(text, 'skewwatch_pool_severity{pool="be_app"}'), 2);
    assert.equal(sample(text, 'skewwatch_pool_severity{pool="be_static"}'), 0);
    assert.equal(sample(text, 'skewwatch_pool_peak_ratio{pool="be_app"}'), 2.8);
    assert.equal(sample(text, 'skewwatch_pool_seconds_to_saturation{pool="be_app",backend="s1"}'), 240);
    assert.equal(sample(text, 'skewwatch_backend_share_ratio{pool="be_app",backend="s1"}'), 0.7);
    assert.equal(sample(text, 'skewwatch_backend_expected_share_ratio{pool="be_app",backend="s1"}'), 0.25);
    assert.equal(sample(text, 'skewwatch_backend_cpu_utilisation_ratio{pool="be_app",backend="s1"}'), 0.91);
    assert.equal(sample(text, 'skewwatch_backend_cpu_utilisation_ratio{pool="be_app",backend="s3"}'), undefined, 'unknown CPU is absent, not 0');
    assert.equal(sample(text, 'skewwatch_alerts{rule="TrafficSkew",state="firing"}'), 1);
    assert.equal(sample(text, 'skewwatch_alerts{rule="TrafficSkew",state="pending"}'), 1);
    assert.equal(sample(text, 'skewwatch_alerts{rule="TrafficSkew",state="resolved"}'), 1);
    assert.equal(sample(text, 'skewwatch_alerts{rule="TrafficSkewCritical",state="firing"}'), 1);
    assert.equal(sample(text, 'skewwatch_alerts{rule="SkewwatchBlind",state="firing"}'), 0, 'every rule has all three states, at 0 when empty');
    assert.ok(text.includes('skewwatch_build_info{version="0.1.0-test",revision="unknown",nodejs_version="'), 'build_info names version, revision and Node version');
  });

  it('keeps the standard process metric names (no prefix) and drops the misnamed prom-client gauges', async () => {
    const text = await new SkewwatchMetrics({ defaultMetrics: true }).registry.metrics();
    for (const name of ['process_cpu_seconds_total', 'process_start_time_seconds', 'process_resident_memory_bytes']) {
      assert.ok(text.split('\n').some((l) => l.startsWith(`${name} `)), `${name} is exposed under its standard name`);
    }
    assert.ok(!/^skewwatch_process_/m.test(text), 'no prefixed process metrics');
    assert.ok(!/^nodejs_active_\w+_total/m.test(text), 'no gauge named *_total');
    assert.equal(sample(text, 'skewwatch_config_last_reload_successful'), 0, 'set by the runtime once the config loads');
  });

  it('drops the series of pools that vanished', async () => {
    const m = populated(false);
    m.recordVerdicts([verdict('be_static', 'ok')]);
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'skewwatch_pools'), 1);
    assert.equal(sample(text, 'skewwatch_pool_severity{pool="be_app"}'), undefined);
    assert.equal(sample(text, 'skewwatch_backend_share_ratio{pool="be_app",backend="s1"}'), undefined);
  });

  it('uses its own registry: two instances do not collide', async () => {
    const a = new SkewwatchMetrics();
    const b = new SkewwatchMetrics();
    a.cycles.inc({ outcome: 'ok' });
    assert.equal(sample(await a.registry.metrics(), 'skewwatch_cycles_total{outcome="ok"}'), 1);
    assert.equal(sample(await b.registry.metrics(), 'skewwatch_cycles_total{outcome="ok"}'), undefined);
  });

  for (const defaultMetrics of [false, true]) {
    it(`passes promtool check metrics (default process metrics ${defaultMetrics ? 'on' : 'off'})`, { skip: IN_CI ? false : PROMTOOL_SKIP }, async () => {
      assert.ok(HAVE_PROMTOOL, `CI=true and promtool is missing at ${PROMTOOL}: apt-get install -y prometheus`);
      const text = await populated(defaultMetrics).registry.metrics();
      const dir = mkdtempSync(join(tmpdir(), 'skewwatch-metrics-'));
      try {
        const file = join(dir, 'metrics.txt');
        writeFileSync(file, text);
        const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: readFileSync(file), encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.error, undefined, String(r.error));
        const problems = `${r.stdout}${r.stderr}`.trim().split('\n').filter((l) => l !== '');
        // Issue 11 item 15: nothing may be reported, default process metrics included.
        assert.deepEqual(problems, [], `promtool reported problems:\n${problems.join('\n')}`);
        assert.equal(r.status, 0, `promtool exited ${r.status}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('HTTP server', () => {
  let ready = { ready: false, reason: 'no successful collection yet' };
  const status = { pools: [{ pool: 'be_app', severity: 'critical' }], alerts: [{ rule: 'TrafficSkew', state: 'firing' }] };
  const provider: StatusProvider = { readiness: () => ready, status: () => status };
  let server: HttpServerHandle;
  const metrics = populated(false);

  before(async () => {
    server = await startHttpServer('127.0.0.1:0', metrics.registry, provider);
  });
  after(async () => {
    await server.close();
  });

  const call = (path: string, method = 'GET') =>
    new Promise<{ status: number; type: string; body: string }>((resolvePromise, reject) => {
      const req = request(`${server.url}${path}`, { method }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });

  it('listens on an ephemeral port of 127.0.0.1', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.url, 'http://127.0.0.1:0');
  });

  it('/healthz is 200', async () => {
    const r = await call('/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok\n');
  });

  it('/readyz follows readiness: 503 with the reason, then 200', async () => {
    ready = { ready: false, reason: 'no successful collection yet' };
    const before = await call('/readyz');
    assert.equal(before.status, 503);
    assert.equal(before.body, 'no successful collection yet\n');
    ready = { ready: true, reason: 'last collection 3s ago' };
    const afterReady = await call('/readyz');
    assert.equal(afterReady.status, 200);
    assert.equal(afterReady.body, 'last collection 3s ago\n');
    ready = { ready: false, reason: 'last successful collection 2m ago' };
    assert.equal((await call('/readyz')).status, 503);
  });

  it('/api/v1/status is the provider status as JSON', async () => {
    const r = await call('/api/v1/status');
    assert.equal(r.status, 200);
    assert.match(r.type, /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), status);
  });

  it('/metrics is the registry in the Prometheus text format', async () => {
    const r = await call('/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.type, metrics.registry.contentType);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(sample(r.body, 'skewwatch_pool_severity{pool="be_app"}'), 2);
  });

  it('ignores the query string', async () => {
    assert.equal((await call('/healthz?verbose=1')).status, 200);
  });

  it('HEAD answers without a body', async () => {
    const r = await call('/healthz', 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
  });

  it('unknown paths are 404', async () => {
    const r = await call('/nope');
    assert.equal(r.status, 404);
    assert.equal((await call('/metrics/extra')).status, 404);
  });

  it('POST (and other methods) are 405', async () => {
    for (const path of ['/metrics', '/healthz', '/api/v1/status', '/nope']) {
      assert.equal((await call(path, 'POST')).status, 405, `POST ${path}`);
    }
    assert.equal((await call('/metrics', 'DELETE')).status, 405);
  });
});

describe('parseListen', () => {
  it('splits host and port, including IPv6 and an empty host', () => {
    assert.deepEqual(parseListen('127.0.0.1:9465'), { host: '127.0.0.1', port: 9465 });
    assert.deepEqual(parseListen('[::1]:9465'), { host: '::1', port: 9465 });
    assert.deepEqual(parseListen(':9465'), { host: '0.0.0.0', port: 9465 });
  });
});
