// Invariants of analysePool over generated pools (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analysePool, DEFAULT_ANALYSIS_OPTIONS as O, EMPTY_HISTORY } from '../../../src/core/analysis/analyse.js';
import type { BackendSample, Health, PoolSample } from '../../../src/core/types.js';
import { historyOf, numbersIn } from '../build.js';

const NOW = 1_700_000_000_000;
const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

// Real rates: 0 or at least a request per ~30 years (subnormals are zeroed by the core).
const rateArb = fc.oneof(fc.constant(0), fc.double({ min: 1e-9, max: 1e5, noNaN: true }));
/** Up backends with valid rates; optionally weighted (all or none, as a balancer reports). */
const poolArb = fc
  .record({
    rates: fc.array(rateArb, { minLength: 1, maxLength: 40 }),
    weights: fc.option(fc.array(fc.integer({ min: 1, max: 256 }), { minLength: 40, maxLength: 40 })),
    window: fc.integer({ min: 1, max: 600 }),
  })
  .map(({ rates, weights, window }): PoolSample => ({
    pool: 'p',
    labels: {},
    windowSeconds: window,
    backends: rates.map((rate, i) => ({ backend: `b${i}`, rate, health: 'up', ...(weights ? { weight: weights[i]! } : {}) })),
  }));

test('property: shares of up backends sum to 1 when there is traffic', () => {
  fc.assert(fc.property(poolArb, (s) => {
    const v = analysePool(s, EMPTY_HISTORY, NOW, O);
    if (!(v.totalRate > 0)) return;
    assert.ok(close(v.backends.reduce((a, b) => a + b.share, 0), 1, 1e-12));
    assert.ok(close(v.backends.reduce((a, b) => a + b.expectedShare, 0), 1, 1e-12));
  }));
});

test('property: traffic exactly as configured gives ratio 1 everywhere and severity ok', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 50 }), fc.double({ min: 0.01, max: 1e4, noNaN: true }), (weights, scale) => {
    const s: PoolSample = { pool: 'p', labels: {}, windowSeconds: 60, backends: weights.map((w, i) => ({ backend: `b${i}`, rate: w * scale, weight: w, health: 'up' })) };
    const v = analysePool(s, EMPTY_HISTORY, NOW, O);
    for (const b of v.backends) assert.ok(close(b.ratio, 1, 1e-9), `${b.ratio}`);
    assert.equal(v.severity, 'ok');
    assert.ok(v.stats.jain > 1 - 1e-9 && v.stats.gini < 1e-9 && v.stats.cv < 1e-9);
  }));
});

test('property: scale invariance — rates × k leave shares, ratios, cv, Gini, Jain unchanged', () => {
  fc.assert(fc.property(poolArb, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (s, k) => {
    const a = analysePool(s, EMPTY_HISTORY, NOW, O);
    const scaled: PoolSample = { ...s, backends: s.backends.map((b) => ({ ...b, rate: b.rate * k })) };
    const b = analysePool(scaled, EMPTY_HISTORY, NOW, O);
    if (!(a.totalRate > 0) || !(b.totalRate > 0)) return;
    a.backends.forEach((x, i) => {
      assert.ok(close(x.share, b.backends[i]!.share, 1e-9));
      assert.ok(close(x.ratio, b.backends[i]!.ratio, 1e-9));
    });
    for (const key of ['cv', 'gini', 'jain', 'peakRatio', 'minRatio', 'maxDeviationPp'] as const) {
      assert.ok(close(a.stats[key], b.stats[key], 1e-7), `${key}: ${a.stats[key]} vs ${b.stats[key]}`);
    }
  }));
});

