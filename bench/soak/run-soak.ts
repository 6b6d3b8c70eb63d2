// The soak: the daemon's real cycle (src/app/daemon.ts: analysis, rules,
// outbox, self-metrics, file state store) driven for many cycles on an
// injected clock, no sleeps, against a fault-injecting fleet and flaky sinks.
// Measures memory, event-loop delay, cycle time and the size of everything
// the daemon keeps (state file, outbox, histories, tracked alerts).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Daemon } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext } from '../../src/app/build.js';
import { loadConfig } from '../../src/config/load.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { FileStateStore } from '../../src/state/store.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeClock } from '../../test/fakes/clock.js';
import { FaultySource, FlakyNotifier, type FleetShape } from './fleet.js';

export interface SoakOptions extends FleetShape {
  readonly cycles: number;
  /** Called every `sampleEvery` cycles with what the daemon holds (the short test asserts bounds on it). */
  readonly onSample?: (s: SoakSample) => void;
  readonly sampleEvery?: number;
}

export interface SoakSample {
  readonly cycle: number;
  readonly stateBytes: number;
  readonly outboxEntries: number;
  /** Finished (notification, sink) pairs the outbox remembers. */
  readonly doneRecords: number;
  readonly histories: number;
  readonly trackedAlerts: number;
  readonly metricsSeries: number;
}

export interface SoakResult {
  readonly bench: 'soak';
  readonly pools: number;
  readonly backends: number;
  readonly cycles: number;
  readonly rssStartMiB: number;
  readonly rssEndMiB: number;
  readonly heapStartMiB: number;
  readonly heapEndMiB: number;
  readonly loopDelayP99Ms: number;
  readonly cycleP50Ms: number;
  readonly cycleP99Ms: number;
  readonly stateBytes: number;
  readonly maxStateBytes: number;
  readonly outboxEntries: number;
  readonly notificationsDelivered: number;
  readonly notificationsRefused: number;
}

const INTERVAL_MS = 15_000;
const MiB = 1024 * 1024;

/** RSS and heap after a full GC (needs --expose-gc; without it, as they are). */
function memoryAfterGc(): { rss: number; heap: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) { gc(); gc(); }
  const m = process.memoryUsage();
  return { rss: m.rss / MiB, heap: m.heapUsed / MiB };
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-soak-'));
  try {
    const configFile = join(dir, 'skewwatch.yaml');
    writeFileSync(configFile, `interval: 15s\nstate_dir: ${dir}\nsource: { mode: prometheus, prometheus: { url: http://127.0.0.1:1 } }\ndelivery: { initial_backoff: 15s, max_backoff: 2m }\n`);
    const loaded = loadConfig({ file: configFile, env: {} });
    const clock = new FakeClock();
    // Slack down 30 of every 200 rounds, PagerDuty 60 of every 500, Alertmanager 10 of every 90.
    const sinks = [new FlakyNotifier('slack', 200, 30), new FlakyNotifier('pagerduty', 500, 60), new FlakyNotifier('alertmanager', 90, 10)];
    const metrics = new SkewwatchMetrics();
    const store = new FileStateStore(dir, silentLogger(), () => clock.now());
    const daemon = new Daemon({
      loaded, source: new FaultySource(opts), notifiers: sinks,
      analysis: buildAnalysisOptions(loaded.config), context: buildEvaluatorContext(loaded, sinks),
      store, clock, log: silentLogger(), metrics, random: () => 0.5,
    });
    const cycleMs: number[] = [];
    let maxStateBytes = 0;
    const step = async (c: number) => {
      const t0 = performance.now();
      await daemon.cycle(clock.now());
      for (const s of sinks) s.round = c;
      await daemon.deliver(AbortSignal.timeout(10_000));
      cycleMs.push(performance.now() - t0);
      await clock.advance(INTERVAL_MS);
      const stateBytes = statSync(store.path).size;
      maxStateBytes = Math.max(maxStateBytes, stateBytes);
      if (opts.onSample && c % (opts.sampleEvery ?? 10) === 0) {
        const status = daemon.status(clock.now()) as { alerts: unknown[] };
        const text = await metrics.registry.metrics();
        opts.onSample({
          cycle: c, stateBytes, outboxEntries: daemon.outbox.size, doneRecords: daemon.outbox.doneCount,
          histories: Object.keys((JSON.parse(await import('node:fs').then((f) => f.readFileSync(store.path, 'utf8'))) as { histories: object }).histories).length,
          trackedAlerts: status.alerts.length,
          metricsSeries: text.split('\n').filter((l) => l && !l.startsWith('#')).length,
        });
      }
    };
    // Warm-up: the first cycles fill histories and the outbox; memory is measured after them.
    const warmup = Math.min(100, Math.floor(opts.cycles / 10));
    for (let c = 0; c < warmup; c++) await step(c);
    const start = memoryAfterGc();
    cycleMs.length = 0;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    for (let c = warmup; c < opts.cycles; c++) await step(c);
    loop.disable();
    const end = memoryAfterGc();
    const sorted = [...cycleMs].sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      bench: 'soak',
      pools: opts.pools,
      backends: opts.pools * opts.backendsPerPool,
      cycles: opts.cycles,
      rssStartMiB: round(start.rss),
      rssEndMiB: round(end.rss),
      heapStartMiB: round(start.heap),
      heapEndMiB: round(end.heap),
      loopDelayP99Ms: round(loop.percentile(99) / 1e6),
      cycleP50Ms: round(percentile(sorted, 0.5)),
      cycleP99Ms: round(percentile(sorted, 0.99)),
      stateBytes: statSync(store.path).size,
      maxStateBytes,
      outboxEntries: daemon.outbox.size,
      notificationsDelivered: sinks.reduce((n, s) => n + s.delivered, 0),
      notificationsRefused: sinks.reduce((n, s) => n + s.refused, 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
