// Runs one scenario through the real daemon: the simulated exporters are
// scraped by the real scrape source (src/sources/scrape.ts, built by
// buildSource from bench/detection/skewwatch.yaml: exposition parser, HAProxy
// preset extraction, rate tracker, weight averaging), and the real Daemon
// (src/app/daemon.ts) runs its cycle: analyseSnapshot, evaluateCycle with the
// default rules from alerts/default.yaml, outbox, delivery. Only the network
// is replaced: axios' adapter answers from the simulator in memory, and time
// is a simulated clock (no sleeps). Every 15 s slot the fleet is stepped to
// the scrape instant (the slot or the second after: scrape jitter) and the
// daemon runs; what it plans to send is recorded. A page is a trigger for
// the pagerduty sink; a warning is a trigger for slack without pagerduty.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { Daemon } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext, buildSource } from '../../src/app/build.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import type { RawConfig } from '../../src/config/schema.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { SENT, type Notifier } from '../../src/notify/notifier.js';
import type { PersistedState, StateStore } from '../../src/state/store.js';
import type { Clock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import type { ReasonCode } from '../../src/core/types.js';
import type { EventContext, Scenario } from './scenario.js';
import { Fleet } from './sim/fleet.js';
import { renderHaproxy, renderNodeCpu, renderProcessCpu, TEXT_CONTENT_TYPE } from './sim/exposition.js';
import { Rng } from './sim/random.js';

export const CONFIG_FILE = join(dirname(fileURLToPath(import.meta.url)), 'skewwatch.yaml');
/** Simulated second 0 (2026-01-01T00:00:00Z). */
export const EPOCH_MS = 1_767_225_600_000;

export interface Alerted {
  /** Simulated second of the cycle that planned it. */
  readonly at: number;
  readonly rule: string;
  readonly reasons: readonly ReasonCode[];
  readonly text: string;
}

export interface RunTrace {
  readonly scenario: Scenario;
  readonly pages: Alerted[];
  readonly warnings: Alerted[];
  readonly fleet: Fleet;
  readonly cycles: number;
  /** Simulated seconds actually run (fault runs stop 2 min after the first 5xx). */
  readonly seconds: number;
}

let loadedCache: LoadedConfig | null = null;
function loaded(): LoadedConfig {
  loadedCache ??= loadConfig({ file: CONFIG_FILE, env: {} });
  return loadedCache;
}

// ---- the in-memory network -----------------------------------------------------

type Answer = { status: number; body: string };
const handlers = new Map<string, (path: string) => Answer>();
let runCounter = 0;

const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
  const url = new URL(String(config.url));
  const handler = handlers.get(url.host);
  const a = handler ? handler(url.pathname) : { status: 503, body: '' };
  return { data: a.body, status: a.status, statusText: String(a.status), headers: { 'content-type': TEXT_CONTENT_TYPE }, config, request: {} };
};

class SimClock implements Clock {
  ms = EPOCH_MS;
  now(): number {
    return this.ms;
  }
  async sleep(): Promise<void> {}
}

const nullStore: StateStore = { load: () => null, save: (_s: PersistedState) => undefined };

function quietNotifier(name: string): Notifier {
  return { name, send: async () => SENT };
}

/** Simulated seconds from the first 5xx to the end of a fault run. */
export const AFTER_5XX_SECONDS = 120;
export const INTERVAL_SECONDS = 15;

export interface RunOptions {
  /** Stop after this many simulated seconds (the subset test shortens long benign runs). */
  readonly maxSeconds?: number;
}

