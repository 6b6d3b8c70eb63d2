import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightStepDrift } from '../../../src/core/declared/weight-step.js';
import { addBalancerContext } from '../../../src/core/declared/context.js';
import { EMPTY_CHANGE_LOG, trackChanges, type ChangeLog } from '../../../src/core/changes/changes.js';
import { DEFAULT_DRIFT_OPTIONS } from '../../../src/core/declared/drift.js';
import { analyseSnapshot } from '../../../src/core/analysis/analyse.js';
import type { PoolSample, Snapshot } from '../../../src/core/types.js';

const T0 = Date.UTC(2026, 11, 1, 12, 3, 4);
const sample = (weights: number[], health: ('up' | 'maint')[] = []): PoolSample => ({
  pool: 'be_app', labels: { proxy: 'be_app' }, windowSeconds: 60,
  backends: weights.map((w, i) => ({ backend: `s${i + 1}`, rate: 10, health: health[i] ?? 'up', weight: w })),
});
function logOf(steps: number[][]): ChangeLog {
  let log = EMPTY_CHANGE_LOG;
  steps.forEach((w, i) => { log = trackChanges(log, { at: T0 + i * 15_000, pools: [sample(w)] }).log; });
  return log;
}
const stepOf = (steps: number[][]) => weightStepDrift(sample(steps.at(-1)!), logOf(steps).changes);

test('set weight s1 256 on one of four equal servers: a concentrating step, with the weights before it', () => {
  const d = stepOf([[1, 1, 1, 1], [256, 1, 1, 1]])!;
  assert.equal(d.level, 2);
  assert.equal(d.baseline, 'previous-weights');
  assert.deepEqual(d.items, [{ backend: 's1', kind: 'weight', declared: '1', live: '256' }]);
  assert.match(d.explanation!, /^s1's weight changed 1 → 256 at 12:03:19 UTC: it now holds 99% of be_app's weight \(was 25%\); no declared config/);
});

test('the first averaged cycle (1 → 64.75) already qualifies; the merged ramp keeps the first value as the baseline', () => {
  assert.equal(stepOf([[1, 1, 1, 1], [64.75, 1, 1, 1]])!.level, 2);
  assert.equal(stepOf([[1, 1, 1, 1], [64.75, 1, 1, 1], [128.5, 1, 1, 1]])!.items[0]!.declared, '1');
});

test('deliberate reweights do not page: blue/green 4 → 2, an 80/20 pair, a mild change, a lowered weight', () => {
  assert.equal(stepOf([[1, 1, 1, 1], [0, 0, 1, 1]]), null, 'two servers at 50% each, their own weights unchanged');
  assert.equal(stepOf([[1, 1], [4, 1]]), null, 'a pair: 80/20 is a choice');
  assert.equal(stepOf([[2, 2, 2, 2], [4, 2, 2, 2]]), null, '40% of the weight (1.6×): under twice an equal split');
  assert.equal(stepOf([[1, 1, 1, 1], [1, 1, 1, 1]]), null, 'no change');
  assert.equal(stepOf([[4, 1, 1, 1], [2, 1, 1, 1]]), null, 'a weight lowered');
});

test('the thresholds bite: load doubled (f = share after / before ≥ 2) with a share ≥ twice an equal split', () => {
  // 4 among three others: 57%, was 25% (2.3×), 2/n = 50% → paged (the wrong-weight incident, weight 4).
  assert.equal(stepOf([[1, 1, 1, 1], [4, 1, 1, 1]])!.level, 2);
  // 4 among seven others: 36% (2/n = 25%), was 12.5% (2.9×) → paged; 3 among seven: 30%, 2.4× → paged; 2 among seven: 22% → null.
  assert.equal(stepOf([Array(8).fill(1), [4, ...Array(7).fill(1)]])!.level, 2);
  assert.equal(stepOf([Array(8).fill(1), [3, ...Array(7).fill(1)]])!.level, 2);
  assert.equal(stepOf([Array(8).fill(1), [2, ...Array(7).fill(1)]]), null);
  // 3 among four others: 43% (2/n = 40%), was 20% (2.1×) → paged; 3 of 3 others at 2: 33% → null.
  assert.equal(stepOf([[1, 1, 1, 1, 1], [3, 1, 1, 1, 1]])!.level, 2);
  assert.equal(stepOf([[2, 2, 2, 2], [3, 2, 2, 2]]), null);
  // Share ≥ twice an equal split but growth under 2×: 3 of 3 servers [2,1,1] → [3,1,1]: 60% (2/n = 67%) null;
  // [2,1,1,1] → [3,1,1,1]: 50% = 2/n, was 40% (1.25×) → null.
  assert.equal(stepOf([[2, 1, 1, 1], [3, 1, 1, 1]]), null);
});

test('a pair pages only when one raised weight takes ≥ 90% (1 → 16: 94%)', () => {
  assert.equal(stepOf([[1, 1], [16, 1]])!.level, 2);
  assert.equal(stepOf([[1, 1], [8, 1]]), null, '89%');
  assert.equal(stepOf([[1, 16], [1, 1]]), null, 'lowered to even');
});

test('a slow-start ramp (weight climbing right after the server came up) is not a step', () => {
  // s1 in maintenance (effective weight 0), back up and ramping 1 → 4 within the guard: no page. The same step an hour after it came up pages.
  let log = EMPTY_CHANGE_LOG;
  const steps: Array<[number[], ('up' | 'maint')[]]> = [[[0, 1, 1, 1], ['maint']], [[1, 1, 1, 1], []], [[2, 1, 1, 1], []], [[4, 1, 1, 1], []]];
  steps.forEach(([w, h], i) => { log = trackChanges(log, { at: T0 + i * 15_000, pools: [sample(w, h)] }).log; });
  assert.equal(weightStepDrift(sample([4, 1, 1, 1]), log.changes), null);
  const late = log.changes.map((c) => (c.kind === 'weight' ? { ...c, at: c.at + 3_600_000 } : c));
  assert.equal(weightStepDrift(sample([4, 1, 1, 1]), late)!.level, 2);
});

test('in the verdict: no declaration, a concentrating step → drift level 2 (what the drift rule pages on)', () => {
  const s: Snapshot = { at: T0 + 15_000, pools: [sample([256, 1, 1, 1])] };
  const { verdicts } = analyseSnapshot(s, new Map());
  const [v] = addBalancerContext(verdicts, s, { declared: new Map(), overrides: [], changeLog: logOf([[1, 1, 1, 1], [256, 1, 1, 1]]), lookbackMs: 600_000, drift: DEFAULT_DRIFT_OPTIONS });
  assert.equal(v!.drift!.level, 2);
  const plain = addBalancerContext(verdicts, s, { declared: new Map(), overrides: [], changeLog: EMPTY_CHANGE_LOG, lookbackMs: 600_000, drift: DEFAULT_DRIFT_OPTIONS })[0]!;
  assert.equal(plain.drift, undefined, 'no change seen: nothing to compare with');
});
