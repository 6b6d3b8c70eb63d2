// Pool assembly details of the query source that must not change what the
// snapshot holds: the backends' order (any names, any pool size) and a
// pool's backends spread over the answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BackendSample } from '../../src/core/types.js';
import { SnapshotAssembler, sortByBackend } from '../../src/sources/prometheus.js';

test('backends sorted in place: the order (and, for equal names, the elements) Array.prototype.sort gives', () => {
  const name = fc.oneof(fc.constantFrom('srv0', 'srv1', 'srv10', 'srv2', 'Srv', '', 'srv\u00e9'), fc.string({ maxLength: 5 }));
  fc.assert(fc.property(fc.array(name, { maxLength: 45 }), (names) => {
    const rows = names.map((backend, i) => ({ backend, rate: i }) as BackendSample);
    const ref = [...rows].sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
    sortByBackend(rows);
    rows.forEach((r, i) => assert.equal(r, ref[i]));
  }), { numRuns: 1000 });
});

test('rows of one pool apart from each other still add up in one pool', () => {
  const a = new SnapshotAssembler({ poolLabels: ['proxy'], backendLabel: 'server', windowMs: 60_000 });
  const row = (proxy: string, server: string, value: number) => ({ metric: { proxy, server }, value });
  const snap = a.assemble(0, [
    ['rate', [row('p1', 's1', 1), row('p2', 's1', 2), row('p1', 's2', 3), row('p1', 's1', 4)]],
    ['weight', [row('p2', 's1', 5), row('p1', 's1', 6)]],
  ]);
  assert.deepEqual(snap.pools.map((p) => [p.pool, p.backends.map((b) => [b.backend, b.rate, b.weight])]), [
    ['p1', [['s1', 5, 6], ['s2', 3, undefined]]],
    ['p2', [['s1', 2, 5]]],
  ]);
});
