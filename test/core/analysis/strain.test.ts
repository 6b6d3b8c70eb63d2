// Balancer-side strain (src/core/analysis/strain.ts): a wrong weight with no
// CPU signal must page from the balancer's own evidence, and every benign
// look-alike must not. Each condition of the check has a row here that fails
// when the condition is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analysePool, DEFAULT_ANALYSIS_OPTIONS as O, EMPTY_HISTORY } from '../../../src/core/analysis/analyse.js';
import type { BackendSample, PoolSample } from '../../../src/core/types.js';
import { pool } from '../build.js';

const NOW = 1_700_000_000_000;
type Per = Record<number, Partial<Omit<BackendSample, 'backend'>>>;
const verdict = (s: PoolSample) => analysePool(s, EMPTY_HISTORY, NOW, O);
/** Per-backend fields from parallel arrays (undefined entries are left out). */
function per(fields: Partial<Record<keyof Omit<BackendSample, 'backend' | 'health'>, readonly (number | undefined)[]>>): Per {
  const out: Per = {};
  for (const [key, values] of Object.entries(fields)) {
    values?.forEach((v, i) => {
      if (v !== undefined) out[i] = { ...out[i], [key]: v };
    });
  }
  return out;
}
const strained = (s: PoolSample) => verdict(s).reasons.includes('strained');

// The FIELD-NOTES incident, no CPU query: s1 weighted 256, the others 1; s1
// takes 99% as its weight says; its response time climbs to 8× its peers'.
const WRONG_WEIGHT = [256, 1, 1, 1];
const WRONG_RATES = [220, 0.5, 0.5, 0.5];

test('wrong weight, no CPU: critical strained from the response time, with an actionable explanation', () => {
  const v = verdict(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, responseTime: [0.04, 0.005, 0.005, 0.005] })));
  assert.equal(v.severity, 'critical', v.explanation);
  assert.deepEqual(v.reasons, ['strained']);
  assert.deepEqual(v.hot, ['s1']);
  assert.match(v.explanation, /^s1 takes 99% of be_app's traffic \(weight 256 of 259\); the balancer sees its response time at 8× its peers' \(40 ms vs 5 ms\): check its weight$/);
});

test('wrong weight, no CPU, response time still at its peers\': not strained (the request test alone says ok)', () => {
  const v = verdict(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, responseTime: [0.006, 0.005, 0.005, 0.005] })));
  assert.equal(v.severity, 'ok', v.explanation);
});

test('response time ratio: 2.5× its peers is not strain, 3× is', () => {
  assert.equal(strained(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, responseTime: [0.025, 0.01, 0.01, 0.01] }))), false);
  assert.equal(strained(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, responseTime: [0.03, 0.01, 0.01, 0.01] }))), true);
});

test('response time gap: a fast service at 1 ms → 4 ms (HAProxy whole milliseconds) is not strain', () => {
  assert.equal(strained(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, responseTime: [0.004, 0.001, 0.001, 0.001] }))), false);
  assert.equal(strained(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, responseTime: [0.007, 0.001, 0.001, 0.001] }))), true);
});

test('sessions at the server\'s limit (maxconn) count as strain, half of it does not', () => {
  const at = verdict(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, sessions: [95, 0, 0, 0], sessionLimit: [100, 100, 100, 100] })));
  assert.equal(at.severity, 'critical');
  assert.match(at.explanation, /95 sessions of its limit 100/);
  assert.equal(strained(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, sessions: [50, 0, 0, 0], sessionLimit: [100, 100, 100, 100] }))), false);
  // No limit configured (sessionLimit 0 = none in HAProxy): sessions alone say nothing.
  assert.equal(strained(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, sessions: [95, 0, 0, 0], sessionLimit: [0, 0, 0, 0] }))), false);
});

test('requests queued for the server in the balancer count as strain', () => {
  const v = verdict(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, queue: [12, 0, 0, 0] })));
  assert.deepEqual(v.reasons, ['strained']);
  assert.match(v.explanation, /12 requests queued for it/);
});

test('roundrobin spill at maxconn: traffic spread evenly but the weight concentrated on a full server', () => {
  // 8:1:1, s1 pinned at maxconn 10, the excess spilled: observed ~34/33/33.
  const v = verdict(pool([34, 33, 33], per({ weight: [8, 1, 1], sessions: [10, 3, 3], sessionLimit: [10, 10, 10] })));
  assert.equal(v.severity, 'critical', v.explanation);
  assert.ok(v.reasons.includes('strained') && v.reasons.includes('skew'), v.reasons.join());
  assert.match(v.explanation, /10 sessions of its limit 10/);
});

