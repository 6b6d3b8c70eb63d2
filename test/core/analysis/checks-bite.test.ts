// Issue 10 item 13: every check the verdict makes has a test that fails
// without it. The situations table covers the common paths; these rows pin
// the checks it did not (each names the check it guards). The mutation list
// and which test catches each are in docs/statistics.md §10.
import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { analysePool, DEFAULT_ANALYSIS_OPTIONS as O, EMPTY_HISTORY } from '../../../src/core/analysis/analyse.js';
import { chiSquareSurvival } from '../../../src/core/analysis/special.js';
import type { PoolSample } from '../../../src/core/types.js';
import { historyOf, pool } from '../build.js';

const NOW = 1_700_000_000_000;

/** n backends whose counts in the 60 s window are given (rate = count / 60). */
function counted(counts: number[], per: Record<number, object> = {}, extra: Partial<PoolSample> = {}): PoolSample {
  return pool(counts.map((c) => c / 60), Object.fromEntries(counts.map((c, i) => [i, { count: c, ...(per[i] ?? {}) }])), extra);
}

test('G-test: p-value is P(χ²(n − 1) ≥ G) with G = 2 Σ O ln(O/E) (df is n − 1, not n)', () => {
  const v = analysePool(counted([3600, 2400]), EMPTY_HISTORY, NOW, O);
  const g = 2 * (3600 * Math.log(3600 / 3000) + 2400 * Math.log(2400 / 3000));
  assert.ok(Math.abs(v.stats.gStatistic - g) < 1e-9 * g);
  assert.ok(Math.abs(v.stats.pValue - chiSquareSurvival(g, 1)) <= 1e-12 + 1e-9 * v.stats.pValue, `${v.stats.pValue}`);
  // Four backends: df 3.
  const four = analysePool(counted([300, 250, 250, 200]), EMPTY_HISTORY, NOW, O);
  assert.ok(Math.abs(four.stats.pValue - chiSquareSurvival(four.stats.gStatistic, 3)) < 1e-12);
});

// 200 backends expecting ~10.6 requests each (above the small-count limit: the G-test path).
const noisy = (extra: Record<number, number>) => counted(Array.from({ length: 200 }, (_, i) => extra[i] ?? 10));

test('per-backend test: Poisson wobble (17 where 10.6 are expected) is not hot in a pool that IS skewed', () => {
  const v = analysePool(noisy({ 0: 100, 1: 17, 2: 17, 3: 17, 4: 17, 5: 17 }), EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'warning', v.explanation);
  assert.deepEqual(v.hot, ['s001']);
  assert.doesNotMatch(v.explanation, /also hot/);
});

test('Bonferroni: one backend at 26 where 10.6 are expected is chance among 200 (p ≈ 1e-4 > 0.001 / 400)', () => {
  const v = analysePool(noisy({ 0: 100, 1: 26 }), EMPTY_HISTORY, NOW, O);
  assert.deepEqual(v.hot, ['s001']);
  assert.doesNotMatch(v.explanation, /also hot/);
});

test('volume guards: below minRequests or minRate nothing is significant, however lopsided', () => {
  // 180 requests in the window, all on s1.
  assert.match(analysePool(counted([180, 0, 0, 0]), EMPTY_HISTORY, NOW, O).explanation, /too little traffic/);
  // 300 requests over 600 s: 0.5 req/s < minRate.
  const slow = pool([0.5, 0, 0, 0], {}, { windowSeconds: 600 });
  assert.equal(analysePool(slow, EMPTY_HISTORY, NOW, O).severity, 'ok');
});

test('sizeable effect: a significant 1.2× on 4 backends is within tolerance; 16 pp on 2 backends is a skew', () => {
  assert.match(analysePool(pool([1200, 1000, 1000, 1000]), EMPTY_HISTORY, NOW, O).explanation, /within tolerance/);
  const two = analysePool(pool([66, 34]), EMPTY_HISTORY, NOW, O);
  assert.equal(two.severity, 'warning', two.explanation);
  assert.deepEqual(two.hot, ['s1']);
});

