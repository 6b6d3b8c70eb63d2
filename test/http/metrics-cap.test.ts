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
