// The verdict's per-backend rows are packed (src/core/analysis/backend-rows.ts)
// and built into BackendStat objects only when read (issue 15, steady-state
// cycle). Whatever reads a verdict must see exactly what the analysis gave
// before: analysePool is compared with analysePoolEager (the rows built as
// objects at once, as before) on random pools and chained histories, through
// deepStrictEqual (Object.is on numbers: -0 ≠ 0; prototypes; key order
// checked apart), a spread copy, JSON.stringify, the daemon's packed status
// copy (CompactVerdicts) and the /metrics series; and the per-cycle consumers
// that only need numbers must not build the objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analysePool, analysePoolEager, analyseSnapshot, appendHistory, DEFAULT_ANALYSIS_OPTIONS as O, resolveAnalysisOptions } from '../../../src/core/analysis/analyse.js';
import { backendRowsOf, backendsMaterialised } from '../../../src/core/analysis/backend-rows.js';
import { EMPTY_HISTORY } from '../../../src/core/analysis/history.js';
import { CompactVerdicts } from '../../../src/app/compact-verdicts.js';
import { SkewwatchMetrics } from '../../../src/http/metrics.js';
import type { BackendSample, BackendStat, PoolHistory, PoolSample, PoolVerdict } from '../../../src/core/types.js';

const NOW = 1_700_000_000_000;
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const value = fc.oneof(fc.double({ min: 0, max: 400, noNaN: true }), fc.constantFrom(0, -0, -1, Number.NaN, Infinity, 1e-320, 100, 1));
const health = fc.constantFrom<BackendSample['health']>('up', 'up', 'up', 'up', 'down', 'maint', 'bogus' as BackendSample['health']);
const names = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'), { minLength: 0, maxLength: 12 });

/** Pools as sources give them: rates skewed or not, CPU and capacity known or not, queues, backups, odd values. */
function sampleOf(backends: readonly string[]): fc.Arbitrary<PoolSample> {
  const backend = (name: string) => fc.record({
    backend: fc.constant(name), health, rate: fc.oneof(value, fc.double({ min: 50, max: 60, noNaN: true })),
    weight: maybe(fc.oneof(fc.integer({ min: 0, max: 4 }), value)), cpu: maybe(fc.oneof(value, fc.double({ min: 0, max: 1.2, noNaN: true }))),
    cpuCapacity: maybe(fc.oneof(fc.constantFrom(1, 2, 0.5), value)), queue: maybe(fc.oneof(fc.integer({ min: 0, max: 20 }), value)),
    backup: maybe(fc.boolean()), count: maybe(value), stateAgeSeconds: maybe(fc.constantFrom(5, 3600)),
  }, { requiredKeys: ['backend', 'health', 'rate'] });
  return fc.record({ backends: fc.tuple(...backends.map(backend)), hint: maybe(fc.constantFrom(1, 2)) })
    .map(({ backends: b, hint }) => ({ pool: 'p', labels: { proxy: 'p' }, windowSeconds: 60, backends: b as BackendSample[], ...(hint === undefined ? {} : { cpuCapacityHint: hint }) }));
}

const optsArb = fc.oneof(fc.constant(O), fc.record({ minForecastPoints: fc.integer({ min: 2, max: 8 }), historySeconds: fc.integer({ min: 60, max: 900 }) }).map((o) => resolveAnalysisOptions(o)));

/** A pool over several cycles (CPU drifting, so forecasts fit real trends), 15 s ± jitter apart. */
const cycles = names.chain((ns) => fc.tuple(fc.array(sampleOf(ns), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 30_000 }), { minLength: 8, maxLength: 8 }), optsArb));

function sameAsEager(packed: PoolVerdict, eager: PoolVerdict): void {
  // Keys and their order first: every other check below reads `backends`.
  assert.deepEqual(Object.keys(packed), Object.keys(eager));
  assert.equal(JSON.stringify(packed), JSON.stringify(eager));
  assert.deepStrictEqual(packed, eager);
  assert.deepStrictEqual({ ...packed }, eager);
  assert.equal(packed.backends, packed.backends, 'the same objects on every read, as a data property');
  packed.backends.forEach((b, i) => assert.deepEqual(Object.keys(b), Object.keys(eager.backends[i]!)));
}

