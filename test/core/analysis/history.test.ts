// appendHistory / analyseSnapshot: pure, bounded, ordered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseSnapshot, appendHistory, DEFAULT_ANALYSIS_OPTIONS as O, resolveAnalysisOptions } from '../../../src/core/analysis/analyse.js';
import { analysePool, EMPTY_HISTORY } from '../../../src/core/analysis/analyse.js';
import type { PoolHistory, PoolSample } from '../../../src/core/types.js';
import { pool, utilisationOf } from '../build.js';
import { HISTORY_BLOCK, historyPoints as pts } from '../../../src/core/analysis/history.js';

const NOW = 1_700_000_000_000;

test('appendHistory records up backends with valid values and does not mutate its input', () => {
  const sample = pool([10, Number.NaN, -1, 5], { 0: { cpu: 0.5, cpuCapacity: 2 }, 1: { cpu: 0.2 }, 3: { health: 'down', cpu: 0.9 } }, { cpuCapacityHint: 4 });
  const before: PoolHistory = EMPTY_HISTORY;
  const h = appendHistory(before, sample, NOW, O);
  assert.equal(pts(before).length, 0);
  assert.equal(pts(h).length, 1);
  assert.equal(pts(h)[0]!.at, NOW);
  assert.deepEqual(utilisationOf(h, 0), { s1: 0.25, s2: 0.05 });
  assert.equal(pts(h)[0]!.traffic, true, 's1 had a valid positive rate');
  const idle = appendHistory(EMPTY_HISTORY, pool([0, Number.NaN, -1, 5], { 3: { health: 'down' } }), NOW, O);
  assert.equal(pts(idle)[0]!.traffic, false, 'zero, invalid and not-up rates are no traffic');
});

test('appendHistory drops points older than historySeconds, caps the length, replaces a point at now', () => {
  const opts = resolveAnalysisOptions({ historySeconds: 100, maxHistoryPoints: 5 });
  const cpu = (u: number) => pool([1, 1], { 0: { cpu: u } });
  let h: PoolHistory = EMPTY_HISTORY;
  for (let k = 0; k < 20; k++) h = appendHistory(h, cpu(0.1), NOW + k * 10_000, opts);
  assert.equal(pts(h).length, 5);
  assert.deepEqual(pts(h).map((p) => p.at), [15, 16, 17, 18, 19].map((k) => NOW + k * 10_000));
  const again = appendHistory(h, cpu(0.2), NOW + 19 * 10_000, opts);
  assert.equal(pts(again).length, 5);
  assert.equal(utilisationOf(again, 4).s1, 0.2);
  const later = appendHistory(h, cpu(0.1), NOW + 19 * 10_000 + 95_000, opts);
  assert.deepEqual(pts(later).map((p) => p.at), [NOW + 19 * 10_000, NOW + 19 * 10_000 + 95_000]);
});

test('a backend named __proto__ is an ordinary key', () => {
  const h = appendHistory(EMPTY_HISTORY, { ...pool([3]), backends: [{ backend: '__proto__', rate: 3, cpu: 0.4, health: 'up' }] }, NOW, O);
  assert.equal(Object.getOwnPropertyDescriptor(utilisationOf(h, 0), '__proto__')?.value, 0.4);
  const restored = JSON.parse(JSON.stringify(h)) as PoolHistory;
  assert.deepEqual(restored, { ...h }, "serialises as its plain fields");
});

test('analyseSnapshot returns verdicts in order and next histories; keeps a briefly missing pool', () => {
  const a = { ...pool([10, 10]), pool: 'a' };
  const b = { ...pool([10, 10]), pool: 'b' };
  const first = analyseSnapshot({ at: NOW, pools: [a, b] }, new Map(), O);
  assert.deepEqual(first.verdicts.map((v) => v.pool), ['a', 'b']);
  assert.equal(pts(first.histories.get('a')!).length, 1);
  const second = analyseSnapshot({ at: NOW + 15_000, pools: [a] }, first.histories, O);
  assert.equal(pts(second.histories.get('a')!).length, 2);
  assert.equal(pts(second.histories.get('b')!).length, 1, 'b kept while its history is fresh');
  assert.equal(pts(first.histories.get('a')!).length, 1, 'input map untouched');
  const much = analyseSnapshot({ at: NOW + 3_600_000, pools: [a] }, second.histories, O);
  assert.equal(much.histories.has('b'), false);
});