test('outlier label: with 5+ backends a hot candidate is labelled only at |z| ≥ 3.5', () => {
  // Half the pool at 1.8×: candidates, but no single outlier (z small, MAD large).
  const v = analysePool(pool([18, 18, 18, 18, 2, 2, 2, 2]), EMPTY_HISTORY, NOW, O);
  assert.deepEqual(v.hot, []);
  assert.deepEqual(v.starved, []);
});

const capacityPool = (counts: number[], weights: number[], cpus: number[]) =>
  counted(counts, Object.fromEntries(counts.map((_, i) => [i, { weight: weights[i], cpu: cpus[i] }])), { cpuCapacityHint: 1 });

test('capacity share: 1.2× its capacity share is not overweighted, even with CPU 3× its peers', () => {
  const v = analysePool(capacityPool([1300, 1000, 1000, 1000], [13, 10, 10, 10], [0.6, 0.2, 0.2, 0.2]), EMPTY_HISTORY, NOW, O);
  assert.ok(!v.reasons.includes('overweighted'), v.explanation);
});

test('capacity utilisation ratio: CPU 0.8 vs 0.6 (1.33×) is not overweighted', () => {
  const v = analysePool(capacityPool([4000, 2000, 2000, 2000], [2, 1, 1, 1], [0.8, 0.6, 0.6, 0.6]), EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
});

test('capacity utilisation gap: 0.09 vs 0.05 is idle wobble, not overweighted', () => {
  const v = analysePool(capacityPool([4000, 2000, 2000, 2000], [2, 1, 1, 1], [0.09, 0.05, 0.05, 0.05]), EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
});

test('capacity: only while requests follow the configuration (a request skew is reported as such)', () => {
  const v = analysePool(capacityPool([4000, 2000, 2000, 2000], [1, 1, 1, 1], [0.4, 0.2, 0.2, 0.2]), EMPTY_HISTORY, NOW, O);
  assert.deepEqual(v.reasons, ['skew']);
});

test('CPU view: a backend must be hot (≥ 0.8) AND ≥ 1.5× the median to blame past the balancer', () => {
  assert.equal(analysePool(pool([50, 50, 50, 50], { 0: { cpu: 0.5 }, 1: { cpu: 0.2 }, 2: { cpu: 0.2 }, 3: { cpu: 0.2 } }), EMPTY_HISTORY, NOW, O).severity, 'ok');
  assert.equal(analysePool(pool([50, 50, 50, 50], { 0: { cpu: 0.85 }, 1: { cpu: 0.8 }, 2: { cpu: 0.8 }, 3: { cpu: 0.8 } }), EMPTY_HISTORY, NOW, O).severity, 'ok');
});

test('saturating: a forecast beyond the 900 s horizon does not page', () => {
  // CPU 0.6 rising 0.0002/s: 0.9 in 1500 s.
  const points = Array.from({ length: 20 }, (_, k) => {
    const ago = (20 - k) * 15;
    return { at: NOW - ago * 1000, utilisation: { s1: 0.6 - 0.0002 * ago, s2: 0.3, s3: 0.3, s4: 0.3 }, rate: { s1: 1 } };
  });
  const v = analysePool(pool([40, 20, 20, 20], { 0: { cpu: 0.6 }, 1: { cpu: 0.3 }, 2: { cpu: 0.3 }, 3: { cpu: 0.3 } }), historyOf(points), NOW, O);
  assert.equal(v.severity, 'warning', v.explanation);
  assert.match(v.explanation, /saturates in ~25 min/);
});

test('queueing: a queue below the threshold is not queueing', () => {
  const v = analysePool(pool([40, 20, 20, 20], { 0: { queue: 0 } }), EMPTY_HISTORY, NOW, O);
  assert.deepEqual(v.reasons, ['skew']);
});

test('no-healthy: critical only with traffic now or in the last history point', () => {
  const down = { 0: { health: 'down' }, 1: { health: 'down' } } as const;
  const idleHistory = historyOf([{ at: NOW - 15_000, utilisation: {}, rate: { s1: 0 } }]);
  assert.equal(analysePool(pool([0, 0], down), idleHistory, NOW, O).severity, 'warning');
  const busyHistory = historyOf([{ at: NOW - 15_000, utilisation: { s1: 0.5 }, rate: { s1: 5 } }]);
  assert.equal(analysePool(pool([0, 0], down), busyHistory, NOW, O).severity, 'critical');
});

test('starved by percentage points: 66/34 on 2 backends (ratio 0.68 > 1/1.5) is starved by 16 pp', () => {
  const two = analysePool(pool([66, 34]), EMPTY_HISTORY, NOW, O);
  assert.deepEqual(two.starved, ['s2']);
});

test('property: traffic exactly as configured has G = 0 and p = 1 exactly (rounding noise is not evidence)', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 60 }), fc.double({ min: 1e-3, max: 1e4, noNaN: true }), (weights, scale) => {
    const s = pool(weights.map((w) => (w * scale) / 7), Object.fromEntries(weights.map((w, i) => [i, { weight: w }])));
    const v = analysePool(s, EMPTY_HISTORY, NOW, O);
    assert.equal(v.stats.gStatistic, 0);
    assert.equal(v.stats.pValue, 1);
  }));
});

