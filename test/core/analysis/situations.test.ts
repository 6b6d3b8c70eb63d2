// Named situations from the incidents and from everyday operation, one
// commented row each: what the verdict must say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysePool, DEFAULT_ANALYSIS_OPTIONS as O, EMPTY_HISTORY } from '../../../src/core/analysis/analyse.js';
import type { PoolHistory, PoolSample, ReasonCode, Severity } from '../../../src/core/types.js';
import { historyOf, jitter, numbersIn, pool } from '../build.js';

const NOW = 1_700_000_000_000;
const even = (n: number, r = 10) => Array.from({ length: n }, () => r);
const cpuOf = (utils: number[]) => Object.fromEntries(utils.map((cpu, i) => [i, { cpu }]));

/** History with utilisation of each backend rising linearly, one point every 15 s. */
function risingHistory(names: string[], from: number[], perSecond: number[], count: number): PoolHistory {
  const points = Array.from({ length: count }, (_, k) => {
    const ago = (count - k) * 15;
    const utilisation: Record<string, number> = {};
    names.forEach((n, i) => (utilisation[n] = from[i]! + perSecond[i]! * (-ago)));
    return { at: NOW - ago * 1000, utilisation, rate: {} };
  });
  return historyOf(points);
}

interface Row {
  readonly name: string;
  readonly sample: PoolSample;
  readonly history?: PoolHistory;
  readonly severity: Severity;
  readonly reasons?: readonly ReasonCode[];
  readonly hot?: readonly string[];
  readonly starved?: readonly string[];
  readonly explanation?: RegExp;
  readonly check?: (v: ReturnType<typeof analysePool>) => void;
}

const names4 = ['s1', 's2', 's3', 's4'];
/** Per-backend configured weights as overrides for pool(). */
const w = (weights: number[]): Record<number, { weight: number }> => Object.fromEntries(weights.map((weight, i) => [i, { weight }]));
/** Merges per-backend overrides index by index. */
const both = (a: Record<number, object>, b: Record<number, object>) =>
  Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, { ...a[Number(k)], ...b[Number(k)] }]));
