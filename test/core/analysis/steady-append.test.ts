// The running-state shortcuts give exactly what the straightforward paths
// give (issue 15: the steady-state cycle was made cheaper without changing
// what the analysis says). Bit-exact: deepStrictEqual compares numbers with
// Object.is, so even a -0 for a 0 fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendHistory, DEFAULT_ANALYSIS_OPTIONS as O, resolveAnalysisOptions } from '../../../src/core/analysis/analyse.js';
import { appendHistoryGeneral, DOWN, UNKNOWN, usable } from '../../../src/core/analysis/history.js';
import { theilSen } from '../../../src/core/analysis/robust.js';
import type { BackendSample, PoolHistory, PoolSample } from '../../../src/core/types.js';

const NOW = 1_700_000_000_000;

const health = fc.constantFrom<BackendSample['health']>('up', 'up', 'up', 'down', 'maint');
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const value = fc.oneof(fc.double({ min: 0, max: 4, noNaN: true }), fc.constantFrom(0, -1, Number.NaN, Infinity, 1e-320));

function sampleOf(names: readonly string[]): fc.Arbitrary<PoolSample> {
  return fc.record({
    backends: fc.tuple(...names.map((name) => fc.record({
      backend: fc.constant(name), health, rate: value, cpu: maybe(value), weight: maybe(fc.oneof(fc.integer({ min: 0, max: 4 }), value)),
      cpuCapacity: maybe(fc.oneof(fc.constantFrom(1, 2, 0.5), value)),
    }))),
    hint: maybe(fc.oneof(fc.constantFrom(1, 2), value)),
  }).map(({ backends, hint }) => ({ pool: 'p', labels: {}, windowSeconds: 60, backends, ...(hint === undefined ? {} : { cpuCapacityHint: hint }) }));
}

/** A history over `names`: random points (some aged out by skip), with or without remembered weights. */
function historyOf(names: readonly string[]): fc.Arbitrary<PoolHistory> {
  const stride = names.length + 2;
  const point = fc.tuple(fc.integer({ min: 1, max: 40_000 }), fc.boolean(), fc.array(fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), fc.constantFrom(UNKNOWN, DOWN)), { minLength: names.length, maxLength: names.length }));
  return fc.record({
    points: fc.array(point, { minLength: 1, maxLength: 50 }),
    block: fc.integer({ min: 1, max: 9 }),
    skip: fc.nat(3),
    weights: maybe(fc.array(fc.oneof(fc.integer({ min: -1, max: 4 }), fc.double({ min: 0, max: 3, noNaN: true })), { minLength: names.length, maxLength: names.length })),
  }).map(({ points, block, skip, weights }) => {
    // Times ascending, ending before NOW, with millisecond jitter (x values are not exact).
    let at = NOW;
    const flat = points.map(([gap, traffic, util]) => [(at -= gap), traffic ? 1 : 0, ...util]).reverse();
    const blocks: number[][] = [];
    for (let k = 0; k < flat.length; k += block) blocks.push(flat.slice(k, k + block).flat());
    const s = Math.min(skip, Math.max(0, blocks[0]!.length / stride - 1));
    // Through JSON, as a state file gives it back, then checked once (usable) like analyseSnapshot does.
    return usable(JSON.parse(JSON.stringify({ names, blocks, skip: s, ...(weights ? { weights } : {}) })));
  });
}

const namesArb = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'), { minLength: 1, maxLength: 12 });
const optsArb = fc.oneof(fc.constant(O), fc.record({ historySeconds: fc.integer({ min: 30, max: 900 }), maxHistoryPoints: fc.integer({ min: 1, max: 60 }) }).map((o) => resolveAnalysisOptions(o)));