/** Pool with `names` backends at 10 req/s each, CPU rising 0.001/s from 0.3 (s1 also carries 4× the traffic). */
function rising(names: readonly string[], at: number): PoolSample {
  const t = (at - NOW) / 1000;
  return {
    pool: 'p', labels: {}, windowSeconds: 60,
    backends: names.map((backend, i) => ({ backend, rate: i === 0 ? 40 : 10, cpu: 0.3 + 0.001 * t, health: 'up' as const })),
  };
}

test('appending shares the full blocks, ages points out, and leaves the input untouched', () => {
  let h: PoolHistory = EMPTY_HISTORY;
  const at = (k: number) => NOW + k * 15_000;
  for (let k = 0; k < 20; k++) h = appendHistory(h, rising(['a', 'b'], at(k)), at(k), O);
  const frozen = JSON.stringify(h);
  const next = appendHistory(h, rising(['a', 'b'], at(20)), at(20), O);
  assert.equal(JSON.stringify(h), frozen, 'input not mutated');
  assert.equal(h.blocks.length, Math.ceil(20 / HISTORY_BLOCK));
  for (let b = 0; b < h.blocks.length - 1; b++) assert.equal(next.blocks[b], h.blocks[b], 'full blocks are shared, not copied');
  assert.notEqual(next.blocks.at(-1), h.blocks.at(-1), 'the partial last block is copied');
  assert.equal(next.names, h.names, 'columns stored once while the backend set is unchanged');
  assert.equal(pts(next).length, 21);
  // Keep going well past historySeconds: the window slides, old blocks go.
  let long = next;
  for (let k = 21; k < 200; k++) long = appendHistory(long, rising(['a', 'b'], at(k)), at(k), O);
  const window = O.historySeconds / 15;
  assert.deepEqual(pts(long).map((p) => p.at), Array.from({ length: window + 1 }, (_, i) => at(199 - window + i)));
  assert.ok(long.blocks.length <= Math.ceil((window + 1) / HISTORY_BLOCK) + 1, `${long.blocks.length} blocks`);
  assert.deepEqual(pts(JSON.parse(JSON.stringify(long)) as PoolHistory), pts(long), 'skip survives JSON');
});

test('a history restored from JSON gives identical verdicts and histories', () => {
  let live: PoolHistory = EMPTY_HISTORY;
  let restored: PoolHistory = EMPTY_HISTORY;
  // 70 cycles: longer than historySeconds, so points age out on both sides.
  for (let k = 0; k < 70; k++) {
    const at = NOW + k * 15_000;
    // The backend set changes on the way: c joins, b leaves and comes back.
    const names = k < 10 ? ['a', 'b'] : k < 20 ? ['a', 'c'] : ['c', 'a', 'b'];
    const sample = rising(names, at);
    assert.deepEqual(analysePool(sample, restored, at, O), analysePool(sample, live, at, O), `cycle ${k}`);
    live = appendHistory(live, sample, at, O);
    restored = JSON.parse(JSON.stringify(appendHistory(restored, sample, at, O))) as PoolHistory;
    // Block boundaries may differ (a restored history is re-encoded), the points may not.
    assert.deepEqual(restored.names, live.names);
    assert.deepEqual(pts(restored), pts(live));
  }
  assert.equal(pts(live).length, O.historySeconds / 15 + 1, 'window full: points aged out along the way');
  assert.deepEqual(live.names, ['c', 'a', 'b']);
  const v = analysePool(rising(['a', 'b', 'c'], NOW + 70 * 15_000), live, NOW + 70 * 15_000, O);
  assert.ok(v.forecast && Math.abs(v.forecast.slopePerSecond - 0.001) < 1e-9, 'a kept its trend through the changes');
});

