// Kubernetes preset in scrape mode over Prometheus' /federate: rates honour
// the samples' own timestamps, kube-state-metrics scraped without
// honor_labels is detected and said, a pod behind two Services gets its CPU
// in both pools.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getPreset } from '../../src/presets/index.js';
import { parseExposition } from '../../src/sources/exposition.js';
import { ScrapeSource } from '../../src/sources/scrape.js';
import { manualClock, serve, text, type TestServer } from '../sources/serve.js';

const k8s = getPreset('kubernetes');

describe('kubernetes over /federate', () => {
  let srv: TestServer;
  let nowMs = 0;
  const sources: ScrapeSource[] = [];
  before(async () => {
    srv = await serve();
    // Two pods at the same true rate (10 req/s), scraped by Prometheus every
    // 15 s at different phases (a at 0, 15, 30 s; b at 7, 22, 37 s). /federate
    // returns each pod's latest sample with the time of that underlying scrape.
    const latest = (phaseMs: number) => Math.floor((nowMs - phaseMs) / 15_000) * 15_000 + phaseMs;
    srv.route(
      '/federate',
      text(() =>
        [
          ['web-a', latest(0)],
          ['web-b', latest(7_000)],
        ]
          .map(([pod, t]) => `http_requests_total{code="200",namespace="shop",pod="${pod}",service="web"} ${(Number(t) / 1000) * 10} ${t}`)
          .join('\n') + '\n',
      ),
    );
    srv.route(
      '/federate-exported',
      text(
        () =>
          'http_requests_total{namespace="shop",pod="p",service="web"} 1 1000\n' +
          'kube_pod_container_resource_limits{namespace="monitoring",pod="ksm-0",exported_namespace="shop",exported_pod="p",resource="cpu"} 2 1000\n',
      ),
    );
  });
  after(async () => {
    for (const s of sources) await s.close();
    await srv.close();
  });

  it('rates span the underlying scrapes: pods of equal rate read equal whatever their phase', async () => {
    const clock = manualClock(0);
    const src = new ScrapeSource({ preset: k8s, targets: [{ url: `${srv.base}/federate`, role: 'balancer' }], clock });
    sources.push(src);
    nowMs = 10_000; // a's latest at 0 s, b's at 7 s
    clock.set(nowMs);
    await src.collect(nowMs);
    nowMs = 30_000; // a's latest at 30 s, b's at 22 s
    clock.advance(20_000);
    const snap = await src.collect(nowMs);
    const rates = Object.fromEntries(snap.pools[0]!.backends.map((b) => [b.backend, b.rate]));
    // By our own clock the increases would be 300 and 150 over 20 s: 15 vs 7.5 req/s.
    assert.deepEqual(rates, { 'web-a': 10, 'web-b': 10 });
  });

  it('kube-state-metrics without honor_labels (exported_pod) is said once', async () => {
    const warnings: string[] = [];
    const clock = manualClock(0);
    const src = new ScrapeSource({
      preset: k8s,
      targets: [{ url: `${srv.base}/federate-exported`, role: 'balancer' }],
      clock,
      onWarning: (m) => warnings.push(m),
    });
    sources.push(src);
    await src.collect(0);
    clock.advance(1000);
    await src.collect(1);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /kube_pod_container_resource_limits carries exported_namespace\/exported_pod.*honor_labels: true/);
  });
});

describe('kubernetes: a pod behind two Services', () => {
  it('gets its CPU, capacity and health in both pools', () => {
    const fams = parseExposition(
      [
        'http_requests_total{namespace="shop",pod="p1",service="web"} 100',
        'http_requests_total{namespace="shop",pod="p1",service="web-canary"} 100',
        'container_cpu_usage_seconds_total{container="app",namespace="shop",pod="p1"} 42',
        'kube_pod_container_resource_limits{container="app",namespace="shop",pod="p1",resource="cpu"} 2',
        'up{namespace="shop",pod="p1"} 1',
        '',
      ].join('\n'),
      { keepNames: new Set(k8s.scrape!.metricNames) },
    );
    const r = k8s.scrape!.extract(fams);
    assert.deepEqual(
      r.map((x) => [x.pool.service, x.cpuSeconds, x.cpuCapacity, x.health]).sort(),
      [
        ['web', 42, 2, 'up'],
        ['web-canary', 42, 2, 'up'],
      ],
    );
  });
});
