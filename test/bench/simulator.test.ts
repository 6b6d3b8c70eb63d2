// The detection benchmark's ground truth: the fleet simulator
// (bench/detection/sim) and the judge. If these are wrong, every figure the
// benchmark prints is wrong, so they are tested like product code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../bench/detection/sim/random.js';
import { prng } from '../../src/util/prng.js';
import { Fleet } from '../../bench/detection/sim/fleet.js';
import { decimals, renderHaproxy } from '../../bench/detection/sim/exposition.js';
import type { PoolSpec, ServerSpec } from '../../bench/detection/sim/types.js';
import { kill, revive, setAdmin } from '../../bench/detection/scenario.js';
import { judge } from '../../bench/detection/judge.js';
import type { RunTrace } from '../../bench/detection/harness.js';
import { parseExposition } from '../../src/sources/exposition.js';
import { getPreset } from '../../src/presets/index.js';

function spec(n: number, over: Partial<ServerSpec> = {}, pool: Partial<PoolSpec> = {}): PoolSpec {
  const servers = Array.from({ length: n }, (_, i) => ({ name: `s${i + 1}`, cores: 1, weight: 1, serviceTime: 0.01, ...over }));
  return { name: 'be_app', balance: 'roundrobin', servers, ...pool };
}

function answered(f: Fleet): number {
  return f.servers.reduce((a, s) => a + s.r2xx + s.r3xx + s.r4xx + s.r5xx + s.backlog + s.queueLength, 0) + f.backend503 + f.backendQueueLength;
}

test('the simulator draws the seeded mulberry32 sequence of src/util/prng.ts (every run is a function of its seed)', () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const reference = prng(seed);
      for (let i = 0; i < 50; i++) assert.equal(rng.uniform(), reference());
    }),
  );
});

test('exporter decimals: decimals(x, d) is Number(x.toFixed(d)), ties and large values included', () => {
  const cases = fc.oneof(
    fc.double({ min: 0, max: 1e7, noNaN: true }),
    fc.double({ min: 0, max: 1e13, noNaN: true }),
    // Ties and near-ties of every scale: k/10^d + half a step, nudged by a few ulps.
    fc.tuple(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: -3, max: 3 })).map(([k, nudge]) => {
      let v = (k + 0.5) / 100;
      for (let i = 0; i < Math.abs(nudge); i++) v = nudge > 0 ? v + Number.EPSILON * Math.max(1, v) : v - Number.EPSILON * Math.max(1, v);
      return v;
    }),
    fc.constantFrom(0, 0.005, 0.015, 0.025, 1.005, 1.115, 86400.125, 0.0005, 2.675, 1e-12, 2 ** 30 / 100, -0, -1.25),
  );
  fc.assert(
    fc.property(cases, fc.constantFrom(0, 1, 2, 3), (x, d) => {
      assert.ok(Object.is(decimals(x, d as 0 | 1 | 2 | 3), Number(x.toFixed(d))), `${x} to ${d} decimals`);
    }),
    { numRuns: 20_000 },
  );
});

test('Poisson draws have the right mean and variance (small and large means)', () => {
  for (const mean of [0.3, 4, 29, 31, 400]) {
    const r = new Rng(Math.round(mean * 1000));
    const n = 20_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const k = r.poisson(mean);
      s += k;
      s2 += k * k;
    }
    const m = s / n;
    const v = s2 / n - m * m;
    // Mean within 4 standard errors; variance (= mean for Poisson) within 10%.
    assert.ok(Math.abs(m - mean) < 4 * Math.sqrt(mean / n), `mean ${m} for ${mean}`);
    assert.ok(Math.abs(v - mean) < 0.1 * mean + 0.05, `variance ${v} for ${mean}`);
  }
});

test('Poisson draws are non-negative integers (property)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.double({ min: 0, max: 5000, noNaN: true }), (seed, mean) => {
    const k = new Rng(seed).poisson(mean);
    return Number.isInteger(k) && k >= 0;
  }));
});

test('counters never decrease and every request is accounted for', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom('roundrobin', 'random', 'first', 'source'), (seed, balance) => {
    const keys = Array.from({ length: 6 }, (_, i) => ({ hash: (i * 2654435761) >>> 0, share: 1 / (i + 1) }));
    const f = new Fleet(spec(3, { maxconn: 10, appLimit: 5 }, { balance, keys, timeoutQueue: 3 }), seed);
    let prev = f.servers.map((s) => [s.r2xx, s.r5xx, s.sessionsTotal, s.hostCpuSeconds]);
    for (let t = 0; t < 300; t++) {
      if (t === 100) kill(f, 's2');
      if (t === 200) revive(f, 's2');
      f.step(t < 150 ? 150 : 400); // later above the pool's 300 req/s
      const now = f.servers.map((s) => [s.r2xx, s.r5xx, s.sessionsTotal, s.hostCpuSeconds]);
      now.forEach((row, i) => row.forEach((v, j) => assert.ok(v >= prev[i]![j]!, `counter ${j} of s${i + 1} went down at t=${t}`)));
      prev = now;
      if (answered(f) !== f.truth.offered) return false;
    }
    return true;
  }), { numRuns: 30 });
});

