// What the daemon keeps between cycles at scale, attributed by component,
// in-process and without a database: the Daemon as `skewwatch run` builds it
// (analysis, rules, balancer watch, self-metrics, FileStateStore) fed
// synthetic SCALE_POOLS x SCALE_BACKENDS snapshots shaped like the scale
// bench's exporter (1 pool in 100 skewed and hot) on an injected clock.
// After the cycles and forced GCs it frees one component at a time and
// reports how much live heap each one held (the difference in heapUsed).
// Usage: node --expose-gc --import tsx bench/scale/retained.ts
// Env: SCALE_POOLS (10000), SCALE_BACKENDS (10), RETAINED_CYCLES (10),
// RETAINED_SNAPSHOT=file.heapsnapshot (also write a V8 heap snapshot).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { Daemon } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext } from '../../src/app/build.js';
import { loadConfig } from '../../src/config/load.js';
import { INITIAL_EVALUATOR_STATE } from '../../src/core/alerting/evaluator.js';
import type { BackendSample, PoolSample, Snapshot } from '../../src/core/types.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import type { Source } from '../../src/sources/source.js';
import { FileStateStore, stateParts, STATE_VERSION } from '../../src/state/store.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeClock } from '../../test/fakes/clock.js';

const POOLS = Number(process.env.SCALE_POOLS ?? 10_000);
const PER_POOL = Number(process.env.SCALE_BACKENDS ?? 10);
const CYCLES = Number(process.env.RETAINED_CYCLES ?? 10);
const MiB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapMiB(): number {
  gc!(); gc!();
  return process.memoryUsage().heapUsed / MiB;
}

/** The scale exporter's fleet as the query source would assemble it, with a little noise per cycle. */
class SyntheticSource implements Source {
  readonly name = 'synthetic';
  private cycle = 0;
  async collect(now: number): Promise<Snapshot> {
    const c = this.cycle++;
    const pools: PoolSample[] = [];
    for (let p = 0; p < POOLS; p++) {
      const skewed = p % 100 === 7;
      const backends: BackendSample[] = [];
      for (let b = 0; b < PER_POOL; b++) {
        const share = skewed ? (b === 0 ? 0.6 : 0.4 / (PER_POOL - 1)) : 1 / PER_POOL;
        const rate = 50 * PER_POOL * share * (0.98 + (0.04 * ((p * 31 + b * 17 + c * 7) % 100)) / 100);
        backends.push({ backend: `srv${b}`, rate, count: rate * 60, cpu: Math.min(0.99, rate / 80), weight: 1, health: 'up', queue: 0, errorRate: 0 });
      }
      pools.push({ pool: `be_${p}`, labels: { proxy: `be_${p}` }, backends, windowSeconds: 60 });
    }
    return { at: now, pools };
  }
}

const base = heapMiB();
const dir = mkdtempSync(join(tmpdir(), 'skewwatch-retained-'));
try {
  const configFile = join(dir, 'skewwatch.yaml');
  writeFileSync(configFile, `interval: 30s\nstate_dir: ${dir}\nsource: { mode: prometheus, preset: haproxy, prometheus: { url: http://127.0.0.1:1 } }\n`);
  const loaded = loadConfig({ file: configFile, env: {} });
  const clock = new FakeClock();
  const metrics = new SkewwatchMetrics({ backendsPerPool: loaded.config.metrics_backends_per_pool, backendsMax: loaded.config.metrics_backends_max });
  const store = new FileStateStore(dir, silentLogger(), () => clock.now());
  const daemon = new Daemon({
    loaded, source: new SyntheticSource(), notifiers: [],
    analysis: buildAnalysisOptions(loaded.config), context: buildEvaluatorContext(loaded, []),
    store, clock, log: silentLogger(), metrics, random: () => 0.5,
  });
  const cycleMs: number[] = [];
  for (let c = 0; c < CYCLES; c++) {
    const t0 = performance.now();
    await daemon.cycle(clock.now());
    cycleMs.push(Math.round(performance.now() - t0));
    await clock.advance(30_000);
  }
  const metricsText = await metrics.registry.metrics();
  const held = heapMiB();
  if (process.env.RETAINED_SNAPSHOT) writeHeapSnapshot(process.env.RETAINED_SNAPSHOT);
  // Free one component at a time (private fields, reached on purpose: this
  // is a measurement, not an API), measuring the live heap after each.
  const d = daemon as unknown as Record<string, unknown>;
  const parts: Array<[string, () => void]> = [
    ['self-metrics (prom-client series)', () => metrics.recordVerdicts([])],
    ['last verdicts', () => { d.lastVerdicts = []; }],
    ['evaluator state (alerts)', () => { d.evaluator = INITIAL_EVALUATOR_STATE; }],
    ['balancer watch (change log, last seen)', () => { (d.balancer as { restoreState(s: unknown): void }).restoreState({}); }],
    ['persist text (written critical)', () => { d.writtenCritical = null; }],
    ['visibility tracker', () => { const v = d.visibility as Record<string, unknown>; v.discovery = null; v.fingerprint = null; }],
    ['state-file block text cache', () => { [...stateParts({ version: STATE_VERSION, savedAt: 0, evaluator: INITIAL_EVALUATOR_STATE, outbox: null, histories: {} })]; }],
    ['analysis histories', () => { d.histories = new Map(); }],
  ];
  const breakdown: Record<string, number> = {};
  let before = held;
  for (const [name, free] of parts) {
    free();
    const after = heapMiB();
    breakdown[name] = Math.round((before - after) * 10) / 10;
    before = after;
  }
  const r1 = (x: number) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({
    bench: 'retained', pools: POOLS, backends: POOLS * PER_POOL, cycles: CYCLES, cycleMs,
    baseHeapMiB: r1(base), heldHeapMiB: r1(held), retainedMiB: r1(held - base), freedMiB: breakdown,
    unexplainedMiB: r1(before - base), rssMiB: r1(process.memoryUsage().rss / MiB),
    stateBytes: statSync(store.path).size, metricsBytes: metricsText.length,
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
