// Capacity loss without skew (src/core/analysis/capacity-loss.ts): most of a
// pool leaves service while its traffic stays, the survivors saturate. Each
// condition of the check has a row here that fails when it is removed; the
// benign removals (one server of a pair down at 85%, a rolling deploy, a
// quiet pool shrunk on purpose, traffic leaving with its servers) must not
// page. A small windowed-counter model drives the real analysePool and
// appendHistory cycle by cycle (15 s scrapes, 60 s rate window).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analysePool, appendHistory, DEFAULT_ANALYSIS_OPTIONS as O, EMPTY_HISTORY } from '../../../src/core/analysis/analyse.js';
import type { BackendSample, Health, PoolHistory, PoolSample, PoolVerdict } from '../../../src/core/types.js';
import { prng } from '../build.js';
import { whatChangedBack } from '../../../src/core/alerting/resolution.js';
import { usable } from '../../../src/core/analysis/history.js';

const T0 = 1_700_000_000_000;
const STEP = 15;
const WINDOW = 60;

interface Server { readonly weight: number; readonly cores: number }
interface Plan {
  readonly servers: readonly Server[];
  /** Offered CPU work in cores at second t (spread by weight over the servers in service). */
  readonly load: (t: number) => number;
  /** Second at which `out` leave service, and how. */
  readonly stepAt: number;
  readonly out: readonly number[];
  readonly how?: Health;
  /** Relative noise on each windowed reading (Poisson counts). */
  readonly noise?: number;
  readonly seed?: number;
  /** Report stateAgeSeconds (HAProxy last_state_change). Default true. */
  readonly stateAge?: boolean;
  /** The load also leaves with the servers (a region drained with its DNS). */
  readonly trafficLeaves?: boolean;
}

/** Instantaneous work of server i at second t. */
function workAt(p: Plan, i: number, t: number): number {
  const inService = (j: number) => t < p.stepAt || !p.out.includes(j);
  if (!inService(i)) return 0;
  let sum = 0;
  p.servers.forEach((s, j) => { if (inService(j)) sum += s.weight; });
  let total = p.load(t);
  if (p.trafficLeaves && t >= p.stepAt) {
    const all = p.servers.reduce((a, s) => a + s.weight, 0);
    total *= sum / all;
  }
  return (total * p.servers[i]!.weight) / sum;
}

function sampleAt(p: Plan, t: number, r: () => number): PoolSample {
  const backends: BackendSample[] = p.servers.map((s, i) => {
    let work = 0;
    for (let u = t - WINDOW + 1; u <= t; u++) work += workAt(p, i, u) / WINDOW;
    const noisy = work * (1 + (p.noise ?? 0.01) * (2 * r() - 1));
    const out = t >= p.stepAt && p.out.includes(i);
    return {
      backend: `s${i + 1}`,
      rate: noisy * 100,
      cpu: noisy,
      cpuCapacity: s.cores,
      weight: out ? 0 : s.weight,
      health: out ? (p.how ?? 'maint') : 'up',
      ...(p.stateAge === false ? {} : { stateAgeSeconds: out ? t - p.stepAt : t + 3600 }),
    };
  });
  return { pool: 'be_app', labels: { proxy: 'be_app' }, windowSeconds: WINDOW, backends };
}

/** Runs the plan from t = 0 to `until` (seconds); returns every verdict at or after `from`. */
function run(p: Plan, until: number, from = 0): { t: number; v: PoolVerdict }[] {
  const r = prng(p.seed ?? 1);
  let h: PoolHistory = EMPTY_HISTORY;
  const out: { t: number; v: PoolVerdict }[] = [];
  for (let t = STEP; t <= until; t += STEP) {
    const s = sampleAt(p, t, r);
    const now = T0 + t * 1000;
    const v = analysePool(s, h, now, O);
    if (t >= from) out.push({ t, v });
    h = appendHistory(h, s, now, O);
  }
  return out;
}

const lossOf = (v: PoolVerdict) => v.reasons.includes('capacity-loss');
const firstLoss = (rows: { t: number; v: PoolVerdict }[]) => rows.find((x) => lossOf(x.v));
const equal = (n: number): Server[] => Array.from({ length: n }, () => ({ weight: 1, cores: 1 }));

// most-maint: 3 of 4 to MAINT, the survivor goes from 0.12 to 0.48 (4×), load flat.
const MOST_MAINT: Plan = { servers: equal(4), load: () => 0.48, stepAt: 1200, out: [0, 1, 2] };