test('sticky traffic (equal weights): strained points at the balancing, not the weight', () => {
  // 2 backends, s1 at 70%: below pouring for a pair, but a skew; s1 strained.
  const v = verdict(pool([140, 60], per({ weight: [1, 1], responseTime: [0.05, 0.01] })));
  assert.ok(!v.reasons.includes('strained') && v.severity !== 'critical', '70/30 on a pair is not concentrated: ' + v.explanation);
  const w = verdict(pool([180, 20], per({ weight: [1, 1], responseTime: [0.05, 0.01] })));
  assert.equal(w.severity, 'critical');
  assert.ok(w.reasons.includes('pouring') && w.reasons.includes('strained'), w.reasons.join());
  assert.match(w.explanation, /expected 50%.*; the balancer sees its response time at 5×/);
});

test('CPU for only some backends: the strain still pages, and the CPU known is shown', () => {
  const cpu = [0.9, 0.01, undefined, undefined];
  const v = verdict(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, cpu, responseTime: [0.04, 0.005, 0.005, 0.005] })));
  assert.equal(v.severity, 'critical', v.explanation);
  assert.deepEqual(v.reasons, ['strained']);
  assert.match(v.explanation, /CPU 0\.90 cores: check its weight/);
  assert.doesNotMatch(v.explanation, /look past the balancer/);
});

// ---- benign look-alikes: no page ----

test('benign: correct 2:1:1:1 weights on mixed hardware, equal response times', () => {
  const v = verdict(pool([80, 40, 40, 40], per({ weight: [2, 1, 1, 1], responseTime: [0.01, 0.01, 0.011, 0.01] })));
  assert.equal(v.severity, 'ok', v.explanation);
});

test('benign: 2:1:1:1 with the big box slower per request is still not concentrated (40%)', () => {
  assert.equal(strained(pool([80, 40, 40, 40], per({ weight: [2, 1, 1, 1], responseTime: [0.05, 0.01, 0.01, 0.01] }))), false);
});

test('benign: a big box weighted 8:1:1:1 that answers as fast as its peers', () => {
  const v = verdict(pool([160, 20, 20, 20], per({ weight: [8, 1, 1, 1], responseTime: [0.012, 0.01, 0.01, 0.01] })));
  assert.equal(v.severity, 'ok', v.explanation);
});

test('benign: a noisy neighbour on an even pool (slow and CPU-hot, not concentrated): at most a warning', () => {
  const v = verdict(pool([50, 50, 50, 50], per({ weight: [1, 1, 1, 1], cpu: [0.2, 0.95, 0.2, 0.2], responseTime: [0.01, 0.08, 0.01, 0.01] })));
  assert.notEqual(v.severity, 'critical', v.explanation);
  assert.ok(!v.reasons.includes('strained'));
});

test('benign: a noisy neighbour on a correctly weighted big box (CPU says: not the traffic) stays a warning', () => {
  // s1: weight 8 of 11 on 8 reported cores, takes its 73%; something else burns its CPU and slows it.
  const v = verdict(pool([146, 18, 18, 18], per({
    weight: [8, 1, 1, 1], cpuCapacity: [8, 1, 1, 1], cpu: [7.6, 0.3, 0.3, 0.3], responseTime: [0.05, 0.01, 0.01, 0.01],
  })));
  assert.equal(v.severity, 'warning', v.explanation);
  assert.deepEqual(v.reasons, ['cpu-not-traffic']);
  assert.match(v.explanation, /look past the balancer/);
});

test('benign: pair at 65/35 normal noise, even with a slow first backend', () => {
  assert.equal(strained(pool([65, 35], per({ weight: [1, 1], responseTime: [0.05, 0.01] }))), false);
  assert.equal(strained(pool([65, 35], per({ responseTime: [0.05, 0.01] }))), false);
});

test('benign: one odd low response time among three peers does not lower the baseline (median)', () => {
  // s4 answers 0.5 ms (cache hits, or a stale average): the median of s2..s4 stays 10 ms.
  assert.equal(strained(pool([160, 20, 20, 20], per({ weight: [8, 1, 1, 1], responseTime: [0.012, 0.01, 0.01, 0.0005] }))), false);
});

test('one stale, slow peer among three does not hide the strain (median, not maximum)', () => {
  assert.equal(strained(pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, responseTime: [0.04, 0.005, 0.005, 0.02] }))), true);
});

