// Saturation forecast on synthetic histories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forecastBackend, senLowerSlope } from '../../../src/core/analysis/forecast.js';
import { DEFAULT_ANALYSIS_OPTIONS as O, EMPTY_HISTORY, analysePool } from '../../../src/core/analysis/analyse.js';
import type { PoolHistory } from '../../../src/core/types.js';
import { historyOf, pool, prng, type NamedPoint } from '../build.js';

const NOW = 1_700_000_000_000;

/** One point every `step` seconds before now, utilisation u(t) with t in seconds relative to now (t < 0). */
function history(points: number, step: number, u: (t: number, k: number) => number, backend = 's1'): PoolHistory {
  return historyOf(namedPoints(points, step, u, backend));
}

function namedPoints(points: number, step: number, u: (t: number, k: number) => number, backend = 's1'): NamedPoint[] {
  return Array.from({ length: points }, (_, k) => {
    const t = -(points - k) * step;
    return { at: NOW + t * 1000, utilisation: { [backend]: u(t, k) }, rate: {} };
  });
}

test('linear rise: ETA within 10% of the truth', () => {
  // 0.5 now, +0.0005/s: reaches 0.9 in 800 s.
  const f = forecastBackend('s1', 0.5, history(30, 10, (t) => 0.5 + 0.0005 * t), NOW, O);
  assert.ok(Math.abs(f.slopePerSecond - 0.0005) < 1e-9);
  assert.ok(f.secondsToSaturation !== null && Math.abs(f.secondsToSaturation - 800) <= 80, `${f.secondsToSaturation}`);
  assert.equal(f.current, 0.5);
  assert.equal(f.threshold, 0.9);
});

test('flat or falling: no ETA', () => {
  assert.equal(forecastBackend('s1', 0.6, history(30, 10, () => 0.6), NOW, O).secondsToSaturation, null);
  assert.equal(forecastBackend('s1', 0.6, history(30, 10, (t) => 0.6 - 0.001 * t), NOW, O).secondsToSaturation, null);
});

test('too few points: no ETA; already saturated: 0', () => {
  assert.equal(forecastBackend('s1', 0.5, history(1, 10, () => 0.4), NOW, O).secondsToSaturation, null);
  assert.equal(forecastBackend('s1', 0.95, EMPTY_HISTORY, NOW, O).secondsToSaturation, 0);
});

test('noisy with outliers: Theil–Sen keeps the ETA within 10%', () => {
  const r = prng(42);
  // True trend +0.0004/s from 0.5 → 0.9 in 1000 s; ±0.02 noise; 4 of 40 points are wild spikes/dips.
  const h = history(40, 15, (t, k) => (k % 10 === 3 ? (k % 20 === 3 ? 1.0 : 0.05) : 0.5 + 0.0004 * t + 0.02 * (2 * r() - 1)));
  const f = forecastBackend('s1', 0.5, h, NOW, O);
  assert.ok(f.secondsToSaturation !== null && Math.abs(f.secondsToSaturation - 1000) <= 100, `${f.secondsToSaturation}`);
});

test('history points of other backends, non-finite values and points at/after now are ignored', () => {
  const h = historyOf([
    ...namedPoints(10, 10, (t) => 0.5 + 0.001 * t),
    { at: NOW - 5000, utilisation: { s2: 0.99 }, rate: {} },
    { at: NOW, utilisation: { s1: 0.0 }, rate: {} },
    { at: NOW + 10_000, utilisation: { s1: 5 }, rate: {} },
  ]);
  const f = forecastBackend('s1', 0.5, h, NOW, O);
  assert.ok(Math.abs(f.slopePerSecond - 0.001) < 1e-9);
  assert.ok(Math.abs(f.secondsToSaturation! - 400) < 1e-6);
});

test('no CPU anywhere: forecast is null (a request trend alone cannot say when a backend saturates)', () => {
  const v = analysePool(pool([80, 10, 10]), EMPTY_HISTORY, NOW, O);
  assert.equal(v.forecast, null);
});

