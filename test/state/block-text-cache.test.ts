// The state file's cache of full history blocks' JSON text (store.ts) is
// bounded: a save keeps at most the budget's characters, and only blocks it
// wrote (aged-out blocks are forgotten), while the text stays exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INITIAL_EVALUATOR_STATE } from '../../src/core/alerting/evaluator.js';
import { HISTORY_BLOCK } from '../../src/core/analysis/history.js';
import { cachedBlockTextChars, stateParts, STATE_VERSION, type PersistedState } from '../../src/state/store.js';

/** One name: a point is 3 numbers, a full block HISTORY_BLOCK points. */
function fullBlock(seed: number): number[] {
  return Array.from({ length: HISTORY_BLOCK * 3 }, (_, i) => seed + i / 7);
}
function state(pools: number, seed: number): PersistedState {
  const histories: Record<string, PersistedState['histories'][string]> = {};
  for (let p = 0; p < pools; p++) histories[`p${p}`] = { names: ['a'], blocks: [fullBlock(seed + p), fullBlock(seed + p + 0.5)], skip: 0 };
  return { version: STATE_VERSION, savedAt: 1, evaluator: INITIAL_EVALUATOR_STATE, outbox: null, histories };
}
const text = (s: PersistedState, budget?: number) => [...stateParts(s, budget)].join('');

test('the cached block text never exceeds the budget, and the saved text is exact', () => {
  const s = state(50, 1);
  const oneBlock = JSON.stringify(fullBlock(1)).length;
  const budget = 5 * oneBlock + 3;
  for (let again = 0; again < 2; again++) {
    const t = text(s, budget);
    assert.deepEqual(JSON.parse(t).histories, s.histories);
    assert.ok(cachedBlockTextChars() <= budget, `${cachedBlockTextChars()} > ${budget}`);
    assert.ok(cachedBlockTextChars() >= 4 * oneBlock);
  }
});

test('a save forgets the blocks it did not write (aged out)', () => {
  text(state(20, 1));
  const before = cachedBlockTextChars();
  assert.ok(before > 0);
  // Other blocks entirely: the cache holds these, not the earlier ones as well.
  const next = state(3, 1000);
  text(next);
  const expected = Object.values(next.histories).flatMap((h) => h.blocks).reduce((n, b) => n + JSON.stringify(b).length, 0);
  assert.equal(cachedBlockTextChars(), expected);
});