test('a backend that left keeps its column while it has data, then the column is dropped', () => {
  const opts = resolveAnalysisOptions({ historySeconds: 60 });
  let h = appendHistory(EMPTY_HISTORY, rising(['a', 'b'], NOW), NOW, opts);
  h = appendHistory(h, rising(['a'], NOW + 15_000), NOW + 15_000, opts);
  assert.deepEqual(h.names, ['a', 'b']);
  assert.deepEqual(utilisationOf(h, 1), { a: 0.315 });
  h = appendHistory(h, rising(['a'], NOW + 75_000), NOW + 75_000, opts);
  assert.deepEqual(h.names, ['a']);
  assert.deepEqual(pts(h).map((p) => p.util.length), [1, 1]);
});

test('old-format or damaged histories count as empty and never crash', () => {
  const oldFormat = [{ at: NOW - 15_000, utilisation: { s1: 0.5 }, rate: { s1: 10 } }];
  const damaged = [
    null, 42, 'x', { names: 'a', blocks: [], skip: 0 }, { names: ['s1'], blocks: [], skip: -1 }, { names: ['s1', 's1'], blocks: [], skip: 0 },
    { names: ['s1'], blocks: [[NOW - 15_000, 1]], skip: 0 }, // block length not a multiple of the point size
    { names: ['s1'], blocks: [[NOW - 30_000, 1, 'x', 'x', 0, 0.5, NOW - 15_000, 1, null]], skip: 0 }, // bad time, bad value
  ];
  const sample = pool([80, 7, 7, 6], { 0: { cpu: 0.7 } });
  const fresh = analysePool(sample, EMPTY_HISTORY, NOW, O);
  for (const bad of [oldFormat, ...damaged]) {
    const h = bad as unknown as PoolHistory;
    const v = analysePool(sample, h, NOW, O);
    if (bad === damaged.at(-1)) {
      // Its second point (15 s ago) is well-formed and has no s2..s4: they joined within the window.
      assert.deepEqual(v.warming, ['s2', 's3', 's4'], JSON.stringify(bad));
    } else assert.deepEqual(v, fresh, JSON.stringify(bad));
    const next = appendHistory(h, sample, NOW, O);
    const clean = appendHistory(EMPTY_HISTORY, sample, NOW, O);
    assert.deepEqual(next.names, clean.names);
    assert.deepEqual(pts(next).at(-1), pts(clean)[0]);
    // A well-formed point with unusable values may stay, but knows nothing.
    for (let k = 0; k < pts(next).length - 1; k++) assert.deepEqual(utilisationOf(next, k), {}, JSON.stringify(bad));
    const r = analyseSnapshot({ at: NOW, pools: [{ ...sample, pool: 'x' }] }, new Map([['x', h], ['gone', h]]), O);
    assert.deepEqual(pts(r.histories.get('x')!).at(-1), pts(clean)[0]);
    const gone = r.histories.get('gone');
    for (let k = 0; gone && k < pts(gone).length; k++) assert.deepEqual(utilisationOf(gone, k), {});
  }
  // A pool whose last point had traffic and nothing is up now: critical, also from a restored history.
  const busy = JSON.parse(JSON.stringify(appendHistory(EMPTY_HISTORY, pool([10, 10]), NOW - 15_000, O))) as PoolHistory;
  assert.equal(analysePool(pool([0, 0], { 0: { health: 'down' }, 1: { health: 'down' } }), busy, NOW, O).severity, 'critical');
});

test('resolveAnalysisOptions validates and names the bad option', () => {
  assert.deepEqual(resolveAnalysisOptions(), O);
  assert.throws(() => resolveAnalysisOptions({ alpha: Number.NaN }), /alpha must be in \(0, 1\)/);
  assert.throws(() => resolveAnalysisOptions({ skewRatio: 1 }), /skewRatio must be > 1/);
  assert.throws(() => resolveAnalysisOptions({ zMinBackends: 2 }), /zMinBackends/);
});
