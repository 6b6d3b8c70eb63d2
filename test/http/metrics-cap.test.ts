// The per-backend self-metric cap: a pool of any size exports series for its
// top-K backends by share plus every flagged backend, so /metrics stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import type { BackendStat } from '../../src/core/types.js';
import { verdict } from '../fakes/verdict.js';

function backend(name: string, share: number): BackendStat {
  return { backend: name, health: 'up', weight: 1, rate: share * 100, share, expectedShare: 0.01, ratio: share / 0.01, utilisation: 0.5, queue: 0, z: 0, outlier: null };
}

/** 100 backends: b0 has the largest share, b99 the smallest. */
const BIG = Array.from({ length: 100 }, (_, i) => backend(`b${i}`, (100 - i) / 5050));

async function backendsExported(m: SkewwatchMetrics): Promise<Set<string>> {
  const text = await m.registry.metrics();
  return new Set([...text.matchAll(/^skewwatch_backend_share_ratio\{pool="p",backend="([^"]+)"\}/gm)].map((x) => x[1]!));
}

test('a 100-backend pool exports only the top K by share plus the flagged backends', async () => {
  const m = new SkewwatchMetrics({ backendsPerPool: 3 });
  // b98 is starved, b50 unavailable: flagged, so exported although not in the top 3.
  m.recordVerdicts([verdict('p', 'warning', { backends: BIG, hot: ['b0'], starved: ['b98'], unavailable: ['b50'] })]);
  assert.deepEqual([...(await backendsExported(m))].sort(), ['b0', 'b1', 'b2', 'b50', 'b98']);
  const text = await m.registry.metrics();
  assert.equal(text.match(/^skewwatch_backend_cpu_utilisation_ratio\{/gm)?.length, 5);
});

test('the default cap is 5 backends per pool; small pools export every backend', async () => {
  const m = new SkewwatchMetrics();
  m.recordVerdicts([verdict('p', 'ok', { backends: BIG, hot: [] })]);
  assert.equal((await backendsExported(m)).size, 5);
  m.recordVerdicts([verdict('p', 'ok', { backends: BIG.slice(0, 4), hot: [] })]);
  assert.equal((await backendsExported(m)).size, 4);
});

/** Pools of 10 backends with distinct shares: `${pool}-b0` has the largest. */
function pools(n: number, flag: (i: number) => Partial<Parameters<typeof verdict>[2]> = () => ({})) {
  return Array.from({ length: n }, (_, i) => {
    const backends = Array.from({ length: 10 }, (_, j) => backend(`p${i}-b${j}`, (10 - j) / 55));
    return verdict(`p${i}`, 'ok', { backends, hot: [], ...flag(i) });
  });
}

async function exported(m: SkewwatchMetrics): Promise<string[]> {
  const text = await m.registry.metrics();
  return [...text.matchAll(/^skewwatch_backend_share_ratio\{pool="[^"]+",backend="([^"]+)"\}/gm)].map((x) => x[1]!).sort();
}

test('the global cap keeps flagged backends first, then deals top backends to every pool in rounds', async () => {
  const m = new SkewwatchMetrics({ backendsPerPool: 3, backendsMax: 5 });
  // p2-b9 is starved: flagged, so it is kept before any pool's top backend.
  m.recordVerdicts(pools(3, (i) => (i === 2 ? { starved: ['p2-b9'] } : {})));
  // Budget 5: the flagged one, then round 1 (b0 of p0, p1, p2), then p0's b1.
  assert.deepEqual(await exported(m), ['p0-b0', 'p0-b1', 'p1-b0', 'p2-b0', 'p2-b9']);
  const text = await m.registry.metrics();
  assert.equal(text.match(/^skewwatch_backend_cpu_utilisation_ratio\{/gm)?.length, 5);
  // Pool series are not capped: every pool keeps its severity.
  assert.equal(text.match(/^skewwatch_pool_severity\{/gm)?.length, 3);
});

test('under the global cap every pool exports its top K and flagged backends as before', async () => {
  const m = new SkewwatchMetrics({ backendsPerPool: 2, backendsMax: 9 });
  m.recordVerdicts(pools(3, (i) => (i === 1 ? { hot: ['p1-b5'] } : {})));
  assert.deepEqual(await exported(m), ['p0-b0', 'p0-b1', 'p1-b0', 'p1-b1', 'p1-b5', 'p2-b0', 'p2-b1']);
});

test('the default global cap is 10,000 backends: 3,000 pools x top 5 export 10,000, not 15,000', async () => {
  const m = new SkewwatchMetrics();
  m.recordVerdicts(pools(3_000));
  const names = await exported(m);
  assert.equal(names.length, 10_000);
  // Three rounds reach every pool (9,000); the fourth stops after the first 1,000 pools.
  assert.ok(names.includes('p2999-b2') && !names.includes('p2999-b3'));
  assert.ok(names.includes('p999-b3') && !names.includes('p1000-b3'));
});
