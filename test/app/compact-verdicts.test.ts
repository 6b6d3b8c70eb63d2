// The daemon keeps the last verdicts packed (src/app/compact-verdicts.ts);
// what it gives back must be the verdicts it was given, value for value and
// key for key (status JSON shows them as they were).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompactVerdicts } from '../../src/app/compact-verdicts.js';
import type { BackendStat } from '../../src/core/types.js';
import { verdict } from '../fakes/verdict.js';

const num = fc.oneof(fc.double(), fc.constant(-0), fc.integer({ min: 0, max: 1000 }));
const backendStat: fc.Arbitrary<BackendStat> = fc.record({
  backend: fc.string(),
  health: fc.constantFrom('up', 'down', 'maint'),
  weight: fc.option(num, { nil: null }),
  rate: num,
  share: num,
  expectedShare: num,
  ratio: num,
  utilisation: fc.option(num, { nil: null }),
  queue: fc.option(num, { nil: null }),
  z: num,
  outlier: fc.constantFrom('hot', 'starved', null),
}, { noNullPrototype: true }) as fc.Arbitrary<BackendStat>;

test('packed verdicts come back equal, key order included', () => {
  fc.assert(fc.property(fc.array(fc.array(backendStat, { maxLength: 12 }), { maxLength: 5 }), (pools) => {
    const verdicts = pools.map((backends, i) => verdict(`p${i}`, i % 2 ? 'warning' : 'ok', { backends }));
    const back = [...CompactVerdicts.of(verdicts)];
    assert.deepStrictEqual(back, verdicts);
    for (let i = 0; i < verdicts.length; i++) {
      assert.deepEqual(Object.keys(back[i]!), Object.keys(verdicts[i]!));
      back[i]!.backends.forEach((b, j) => assert.deepEqual(Object.keys(b), Object.keys(verdicts[i]!.backends[j]!)));
    }
  }), { numRuns: 300 });
});

test('backends of another shape (an extra field) are kept as they are', () => {
  const odd = { backend: 'a', health: 'up', weight: 1, rate: 1, share: 1, expectedShare: 1, ratio: 1, utilisation: null, queue: null, z: 0, outlier: null, note: 'x' } as BackendStat;
  const v = verdict('p', 'ok', { backends: [odd] });
  const [back] = [...CompactVerdicts.of([v])];
  assert.equal(back, v);
  assert.equal(CompactVerdicts.of([v, v]).length, 2);
});