test('3 of 4 to MAINT under flat load: critical capacity-loss at the step, before the CPU window shows it', () => {
  const rows = run(MOST_MAINT, 1500, 1200);
  const hit = firstLoss(rows);
  assert.ok(hit, 'no capacity-loss verdict');
  assert.ok(hit.t <= 1200 + 2 * STEP, `first at ${hit.t}`);
  assert.equal(hit.v.severity, 'critical');
  assert.match(hit.v.explanation, /^s1, s2, s3 went MAINT\/DRAIN \d+ s ago: 75% of be_app's in-service capacity left while its traffic stayed; s4 now carries all of it \(4× its earlier load\), s4 at CPU 0\.\d\d \(was 0\.12, ~0\.48 once the window fills\)/);
  assert.match(hit.v.explanation, /return them to service or add capacity$/);
  // Before the step: nothing.
  assert.ok(run(MOST_MAINT, 1195).every((x) => !lossOf(x.v)));
});

test('the page holds while the survivors stay loaded after the baseline left the history (dated by the source)', () => {
  // 15 minutes after the step the history (10 min) holds no point from before it.
  const rows = run({ ...MOST_MAINT, load: (t) => (t < 1200 ? 0.48 : 0.48 + (t - 1200) * 0.0004) }, 1200 + 900, 1200 + 700);
  assert.ok(rows.every((x) => lossOf(x.v) && x.v.severity === 'critical'), rows.map((x) => `${x.t}: ${x.v.explanation}`).find((e) => !/capacity/.test(e)));
});

test('a quiet pool shrunk on purpose (3 of 4 out, survivor projected at 0.2): no page', () => {
  const rows = run({ ...MOST_MAINT, load: () => 0.2 }, 1500, 1200);
  assert.ok(rows.every((x) => x.v.severity !== 'critical'), firstLoss(rows)?.v.explanation);
});

test('traffic that leaves with its servers (a drained region): no page', () => {
  const rows = run({ ...MOST_MAINT, load: () => 1.6, trafficLeaves: true }, 1500, 1200);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

// wrong-drain: 4:1:1:1:1 by cores, the big one drained: half the capacity; survivors 0.25 → 0.5, then climb.
const BIG = [{ weight: 4, cores: 4 }, ...equal(4)];
const WRONG_DRAIN: Plan = { servers: BIG, load: (t) => (t < 1200 ? 2 : 2 + (t - 1200) * 0.004), stepAt: 1200, out: [0] };

test('the big server drained, survivors climbing: critical capacity-loss + saturating before they saturate', () => {
  const rows = run(WRONG_DRAIN, 1500, 1200);
  const hit = firstLoss(rows);
  assert.ok(hit, 'no capacity-loss verdict');
  assert.deepEqual(hit.v.reasons, ['capacity-loss', 'saturating']);
  const survivorCpu = Math.max(...hit.v.backends.slice(1).map((b) => b.utilisation ?? 0));
  assert.ok(survivorCpu < 0.75, `paged only at CPU ${survivorCpu}`);
  assert.ok(hit.t <= 1200 + 150, `first at ${hit.t}`);
  assert.match(hit.v.explanation, /^s1 went MAINT\/DRAIN .*: 50% of be_app's in-service capacity left while its traffic stayed; the 4 left \(s2, s3, s4 \+1 more\) carry 2× their earlier load, s\d at CPU 0\.\d\d .*and rising, saturates in ~\d+ (s|min): return it to service or add capacity$/);
});

test('the same half of the capacity lost to a failed health check (DOWN), survivors climbing: judged at the step only, no forecast page', () => {
  // One server failing its checks is the redundancy doing its job (the bench's
  // recovery and one-down families): the forecast case is for capacity taken out.
  const rows = run({ ...WRONG_DRAIN, how: 'down' }, 1500, 1200);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
  // Most of the pool DOWN at once still pages at the step.
  const most = run({ ...MOST_MAINT, how: 'down' }, 1500, 1200);
  assert.ok(firstLoss(most), 'three of four DOWN under load: no capacity-loss verdict');
});

test('the drained server\'s weight is remembered (it reports 0 in DRAIN): equal weights would call it 20% and miss', () => {
  const rows = run(WRONG_DRAIN, 1400, 1200);
  const hit = firstLoss(rows);
  assert.ok(hit);
  assert.match(hit.v.explanation, /50% of be_app's in-service capacity/);
});

test('the big server drained with flat load: survivors at 2× but not climbing, no page (half is not "most")', () => {
  const rows = run({ ...WRONG_DRAIN, load: () => 3.2 }, 1200 + 900, 1200);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

test('one of a pair down, the survivor at 0.85 flat: no page (the step\'s own CPU ramp is not a trend)', () => {
  // Without the settled-points rule the window's ramp fits a steep slope and pages within a minute.
  const rows = run({ servers: equal(2), load: () => 0.85, stepAt: 1200, out: [1], how: 'down' }, 1200 + 900, 1200);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

test('rolling deploy step (1 of 3 to MAINT, survivors at 0.75): no page', () => {
  const rows = run({ servers: equal(3), load: () => 1.5, stepAt: 1200, out: [0] }, 1200 + 600, 1200);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

test('a lost server a survivor already climbs past: the rise must be observed, not only fitted', () => {
  // 1 of 3 down at 0.6, then a slope too small to rise 0.03 in the first minutes: no page yet.
  const rows = run({ servers: equal(3), load: (t) => (t < 1200 ? 1.2 : 1.2 + (t - 1200) * 0.00005), stepAt: 1200, out: [0], how: 'down' }, 1200 + 240, 1200);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

test('property: a flat load after losing a quarter to 60% of the pool never pages, whatever the noise', () => {
  fc.assert(fc.property(
    fc.integer({ min: 2, max: 8 }), fc.double({ min: 0.25, max: 0.6, noNaN: true }), fc.double({ min: 0.3, max: 0.85, noNaN: true }),
    fc.integer({ min: 1, max: 1e6 }), fc.constantFrom<Health>('maint', 'down'),
    (n, lose, survivorU, seed, how) => {
      const out = Math.max(1, Math.min(n - 1, Math.round(n * lose)));
      if (out / n < 0.25 || out / n >= 2 / 3) return;
      const load = survivorU * (n - out);
      const rows = run({ servers: equal(n), load: () => load, stepAt: 900, out: Array.from({ length: out }, (_, i) => i), how, noise: 0.02, seed }, 900 + 420, 900);
      assert.ok(rows.every((x) => !lossOf(x.v)), `n=${n} out=${out} u=${survivorU}: ${firstLoss(rows)?.v.explanation}`);
    },
  ), { numRuns: 15, seed: 10 });
});

test('the resolve of a capacity-loss page says how many backends are back in service', () => {
  const v = analysePool(sampleAt({ ...MOST_MAINT, stepAt: Infinity }, 600, prng(3)), EMPTY_HISTORY, T0, O);
  const fired = { reasons: ['capacity-loss'] as const, upCount: 1, backend: 's4', share: 1, expectedShare: 1, utilisation: 0.6, weight: 1 };
  assert.match(whatChangedBack(fired, v), /^4 of 4 backends of be_app in service again \(1 when it fired\); now: traffic matches the configured distribution$/);
});

test('a step then slow growth: the step\'s own CPU ramp is not the trend (fitted only once the window settled)', () => {
  // Survivors 0.25 → 0.5 at the drain, then +0.0003/s: saturation ~20 min away, beyond the 15-min horizon.
  const rows = run({ ...WRONG_DRAIN, load: (t) => (t < 1200 ? 2 : 2 + (t - 1200) * 0.0012) }, 1560, 1200);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

test('a small loss (1 of 5 down) under a growing load is not a capacity loss (under a quarter of the pool)', () => {
  const rows = run({ servers: equal(5), load: (t) => (t < 1200 ? 2 : 2 + (t - 1200) * 0.004), stepAt: 1200, out: [0], how: 'down' }, 1500, 1200);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

test('one survivor\'s noise is not a trend: the survivors\' median must climb past the projection (regression)', () => {
  // Found by the property below: the hottest of 3 survivors read 0.03 above its first settled point by noise.
  const rows = run({ servers: equal(4), load: () => 0.7939251984080503 * 3, stepAt: 900, out: [0], noise: 0.02, seed: 242030 }, 1320, 900);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

test('dated by the source long after the step, a flat survivor at 0.88: no page (its rise over the history must be real)', () => {
  // Noise alone fits a slope that reaches 0.9 within the horizon; the survivor has not climbed.
  const rows = run({ servers: equal(2), load: () => 0.88, stepAt: 1200, out: [1], how: 'down', noise: 0.02, seed: 7 }, 1200 + 1700, 1200 + 660);
  assert.ok(rows.every((x) => !lossOf(x.v)), firstLoss(rows)?.v.explanation);
});

test('the remembered weights survive the state file (JSON) and a MAINT server keeps the weight it had while up', () => {
  const r = prng(5);
  let h: PoolHistory = EMPTY_HISTORY;
  for (const t of [1185, 1200, 1215, 1230]) h = appendHistory(h, sampleAt(WRONG_DRAIN, t, r), T0 + t * 1000, O);
  assert.deepEqual(h.weights, [4, 1, 1, 1, 1]);
  const restored = usable(JSON.parse(JSON.stringify(h)));
  assert.deepEqual(restored.weights, [4, 1, 1, 1, 1]);
  assert.deepEqual(usable({ ...JSON.parse(JSON.stringify(h)), weights: [4, 'x', -1, 1, 1] }).weights, [4, -1, -1, 1, 1]);
});

test('long after a quarter left (dated by the source), survivors climbing with the load to 0.8: no page until saturated', () => {
  // An autoscaled pool with a server left in MAINT paged at 0.8 "saturates in ~11 min" (benchmark, autoscale).
  const rows = run({ servers: equal(4), load: (t) => 1.8 + Math.max(0, t - 1200) * 0.0006, stepAt: 1200, out: [0], noise: 0.005 }, 1200 + 1000, 1200 + 660);
  const cool = rows.filter((x) => Math.max(...x.v.backends.map((b) => b.utilisation ?? 0)) < 0.88);
  assert.ok(cool.length > 10);
  assert.ok(cool.every((x) => !lossOf(x.v)), firstLoss(cool)?.v.explanation);
});
