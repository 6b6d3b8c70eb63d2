// appendHistory / analyseSnapshot: pure, bounded, ordered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseSnapshot, appendHistory, DEFAULT_ANALYSIS_OPTIONS as O, resolveAnalysisOptions } from '../../src/core/analyse.js';
import type { PoolHistory } from '../../src/core/types.js';
import { pool } from './build.js';

const NOW = 1_700_000_000_000;

test('appendHistory records up backends with valid values and does not mutate its input', () => {
  const sample = pool([10, Number.NaN, -1, 5], { 0: { cpu: 0.5, cpuCapacity: 2 }, 1: { cpu: 0.2 }, 3: { health: 'down', cpu: 0.9 } }, { cpuCapacityHint: 4 });
  const before: PoolHistory = Object.freeze([]);
  const h = appendHistory(before, sample, NOW, O);
  assert.equal(before.length, 0);
  assert.equal(h.length, 1);
  assert.equal(h[0]!.at, NOW);
  assert.deepEqual({ ...h[0]!.utilisation }, { s1: 0.25, s2: 0.05 });
  assert.deepEqual({ ...h[0]!.rate }, { s1: 10 });
});

test('appendHistory drops points older than historySeconds, caps the length, replaces a point at now', () => {
  const opts = resolveAnalysisOptions({ historySeconds: 100, maxHistoryPoints: 5 });
  let h: PoolHistory = [];
  for (let k = 0; k < 20; k++) h = appendHistory(h, pool([1, 1]), NOW + k * 10_000, opts);
  assert.equal(h.length, 5);
  assert.deepEqual(h.map((p) => p.at), [15, 16, 17, 18, 19].map((k) => NOW + k * 10_000));
  const again = appendHistory(h, pool([2, 2]), NOW + 19 * 10_000, opts);
  assert.equal(again.length, 5);
  assert.equal(again[4]!.rate.s1, 2);
  const later = appendHistory(h, pool([1, 1]), NOW + 19 * 10_000 + 95_000, opts);
  assert.deepEqual(later.map((p) => p.at), [NOW + 19 * 10_000, NOW + 19 * 10_000 + 95_000]);
});

test('a backend named __proto__ is an ordinary key', () => {
  const h = appendHistory([], { ...pool([3]), backends: [{ backend: '__proto__', rate: 3, cpu: 0.4, health: 'up' }] }, NOW, O);
  assert.equal(Object.getOwnPropertyDescriptor(h[0]!.utilisation, '__proto__')?.value, 0.4);
});

test('analyseSnapshot returns verdicts in order and next histories; keeps a briefly missing pool', () => {
  const a = { ...pool([10, 10]), pool: 'a' };
  const b = { ...pool([10, 10]), pool: 'b' };
  const first = analyseSnapshot({ at: NOW, pools: [a, b] }, new Map(), O);
  assert.deepEqual(first.verdicts.map((v) => v.pool), ['a', 'b']);
  assert.equal(first.histories.get('a')!.length, 1);
  const second = analyseSnapshot({ at: NOW + 15_000, pools: [a] }, first.histories, O);
  assert.equal(second.histories.get('a')!.length, 2);
  assert.equal(second.histories.get('b')!.length, 1, 'b kept while its history is fresh');
  assert.equal(first.histories.get('a')!.length, 1, 'input map untouched');
  const much = analyseSnapshot({ at: NOW + 3_600_000, pools: [a] }, second.histories, O);
  assert.equal(much.histories.has('b'), false);
});

test('resolveAnalysisOptions validates and names the bad option', () => {
  assert.deepEqual(resolveAnalysisOptions(), O);
  assert.throws(() => resolveAnalysisOptions({ alpha: Number.NaN }), /alpha must be in \(0, 1\)/);
  assert.throws(() => resolveAnalysisOptions({ skewRatio: 1 }), /skewRatio must be > 1/);
  assert.throws(() => resolveAnalysisOptions({ zMinBackends: 2 }), /zMinBackends/);
});
