// Sharding wired into the daemon: SKEWWATCH_SHARD reaches the config, and the
// daemon analyses only the pools its shard owns (two replicas split all pools
// between them, without overlap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext } from '../../src/app/build.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { MemoryStateStore } from '../../src/state/store.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeClock } from '../fakes/clock.js';
import { ScriptedSource, pool, BALANCED } from '../fakes/source.js';

const dir = mkdtempSync(join(tmpdir(), 'skewwatch-shard-'));
const configFile = join(dir, 'skewwatch.yaml');
writeFileSync(configFile, 'interval: 5s\nsource: { mode: prometheus, prometheus: { url: http://127.0.0.1:1 } }\n');
const POOLS = Array.from({ length: 40 }, (_, i) => `be_${i}`);

async function poolsSeenBy(shard: string | undefined): Promise<string[]> {
  const loaded = loadConfig({ file: configFile, env: shard === undefined ? {} : { SKEWWATCH_SHARD: shard } });
  assert.equal(loaded.config.shard, shard);
  const clock = new FakeClock();
  const d = new Daemon({
    loaded, source: new ScriptedSource(() => POOLS.map((p) => pool(p, BALANCED))), notifiers: [],
    analysis: buildAnalysisOptions(loaded.config), context: buildEvaluatorContext(loaded, []),
    store: new MemoryStateStore(), clock, log: silentLogger(), metrics: new SkewwatchMetrics(),
  });
  const report = await d.cycle(clock.now());
  return report.verdicts.map((v) => v.pool);
}

test('two replicas (SKEWWATCH_SHARD=0/2 and 1/2) split every pool between them, none twice', async () => {
  const a = await poolsSeenBy('0/2');
  const b = await poolsSeenBy('1/2');
  assert.ok(a.length > 0 && b.length > 0, `both shards own pools (${a.length}, ${b.length})`);
  assert.deepEqual([...a, ...b].sort(), [...POOLS].sort());
  assert.equal(a.filter((p) => b.includes(p)).length, 0);
});

test('without a shard the daemon analyses every pool', async () => {
  assert.equal((await poolsSeenBy(undefined)).length, POOLS.length);
});

test('a malformed SKEWWATCH_SHARD is a config error naming the variable', () => {
  assert.throws(() => loadConfig({ file: configFile, env: { SKEWWATCH_SHARD: '2/2' } }), /SKEWWATCH_SHARD|shard/);
});
