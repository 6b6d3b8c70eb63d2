// Issue 10: the false and missed pages the detection benchmark found, one
// named test each (items 2, 5, 7, 10, 12). Each failed on the code before
// the fix (see the commit that added it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysePool, appendHistory, DEFAULT_ANALYSIS_OPTIONS as O, EMPTY_HISTORY } from '../../../src/core/analysis/analyse.js';
import type { BackendSample, PoolHistory, PoolSample } from '../../../src/core/types.js';
import { pool } from '../build.js';

const NOW = 1_700_000_000_000;
const STEP = 15_000;

/** History of `cycles` points every 15 s before NOW; `at(k)` gives the sample of cycle k (k = cycles is NOW). */
function historyFrom(cycles: number, at: (k: number) => PoolSample): PoolHistory {
  let h = EMPTY_HISTORY;
  for (let k = 0; k < cycles; k++) h = appendHistory(h, at(k), NOW - (cycles - k) * STEP, O);
  return JSON.parse(JSON.stringify(h)) as PoolHistory; // as restored from the state file
}

const withBackends = (s: PoolSample, f: (b: BackendSample, i: number) => Partial<BackendSample>): PoolSample =>
  ({ ...s, backends: s.backends.map((b, i) => ({ ...b, ...f(b, i) })) });

// ---- item 2: a backend returning to service, a new pod joining ----

/** s2 was down until 15 s ago: in the 60 s window its rate still counts the time it was down. */
const twoBackHistory = historyFrom(8, (k) => pool([10, 10], k < 7 ? { 1: { health: 'down' } } : {}));

