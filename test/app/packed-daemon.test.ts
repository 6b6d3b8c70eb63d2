// The daemon's cycle must not build the per-backend objects the analysis
// keeps packed (src/core/analysis/backend-rows.ts, issue 15): the status
// copy and the /metrics series read the rows as numbers. Only what works on
// a pool that alerts (messages, the alert's last verdict in the state file)
// builds them. What /api/v1/status shows is what the analysis said.
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
import { backendsMaterialised } from '../../src/core/analysis/backend-rows.js';
import { FakeClock } from '../fakes/clock.js';
import { ScriptedSource, pool, BALANCED, SKEWED } from '../fakes/source.js';

const dir = mkdtempSync(join(tmpdir(), 'skewwatch-packed-'));
const configFile = join(dir, 'skewwatch.yaml');
writeFileSync(configFile, 'interval: 5s\nsource: { mode: prometheus, prometheus: { url: http://127.0.0.1:1 } }\n');

test('quiet pools keep their rows packed through the daemon cycles; status shows the same rows', async () => {
  const loaded = loadConfig({ file: configFile, env: {} });
  const clock = new FakeClock();
  const pools = () => [pool('be_hot', SKEWED), ...Array.from({ length: 30 }, (_, i) => pool(`be_${i}`, BALANCED))];
  const metrics = new SkewwatchMetrics();
  const d = new Daemon({
    loaded, source: new ScriptedSource(pools), notifiers: [],
    analysis: buildAnalysisOptions(loaded.config), context: buildEvaluatorContext(loaded, []),
    store: new MemoryStateStore(), clock, log: silentLogger(), metrics,
  });
  let report = await d.cycle(clock.now());
  for (let k = 0; k < 6; k++) {
    clock.advance(5_000);
    report = await d.cycle(clock.now());
  }
  await metrics.registry.metrics();
  const quiet = report.verdicts.filter((v) => v.severity === 'ok');
  assert.equal(quiet.length, 30);
  assert.ok(quiet.every((v) => !backendsMaterialised(v)), 'no quiet pool had its objects built');
  const shown = (d.status(clock.now()) as { pools: { pool: string; backends: unknown }[] }).pools;
  for (const v of report.verdicts) assert.deepStrictEqual(shown.find((p) => p.pool === v.pool)!.backends, v.backends);
  assert.equal(JSON.stringify(shown.map((p) => p.backends)), JSON.stringify(report.verdicts.map((v) => v.backends)));
});
