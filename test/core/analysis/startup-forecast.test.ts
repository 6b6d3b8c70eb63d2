// The forecast waits until the history spans STARTUP_SPAN_WINDOWS rate
// windows (analyse.ts): right after the daemon starts, a drift of the first
// windowed CPU rates forecast "saturates in ~9 min" on a flat pool and paged
// (issue 10, wrong-drain with process CPU, pre-fault).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysePool, appendHistory, DEFAULT_ANALYSIS_OPTIONS as O, EMPTY_HISTORY } from '../../../src/core/analysis/analyse.js';
import type { PoolHistory } from '../../../src/core/types.js';
import { pool } from '../build.js';

const T0 = 1_700_000_000_000;
/** s1 takes 40% (expected 25%), its CPU climbing 0.002/s from 0.4: saturating within minutes, nothing else critical. */
const at = (t: number) => pool([40, 20, 20, 20], { 0: { cpu: 0.4 + 0.002 * t, cpuCapacity: 1 }, 1: { cpu: 0.2, cpuCapacity: 1 }, 2: { cpu: 0.2, cpuCapacity: 1 }, 3: { cpu: 0.2, cpuCapacity: 1 } });

function verdictAfter(seconds: number) {
  let h: PoolHistory = EMPTY_HISTORY;
  for (let t = 15; t < seconds; t += 15) h = appendHistory(h, at(t), T0 + t * 1000, O);
  return analysePool(at(seconds), h, T0 + seconds * 1000, O);
}

test('no saturation forecast from under 2.5 rate windows of history (daemon start)', () => {
  const v = verdictAfter(120);
  assert.equal(v.forecast?.secondsToSaturation, null);
  assert.ok(!v.reasons.includes('saturating'), v.explanation);
});

test('the same climb forecasts once the history spans 2.5 windows', () => {
  const v = verdictAfter(180);
  assert.ok(v.reasons.includes('saturating'), v.explanation);
  assert.equal(v.severity, 'critical');
});