test('roundrobin splits by weight to within a request or two (not Poisson)', () => {
  const f = new Fleet(spec(4, {}, {}), 7);
  f.server('s1').weight = 2;
  for (let t = 0; t < 600; t++) f.step(50);
  const total = f.servers.reduce((a, s) => a + s.sessionsTotal, 0);
  for (const s of f.servers) {
    const expected = (total * s.weight) / 5;
    assert.ok(Math.abs(s.sessionsTotal - expected) <= 2, `${s.name}: ${s.sessionsTotal} vs ${expected}`);
  }
});

test('roundrobin spills around a server at maxconn: saturated, degraded latency, zero 5xx', () => {
  const f = new Fleet(spec(3, { maxconn: 20 }), 3);
  f.server('s1').weight = 256;
  for (let t = 0; t < 600; t++) {
    f.step(150); // s1 alone can serve 100 req/s
    assert.equal(f.backendQueueLength, 0, 'spilled at once: nothing waits while other servers have room');
  }
  const s1 = f.server('s1');
  assert.equal(f.truth.total5xx, 0);
  assert.equal(s1.sessions, 20, 'held at maxconn');
  assert.notEqual(f.truth.firstSaturatedAt, null);
  assert.ok(s1.responseTime > 0.1, `response time ${s1.responseTime}`);
  const others = f.server('s2').sessionsTotal + f.server('s3').sessionsTotal;
  assert.ok(others > 0.25 * f.truth.offered, `spill to the others: ${others} of ${f.truth.offered}`);
});

test('hash balancing does not spill: the hot server queues and HAProxy answers 503 after timeout queue (backend, not server 5xx)', () => {
  const keys = [{ hash: 12345, share: 1 }];
  const f = new Fleet(spec(3, { maxconn: 20 }, { balance: 'source', keys, timeoutQueue: 10 }), 5);
  for (let t = 0; t < 120; t++) f.step(150);
  const hot = f.servers.find((s) => s.sessionsTotal > 0)!;
  assert.equal(f.servers.filter((s) => s.sessionsTotal > 0).length, 1, 'one client, one server');
  assert.ok(hot.queueLength > 0, 'queued in the server queue');
  assert.equal(f.backendQueueLength, 0);
  assert.ok(f.backend503 > 0);
  assert.equal(hot.r5xx, 0, 'queue timeouts are not server 5xx');
  // FIFO: the queue grows by 50/s and drains at 100/s, so a request arriving
  // at T waits T/2 s; the first to wait the 10 s `timeout queue` arrives at
  // T = 20 s and is answered 503 at 30 s.
  assert.ok(f.truth.first5xxAt! >= 27 && f.truth.first5xxAt! <= 33, `first 5xx at ${f.truth.first5xxAt}`);
});

test('an application over its capacity sheds its own 503s; below capacity there are none', () => {
  const over = new Fleet(spec(2, { appLimit: 32 }), 1);
  for (let t = 0; t < 120; t++) over.step(250);
  assert.ok(over.servers.every((s) => s.r5xx > 0));
  assert.notEqual(over.truth.first5xxAt, null);

  const under = new Fleet(spec(2, { appLimit: 32 }), 1);
  for (let t = 0; t < 3600; t++) under.step(140); // 70% of 200 req/s
  assert.equal(under.truth.total5xx, 0);
  assert.equal(under.truth.first5xxAt, null);
  assert.ok(under.truth.maxUtilisation > 0.6 && under.truth.maxUtilisation <= 1, `max utilisation ${under.truth.maxUtilisation}`);
});

test('CPU follows the work: utilisation = rate x service time / cores, plus background', () => {
  const f = new Fleet(spec(2, { cores: 2, serviceTime: 0.01, bgCores: 0.4 }), 9);
  for (let t = 0; t < 600; t++) f.step(100); // 50 req/s each: 0.5 cores of work + 0.4
  for (const s of f.servers) {
    assert.ok(Math.abs(s.appCpuSeconds / 600 - 0.5) < 0.03, `app ${s.appCpuSeconds / 600}`);
    assert.ok(Math.abs(s.hostCpuSeconds / 600 - 0.9) < 0.04, `host ${s.hostCpuSeconds / 600}`);
  }
});

test('health checks: DOWN after fall x inter, UP after rise x inter; MAINT and DRAIN at once', () => {
  const f = new Fleet(spec(3), 1);
  for (let t = 0; t < 10; t++) f.step(10);
  kill(f, 's2');
  let downAt = -1;
  for (let t = 0; t < 20 && downAt < 0; t++) {
    f.step(10);
    if (f.server('s2').status === 'DOWN') downAt = t + 1;
  }
  assert.ok(downAt >= 5 && downAt <= 7, `DOWN after ${downAt}s`);
  assert.ok(f.server('s2').connectionErrors > 0, 'requests hit it before the checks noticed');
  assert.equal(f.truth.total5xx, 0, 'redispatched, not failed');
  revive(f, 's2');
  let upAt = -1;
  for (let t = 0; t < 20 && upAt < 0; t++) {
    f.step(10);
    if (f.server('s2').status === 'UP') upAt = t + 1;
  }
  assert.ok(upAt >= 3 && upAt <= 5, `UP after ${upAt}s`);
  setAdmin(f, 's1', 'MAINT');
  setAdmin(f, 's3', 'DRAIN');
  assert.equal(f.server('s1').status, 'MAINT');
  assert.equal(f.server('s3').status, 'DRAIN');
  assert.equal(f.server('s3').usable, false);
});