test('benign: 45% of a 10-backend pool is far above 1/n but not a majority: not concentrated', () => {
  const rates = [45, ...Array.from({ length: 9 }, () => 55 / 9)];
  const weight = [8, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  assert.equal(strained(pool(rates, per({ weight, responseTime: [0.05, ...weight.slice(1).map(() => 0.01)] }))), false);
});

test('benign: with two peers, the slower one is the baseline (one odd peer cannot make a page)', () => {
  assert.equal(strained(pool([160, 20, 20], per({ weight: [8, 1, 1], responseTime: [0.02, 0.01, 0.0005] }))), false);
});

test('benign: a peer that served nothing in the window has no current response time', () => {
  // s4: weight 0 (standby), no requests, a stale 0.5 ms average from long ago.
  const s = pool([160, 20, 20, 0], per({ weight: [8, 1, 1, 0], responseTime: [0.012, undefined, undefined, 0.0005] }));
  assert.equal(strained(s), false);
});

test('benign: HAProxy reports 0 for a server with no measurement: not a baseline', () => {
  assert.equal(strained(pool([160, 20, 20], per({ weight: [8, 1, 1], responseTime: [0.012, 0, 0] }))), false);
});

test('benign: a few slow requests on a quiet pool are not enough (count ≥ minRequests on the backend)', () => {
  // 3 req/s for 60 s = 180 requests on s1 (< 200), one slow one lifts its average.
  const quiet = pool([3, 0.05, 0.05, 0.05], per({ weight: WRONG_WEIGHT, responseTime: [0.09, 0.005, 0.005, 0.005] }));
  assert.equal(strained(quiet), false);
  const busy = pool([4, 0.05, 0.05, 0.05], per({ weight: WRONG_WEIGHT, responseTime: [0.09, 0.005, 0.005, 0.005] }));
  assert.equal(strained(busy), true);
});

test('benign: below the pool rate guard nothing is strained', () => {
  const counts = per({ weight: WRONG_WEIGHT, responseTime: [0.09, 0.005, 0.005, 0.005], count: [500, 5, 5, 5] });
  assert.equal(strained(pool([0.9, 0.01, 0.01, 0.01], counts)), false);
  assert.equal(strained(pool([1.1, 0.01, 0.01, 0.01], counts)), true);
});

test('benign: a backend back in service (state changed within the window): survivors are not judged', () => {
  // 8:1:1, s3 returned 20 s ago: s1 still carries its share in the 60 s window.
  const rows = (age: number) => pool([170, 25, 5], per({ weight: [8, 1, 1], responseTime: [0.05, 0.01, 0.01], stateAgeSeconds: [3600, 3600, age] }));
  assert.equal(strained(rows(20)), false);
  assert.equal(strained(rows(600)), true);
});

test('benign: right after an HAProxy reload the quiet peers\' averages still read low: response times not compared', () => {
  // 8:1:1 correct, 40 s after a reload: s1 (most traffic) reads its true 10 ms, s2/s3 still 2 ms.
  // (10 s rate window, so 40 s is past the warm-up of the window itself.)
  const rows = (age: number) => pool([160, 20, 20], per({ weight: [8, 1, 1], responseTime: [0.01, 0.002, 0.002], stateAgeSeconds: [age, age, age], count: [1600, 200, 200] }), { windowSeconds: 10 });
  assert.equal(strained(rows(40)), false);
  assert.equal(strained(rows(3600)), true, 'the same numbers an hour after the reload are strain');
  // Only the unsettled peer is left out of the baseline: the settled one still judges.
  const mixed = pool(WRONG_RATES, per({ weight: WRONG_WEIGHT, responseTime: [0.04, 0.005, undefined, 0.05], stateAgeSeconds: [3600, 3600, 3600, 30] }), { windowSeconds: 10 });
  assert.equal(strained(mixed), true);
});

test('a skew verdict that is already critical gains the evidence, keeps its reasons', () => {
  const v = verdict(pool([80, 7, 7, 6], per({ responseTime: [0.05, 0.01, 0.01, 0.01] })));
  assert.equal(v.severity, 'critical');
  assert.deepEqual(v.reasons, ['skew', 'pouring', 'strained']);
  assert.match(v.explanation, /s1 takes 80% of be_app's traffic \(expected 25%\); the balancer sees its response time at 5× its peers' \(50 ms vs 10 ms\)/);
});

test('property: response times within 2.9× of each other, no sessions at a limit, no queue: never strained', () => {
  const arb = fc.record({
    rates: fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: 2, maxLength: 30 }),
    weights: fc.option(fc.array(fc.integer({ min: 0, max: 256 }), { minLength: 30, maxLength: 30 })),
    base: fc.double({ min: 0.0005, max: 5, noNaN: true }),
    spread: fc.array(fc.double({ min: 1, max: 2.9, noNaN: true }), { minLength: 30, maxLength: 30 }),
  });
  fc.assert(fc.property(arb, ({ rates, weights, base, spread }) => {
    const s = pool(rates, per({ weight: weights ?? undefined, responseTime: rates.map((_, i) => base * spread[i]!) }));
    return !strained(s);
  }), { numRuns: 300 });
});

test('property: scaling every response time by the same factor does not change the verdict', () => {
  const arb = fc.record({
    rates: fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: 2, maxLength: 12 }),
    rts: fc.array(fc.double({ min: 0.0001, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
    k: fc.integer({ min: 2, max: 50 }),
  });
  fc.assert(fc.property(arb, ({ rates, rts, k }) => {
    // Above the absolute gap at both scales, only the ratio decides.
    const big = rts.map((r) => r + 0.1);
    const a = verdict(pool(rates, per({ responseTime: rates.map((_, i) => big[i]!) })));
    const b = verdict(pool(rates, per({ responseTime: rates.map((_, i) => big[i]! * k) })));
    return a.severity === b.severity && a.reasons.join() === b.reasons.join();
  }), { numRuns: 200 });
});
