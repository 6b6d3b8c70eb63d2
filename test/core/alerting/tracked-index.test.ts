// The evaluator's index of tracked alerts by rule and pool: the same alert
// as the record's key lookup, for any record and rule ids, and no index where
// rule ids could make the two differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { alertKey } from '../../../src/core/alerting/dedup.js';
import type { TrackedAlert } from '../../../src/core/alerting/evaluator.js';
import { indexTracked } from '../../../src/core/alerting/tracked-index.js';

const part = fc.oneof(fc.constantFrom('', 'TrafficSkew', 'be_1', '(source)', 'a\u0000b', '\u0000', 'constructor', '__proto__'), fc.string({ maxLength: 4 }));

test('index.get(rule).get(pool) is alerts[alertKey(rule, pool)] for every rule id without NUL', () => {
  fc.assert(fc.property(fc.array(fc.tuple(part, part), { maxLength: 12 }), fc.array(part, { maxLength: 6 }), fc.uniqueArray(part.filter((r) => !r.includes('\u0000')), { maxLength: 5 }), (pairs, oddKeys, ruleIds) => {
    const alerts: Record<string, TrackedAlert> = {};
    let n = 0;
    const put = (key: string) => Object.defineProperty(alerts, key, { value: { ruleId: String(n++) } as unknown as TrackedAlert, enumerable: true, writable: true, configurable: true });
    for (const [r, p] of pairs) put(alertKey(r, p));
    for (const k of oddKeys) put(k);
    const index = indexTracked(alerts, ruleIds);
    assert.ok(index);
    const pools = [...new Set([...pairs.flatMap(([r, p]) => [r, p]), ...oddKeys, 'x'])];
    for (const r of [...ruleIds, ...pairs.map(([r]) => r).filter((r) => !r.includes('\u0000'))]) {
      for (const p of pools) {
        const key = alertKey(r, p);
        const own = Object.prototype.hasOwnProperty.call(alerts, key) ? alerts[key] : undefined;
        assert.equal(index.get(r)?.get(p), own, JSON.stringify([r, p]));
      }
    }
  }), { numRuns: 500 });
});

test('no index when two rules share an id or an id has a NUL: the record itself is read then', () => {
  const alerts = { [alertKey('a', 'p')]: {} as TrackedAlert };
  assert.equal(indexTracked(alerts, ['a', 'b', 'a']), null);
  assert.equal(indexTracked(alerts, ['a', 'b\u0000c']), null);
  assert.ok(indexTracked(alerts, ['a', 'b']));
});