test('the running-state append gives the same history as the general path, chained over cycles', () => {
  fc.assert(fc.property(namesArb.chain((names) => fc.tuple(historyOf(names), fc.array(sampleOf(names), { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 6, maxLength: 6 }), optsArb)),
    ([h0, samples, gaps, opts]) => {
      let fast = h0;
      let slow = h0;
      let now = NOW;
      samples.forEach((sample, k) => {
        fast = appendHistory(fast, sample, now, opts);
        slow = appendHistoryGeneral(slow, sample, now, opts);
        assert.deepStrictEqual(fast, slow);
        now += gaps[k]!;
      });
    }), { numRuns: 400 });
});

test('a history without remembered weights (older state files) gets the same weights on either path', () => {
  const h = usable(JSON.parse(JSON.stringify({ names: ['a', 'b'], blocks: [[NOW - 15_000, 1, 0.2, 0.3]], skip: 0 })));
  const sample: PoolSample = { pool: 'p', labels: {}, windowSeconds: 60, backends: [
    { backend: 'a', health: 'up', rate: 1, cpu: 0.2, weight: 3 }, { backend: 'b', health: 'maint', rate: 0, cpu: 0.1, weight: 0 }] };
  const fast = appendHistory(h, sample, NOW, O);
  assert.deepStrictEqual(fast, appendHistoryGeneral(h, sample, NOW, O));
  assert.deepStrictEqual(fast.weights, [3, UNKNOWN]);
});

test('the shortcut is taken in the running state and does not mutate its inputs', () => {
  const names = ['a', 'b', 'c'];
  const sample: PoolSample = { pool: 'p', labels: {}, windowSeconds: 60, backends: names.map((backend, i) => ({ backend, health: 'up' as const, rate: 5, cpu: 0.1 * (i + 1), cpuCapacity: 1, weight: 1 })) };
  let h = appendHistory(usable(undefined), sample, NOW, O);
  for (let k = 1; k < 30; k++) {
    const before = JSON.stringify(h);
    const next = appendHistory(h, sample, NOW + k * 15_000, O);
    assert.equal(JSON.stringify(h), before, 'input history unchanged');
    assert.deepStrictEqual(next, appendHistoryGeneral(h, sample, NOW + k * 15_000, O));
    // Full blocks are shared with the previous history (structure sharing survives the shortcut).
    if (next.blocks.length > 1 && h.blocks.length > 1) assert.equal(next.blocks[next.blocks.length - 2], h.blocks.find((b) => b === next.blocks[next.blocks.length - 2]));
    h = next;
  }
});

/** Theil–Sen as its comment defines it, written plainly: pairs by lag, largest first, until maxPairs; median by sorting. */
function theilSenReference(xs: readonly number[], ys: readonly number[], maxPairs: number): { slope: number; intercept: number } | null {
  const n = xs.length;
  const slopes: number[] = [];
  let used = 0;
  for (let lag = n - 1; lag >= 1; lag--) {
    for (let i = 0; i + lag < n; i++) {
      if (used++ >= Math.max(1, maxPairs)) break;
      const dx = xs[i + lag]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[i + lag]! - ys[i]!) / dx);
    }
  }
  if (slopes.length === 0) return null;
  const med = (v: number[]) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length & 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
  const slope = med(slopes);
  return { slope, intercept: med(ys.map((y, i) => y - slope * xs[i]!)) };
}

test('theilSen equals the plainly written estimator (same pairs, same median)', () => {
  const series = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.double({ min: 0, max: 2, noNaN: true })), { minLength: 2, maxLength: 80 });
  fc.assert(fc.property(series, fc.integer({ min: 1, max: 400 }), (pts, maxPairs) => {
    let x = -1000;
    const xs = pts.map(([dx]) => (x += dx * 7.5) / 1); // repeated x values included (dx = 0)
    const ys = pts.map(([, y]) => y);
    const got = theilSen(Float64Array.from(xs), Float64Array.from(ys), xs.length, maxPairs);
    const want = theilSenReference(xs, ys, maxPairs);
    if (want === null) return assert.equal(got, null);
    // ±0 compare equal here: the sort and the selection may pick either of two equal zeros.
    assert.ok(got !== null && got.slope === want.slope && got.intercept === want.intercept, `${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  }), { numRuns: 500 });
});
