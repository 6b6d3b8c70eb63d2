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
  /**
   * Memory (after forced GCs) is sampled every this many measured cycles.
   * Default 101, a prime: the fleet's faults run on periods of 17, 40, 50,
   * 97 and 200 cycles, and a sample every 100 cycles always caught the same
   * phase of them (a rename epoch every second sample).
   */
  readonly memoryEvery?: number;
  /** Called with each memory sample (the long form prints them: the shape of the curve, not only its ends). */
  readonly onMemory?: (m: MemorySample) => void;
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
  /**
   * RSS as the process runs (read after every cycle, no forced GC: what an
   * operator's container metrics show) at the start and the end: the
   * medians of the first and the last tenth of the measured cycles. One
   * reading moves by ±15% from one moment to the next (what V8 and the
   * allocator keep of memory just freed), so two single readings measured
   * the luck of two instants, not growth.
   */
  readonly rssStartMiB: number;
  readonly rssEndMiB: number;
  /** Largest reading of the run. */
  readonly rssMaxMiB: number;
  /** Live heap after forced GCs (what a leak would grow), medians of the same windows. */
  readonly heapStartMiB: number;
  readonly heapEndMiB: number;
  /** RSS right after the forced GCs, medians of the same windows (a full GC itself raises RSS for a while). */
  readonly rssAfterGcStartMiB: number;
  readonly rssAfterGcEndMiB: number;
  /** The earlier definition: single RSS readings after forced GCs right after the warm-up and at the very end. */
  readonly rssFirstMiB: number;
  readonly rssLastMiB: number;
  readonly memorySamples: number;
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

/** Sample lines of a /metrics text (neither blank nor a comment), counted without splitting it. */
function seriesLines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; ) {
    let j = text.indexOf('\n', i);
    if (j < 0) j = text.length;
    if (j > i && text.charCodeAt(i) !== 35 /* # */) n++;
    i = j + 1;
  }
  return n;
}

export interface MemorySample { readonly cycle: number; readonly rss: number; readonly heap: number }

/** Median of the samples' field (lower middle for an even count; NaN for none). */
function medianOf(samples: readonly MemorySample[], field: 'rss' | 'heap'): number {
  const v = samples.map((s) => s[field]).sort((a, b) => a - b);
  return v.length === 0 ? Number.NaN : v[(v.length - 1) >> 1]!;
}

/**
 * Start and end memory of a run measured from cycle `from` to `to`: the
 * medians of the samples taken in its first and its last tenth (each window
 * at least one cycle wide, so the first and the last sample always count).
 */
export function memoryWindows(samples: readonly MemorySample[], from: number, to: number): { start: MemorySample; end: MemorySample } {
  const tenth = Math.max(1, Math.floor((to - from) / 10));
  const first = samples.filter((m) => m.cycle <= from + tenth);
  const last = samples.filter((m) => m.cycle >= to - tenth);
  return {
    start: { cycle: from, rss: medianOf(first, 'rss'), heap: medianOf(first, 'heap') },
    end: { cycle: to, rss: medianOf(last, 'rss'), heap: medianOf(last, 'heap') },
  };
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
          // Counted in memory: parsing the ~10 MiB state file here every sample put ~50 MiB of the bench's own garbage into the heap it measures.
          histories: daemon.historyCount,
          trackedAlerts: status.alerts.length,
          metricsSeries: seriesLines(text),
        });
      }
    };
    // Warm-up: the first cycles fill histories and the outbox; memory is measured after them.
    const warmup = Math.min(100, Math.floor(opts.cycles / 10));
    for (let c = 0; c < warmup; c++) await step(c);
    const memoryEvery = Math.max(1, opts.memoryEvery ?? 101);
    const afterGc: MemorySample[] = [];
    const running: MemorySample[] = [];
    const sampleMemory = (cycle: number) => {
      const m = { cycle, ...memoryAfterGc() };
      afterGc.push(m);
      opts.onMemory?.(m);
    };
    sampleMemory(warmup);
    cycleMs.length = 0;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    for (let c = warmup; c < opts.cycles; c++) {
      await step(c);
      running.push({ cycle: c + 1, rss: process.memoryUsage.rss() / MiB, heap: Number.NaN });
      // Sampled outside the timed part of the cycle, with the loop monitor paused (a forced GC is not the daemon's delay).
      if ((c + 1 - warmup) % memoryEvery === 0 && c + 1 < opts.cycles) {
        loop.disable();
        sampleMemory(c + 1);
        loop.enable();
      }
    }
    loop.disable();
    sampleMemory(opts.cycles);
    const rss = memoryWindows(running, warmup, opts.cycles);
    const gcd = memoryWindows(afterGc, warmup, opts.cycles);
    const sorted = [...cycleMs].sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      bench: 'soak',
      pools: opts.pools,
      backends: opts.pools * opts.backendsPerPool,
      cycles: opts.cycles,
      rssStartMiB: round(rss.start.rss),
      rssEndMiB: round(rss.end.rss),
      rssMaxMiB: round(Math.max(...running.map((m) => m.rss))),
      heapStartMiB: round(gcd.start.heap),
      heapEndMiB: round(gcd.end.heap),
      rssAfterGcStartMiB: round(gcd.start.rss),
      rssAfterGcEndMiB: round(gcd.end.rss),
      rssFirstMiB: round(afterGc[0]!.rss),
      rssLastMiB: round(afterGc[afterGc.length - 1]!.rss),
      memorySamples: afterGc.length,
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
