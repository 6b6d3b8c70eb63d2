// The /metrics per-backend series selection by index (src/http/backend-series.ts)
// must choose exactly the backends the object-based selection chose before
// (written out below as the reference): same pools, same backends, same
// order, under and over the global cap, with duplicate names, tied and odd
// shares (±0, NaN), long flag lists and pools past the small-pool fast path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fleetBackendSeries, backendsWithSeries } from '../../src/http/metrics.js';
import { BackendRowView, fleetSeriesIndices } from '../../src/http/backend-series.js';
import type { BackendStat, PoolVerdict } from '../../src/core/types.js';
import { verdict } from '../fakes/verdict.js';

function flaggedRef(v: PoolVerdict): Set<string> {
  const flagged = new Set<string>([...v.hot, ...v.starved, ...v.unavailable]);
  if (v.forecast?.backend) flagged.add(v.forecast.backend);
  return flagged;
}

function withSeriesRef(v: PoolVerdict, k: number): PoolVerdict['backends'] {
  if (v.backends.length <= k) return v.backends;
  const flagged = flaggedRef(v);
  const top = new Set([...v.backends].sort((a, b) => b.share - a.share).slice(0, k).map((b) => b.backend));
  return v.backends.filter((b) => flagged.has(b.backend) || top.has(b.backend));
}

function fleetRef(verdicts: readonly PoolVerdict[], k: number, max: number): PoolVerdict['backends'][] {
  const candidates = verdicts.map((v) => withSeriesRef(v, k));
  const total = candidates.reduce((n, c) => n + c.length, 0);
  if (total <= max) return candidates;
  const flaggedOf = candidates.map((c, i) => {
    const flagged = flaggedRef(verdicts[i]!);
    return c.filter((b) => flagged.has(b.backend));
  });
  const rankedOf = candidates.map((c, i) => c.filter((b) => !flaggedOf[i]!.includes(b)).sort((a, b) => b.share - a.share));
  let budget = max;
  const kept = candidates.map(() => new Set<BackendStat>());
  for (let i = 0; i < verdicts.length && budget > 0; i++) {
    for (const b of flaggedOf[i]!) {
      if (budget === 0) break;
      kept[i]!.add(b);
      budget--;
    }
  }
  for (let round = 0; budget > 0; round++) {
    let any = false;
    for (let i = 0; i < verdicts.length && budget > 0; i++) {
      const b = rankedOf[i]![round];
      if (b === undefined) continue;
      any = true;
      kept[i]!.add(b);
      budget--;
    }
    if (!any) break;
  }
  return candidates.map((c, i) => c.filter((b) => kept[i]!.has(b)));
}

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', ''];
const share = fc.oneof(fc.constantFrom(0, -0, 0.1, 0.1, 0.25, 1, Number.NaN, Infinity), fc.double({ min: 0, max: 1, noNaN: true }));
const row = fc.record({ backend: fc.oneof(fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 60 }).map((i) => `s${i}`)), share }).map(({ backend, share: s }): BackendStat => ({
  backend, health: 'up', weight: 1, rate: 1, share: s, expectedShare: 0.1, ratio: 1, utilisation: null, queue: null, z: 0, outlier: null,
}));
const names = fc.array(fc.oneof(fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 60 }).map((i) => `s${i}`)), { maxLength: 40 });
const poolArb = fc.record({
  backends: fc.oneof(fc.array(row, { maxLength: 12 }), fc.array(row, { minLength: 30, maxLength: 45 })),
  hot: fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }), starved: fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }), unavailable: names,
  forecast: fc.option(fc.constantFrom(...NAMES), { nil: null }),
});
const fleet = fc.array(poolArb, { maxLength: 8 }).map((ps) => ps.map((p, i) => verdict(`p${i}`, 'ok', {
  backends: p.backends, hot: p.hot, starved: p.starved, unavailable: p.unavailable,
  forecast: p.forecast === null ? null : { backend: p.forecast, secondsToSaturation: null, slopePerSecond: 0, threshold: 0.9, current: 0.5 },
})));

test('the series chosen by index are the series the object-based selection chose', () => {
  fc.assert(fc.property(fleet, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 60 }), (verdicts, k, max) => {
    const want = fleetRef(verdicts, k, max);
    const got = fleetBackendSeries(verdicts, k, max);
    assert.equal(got.length, want.length);
    got.forEach((rows, i) => {
      assert.equal(rows.length, want[i]!.length);
      rows.forEach((b, j) => assert.equal(b, want[i]![j], 'the same backend objects, in the same order'));
    });
    const indices = fleetSeriesIndices(verdicts, verdicts.map((v) => BackendRowView.of(v)), k, max);
    indices.forEach((list, i) => assert.deepEqual(list.map((j) => verdicts[i]!.backends[j]), want[i]));
    for (const v of verdicts) assert.deepEqual(backendsWithSeries(v, k), withSeriesRef(v, k));
  }), { numRuns: 1500 });
});
