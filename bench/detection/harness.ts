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
import { Daemon, type CycleReport } from '../../src/app/daemon.js';
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
import { blocksToFamilies, haproxyBlocks, nodeCpuBlocks, processCpuBlocks, renderBlocks, TEXT_CONTENT_TYPE, type MetricBlock } from './sim/exposition.js';
import { CPU_METRIC_NAMES } from '../../src/sources/scrape.js';
import { getPreset } from '../../src/presets/index.js';
import { SkewwatchError } from '../../src/util/errors.js';
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

type Answer = { status: number; blocks: MetricBlock[] };
const handlers = new Map<string, (path: string) => Answer>();
let runCounter = 0;

const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
  const url = new URL(String(config.url));
  const handler = handlers.get(url.host);
  const a = handler ? handler(url.pathname) : { status: 503, blocks: [] };
  return { data: renderBlocks(a.blocks), status: a.status, statusText: String(a.status), headers: { 'content-type': TEXT_CONTENT_TYPE }, config, request: {} };
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

/**
 * How scrapes reach the source:
 * - text: the exporters' text over axios (in memory), parsed by the real
 *   exposition parser: the whole scrape path;
 * - families: the parsed form (what the parser returns for that text, see
 *   blocksToFamilies) handed to the scrape source in place of its HTTP fetch,
 *   skipping HTTP and the parser (tested separately, and against this path in
 *   test/bench/wire.test.ts); everything after the parser (preset extraction,
 *   rates, weight averaging, CPU, pool building) is the product's. 5-10x
 *   cheaper: the full benchmark uses it.
 */
export type Wire = 'text' | 'families';

export interface RunOptions {
  /** Default 'families'. */
  readonly wire?: Wire;
  /** Sees every cycle's report (snapshot, verdicts, planned notifications). */
  readonly onCycle?: (report: CycleReport) => void;
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
  // Every CPU target looks its server up each cycle: by name, not a scan (1,000 servers).
  const byName = new Map(fleet.servers.map((x) => [x.name, x]));
  // Every target of a cycle is read at the same fleet second (set before
  // the cycle, with a few ms of midpoint error), so the source's midpoint
  // time is the instant the counters were rendered.
  // `only`: the metrics the parser would keep (the 'families' wire builds no others).
  const answer = (path: string, only?: ReadonlySet<string>): Answer => {
    if (path === '/metrics') {
      if (failBalancer) return { status: 503, blocks: [] };
      const blocks = haproxyBlocks(fleet, {
        hideWeight: ctx.hideWeightOnce,
        ...(sc.backupMetric === false ? { backupMetric: false } : {}),
        ...(only !== undefined ? { only } : {}),
      });
      ctx.hideWeightOnce.clear();
      return { status: 200, blocks };
    }
    const name = path.slice('/cpu/'.length);
    const s = byName.get(name);
    if (!s || !s.present || !s.alive || ctx.cpuFailOnce.has(name)) {
      ctx.cpuFailOnce.delete(name);
      return { status: 503, blocks: [] };
    }
    if (sc.cpu === 'process') return { status: 200, blocks: processCpuBlocks(s.appCpuSeconds - (appCpuBase.get(name) ?? 0)) };
    return { status: 200, blocks: nodeCpuBlocks(s, 86_400 + fleet.t) };
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
  const source = buildSource(config, clock);
  if ((opts.wire ?? 'families') === 'families') handParsed(source, answer, clock);
  const daemon = new Daemon({
    loaded: { ...base, config },
    source,
    notifiers,
    analysis: buildAnalysisOptions(config),
    context: buildEvaluatorContext({ ...base, config }, notifiers),
    store: nullStore,
    clock,
    log: silentLogger(),
    metrics: new SkewwatchMetrics(),
    random: () => 0.5,
  });

  // The notifiers answer at once: no delivery round can hang, and one
  // signal for the run costs nothing per cycle (a timeout signal per cycle did).
  const neverAborted = new AbortController().signal;
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
      opts.onCycle?.(report);
      await daemon.deliver(neverAborted);
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

const BALANCER_NAMES = new Set(getPreset('haproxy').scrape!.metricNames);
const CPU_NAMES = new Set<string>(CPU_METRIC_NAMES);

/**
 * The 'families' wire: replaces the scrape source's fetch of one target
 * (fetch + parse; it returns the parsed families and the scrape time, or the
 * error) with the parsed form of what the simulator would answer. The
 * method is private to ScrapeSource; if it is renamed this fails loudly
 * rather than silently measuring something else.
 */
function handParsed(source: unknown, answer: (path: string, only?: ReadonlySet<string>) => Answer, clock: Clock): void {
  type State = { target: { url: string; role: 'balancer' | 'cpu' }; display: string };
  const s = source as { fetchOne?: unknown; states?: unknown };
  if (typeof s.fetchOne !== 'function' || !Array.isArray(s.states)) {
    throw new Error('ScrapeSource no longer has fetchOne/states: update bench/detection/harness.ts (or run with --wire text)');
  }
  const paths = new Map<string, string>();
  s.fetchOne = async (st: State) => {
    let path = paths.get(st.target.url);
    if (path === undefined) paths.set(st.target.url, (path = new URL(st.target.url).pathname));
    const keep = st.target.role === 'balancer' ? BALANCER_NAMES : CPU_NAMES;
    const a = answer(path, keep);
    if (a.status !== 200) return new SkewwatchError('source-http', `scrape target ${st.display} answered HTTP ${a.status}`);
    return { families: blocksToFamilies(a.blocks, keep), at: clock.now() };
  };
}