test('property: permutation invariance — reordering backends changes nothing but the order', () => {
  fc.assert(fc.property(poolArb.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray([...s.backends], { minLength: s.backends.length, maxLength: s.backends.length }))), ([s, shuffled]) => {
    const a = analysePool(s, EMPTY_HISTORY, NOW, O);
    const b = analysePool({ ...s, backends: shuffled }, EMPTY_HISTORY, NOW, O);
    assert.equal(a.severity, b.severity);
    assert.deepEqual([...a.hot].sort(), [...b.hot].sort());
    for (const key of ['cv', 'gini', 'jain', 'gStatistic', 'peakRatio', 'pValue'] as const) {
      assert.ok(close(a.stats[key], b.stats[key], 1e-7), `${key}`);
    }
    const byName = new Map(b.backends.map((x) => [x.backend, x]));
    for (const x of a.backends) {
      const y = byName.get(x.backend)!;
      assert.ok(close(x.ratio, y.ratio) && close(x.z, y.z, 1e-7) && x.outlier === y.outlier);
    }
  }));
});

test('property: Jain ∈ [1/n, 1], Gini ∈ [0, 1), entropy ∈ (0, 1], p ∈ [0, 1]', () => {
  fc.assert(fc.property(poolArb, (s) => {
    const { stats } = analysePool(s, EMPTY_HISTORY, NOW, O);
    const n = s.backends.length;
    assert.ok(stats.jain >= 1 / n - 1e-12 && stats.jain <= 1);
    assert.ok(stats.gini >= 0 && stats.gini < 1);
    assert.ok(stats.entropy >= 0 && stats.entropy <= 1);
    assert.ok(stats.pValue >= 0 && stats.pValue <= 1);
  }));
});

test('property: for a fixed skew, more volume never raises the p-value', () => {
  fc.assert(fc.property(fc.array(fc.double({ min: 0.1, max: 100, noNaN: true }), { minLength: 2, maxLength: 20 }), fc.integer({ min: 1, max: 100 }), fc.double({ min: 1, max: 50, noNaN: true }), (rates, w, k) => {
    const mk = (window: number): PoolSample => ({ pool: 'p', labels: {}, windowSeconds: window, backends: rates.map((rate, i) => ({ backend: `b${i}`, rate, health: 'up' })) });
    const p1 = analysePool(mk(w), EMPTY_HISTORY, NOW, O).stats.pValue;
    const p2 = analysePool(mk(w * k), EMPTY_HISTORY, NOW, O).stats.pValue;
    assert.ok(p2 <= p1 + 1e-12, `${p2} > ${p1}`);
  }));
});

// Anything a broken exporter could send, including values the types forbid.
const wild = fc.oneof(
  fc.double(), // includes NaN, ±Infinity, -0, subnormals
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -1, 0, Number.MAX_VALUE, Number.MIN_VALUE, 1e308),
  fc.constant(undefined),
);
const wildBackend = fc.record({
  backend: fc.string({ maxLength: 6 }),
  rate: wild, count: wild, cpu: wild, cpuCapacity: wild, weight: wild, queue: wild, errorRate: wild,
  health: fc.constantFrom('up', 'down', 'maint', 'UP', '' as Health),
}) as fc.Arbitrary<BackendSample>;

test('property: every number in every verdict is finite, whatever the input', () => {
  fc.assert(fc.property(fc.array(wildBackend, { maxLength: 12 }), wild, wild, wild, (backends, window, hint, now) => {
    const sample = { pool: 'p', labels: {}, backends, windowSeconds: window, cpuCapacityHint: hint } as PoolSample;
    const at = Number.isFinite(now) ? (now as number) : NOW;
    const history = historyOf([{ at: at - 30_000, utilisation: { [backends[0]?.backend ?? 'x']: now as number }, rate: {} }]);
    const v = analysePool(sample, history, at, O);
    for (const [path, x] of numbersIn(v)) assert.ok(Number.isFinite(x), `${path} = ${x}`);
    assert.ok(['ok', 'warning', 'critical'].includes(v.severity));
    assert.equal(typeof v.explanation, 'string');
  }), { numRuns: 500 });
});
