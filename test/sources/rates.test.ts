import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { counterIncrease, RateTracker, rateOver } from '../../src/sources/rates.js';

const m = (o: Record<string, number>) => new Map(Object.entries(o));

describe('RateTracker', () => {
  // One row per scrape: [time ms, counters, expected rates (undefined = absent)].
  it('follows counters across scrapes (table)', () => {
    const t = new RateTracker();
    const rows: Array<[number, Record<string, number>, Record<string, number>, string]> = [
      [0, { a: 100, b: 5 }, {}, 'first scrape: no rate yet'],
      [10_000, { a: 200, b: 5 }, { a: 10, b: 0 }, 'plain increase; flat counter is rate 0'],
      [20_000, { a: 50, b: 25 }, { a: 5, b: 2 }, 'a reset: increase = new value (50 over 10 s)'],
      [30_000, { b: 35 }, { b: 1 }, 'a missing: gone, not zero'],
      [40_000, { a: 60, b: 45 }, { b: 1 }, 'a back: starts over, no rate'],
      [50_000, { a: 80, b: 55 }, { a: 2, b: 1 }, 'a has a rate again'],
    ];
    for (const [at, counters, expected, why] of rows) {
      const got = t.update(at, m(counters));
      assert.deepEqual(Object.fromEntries([...got].map(([k, v]) => [k, v.rate])), expected, why);
      assert.equal(t.ready, Object.keys(expected).length > 0, why);
    }
  });

  it('reports the increase (count in window) and the window length', () => {
    const t = new RateTracker();
    t.update(1_000, m({ a: 10 }));
    const r = t.update(3_500, m({ a: 15 })).get('a')!;
    assert.deepEqual(r, { rate: 2, increase: 5, seconds: 2.5 });
  });

  it('guards zero and negative elapsed time: history restarts', () => {
    const t = new RateTracker();
    t.update(10_000, m({ a: 1 }));
    assert.equal(t.update(10_000, m({ a: 5 })).size, 0, 'same time: no rate, no division by zero');
    assert.equal(t.ready, false);
    assert.equal(t.update(5_000, m({ a: 6 })).size, 0, 'clock stepped back');
    assert.equal(t.update(7_000, m({ a: 8 })).get('a')!.rate, 1, 'rates resume from the restarted history');
    assert.equal(t.update(Number.NaN, m({ a: 9 })).size, 0);
  });

  it('treats NaN, infinite and negative values as missing', () => {
    const t = new RateTracker();
    t.update(0, m({ a: 1, b: 1, c: 1 }));
    const r = t.update(1_000, m({ a: Number.NaN, b: Infinity, c: -1 }));
    assert.equal(r.size, 0);
  });

  it('smooths over the last n scrapes', () => {
    const t = new RateTracker({ maxPoints: 3 });
    t.update(0, m({ a: 0 }));
    assert.equal(t.update(1_000, m({ a: 10 })).get('a')!.rate, 10);
    assert.equal(t.update(2_000, m({ a: 30 })).get('a')!.rate, 15, '(30-0)/2');
    const r = t.update(3_000, m({ a: 30 })).get('a')!;
    assert.equal(r.rate, 10, '(30-10)/2: the oldest point slid out');
    assert.equal(r.seconds, 2);
  });

  it('drops points older than maxAgeMs but keeps two', () => {
    const t = new RateTracker({ maxPoints: 10, maxAgeMs: 2_500 });
    for (let i = 0; i <= 5; i++) t.update(i * 1_000, m({ a: i * 10 }));
    const r = t.update(6_000, m({ a: 60 })).get('a')!;
    assert.equal(r.seconds, 2);
    const sparse = new RateTracker({ maxPoints: 10, maxAgeMs: 1 });
    sparse.update(0, m({ a: 0 }));
    assert.equal(sparse.update(60_000, m({ a: 60 })).get('a')!.rate, 1);
  });

  it('rejects maxPoints < 2', () => {
    assert.throws(() => new RateTracker({ maxPoints: 1 }), RangeError);
  });

  it('rateOver and counterIncrease', () => {
    assert.equal(rateOver([{ at: 0, value: 1 }]), undefined);
    assert.equal(rateOver([{ at: 5, value: 1 }, { at: 5, value: 2 }]), undefined);
    assert.equal(counterIncrease(10, 3), 3);
    assert.equal(counterIncrease(3, 10), 7);
  });
});

describe('RateTracker properties', () => {
  const step = fc.record({ dt: fc.integer({ min: 1, max: 60_000 }), inc: fc.integer({ min: 0, max: 10_000 }), reset: fc.boolean() });

  it('rates are finite and non-negative; increase equals what was added (resets included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.array(step, { minLength: 1, maxLength: 30 }), fc.integer({ min: 2, max: 6 }), (start, steps, maxPoints) => {
        const t = new RateTracker({ maxPoints });
        let at = 1_000;
        let value = start;
        t.update(at, m({ a: value }));
        const window: Array<{ dt: number; added: number; ambiguous: boolean }> = [];
        for (const s of steps) {
          at += s.dt;
          // A reset restarts the counter from 0, then adds inc: the true increase is inc.
          // A reset that lands above the old value looks like growth (Prometheus has
          // the same blind spot): such windows are only checked for sanity.
          const ambiguous = s.reset && s.inc >= value;
          value = s.reset ? s.inc : value + s.inc;
          const r = t.update(at, m({ a: value })).get('a');
          assert.ok(r !== undefined);
          assert.ok(Number.isFinite(r.rate) && r.rate >= 0);
          window.push({ dt: s.dt, added: s.inc, ambiguous });
          while (window.length > maxPoints - 1) window.shift();
          const added = window.reduce((a, w) => a + w.added, 0);
          const seconds = window.reduce((a, w) => a + w.dt, 0) / 1000;
          if (!window.some((w) => w.ambiguous)) {
            assert.equal(r.increase, added);
            assert.ok(Math.abs(r.rate - added / seconds) < 1e-9 * Math.max(1, added));
          }
          assert.ok(Math.abs(r.seconds - seconds) < 1e-9);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a monotone counter scraped twice gives exactly delta / elapsed', () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e6), fc.integer({ min: 1, max: 3_600_000 }), fc.integer({ min: 0, max: 2e12 }), (v0, d, dt, t0) => {
        const t = new RateTracker();
        t.update(t0, m({ s: v0 }));
        const r = t.update(t0 + dt, m({ s: v0 + d })).get('s')!;
        assert.equal(r.increase, d);
        assert.equal(r.rate, d / (dt / 1000));
      }),
    );
  });

  it('output keys are exactly the usable series present in both of the last two scrapes', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd');
    const scrape = fc.dictionary(key, fc.oneof(fc.nat(1000), fc.constant(Number.NaN)));
    fc.assert(
      fc.property(fc.array(scrape, { minLength: 2, maxLength: 8 }), (scrapes) => {
        const t = new RateTracker();
        let prev: Record<string, number> = {};
        scrapes.forEach((s, i) => {
          const out = t.update((i + 1) * 1000, m(s));
          const expected = Object.keys(s).filter((k) => Number.isFinite(s[k]!) && prev[k] !== undefined && Number.isFinite(prev[k]!));
          assert.deepEqual([...out.keys()].sort(), expected.sort());
          prev = s;
        });
      }),
    );
  });
});