test('forecast targets the skew\'s hottest backend, not the hottest by CPU', () => {
  const v = analysePool(pool([70, 10, 10, 10], { 0: { cpu: 0.5 }, 1: { cpu: 0.7 }, 2: { cpu: 0.1 }, 3: { cpu: 0.1 } }), EMPTY_HISTORY, NOW, O);
  assert.equal(v.forecast?.backend, 's1');
  const calm = analysePool(pool([25, 25, 25, 25], { 0: { cpu: 0.5 }, 1: { cpu: 0.7 }, 2: { cpu: 0.6 }, 3: { cpu: 0.6 } }), EMPTY_HISTORY, NOW, O);
  assert.equal(calm.forecast?.backend, 's2');
});

// ---- issue 10 item 11 ----

test('item 11: never "saturated" while the present is well below the threshold (the present wins over the fitted level)', () => {
  // Ten minutes at 0.90–0.96 and rising slowly, then the load moved away: CPU 0.3 now.
  const h = history(40, 15, (t) => 0.96 + 0.0001 * t);
  const f = forecastBackend('s1', 0.3, h, NOW, O);
  assert.notEqual(f.secondsToSaturation, 0);
  assert.ok(f.secondsToSaturation === null || f.secondsToSaturation > 900, `${f.secondsToSaturation}`);
  const v = analysePool(pool([70, 10, 10, 10], { 0: { cpu: 0.3 }, 1: { cpu: 0.05 }, 2: { cpu: 0.05 }, 3: { cpu: 0.05 } }), h, NOW, O);
  assert.doesNotMatch(v.explanation, /saturated/);
  assert.ok(!v.reasons.includes('saturating'), v.explanation);
});

test('item 11: after 8 flat minutes, a ramp to saturation in 45 s is forecast at ~45 s', () => {
  // Flat at 0.3 until 75 s ago, then +0.005/s: 0.675 now, 0.9 in 45 s.
  const u = (t: number) => (t <= -75 ? 0.3 : 0.3 + 0.005 * (t + 75));
  const f = forecastBackend('s1', u(0), history(40, 15, u), NOW, O);
  assert.ok(f.secondsToSaturation !== null && Math.abs(f.secondsToSaturation - 45) <= 5, `${f.secondsToSaturation}`);
  assert.ok(Math.abs(f.slopePerSecond - 0.005) < 1e-9);
  // Seen at its first two points only (0.375, 0.45 now: 90 s to go), it is already a ramp.
  const early = (t: number) => (t <= -30 ? 0.3 : 0.3 + 0.005 * (t + 30));
  const e = forecastBackend('s1', early(0), history(40, 15, early), NOW, O);
  assert.ok(e.secondsToSaturation !== null && Math.abs(e.secondsToSaturation - 90) <= 9, `${e.secondsToSaturation}`);
});

test('item 11: one spike in the latest sample neither moves the level nor starts a new regime', () => {
  // Trend 0.5 + 0.0005/s (0.9 in 800 s); the current sample reads 0.7 (a burst).
  const f = forecastBackend('s1', 0.7, history(30, 10, (t) => 0.5 + 0.0005 * t), NOW, O);
  assert.ok(f.secondsToSaturation !== null && Math.abs(f.secondsToSaturation - 800) <= 40, `${f.secondsToSaturation}`);
  assert.ok(Math.abs(f.slopePerSecond - 0.0005) < 1e-9);
  assert.equal(f.current, 0.7);
});

test('item 11: load dropping off a plateau is a new regime: not rising', () => {
  // 0.85 flat for 9 minutes, then falling 0.005/s: 0.775, 0.7, 0.625 now.
  const u = (t: number) => (t <= -45 ? 0.85 : 0.85 - 0.005 * (t + 45));
  const f = forecastBackend('s1', u(0), history(40, 15, u), NOW, O);
  assert.equal(f.secondsToSaturation, null);
  assert.ok(f.slopePerSecond < 0);
});

// ---- checks of the forecast that the rows above do not reach (issue 10 item 13) ----

test('fewer than minForecastPoints: no trend is fitted at all (slope 0)', () => {
  const f = forecastBackend('s1', 0.5, history(1, 10, () => 0.4), NOW, O);
  assert.equal(f.slopePerSecond, 0);
});