const ROWS: Row[] = [
  // Incident shape: equal weights, a bad config sends 80% of 100 req/s to s1.
  { name: 'weights misconfigured: 4 servers, s1 gets 80%', sample: pool([80, 7, 7, 6]), severity: 'critical',
    reasons: ['skew', 'pouring'], hot: ['s1'], explanation: /s1 takes 80% of be_app's traffic \(expected 25%\)/ },
  // Same with CPU known: s1 is already hot, the others idle.
  { name: 'weights misconfigured with CPU: hot', sample: pool([80, 7, 7, 6], cpuOf([0.86, 0.08, 0.08, 0.07])),
    severity: 'critical', reasons: ['skew', 'hot', 'pouring'], hot: ['s1'], explanation: /CPU 0\.86/ },
  // One of eight takes 3x its share: a skew to watch, not yet a page.
  { name: 'one of eight hot', sample: pool(jitter([30, ...even(7)], 0.03)), severity: 'warning', reasons: ['skew'], hot: ['s1'], starved: [] },
  // Two of eight take 2.5x each: both are outliers (MAD = 0 is handled by the floor).
  { name: 'two of eight hot', sample: pool([25, 25, ...even(6, 7)]), severity: 'warning', reasons: ['skew'], hot: ['s1', 's2'],
    explanation: /also hot: s2/ },
  // Source hashing with a handful of clients: s1 60%, s4 never chosen.
  { name: 'sticky hashing: few clients, s1 60%', sample: pool([60, 25, 15, 0]), severity: 'critical',
    reasons: ['skew', 'pouring'], hot: ['s1'], starved: ['s3', 's4'] },
  // A deliberate 2:1:1:1 weighting honoured within 3%: not a skew.
  { name: 'correct weighted 2:1:1:1 config', sample: pool(jitter([40, 20, 20, 20], 0.03, 7), { 0: { weight: 2 }, 1: { weight: 1 }, 2: { weight: 1 }, 3: { weight: 1 } }),
    severity: 'ok', hot: [], explanation: /matches|within tolerance/ },
  // The same traffic with the weights forgotten (all equal) IS a skew.
  { name: '2:1:1:1 traffic against equal weights', sample: pool([40, 20, 20, 20], { 0: { weight: 1 }, 1: { weight: 1 }, 2: { weight: 1 }, 3: { weight: 1 } }),
    severity: 'warning', reasons: ['skew'], hot: ['s1'] },
  // Nothing to compare with.
  { name: 'single backend', sample: pool([500], cpuOf([0.95])), severity: 'ok', explanation: /single backend/ },
  // All down while requests still arrive: an outage, reported as critical no-healthy.
  { name: 'all down with traffic', sample: pool([5, 3], { 0: { health: 'down' }, 1: { health: 'maint' } }), severity: 'critical',
    reasons: ['no-healthy'], check: (v) => assert.deepEqual(v.unavailable, ['s1', 's2']) },
  // All down and idle (decommissioned pool): a warning, nobody is hurt.
  { name: 'all down, idle', sample: pool([0, 0], { 0: { health: 'down' }, 1: { health: 'down' } }), severity: 'warning', reasons: ['no-healthy'] },
  // No requests at all.
  { name: 'zero traffic', sample: pool([0, 0, 0, 0]), severity: 'ok', explanation: /^no traffic$/ },
  // 0.08 req/s: ~5 requests a minute, any split is noise.
  { name: 'very low traffic noise', sample: pool([0.05, 0.01, 0, 0.02]), severity: 'ok', explanation: /too little traffic/ },
  // Garbage from a broken exporter must not crash or leak NaN.
  { name: 'NaN/Inf/negative inputs', sample: pool([Number.NaN, Infinity, -3, 10, 10, 10],
    { 3: { cpu: Number.NaN, weight: -1, queue: Infinity, count: -5 }, 4: { cpu: -1, cpuCapacity: 0 }, 5: { cpu: Infinity } },
    { windowSeconds: Number.NaN, cpuCapacityHint: -2 }), severity: 'ok',
    check: (v) => assert.deepEqual(v.missing, ['s1', 's2', 's3']) },
  // A counter reset shows as a negative rate on one backend: excluded and reported, the rest are even.
  { name: 'counter reset on s3', sample: pool([50, 50, -4000, 50]), severity: 'ok',
    check: (v) => { assert.deepEqual(v.missing, ['s3']); assert.equal(v.backends[2]!.share, 0); assert.match(v.explanation, /matches/); } },
  // A skew next to a reset still names the reset backend.
  { name: 'skew next to a counter reset', sample: pool([90, 5, -1, 5]), severity: 'critical', hot: ['s1'], explanation: /excluded \(invalid rate\): s3/ },
  // Growth to 70% CPU on every backend, evenly: capacity planning, not a page.
  { name: 'healthy growth to 70% CPU evenly', sample: pool(jitter(even(6, 100), 0.02, 3), cpuOf(jitter(even(6, 0.7), 0.02, 4))),
    history: risingHistory(['s1', 's2', 's3', 's4', 's5', 's6'], even(6, 0.7), even(6, 0.0003), 20), severity: 'ok', hot: [] },
  // One backend lost; the remaining three share its traffic evenly.
  { name: 'one backend lost, rest share evenly', sample: pool([33, 34, 33, 0], { 3: { health: 'down' } }), severity: 'ok',
    check: (v) => { assert.deepEqual(v.unavailable, ['s4']); assert.equal(v.upCount, 3); } },
  // Two backends, 75/25: the ratio rule sees 1.5, a warning.
  { name: 'two backends 75/25', sample: pool([75, 25]), severity: 'warning', reasons: ['skew'], hot: ['s1'], starved: ['s2'] },
  // Two backends, 85/15: most of the traffic pours onto one.
  { name: 'two backends 85/15 pours', sample: pool([85, 15]), severity: 'critical', reasons: ['skew', 'pouring'] },
  // Two backends, 52/48 at high volume: significant but tiny, ok.
  { name: 'two backends 52/48 high volume', sample: pool([5200, 4800]), severity: 'ok', explanation: /within tolerance/ },
  // A weight-0 (draining) server taking 30% of the traffic.
  { name: 'weight-0 server takes 30%', sample: pool([35, 35, 30], { 0: { weight: 1 }, 1: { weight: 1 }, 2: { weight: 0 } }), severity: 'warning',
    reasons: ['skew'], hot: ['s3'], check: (v) => assert.equal(v.backends[2]!.expectedShare, 0) },
  // A draining weight-0 server with a trickle of sticky sessions: fine.
  { name: 'weight-0 server with a trickle', sample: pool([49, 49, 2], { 0: { weight: 1 }, 1: { weight: 1 }, 2: { weight: 0 } }), severity: 'ok' },
  // The incident as the balancer reports it: s1's weight was set to 8 by mistake, so
  // requests FOLLOW the configured weights (no request skew), but s1 gets 73% of
  // the traffic on 25% of the CPU capacity and runs 6x hotter than its peers.
  // The pool's capacity hint (cpu_capacity_cores) says the four servers are equal.
  { name: 'wrong weight: traffic follows weights, not capacity', sample: pool([73, 9, 9, 9], both(w([8, 1, 1, 1]), cpuOf([0.58, 0.07, 0.07, 0.07])), { cpuCapacityHint: 1 }),
    // 73% of the pool on one backend is pouring: page while CPU is still at 0.58.
    severity: 'critical', reasons: ['skew', 'overweighted', 'pouring'], hot: ['s1'],
    explanation: /^s1 has weight 8 of 11 \(73% of be_app's traffic, as configured\) but only 1 of 4 equal servers' capacity: CPU 0\.58 vs median 0\.07; check its weight$/ },
  // 2:1:1:1 weights on four boxes stated equal: s1 runs at twice its peers' CPU. Worth a warning, not a page.
  { name: 'weights 2:1:1:1 on equal hardware', sample: pool([40, 20, 20, 20], both(w([2, 1, 1, 1]), cpuOf([0.4, 0.2, 0.2, 0.2])), { cpuCapacityHint: 1 }),
    severity: 'warning', reasons: ['skew', 'overweighted'], hot: ['s1'] },
  // Same, CPU 0.86: hot, and it takes most of the traffic: page.
  { name: 'wrong weight, hot', sample: pool([73, 9, 9, 9], both(w([8, 1, 1, 1]), cpuOf([0.86, 0.1, 0.1, 0.1])), { cpuCapacityHint: 1 }),
    severity: 'critical', reasons: ['skew', 'overweighted', 'hot', 'pouring'], hot: ['s1'] },
  // Wrong weight, CPU 0.6 and rising: saturates within the horizon, page before it does.
  { name: 'wrong weight, CPU rising: saturating', sample: pool([73, 9, 9, 9], both(w([8, 1, 1, 1]), cpuOf([0.6, 0.08, 0.08, 0.08])), { cpuCapacityHint: 1 }),
    history: risingHistory(names4, [0.6, 0.08, 0.08, 0.08], [0.002, 0, 0, 0], 20), severity: 'critical', reasons: ['skew', 'overweighted', 'saturating', 'pouring'] },
  // A correct 2:1:1:1 config on unequal hardware: s1 has 2 cores, its utilisation matches its peers.
  { name: 'correct 2:1:1:1 weights on 2:1:1:1 capacity', sample: pool(jitter([40, 20, 20, 20], 0.03, 3), {
      0: { weight: 2, cpu: 1.0, cpuCapacity: 2 }, 1: { weight: 1, cpu: 0.5, cpuCapacity: 1 }, 2: { weight: 1, cpu: 0.5, cpuCapacity: 1 }, 3: { weight: 1, cpu: 0.5, cpuCapacity: 1 } }),
    severity: 'ok', hot: [] },
  // The same weights on faster hardware that the capacity signal does not know: CPU per request
  // is lower on s1, so utilisation is even and nothing is wrong.
  { name: 'correct 2:1:1:1 weights, s1 twice as fast', sample: pool(jitter([40, 20, 20, 20], 0.03, 4), both(w([2, 1, 1, 1]), cpuOf([0.4, 0.4, 0.41, 0.39]))),
    severity: 'ok', hot: [] },
  // Even requests, one backend burning CPU: not the balancer's doing.
  { name: 'CPU skewed, requests even', sample: pool(even(4, 50), cpuOf([0.92, 0.3, 0.31, 0.29])), severity: 'warning',
    reasons: ['cpu-not-traffic'], explanation: /s1 CPU 0\.92.*look past the balancer/ },
  // Skew with the hot backend's balancer queue filling: the 503s are near.
  { name: 'skew with queueing', sample: pool([40, 20, 20, 20], { 0: { queue: 12 } }), severity: 'critical', reasons: ['skew', 'queueing'], explanation: /12 queued/ },
  // Skew, CPU 0.6 rising 0.001/s: saturates (0.9) in ~5 min, inside the 15 min horizon.
  { name: 'skew, CPU rising: saturating', sample: pool([40, 20, 20, 20], cpuOf([0.6, 0.3, 0.3, 0.3])),
    history: risingHistory(names4, [0.6, 0.3, 0.3, 0.3], [0.001, 0, 0, 0], 20), severity: 'critical', reasons: ['skew', 'saturating'],
    explanation: /CPU 0\.60 and rising, saturates in ~5 min/ },
  // Bimodal: half the pool at 1.8x, half at 0.2x. MAD is large so z labels nobody, but it IS a skew.
  { name: 'bimodal split, no single outlier', sample: pool([18, 18, 18, 18, 2, 2, 2, 2]), severity: 'warning', reasons: ['skew'], hot: [],
    explanation: /s1 takes 23% .*also hot: s2, s3, s4/ },
  // Three backends, 67/23/10: too few for z, the per-backend tests decide; 67% pours.
  { name: 'three backends 67/23/10', sample: pool([67, 23, 10]), severity: 'critical', reasons: ['skew', 'pouring'], hot: ['s1'], starved: ['s3'] },
  // 1000 backends at 10 req/s with noise, one at 100: exactly that one is hot.
  { name: '1000-backend pool, one hot', sample: pool(jitter([100, ...even(999)], 0.1, 11)), severity: 'warning', hot: ['s0001'], starved: [] },
];

for (const row of ROWS) {
  test(`situation: ${row.name}`, () => {
    const v = analysePool(row.sample, row.history ?? EMPTY_HISTORY, NOW, O);
    assert.equal(v.severity, row.severity, v.explanation);
    if (row.reasons) assert.deepEqual(v.reasons, row.reasons, v.explanation);
    if (row.hot) assert.deepEqual(v.hot, row.hot, v.explanation);
    if (row.starved) assert.deepEqual(v.starved, row.starved, v.explanation);
    if (row.explanation) assert.match(v.explanation, row.explanation);
    row.check?.(v);
    for (const [path, x] of numbersIn(v)) assert.ok(Number.isFinite(x), `${path} = ${x}`);
    assert.equal(v.at, NOW);
  });
}