test('item 2: a backend back in service within the rate window (2 backends) is warming up, not a pouring page', () => {
  const v = analysePool(pool([17, 3]), twoBackHistory, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
  assert.deepEqual(v.warming, ['s2']);
  assert.match(v.explanation, /warming up .*: s2/);
  assert.equal(v.backends[1]!.expectedShare, 0, 'no expected share while warming');
});

test('item 2: 3 backends, survivors at CPU 0.85 while s3 warms up: no hot page', () => {
  const h = historyFrom(8, (k) => pool([33, 33, 33], k < 6 ? { 2: { health: 'maint' } } : {}));
  const v = analysePool(pool([49.5, 49.5, 1], { 0: { cpu: 0.85 }, 1: { cpu: 0.85 }, 2: { cpu: 0.02 } }), h, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
  assert.deepEqual(v.warming, ['s3']);
  assert.deepEqual(v.hot, []);
});

test('item 2: a new pod joining (absent from the history) is warming up', () => {
  const h = historyFrom(8, () => pool([50, 50]));
  const v = analysePool(pool([49.5, 49.5, 1], { 0: { cpu: 0.85 }, 1: { cpu: 0.85 }, 2: { cpu: 0.02 } }), h, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
  assert.deepEqual(v.warming, ['s3']);
  // Nothing is known on a first cycle (empty history): judged as before.
  assert.equal(analysePool(pool([49.5, 49.5, 1], { 0: { cpu: 0.85 }, 1: { cpu: 0.85 } }), EMPTY_HISTORY, NOW, O).severity, 'critical');
});

test('item 2: the source\'s state age decides when it is given (HAProxy last_state_change)', () => {
  const warm = analysePool(pool([17, 3], { 1: { stateAgeSeconds: 20 } }), EMPTY_HISTORY, NOW, O);
  assert.equal(warm.severity, 'ok', warm.explanation);
  assert.deepEqual(warm.warming, ['s2']);
  // Up for 2 minutes, longer than the 60 s window: the skew is real.
  const real = analysePool(pool([17, 3], { 1: { stateAgeSeconds: 120 } }), twoBackHistory, NOW, O);
  assert.equal(real.severity, 'critical', real.explanation);
  assert.deepEqual(real.warming, []);
});

test('item 2: back for longer than the window is judged again; the peers are still compared among themselves', () => {
  // Down until 75 s ago: every point of the last 60 s has it up.
  const h = historyFrom(12, (k) => pool([10, 10], k < 7 ? { 1: { health: 'down' } } : {}));
  const v = analysePool(pool([17, 3]), h, NOW, O);
  assert.equal(v.severity, 'critical', v.explanation);
  assert.deepEqual(v.warming, []);
  // While s3 warms up, s1 taking 89% of what s1 and s2 get is still a page.
  const h3 = historyFrom(8, (k) => pool([10, 10, 10], k < 7 ? { 2: { health: 'down' } } : {}));
  const skewed = analysePool(pool([80, 10, 2]), h3, NOW, O);
  assert.equal(skewed.severity, 'critical', skewed.explanation);
  assert.deepEqual(skewed.warming, ['s3']);
  assert.deepEqual(skewed.hot, ['s1']);
});

test('item 2: every up backend warming up (a pool back from an outage) is not judged', () => {
  const h = historyFrom(8, (k) => pool([10, 10], k < 7 ? { 0: { health: 'down' }, 1: { health: 'down' } } : {}));
  const v = analysePool(pool([16, 4]), h, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
  assert.deepEqual(v.warming, ['s1', 's2']);
  assert.match(v.explanation, /can be judged/);
});

// ---- item 10: backup servers ----

const withBackup = (rates: number[], backupRates: number[], per: Record<number, object> = {}): PoolSample => {
  const s = pool([...rates, ...backupRates], per);
  return withBackends(s, (b, i) => (i >= rates.length ? { backend: `bk${i - rates.length + 1}`, backup: true, weight: 1 } : { weight: 1 }));
};

test('item 10: a backup server standing by while primaries are up gets no expected share', () => {
  const v = analysePool(withBackup([33, 33, 34], [0]), EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
  assert.deepEqual(v.backups, ['bk1']);
  assert.doesNotMatch(v.explanation, /expected/);
  assert.equal(v.backends[3]!.expectedShare, 0);
  assert.ok(Math.abs(v.backends[0]!.expectedShare - 1 / 3) < 1e-12);
});

test('item 10: with no primary up, the backups share the traffic as configured and are judged', () => {
  const down = { 0: { health: 'down' }, 1: { health: 'down' }, 2: { health: 'down' } } as const;
  const even = analysePool(withBackup([0, 0, 0], [50, 50], down), EMPTY_HISTORY, NOW, O);
  assert.equal(even.severity, 'ok', even.explanation);
  assert.deepEqual(even.backups, []);
  assert.equal(even.backends[3]!.expectedShare, 0.5);
  const skewed = analysePool(withBackup([0, 0, 0], [90, 10], down), EMPTY_HISTORY, NOW, O);
  assert.equal(skewed.severity, 'critical', skewed.explanation);
  assert.deepEqual(skewed.hot, ['bk1']);
});

// ---- item 7: one missing weight ----

test('item 7: one missing weight does not make a correct 2:1:1:1 pool equal-weighted', () => {
  const s = pool([40, 20, 20, 20], { 0: { weight: 2, cpu: 0.85 }, 1: { weight: 1, cpu: 0.43 }, 2: { weight: 1, cpu: 0.42 }, 3: { cpu: 0.43 } });
  const v = analysePool(s, EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
  assert.doesNotMatch(v.explanation, /expected 25%/);
  assert.deepEqual(v.unweighted, ['s4']);
  assert.match(v.explanation, /no weight reported \(not judged\): s4/);
  assert.ok(Math.abs(v.backends[0]!.expectedShare - 0.5) < 1e-12, 'judged on what is known: 2:1:1');
});

test('item 7: what is known is still judged: s1 taking 80% of three equally weighted servers pages', () => {
  const v = analysePool(pool([80, 10, 10, 10], { 0: { weight: 1 }, 1: { weight: 1 }, 2: { weight: 1 } }), EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'critical', v.explanation);
  assert.deepEqual(v.hot, ['s1']);
  assert.deepEqual(v.unweighted, ['s4']);
});

// ---- item 5: correct weights on mixed hardware, capacity unknown; item 12: the text ----

const weighted = (rates: number[], weights: number[], cpus: number[], extra: Partial<PoolSample> = {}, per: Record<number, Partial<BackendSample>> = {}) =>
  pool(rates, Object.fromEntries(rates.map((_, i) => [i, { weight: weights[i]!, cpu: cpus[i]!, ...per[i] }])), extra);

test('item 5: 2:1:1:1 weights where s1 has twice the cores, all at 45%, capacity not reported: not overweighted', () => {
  const v = analysePool(weighted([40, 20, 20, 20], [2, 1, 1, 1], [0.9, 0.45, 0.45, 0.45]), EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'ok', v.explanation);
  assert.ok(!v.reasons.includes('overweighted'));
  assert.equal(v.backends[0]!.utilisation, 0.45, 'weight 2 of a typical 1: assumed twice the capacity');
});

test('item 5: the wrong-weight incident is still caught when capacity is not reported, and the text says what was assumed', () => {
  // Weight 8 of 11 on equal servers: assumed at most 2× a typical server's capacity, s1 still takes far more.
  const eight = analysePool(weighted([73, 9, 9, 9], [8, 1, 1, 1], [0.58, 0.07, 0.07, 0.07]), EMPTY_HISTORY, NOW, O);
  assert.equal(eight.severity, 'critical', eight.explanation);
  assert.deepEqual(eight.reasons, ['skew', 'overweighted', 'pouring']);
  assert.deepEqual(eight.hot, ['s1']);
  assert.match(eight.explanation, /^s1 has weight 8 of 11 \(73% of be_app's traffic, as configured\) but at most 40% of its CPU capacity \(capacity not reported: assumed from the weights, at most 2× a typical server's\): CPU 0\.58 cores vs median 0\.07; check its weight$/);
  // The rig's incident: weight 256 of 259.
  const rig = analysePool(weighted([99, 0.35, 0.35, 0.3], [256, 1, 1, 1], [0.93, 0.05, 0.05, 0.05]), EMPTY_HISTORY, NOW, O);
  assert.equal(rig.severity, 'critical', rig.explanation);
  assert.ok(rig.reasons.includes('overweighted') && rig.reasons.includes('pouring'), rig.explanation);
  assert.match(rig.explanation, /^s1 has weight 256 of 259 .*capacity not reported: assumed/);
});

test('item 12: the overweighted text says weight against capacity, what a person can act on', () => {
  // Capacity stated equal (the pool's cpu_capacity_cores hint).
  const rig = analysePool(weighted([99, 0.35, 0.35, 0.3], [256, 1, 1, 1], [0.93, 0.05, 0.05, 0.05], { cpuCapacityHint: 1 }), EMPTY_HISTORY, NOW, O);
  assert.equal(rig.severity, 'critical');
  assert.deepEqual(rig.reasons, ['skew', 'overweighted', 'hot', 'saturating', 'pouring']);
  assert.match(rig.explanation, /^s1 has weight 256 of 259 \(99% of be_app's traffic, as configured\) but only 1 of 4 equal servers' capacity: CPU 0\.93 vs median 0\.05, saturated; check its weight$/);
  // Capacity reported per backend and unequal: cores.
  const cores = analysePool(weighted([73, 9, 9, 9], [8, 1, 1, 1], [1.2, 0.07, 0.07, 0.07], {}, { 0: { cpuCapacity: 2 }, 1: { cpuCapacity: 1 }, 2: { cpuCapacity: 1 }, 3: { cpuCapacity: 1 } }), EMPTY_HISTORY, NOW, O);
  assert.equal(cores.severity, 'critical', cores.explanation);
  assert.match(cores.explanation, /^s1 has weight 8 of 11 .* but only 2 of 5 cores \(40% of its CPU capacity\): CPU 0\.60 vs median 0\.07; check its weight$/);
});

// ---- source-hash: few clients hash unevenly (the detection bench's source-hash family) ----

test('source-hash: an uneven split carried with measured headroom (67/22/11 at CPU 0.29) does not page', () => {
  const cpu = { 0: { cpu: 0.29, cpuCapacity: 1 }, 1: { cpu: 0.1, cpuCapacity: 1 }, 2: { cpu: 0.05, cpuCapacity: 1 } };
  const v = analysePool(pool([67, 22, 11], cpu), EMPTY_HISTORY, NOW, O);
  assert.equal(v.severity, 'warning', v.explanation);
  assert.deepEqual(v.reasons, ['skew']);
  // The same split once the hot server's CPU is high: 'hot' pages.
  const hot = analysePool(pool([67, 22, 11], { ...cpu, 0: { cpu: 0.86, cpuCapacity: 1 } }), EMPTY_HISTORY, NOW, O);
  assert.equal(hot.severity, 'critical', hot.explanation);
  assert.deepEqual(hot.reasons, ['skew', 'hot']);
  // Capacity not reported (CPU seconds only): the share is the only evidence, it still pours.
  const unreported = analysePool(pool([67, 22, 11], { 0: { cpu: 0.29 }, 1: { cpu: 0.1 }, 2: { cpu: 0.05 } }), EMPTY_HISTORY, NOW, O);
  assert.equal(unreported.severity, 'critical', unreported.explanation);
  assert.ok(unreported.reasons.includes('pouring'), unreported.reasons.join());
});

// ---- a starved backend whose traffic overloads a peer (the bench's algorithm-change family) ----

test('a starved backend pages once the backend carrying its traffic is forecast to saturate', () => {
  // balance source with few clients: s2 gets 7%, the rest is spread over
  // s1, s3, s4 too thinly for any one to be a significant outlier, and s1's
  // CPU climbs steadily (0.25 → 0.55 over 5 min).
  const rates = [34, 7, 30, 29];
  const at = (k: number, cycles: number) => pool(rates, {
    0: { cpu: 0.25 + (0.3 * k) / cycles, cpuCapacity: 1 },
    1: { cpu: 0.07, cpuCapacity: 1 }, 2: { cpu: 0.3, cpuCapacity: 1 }, 3: { cpu: 0.29, cpuCapacity: 1 },
  });
  const cycles = 20;
  const h = historyFrom(cycles, (k) => at(k, cycles));
  const v = analysePool(at(cycles, cycles), h, NOW, O);
  assert.equal(v.severity, 'critical', v.explanation);
  assert.deepEqual(v.reasons, ['skew', 'saturating']);
  assert.match(v.explanation, /^s2 gets 7% of be_app's traffic \(expected 25%\); s1 carries 34% \(expected 25%\), CPU 0\.55, saturates in ~\d+ min/);
  // The same split at flat CPU: traffic avoids s2, nobody suffers: a warning.
  const flat = (k: number) => pool(rates, { 0: { cpu: 0.4, cpuCapacity: 1 }, 1: { cpu: 0.07, cpuCapacity: 1 }, 2: { cpu: 0.3, cpuCapacity: 1 }, 3: { cpu: 0.29, cpuCapacity: 1 } });
  const calm = analysePool(flat(cycles), historyFrom(cycles, flat), NOW, O);
  assert.equal(calm.severity, 'warning', calm.explanation);
  assert.deepEqual(calm.reasons, ['skew']);
  // Hot CPU alone on a carrier (a busy host) is not enough to page.
  const busy = (k: number) => pool(rates, { 0: { cpu: 0.88, cpuCapacity: 1 }, 1: { cpu: 0.07, cpuCapacity: 1 }, 2: { cpu: 0.3, cpuCapacity: 1 }, 3: { cpu: 0.29, cpuCapacity: 1 } });
  const hotOnly = analysePool(busy(cycles), historyFrom(cycles, busy), NOW, O);
  assert.equal(hotOnly.severity, 'warning', hotOnly.explanation);
  // A backend whose CPU climbs while it takes no more than its share is not
  // carrying the starved backend's traffic (s3 and s4 are): no page from it.
  const fair = [24, 7, 35, 34];
  const other = (k: number) => pool(fair, {
    0: { cpu: 0.25 + (0.3 * k) / cycles, cpuCapacity: 1 },
    1: { cpu: 0.07, cpuCapacity: 1 }, 2: { cpu: 0.35, cpuCapacity: 1 }, 3: { cpu: 0.34, cpuCapacity: 1 },
  });
  const notCarrier = analysePool(other(cycles), historyFrom(cycles, other), NOW, O);
  assert.equal(notCarrier.severity, 'warning', notCarrier.explanation);
});