test('a slope under the flat epsilon (5e-6/s) is not rising', () => {
  assert.equal(forecastBackend('s1', 0.5, history(30, 10, (t) => 0.5 + 5e-6 * t), NOW, O).secondsToSaturation, null);
});

/** Trend 0.5 + 0.0005/s (0.9 in 800 s) with ±0.05 noise; the last points are overridden. */
function noisyTrend(last: number[]): PoolHistory {
  const r = prng(9);
  const pts = namedPoints(40, 15, (t) => 0.5 + 0.0005 * t + 0.05 * (2 * r() - 1));
  last.forEach((offset, j) => {
    const p = pts[pts.length - last.length + j]!;
    const t = (p.at - NOW) / 1000;
    pts[pts.length - last.length + j] = { ...p, utilisation: { s1: 0.5 + 0.0005 * t + offset } };
  });
  return historyOf(pts);
}

test('regime: two points off by less than 3σ of a noisy series are noise, not a new regime', () => {
  // Noise ±0.05 (σ ≈ 0.03): the newest two at +0.05 and (now) +0.06 are within 3σ.
  const f = forecastBackend('s1', 0.56, noisyTrend([0.05]), NOW, O);
  // The whole series' trend (0.0005/s), not a refit on the newest two: ~680 s at the fitted
  // slope, reported at the slope's lower 95% bound (senLowerSlope) on data this noisy: ~880 s.
  assert.ok(Math.abs(f.slopePerSecond - 0.0005) < 0.0002, `${f.slopePerSecond}`);
  assert.ok(f.secondsToSaturation !== null && f.secondsToSaturation >= 560 && f.secondsToSaturation <= 1000, `${f.secondsToSaturation}`);
});

test('regime: only the current point far off (the one before within 3σ) is a spike, not a new regime', () => {
  const f = forecastBackend('s1', 0.75, noisyTrend([0.03]), NOW, O);
  assert.ok(Math.abs(f.slopePerSecond - 0.0005) < 0.0002, `${f.slopePerSecond}`);
});

test('a few wobbling CPU rates are no trend: no saturation forecast within the horizon (Sen lower bound)', () => {
  // The detection bench's source-hash runs before the fault: flat load, CPU 0.46-0.51.
  const ys = [0.464, 0.47, 0.497, 0.49, 0.511];
  const f = forecastBackend('s1', ys.at(-1)!, history(ys.length - 1, 15, (_t, k) => ys[k]!), NOW, O);
  assert.ok(f.slopePerSecond > 0, 'the fitted slope rises');
  assert.ok(f.secondsToSaturation === null || f.secondsToSaturation > O.horizonSeconds, `${f.secondsToSaturation}`);
  // The same rise, steady and clear (+0.03 per cycle), is sure: forecast within the horizon.
  const ramp = (t: number) => 0.4 + 0.002 * (t + 60);
  const r = forecastBackend('s1', ramp(0), history(4, 15, ramp), NOW, O);
  assert.ok(r.secondsToSaturation !== null && Math.abs(r.secondsToSaturation - 190) <= 20, `${r.secondsToSaturation}`);
});

test('senLowerSlope: exact for a clean line, below the fitted slope with noise, -Infinity with too few points', () => {
  const xs = [0, 15, 30, 45, 60, 75];
  assert.equal(senLowerSlope(xs, xs.map((x) => 0.3 + 0.001 * x), 6).toFixed(6), '0.001000');
  assert.equal(senLowerSlope([0, 15], [0.1, 0.2], 2), -Infinity);
  assert.equal(senLowerSlope([0, 15, 30], [0.464, 0.47, 0.497], 3), -Infinity, 'three points, small steps');
  assert.ok(senLowerSlope([0, 15, 30], [0.3, 0.375, 0.45], 3) > 0.004, 'three points, clear steps');
  const noisy = [0.464, 0.47, 0.497, 0.49, 0.511];
  assert.ok(senLowerSlope(xs, noisy, 5) < 0.0005, String(senLowerSlope(xs, noisy, 5)));
});