test('analysePool gives what the eager rows gave, chained over cycles, and the status copy and JSON agree', () => {
  fc.assert(fc.property(cycles, ([samples, gaps, opts]) => {
    let h: PoolHistory = EMPTY_HISTORY;
    let now = NOW;
    samples.forEach((sample, k) => {
      const packed = analysePool(sample, h, now, opts);
      const eager = analysePoolEager(sample, h, now, opts);
      // The daemon's per-cycle consumers that need numbers only: nothing built.
      const status = CompactVerdicts.of([packed]);
      new SkewwatchMetrics().recordVerdicts([packed]);
      assert.equal(backendsMaterialised(packed), false);
      assert.notEqual(backendRowsOf(packed), null);
      assert.deepStrictEqual([...status], [eager]);
      assert.deepEqual(Object.keys([...status][0]!), Object.keys(eager));
      sameAsEager(packed, eager);
      // Read once, the objects hold the rows: the slab is no longer kept by this verdict.
      assert.equal(backendRowsOf(packed), null, 'a read verdict lets its packed rows go');
      assert.deepStrictEqual([...CompactVerdicts.of([packed])], [eager]);
      h = appendHistory(h, sample, now, opts);
      now += gaps[k]!;
    });
  }), { numRuns: 500 });
});

test('analyseSnapshot verdicts are the eager verdicts, and /metrics shows the same series from either', async () => {
  const snapshots = fc.array(fc.tuple(names, fc.nat(99)).chain(([ns, i]) => sampleOf(ns).map((s) => ({ ...s, pool: `p${i}`, labels: { proxy: `p${i}` } }))), { minLength: 1, maxLength: 12 })
    .map((pools) => pools.filter((p, i) => pools.findIndex((q) => q.pool === p.pool) === i));
  await fc.assert(fc.asyncProperty(snapshots, fc.integer({ min: 1, max: 12 }), async (pools, max) => {
    const r = analyseSnapshot({ at: NOW, pools }, new Map(), O);
    const eager = pools.map((p) => analysePoolEager(p, EMPTY_HISTORY, NOW, O));
    const a = new SkewwatchMetrics({ backendsPerPool: 2, backendsMax: max });
    const b = new SkewwatchMetrics({ backendsPerPool: 2, backendsMax: max });
    a.recordVerdicts(r.verdicts);
    b.recordVerdicts(eager);
    assert.ok(r.verdicts.every((v) => !backendsMaterialised(v)));
    assert.equal(await a.registry.metrics(), await b.registry.metrics());
    r.verdicts.forEach((v, i) => sameAsEager(v, eager[i]!));
  }), { numRuns: 150 });
});

test('assigning backends replaces them like a data property; spread copies are plain data', () => {
  const sample: PoolSample = { pool: 'p', labels: {}, windowSeconds: 60, backends: [
    { backend: 'a', health: 'up', rate: 90, weight: 1, cpu: 0.9, cpuCapacity: 1 }, { backend: 'b', health: 'up', rate: 10, weight: 1, cpu: 0.1, cpuCapacity: 1 }] };
  const v = analysePool(sample, EMPTY_HISTORY, NOW, O);
  const copy = { ...v };
  assert.equal(backendRowsOf(copy), null, 'a copy has the objects as a data property');
  assert.equal(copy.backends, v.backends);
  const other: BackendStat[] = [];
  (v as { backends: readonly BackendStat[] }).backends = other;
  assert.equal(v.backends, other);
  assert.equal(backendRowsOf(v), null, 'the packed rows no longer describe the verdict');
  assert.deepStrictEqual([...CompactVerdicts.of([v])][0]!.backends, []);
  assert.equal(Object.keys(v).at(-1), 'backends');
  assert.equal(JSON.parse(JSON.stringify(v)).backends.length, 0);
  // The shared objects of the copy are not affected.
  assert.equal(copy.backends.length, 2);
});

test('rows stay as analysed across slabs: many pools, and pools too large for a shared slab', () => {
  const pool = (name: string, n: number, seed: number): PoolSample => ({ pool: name, labels: {}, windowSeconds: 60, backends: Array.from({ length: n }, (_, i) => ({
    backend: `s${i}`, health: i % 17 === 3 ? 'down' as const : 'up' as const, rate: 10 + ((i * 7919 + seed) % 13), weight: 1 + (i % 3), cpu: 0.2 + ((i + seed) % 5) / 10, cpuCapacity: 1, queue: i % 4,
  })) });
  // 700 pools x 12 backends x 9 numbers: three slabs; then two pools bigger than a quarter slab between small ones.
  const pools = [...Array.from({ length: 700 }, (_, k) => pool(`p${k}`, 12, k)), pool('big1', 1000, 1), pool('small', 3, 2), pool('big2', 5000, 3), pool('last', 4, 4)];
  const r = analyseSnapshot({ at: NOW, pools }, new Map(), O);
  // Compared only after every pool was analysed: a region handed out twice would show here.
  pools.forEach((p, i) => assert.deepStrictEqual(r.verdicts[i], analysePoolEager(p, EMPTY_HISTORY, NOW, O)));
});
