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

test('deliberate reweights do not page: blue/green 4 → 2, a pair, a mild change, a canary below half', () => {
  assert.equal(stepOf([[1, 1, 1, 1], [0, 0, 1, 1]]), null, 'two servers at 50% each (2×)');
  assert.equal(stepOf([[1, 1], [4, 1]]), null, 'a pair: 80/20 is a choice');
  assert.equal(stepOf([[2, 2, 2, 2], [4, 2, 2, 2]]), null, '40% of the weight');
  assert.equal(stepOf([Array(10).fill(1), [5, ...Array(9).fill(1)]]), null, '36%: under half');
  assert.equal(stepOf([[1, 1, 1, 1], [1, 1, 1, 1]]), null, 'no change');
});

test('the thresholds bite: 50% share and 3× growth are both needed', () => {
  // 3 among four others: 3/7 = 43%, under half → null. 4 among three others: 57%, was 25% (2.3×) → null.
  assert.equal(stepOf([[1, 1, 1, 1, 1], [3, 1, 1, 1, 1]]), null);
  assert.equal(stepOf([[1, 1, 1, 1], [4, 1, 1, 1]]), null);
  // 5 of 3 others: 5/8 = 62.5%, was 25% (2.5×) → null; 7 of 3 others: 70%, 2.8× → null; 9: 75%, 3× → paged.
  assert.equal(stepOf([[1, 1, 1, 1], [7, 1, 1, 1]]), null);
  assert.equal(stepOf([[1, 1, 1, 1], [9, 1, 1, 1]])!.level, 2);
});

test('in the verdict: no declaration, a concentrating step → drift level 2 (what the drift rule pages on)', () => {
  const s: Snapshot = { at: T0 + 15_000, pools: [sample([256, 1, 1, 1])] };
  const { verdicts } = analyseSnapshot(s, new Map());
  const [v] = addBalancerContext(verdicts, s, { declared: new Map(), overrides: [], changeLog: logOf([[1, 1, 1, 1], [256, 1, 1, 1]]), lookbackMs: 600_000, drift: DEFAULT_DRIFT_OPTIONS });
  assert.equal(v!.drift!.level, 2);
  const plain = addBalancerContext(verdicts, s, { declared: new Map(), overrides: [], changeLog: EMPTY_CHANGE_LOG, lookbackMs: 600_000, drift: DEFAULT_DRIFT_OPTIONS })[0]!;
  assert.equal(plain.drift, undefined, 'no change seen: nothing to compare with');
});