export async function runScenario(sc: Scenario, opts: RunOptions = {}): Promise<RunTrace> {
  axios.defaults.adapter = adapter;
  const fleet = new Fleet(sc.pool, sc.seed);
  const jitter = new Rng(sc.seed ^ 0x5eed);
  const clock = new SimClock();
  const host = `run${++runCounter}.sim.invalid`;
  const appCpuBase = new Map<string, number>();
  const ctx: EventContext = {
    hideWeightOnce: new Set(),
    cpuFailOnce: new Set(),
    balancerFailCycles: 0,
    restartApp: (name) => appCpuBase.set(name, fleet.server(name).appCpuSeconds),
  };
  let failBalancer = false;
  // Every target of a cycle is read at the same fleet second (set before
  // the cycle, with a few ms of midpoint error), so the source's midpoint
  // time is the instant the counters were rendered.
  const answer = (path: string): Answer => {
    if (path === '/metrics') {
      if (failBalancer) return { status: 503, body: '' };
      const body = renderHaproxy(fleet, { hideWeight: ctx.hideWeightOnce, ...(sc.backupMetric === false ? { backupMetric: false } : {}) });
      ctx.hideWeightOnce.clear();
      return { status: 200, body };
    }
    const name = path.slice('/cpu/'.length);
    const s = fleet.servers.find((x) => x.name === name);
    if (!s || !s.present || !s.alive || ctx.cpuFailOnce.has(name)) {
      ctx.cpuFailOnce.delete(name);
      return { status: 503, body: '' };
    }
    if (sc.cpu === 'process') return { status: 200, body: renderProcessCpu(s.appCpuSeconds - (appCpuBase.get(name) ?? 0)) };
    return { status: 200, body: renderNodeCpu(s, 86_400 + fleet.t) };
  };
  handlers.set(host, answer);

  const base = loaded();
  const cpuServers = sc.cpu === 'none' ? [] : sc.pool.servers.filter((s) => !sc.noCpu?.has(s.name));
  const scrape = base.config.source.scrape!;
  const targets = [
    { ...scrape.targets[0]!, url: `http://${host}/metrics` },
    ...cpuServers.map((s) => ({ ...scrape.targets[0]!, url: `http://${host}/cpu/${s.name}`, role: 'cpu' as const, labels: { proxy: sc.pool.name, server: s.name } })),
  ];
  const config: RawConfig = { ...base.config, source: { ...base.config.source, scrape: { ...scrape, targets } } };
  const notifiers = [quietNotifier('slack'), quietNotifier('pagerduty')];
  const daemon = new Daemon({
    loaded: { ...base, config },
    source: buildSource(config, clock),
    notifiers,
    analysis: buildAnalysisOptions(config),
    context: buildEvaluatorContext({ ...base, config }, notifiers),
    store: nullStore,
    clock,
    log: silentLogger(),
    metrics: new SkewwatchMetrics(),
    random: () => 0.5,
  });

  const events = [...sc.events].sort((a, b) => a.at - b.at);
  let nextEvent = 0;
  const pages: Alerted[] = [];
  const warnings: Alerted[] = [];
  const interval = INTERVAL_SECONDS;
  let cycles = 0;
  try {
    const duration = Math.min(sc.duration, opts.maxSeconds ?? Infinity);
    for (let k = 1; k * interval <= duration; k++) {
      const slot = k * interval;
      const scrapeAt = slot + (jitter.uniform() < 0.3 ? 1 : 0);
      while (fleet.t < scrapeAt) {
        while (nextEvent < events.length && events[nextEvent]!.at <= fleet.t) events[nextEvent++]!.apply(fleet, ctx);
        fleet.step(sc.load(fleet.t));
      }
      clock.ms = EPOCH_MS + fleet.t * 1000 + Math.round(jitter.between(-10, 10));
      failBalancer = ctx.balancerFailCycles > 0;
      if (failBalancer) ctx.balancerFailCycles--;
      const report = await daemon.cycle(EPOCH_MS + slot * 1000);
      await daemon.deliver(AbortSignal.timeout(60_000));
      cycles++;
      for (const p of report.planned) {
        if (p.notification.kind !== 'trigger') continue;
        const a: Alerted = { at: slot, rule: p.notification.ruleId, reasons: p.notification.verdict?.reasons ?? [], text: p.notification.summary };
        if (p.sinks.includes('pagerduty')) pages.push(a);
        else if (p.sinks.includes('slack')) warnings.push(a);
      }
      const f5 = fleet.truth.first5xxAt;
      if (sc.kind === 'fault' && f5 !== null && fleet.t >= f5 + AFTER_5XX_SECONDS) break;
    }
  } finally {
    await daemon.close();
    handlers.delete(host);
  }
  return { scenario: sc, pages, warnings, fleet, cycles, seconds: fleet.t };
}
