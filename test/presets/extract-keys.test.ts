// The extractor keys its accumulators by pool label values and backend
// without building an object per sample (src/presets/extract.ts). Label
// values are arbitrary text: no two distinct (pool, backend) pairs may meet
// on one key, whatever characters the values hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createExtractor } from '../../src/presets/extract.js';
import type { Family } from '../../src/signals/exposition-types.js';

const extractor = createExtractor({ poolLabels: ['ns', 'svc'], backendLabel: 'pod', requests: [{ metric: 'reqs' }] });

function family(series: ReadonlyArray<{ ns: string; svc: string; pod: string }>): Family[] {
  return [{ name: 'reqs', type: 'counter', help: '', samples: series.map((l, i) => ({ name: 'reqs', labels: l, value: i + 1 })) }];
}

test('label values that run into each other across the separator stay distinct pools', () => {
  const out = extractor.extract(family([
    { ns: 'x\u0000', svc: 'y', pod: 'p' },
    { ns: 'x', svc: '\u0000y', pod: 'p' },
    { ns: 'a', svc: 'b\u0001c', pod: 'd' },
    { ns: 'a', svc: 'b', pod: 'c\u0001d' },
  ]));
  assert.equal(out.length, 4);
  assert.deepEqual(out.map((r) => r.requests), [1, 2, 3, 4]);
});

test('property: one reading per distinct (pool, backend), requests summed within it', () => {
  const text = fc.string({ maxLength: 3, unit: fc.constantFrom('a', '\u0000', '\u0001', '/', '"') });
  fc.assert(fc.property(fc.array(fc.record({ ns: text, svc: text, pod: text }), { maxLength: 12 }), (series) => {
    const out = extractor.extract(family(series));
    const expected = new Map<string, number>();
    series.forEach((l, i) => {
      const k = JSON.stringify([l.ns, l.svc, l.pod]);
      expected.set(k, (expected.get(k) ?? 0) + i + 1);
    });
    const got = new Map(out.map((r) => [JSON.stringify([r.pool.ns, r.pool.svc, r.backend]), r.requests]));
    assert.deepEqual(got, expected);
  }), { numRuns: 300 });
});

test('one pool label: a value that needs quoting and a value that looks like its quoted form stay distinct pools', () => {
  const single = createExtractor({ poolLabels: ['proxy'], backendLabel: 'server', requests: [{ metric: 'reqs' }] });
  const quoted = JSON.stringify(['be\u0000']); // what the key of 'be\u0000' is
  const out = single.extract([{ name: 'reqs', type: 'counter', help: '', samples: [
    { name: 'reqs', labels: { proxy: 'be\u0000', server: 's1' }, value: 1 },
    { name: 'reqs', labels: { proxy: quoted, server: 's1' }, value: 2 },
    { name: 'reqs', labels: { proxy: '[', server: 's1' }, value: 4 },
  ] }]);
  assert.deepEqual(out.map((r) => [r.pool.proxy, r.requests]), [['be\u0000', 1], [quoted, 2], ['[', 4]]);
});