test('slow start ramps the effective weight from the moment the server is usable', () => {
  const f = new Fleet(spec(2, { slowstart: 60 }), 1);
  const s = f.server('s1');
  s.upSince = 0;
  assert.ok(s.effectiveWeight(15) > 0.2 && s.effectiveWeight(15) < 0.3);
  assert.equal(s.effectiveWeight(60), 1);
});

test('the exposition reads back through the real parser and HAProxy preset', () => {
  const f = new Fleet(spec(3, { maxconn: 50 }), 2);
  for (let t = 0; t < 30; t++) f.step(60);
  setAdmin(f, 's2', 'DRAIN');
  setAdmin(f, 's3', 'MAINT');
  const preset = getPreset('haproxy');
  const families = parseExposition(renderHaproxy(f, { hideWeight: new Set(['s3']) }), { contentType: 'text/plain; version=0.0.4' });
  const readings = preset.scrape!.extract(families);
  const byName = new Map(readings.map((r) => [r.backend, r]));
  assert.equal(byName.get('s1')!.requests, f.server('s1').totalResponses());
  assert.equal(byName.get('s1')!.health, 'up');
  assert.equal(byName.get('s2')!.health, 'maint', 'DRAIN takes no new traffic');
  assert.equal(byName.get('s3')!.health, 'maint');
  assert.equal(byName.get('s3')!.weight, undefined, 'a hidden weight line is absent');
  assert.equal(byName.get('s1')!.weight, 1);
});

function trace(over: Partial<RunTrace['fleet']['truth']>, pages: number[], kind: 'fault' | 'benign' = 'fault'): RunTrace {
  const fleet = new Fleet(spec(2), 1);
  Object.assign(fleet.truth, over);
  return {
    scenario: { family: 'x', kind, seed: 1, size: 2, label: '', pool: fleet.spec, duration: 3600, load: () => 1, events: [], cpu: 'none', faultAt: 1000, detection: 'before-5xx' },
    pages: pages.map((at) => ({ at, rule: 'TrafficSkewCritical', reasons: ['skew'], text: '' })),
    warnings: [], fleet, cycles: 240, seconds: 3600,
  };
}

test('judge: detected before the first 5xx with its lead and lead fraction; late; missed; early pages are false', () => {
  const ok = judge(trace({ first5xxAt: 1630 }, [1090]));
  assert.equal(ok.detected, true);
  assert.equal(ok.leadSeconds, 540);
  assert.equal(ok.limitSeconds, 600); // 630 s minus two 15 s intervals
  assert.equal(ok.leadFraction, 0.9);
  const late = judge(trace({ first5xxAt: 1630 }, [1635]));
  assert.equal(late.detected, false);
  assert.equal(late.late, true);
  const missed = judge(trace({ first5xxAt: 1630 }, []));
  assert.equal(missed.detected || missed.late, false);
  const early = judge(trace({ first5xxAt: 1630 }, [500, 1100]));
  assert.equal(early.falsePages, 1);
  assert.equal(early.detected, true);
  assert.match(judge(trace({ first5xxAt: null }, [1100])).invalid ?? '', /never produced a 5xx/);
  const benign = judge(trace({ first5xxAt: null }, [200], 'benign'));
  assert.equal(benign.falsePages, 1);
  assert.equal(benign.invalid, null);
  assert.match(judge(trace({ first5xxAt: 300, total5xx: 4 }, [], 'benign')).invalid ?? '', /benign run had 4 5xx/);
  assert.match(judge(trace({ first5xxAt: null, saturatedSeconds: 90, firstSaturatedAt: 100 }, [], 'benign')).invalid ?? '', /saturated a server for 90s/);
  assert.equal(judge(trace({ first5xxAt: null, saturatedSeconds: 20, firstSaturatedAt: 100 }, [], 'benign')).invalid, null);
});

test('a server up for an hour at the start reports a converged response time; one that joins later starts from 0', () => {
  const f = new Fleet(spec(2, {}, { servers: [
    { name: 's1', cores: 1, weight: 1, serviceTime: 0.01 },
    { name: 's2', cores: 1, weight: 1, serviceTime: 0.01, present: false },
  ] }), 1);
  // Before any request: s1's average is its unloaded time (its state is an hour old), not a misleading 0.
  assert.equal(f.server('s1').responseTime, 0.01);
  assert.equal(f.server('s2').responseTime, 0);
  // A quiet server's average stays near its true time from the first second.
  for (let t = 0; t < 5; t++) f.step(5);
  assert.ok(Math.abs(f.server('s1').responseTime - 0.01) < 0.002, String(f.server('s1').responseTime));
});
