// The query source's compact answer table (chunked rows) and its join index.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactVector } from '../../src/sources/sample-table.js';
import { LabelTuples } from '../../src/sources/prometheus.js';

test('CompactVector keeps every row across chunk boundaries, labels and values by position', () => {
  const t = new CompactVector(['proxy', 'server']);
  const n = 4096 * 2 + 7; // past two chunks
  for (let i = 0; i < n; i++) t.add([`be_${i % 13}`, i % 5 === 0 ? undefined : `srv${i}`], i === 3 ? Number.NaN : i * 0.5);
  assert.equal(t.size, n);
  for (const i of [0, 1, 3, 4095, 4096, 4097, 8191, 8192, n - 1]) {
    assert.equal(t.labelAt(i, 0), `be_${i % 13}`, `row ${i}`);
    assert.equal(t.labelAt(i, 1), i % 5 === 0 ? undefined : `srv${i}`, `row ${i}`);
    if (i === 3) assert.ok(Number.isNaN(t.valueAt(i)));
    else assert.equal(t.valueAt(i), i * 0.5, `row ${i}`);
  }
});

test('LabelTuples: a row joins only when every pool label and the backend match', () => {
  const rate = CompactVector.from([
    { metric: { dc: 'a', proxy: 'web', server: 's1' }, value: 1 },
    { metric: { dc: 'a', proxy: 'api', server: 's2' }, value: 1 },
    { metric: { proxy: 'web', server: 's3' }, value: 1 }, // no dc: counts as ''
  ], ['dc', 'proxy', 'server']);
  const keys = new LabelTuples(3);
  for (let r = 0; r < rate.size; r++) keys.add(rate, r);
  const other = CompactVector.from([
    { metric: { dc: 'a', proxy: 'web', server: 's1' }, value: 2 }, // joins
    { metric: { dc: 'b', proxy: 'web', server: 's1' }, value: 2 }, // other dc
    { metric: { dc: 'a', proxy: 'api', server: 's1' }, value: 2 }, // other pool
    { metric: { dc: 'a', proxy: 'web', server: 's2' }, value: 2 }, // backend of another pool
    { metric: { proxy: 'web', server: 's3' }, value: 2 }, // joins on the absent dc
  ], ['dc', 'proxy', 'server']);
  const joined = Array.from({ length: other.size }, (_, r) => keys.has(other, r));
  assert.deepEqual(joined, [true, false, false, false, true]);
  const single = new LabelTuples(2);
  const two = CompactVector.from([{ metric: { proxy: 'web', server: 's1' }, value: 1 }], ['proxy', 'server']);
  single.add(two, 0);
  assert.equal(single.has(CompactVector.from([{ metric: { proxy: 'web', server: 's2' }, value: 1 }], ['proxy', 'server']), 0), false);
  assert.equal(single.has(two, 0), true);
});

test('the assembler sets every optional backend field, in the documented order, and leaves out what is absent or unusable', async () => {
  const { SnapshotAssembler, SIGNALS } = await import('../../src/sources/prometheus.js');
  const labels = ['proxy', 'server'];
  const values: Record<string, number> = { rate: 2, weight: 3, health: 1, cpu: 0.5, cpuCapacity: 2, queue: 4, errors: 0.1, backup: 1, stateAge: 30, responseTime: 0.02, sessions: 7, sessionLimit: 100 };
  const row = (server: string, v: number) => ({ metric: { proxy: 'web', server }, value: v });
  const data = SIGNALS.map((sig) => [sig, CompactVector.from(
    // s2: NaN gauges and a 0 session limit are left out; it has no rate (0, starved).
    sig === 'rate' ? [row('s1', values.rate!)] : [row('s1', values[sig]!), row('s2', sig === 'health' || sig === 'weight' ? 1 : sig === 'sessionLimit' ? 0 : Number.NaN)],
    labels)] as const);
  const snap = new SnapshotAssembler({ poolLabels: ['proxy'], backendLabel: 'server', windowMs: 60_000 }).assemble(1000, data);
  assert.equal(JSON.stringify(snap.pools[0]!.backends[0]), JSON.stringify({
    backend: 's1', rate: 2, count: 120, health: 'up', weight: 3, cpu: 0.5, cpuCapacity: 2, queue: 4, errorRate: 0.1,
    backup: true, stateAgeSeconds: 30, responseTime: 0.02, sessions: 7, sessionLimit: 100,
  }));
  // NaN cpu/queue/errors are kept as the query gave them (the core sanitises them); the guarded ones are dropped.
  const s2 = snap.pools[0]!.backends[1]!;
  assert.deepEqual(Object.keys(s2), ['backend', 'rate', 'count', 'health', 'weight', 'cpu', 'cpuCapacity', 'queue', 'errorRate']);
  assert.equal(s2.rate, 0);
});