test('capacity G-test: 37.6% on a quarter of the capacity at 202 requests is not significant (p ≈ 0.0014)', () => {
  const v = analysePool(capacityPool([76, 42, 42, 42], [76, 42, 42, 42], [0.45, 0.2, 0.2, 0.2]), EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
});

test('capacity volume guards: under minRequests or minRate no backend is called overweighted', () => {
  const few = analysePool(capacityPool([150, 10, 10, 10], [15, 1, 1, 1], [0.7, 0.05, 0.05, 0.05]), EMPTY_HISTORY, NOW, O);
  assert.ok(!few.reasons.includes('overweighted'), few.explanation);
  const slow = counted([250, 17, 17, 16], Object.fromEntries([25, 1.7, 1.7, 1.6].map((w, i) => [i, { weight: w, cpu: [0.7, 0.05, 0.05, 0.05][i] }])), { cpuCapacityHint: 1, windowSeconds: 600 });
  const v = analysePool({ ...slow, backends: slow.backends.map((b) => ({ ...b, rate: b.count! / 600 })) }, EMPTY_HISTORY, NOW, O);
  assert.ok(!v.reasons.includes('overweighted'), v.explanation);
});

test('overweighted and queueing: the balancer queue on the overweighted backend is named', () => {
  const s = capacityPool([4380, 540, 540, 540], [8, 1, 1, 1], [0.5, 0.06, 0.06, 0.06]);
  const v = analysePool({ ...s, backends: s.backends.map((b, i) => (i === 0 ? { ...b, queue: 4 } : b)) }, EMPTY_HISTORY, NOW, O);
  assert.deepEqual(v.reasons, ['skew', 'overweighted', 'pouring', 'queueing', 'strained'], v.explanation);
  assert.match(v.explanation, /check its weight/);
});

test('G-test: a weight-0 backend counts against an expected half request (continuity floor), not zero', () => {
  const v = analysePool(pool([49, 49, 2], { 0: { weight: 1 }, 1: { weight: 1 }, 2: { weight: 0 } }), EMPTY_HISTORY, NOW, O);
  const g = 2 * (2 * 2940 * Math.log(2940 / 3000) + 120 * Math.log(120 / 0.5));
  assert.ok(Math.abs(v.stats.gStatistic - g) < 1e-9 * g, `${v.stats.gStatistic} vs ${g}`);
  assert.equal(v.severity, 'ok', v.explanation);
});
