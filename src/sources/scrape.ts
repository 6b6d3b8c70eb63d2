// Scrape mode: read the balancer's own /metrics (and optionally each
// backend's CPU exporter) directly, without a Prometheus in between.
//
// Each collect() GETs every target (at most `concurrency` at a time), parses
// only the families the preset needs, and feeds the counters of each target
// into that target's own RateTracker, keyed by pool/backend/signal. The time
// of a scrape is the midpoint between sending the request and receiving the
// whole response, read from the injected Clock, so a slow response does not
// lengthen one interval and shorten the next.
//
// Window: by default a rate spans the last two successful scrapes of that
// target, and PoolSample.windowSeconds is that elapsed time (the longest
// among the pool's backends). `smoothingScrapes: n` spans the last n
// scrapes instead (a sliding window of n-1 intervals) to damp noise.
//
// First scrape: counters have no rate yet, so the snapshot has no pools and
// `ready` is false. A backend appears once its counters have two points; a
// backend whose series vanish is gone (dropped, not zero).
//
// Failures: any balancer target failing fails the whole collect (a partial
// set of balancers would distort the distribution); the error is the first
// balancer failure. A CPU target failing only drops CPU for its backend; the
// errors are kept in `lastCpuErrors`. Trackers of failed targets are left
// untouched, so the next success yields a rate over the longer interval.

import type { BackendSample, Health, PoolSample, Snapshot } from '../core/types.js';
import { mergeHealth } from '../presets/extract.js';
import { hasScrape, type BackendReading, type Preset, type ScrapePreset } from '../presets/preset.js';
import { systemClock, type Clock } from '../util/clock.js';
import { SkewwatchError, errorMessage, isSkewwatchError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { parseExposition } from './exposition.js';
import type { Family } from './exposition-types.js';
import { createAgents, displayUrl, fetchText, registerTargetSecrets, type Agents, type FetchTarget } from './http-fetch.js';
import { RateTracker, type SeriesRate } from './rates.js';
import type { Source } from './source.js';

export interface ScrapeTarget extends FetchTarget {
  /** `balancer`: the load balancer's exposition; `cpu`: one backend's process or node exporter. */
  readonly role: 'balancer' | 'cpu';
  /**
   * For cpu targets: the pool labels and backend label of the backend this
   * endpoint's CPU belongs to, e.g. { proxy: 'be_app', server: 's1' }.
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** For cpu targets: cores available, overriding what the exporter says. */
  readonly cpuCapacity?: number;
  /** For cpu targets: which metric to read (default auto: node_exporter if present, else process). */
  readonly cpuMetric?: 'auto' | 'node' | 'process';
}

export interface ScrapeSourceOptions {
  readonly preset: Preset;
  readonly targets: readonly ScrapeTarget[];
  readonly name?: string;
  /** Targets fetched at once. Default 4. */
  readonly concurrency?: number;
  /** Largest accepted body in bytes (decompressed). Default 32 MiB. */
  readonly maxBytes?: number;
  /** Per-target default deadline for the whole response. Default 10 s. */
  readonly timeoutMs?: number;
  /** Scrapes a rate spans (>= 2). Default 2: the last two scrapes. */
  readonly smoothingScrapes?: number;
  /** Per-backend CPU capacity hint (cores) for pools without a capacity signal. */
  readonly cpuCapacityHint?: number;
  readonly clock?: Clock;
}

export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const CPU_METRIC_NAMES = ['node_cpu_seconds_total', 'process_cpu_seconds_total'] as const;

export interface CpuReading {
  readonly seconds: number;
  readonly capacity?: number;
  readonly source: 'node' | 'process';
}

/**
 * CPU seconds from one exporter: node_exporter's node_cpu_seconds_total
 * summed over every mode except idle (capacity = number of CPUs), else
 * process_cpu_seconds_total (any Prometheus client library). node_exporter
 * also exposes its own process_cpu_seconds_total, so it wins in auto mode.
 */
export function readCpu(families: readonly Family[], metric: 'auto' | 'node' | 'process' = 'auto'): CpuReading | undefined {
  let nodeSum = 0;
  let nodeSeen = false;
  const cpus = new Set<string>();
  let procSum = 0;
  let procSeen = false;
  for (const f of families) {
    for (const s of f.samples) {
      if (!Number.isFinite(s.value)) continue;
      if (s.name === 'node_cpu_seconds_total') {
        if (s.labels.cpu !== undefined) cpus.add(s.labels.cpu);
        if (s.labels.mode === 'idle') continue;
        nodeSum += s.value;
        nodeSeen = true;
      } else if (s.name === 'process_cpu_seconds_total') {
        procSum += s.value;
        procSeen = true;
      }
    }
  }
  if (nodeSeen && metric !== 'process') {
    return cpus.size > 0 ? { seconds: nodeSum, capacity: cpus.size, source: 'node' } : { seconds: nodeSum, source: 'node' };
  }
  if (procSeen && metric !== 'node') return { seconds: procSum, source: 'process' };
  return undefined;
}

interface TargetState {
  readonly target: ScrapeTarget;
  readonly display: string;
  readonly tracker: RateTracker;
  readonly agents: Agents;
  /**
   * Weight-seconds per backend: the time integral of each backend's weight.
   * Fed to the tracker like a counter, its rate is the weight averaged over
   * the same scrapes as the request rate (see absorbBalancer).
   */
  readonly weightSeconds: Map<string, { total: number; at: number; weight: number }>;
}

interface Fetched {
  readonly families: Family[];
  /** Midpoint of the request, epoch ms. */
  readonly at: number;
}

interface BackendAcc {
  pool: Readonly<Record<string, string>>;
  backend: string;
  rate?: number;
  count?: number;
  seconds?: number;
  errorRate?: number;
  weight?: number;
  health?: Health;
  queue?: number;
  cpu?: number;
  cpuCapacity?: number;
  sessions?: number;
  sessionLimit?: number;
  backup?: boolean;
  stateAgeSeconds?: number;
  responseTime?: number;
}

const SIGNAL_SEP = '\u0000';

/** The weight averaged over the window; the current one when unchanged (no float noise) or not yet known. */
function windowWeight(avg: SeriesRate | undefined, current: number): number {
  if (avg === undefined || !(avg.seconds > 0)) return current;
  return Math.abs(avg.rate - current) <= 1e-9 * Math.max(1, Math.abs(current)) ? current : avg.rate;
}

function poolKey(preset: Preset, labels: Readonly<Record<string, string>>): string {
  return preset.poolLabels.map((l) => labels[l] ?? '').join('/');
}

export class ScrapeSource implements Source {
  readonly name: string;
  private readonly preset: ScrapePreset;
  private readonly states: TargetState[];
  private readonly concurrency: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly cpuCapacityHint: number | undefined;
  private readonly keepBalancer: Set<string>;
  private readonly keepCpu = new Set<string>(CPU_METRIC_NAMES);
  private isReady = false;
  private cpuErrors: SkewwatchError[] = [];

  constructor(options: ScrapeSourceOptions) {
    if (!hasScrape(options.preset)) {
      throw new SkewwatchError('config', `preset "${options.preset.name}" cannot scrape: the balancer exposes no metrics of its own; use query mode`);
    }
    this.preset = options.preset;
    this.name = options.name ?? `scrape:${options.preset.name}`;
    if (options.targets.length === 0) throw new SkewwatchError('config', 'scrape source needs at least one target');
    if (!options.targets.some((t) => t.role === 'balancer')) {
      throw new SkewwatchError('config', 'scrape source needs at least one target with role "balancer"');
    }
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new SkewwatchError('config', `concurrency must be a positive integer, got ${concurrency}`);
    this.concurrency = concurrency;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!(this.maxBytes > 0)) throw new SkewwatchError('config', `maxBytes must be positive, got ${this.maxBytes}`);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new SkewwatchError('config', `timeoutMs must be positive, got ${this.timeoutMs}`);
    const smoothing = options.smoothingScrapes ?? 2;
    if (!Number.isInteger(smoothing) || smoothing < 2) throw new SkewwatchError('config', `smoothingScrapes must be an integer >= 2, got ${smoothing}`);
    this.clock = options.clock ?? systemClock;
    this.cpuCapacityHint = options.cpuCapacityHint;
    this.keepBalancer = new Set(this.preset.scrape.metricNames);

    const required = [...this.preset.poolLabels, this.preset.backendLabel];
    this.states = options.targets.map((target) => {
      const display = displayUrl(target.url);
      registerTargetSecrets(target);
      if (target.role !== 'balancer' && target.role !== 'cpu') {
        throw new SkewwatchError('config', `scrape target ${display}: role must be "balancer" or "cpu"`);
      }
      if (target.role === 'cpu') {
        const missing = required.filter((l) => target.labels?.[l] === undefined);
        if (missing.length > 0) {
          throw new SkewwatchError('config', `cpu scrape target ${display}: labels must name the backend (missing ${missing.join(', ')})`);
        }
      }
      return { target, display, tracker: new RateTracker({ maxPoints: smoothing }), agents: createAgents(target.tls), weightSeconds: new Map() };
    });
  }

  /** True once a collect produced at least one pool with rates. */
  get ready(): boolean {
    return this.isReady;
  }

  /** CPU target failures of the last collect (they do not fail the collect). */
  get lastCpuErrors(): readonly SkewwatchError[] {
    return this.cpuErrors;
  }

  async collect(now: number, signal?: AbortSignal): Promise<Snapshot> {
    const results = await this.fetchAll(signal);
    const balancerFailure = results.find((r, i) => this.states[i]!.target.role === 'balancer' && r instanceof Error);
    if (balancerFailure !== undefined) throw balancerFailure;
    this.cpuErrors = results.filter((r): r is SkewwatchError => r instanceof SkewwatchError);

    const backends = new Map<string, BackendAcc>();
    const accFor = (pool: Readonly<Record<string, string>>, backend: string): BackendAcc => {
      const key = poolKey(this.preset, pool) + SIGNAL_SEP + backend;
      let acc = backends.get(key);
      if (acc === undefined) backends.set(key, (acc = { pool, backend }));
      return acc;
    };

    results.forEach((r, i) => {
      if (r instanceof Error) return;
      const st = this.states[i]!;
      if (st.target.role === 'balancer') this.absorbBalancer(st, r, accFor);
      else this.absorbCpu(st, r, accFor);
    });

    const pools = this.buildPools(backends);
    this.isReady = pools.length > 0;
    return { at: now, pools };
  }

  async close(): Promise<void> {
    for (const st of this.states) st.agents.destroy();
  }

  private absorbBalancer(
    st: TargetState,
    fetched: Fetched,
    accFor: (pool: Readonly<Record<string, string>>, backend: string) => BackendAcc,
  ): void {
    let readings: BackendReading[];
    try {
      readings = this.preset.scrape.extract(fetched.families);
    } catch (e) {
      throw new SkewwatchError('source-malformed', `scrape target ${st.display}: ${redactText(errorMessage(e))}`, { cause: e });
    }
    if (readings.length === 0) {
      throw new SkewwatchError(
        'source-malformed',
        `scrape target ${st.display}: none of the ${this.preset.name} preset's metrics found (expected ${this.preset.scrape.metricNames.join(', ')})`,
      );
    }
    const counters = new Map<string, number>();
    const ident = (r: BackendReading) => JSON.stringify([poolKey(this.preset, r.pool), r.backend]);
    for (const r of readings) {
      const id = ident(r);
      if (r.requests !== undefined) counters.set(id + SIGNAL_SEP + 'req', r.requests);
      if (r.errors !== undefined) counters.set(id + SIGNAL_SEP + 'err', r.errors);
      if (r.cpuSeconds !== undefined) counters.set(id + SIGNAL_SEP + 'cpu', r.cpuSeconds);
      if (r.weight !== undefined) {
        // Left-point integral: the previous weight held until this scrape.
        const w = st.weightSeconds.get(id);
        const total = w ? w.total + (w.weight * Math.max(0, fetched.at - w.at)) / 1000 : 0;
        st.weightSeconds.set(id, { total, at: fetched.at, weight: r.weight });
        counters.set(id + SIGNAL_SEP + 'wsec', total);
      }
    }
    const rates = st.tracker.update(fetched.at, counters);
    for (const r of readings) {
      const id = ident(r);
      const acc = accFor(r.pool, r.backend);
      const req = rates.get(id + SIGNAL_SEP + 'req');
      if (req !== undefined) addRequests(acc, req);
      const err = rates.get(id + SIGNAL_SEP + 'err');
      if (err !== undefined) acc.errorRate = (acc.errorRate ?? 0) + err.rate;
      const cpu = rates.get(id + SIGNAL_SEP + 'cpu');
      if (cpu !== undefined) acc.cpu = (acc.cpu ?? 0) + cpu.rate;
      if (r.cpuCapacity !== undefined && acc.cpuCapacity === undefined) acc.cpuCapacity = r.cpuCapacity;
      // The rates average the window, so the weight they are compared with
      // does too: right after a deliberate weight change the window still
      // holds traffic sent under the old weights. The instant weight stands
      // in until two scrapes exist.
      const avgWeight = rates.get(id + SIGNAL_SEP + 'wsec');
      if (r.weight !== undefined && acc.weight === undefined) acc.weight = windowWeight(avgWeight, r.weight);
      if (r.queue !== undefined) acc.queue = (acc.queue ?? 0) + r.queue;
      if (r.health !== undefined) acc.health = mergeHealth(acc.health, r.health);
      // Several balancers in front of one backend: sessions and their limits
      // add up (each balancer enforces its own maxconn), a backup anywhere is
      // a backup, the youngest state change and the slowest response win.
      if (r.sessions !== undefined) acc.sessions = (acc.sessions ?? 0) + r.sessions;
      if (r.sessionLimit !== undefined) acc.sessionLimit = (acc.sessionLimit ?? 0) + r.sessionLimit;
      if (r.backup !== undefined) acc.backup = (acc.backup ?? false) || r.backup;
      if (r.stateAgeSeconds !== undefined) acc.stateAgeSeconds = Math.min(acc.stateAgeSeconds ?? Infinity, r.stateAgeSeconds);
      if (r.responseTime !== undefined) acc.responseTime = Math.max(acc.responseTime ?? -Infinity, r.responseTime);
    }
  }

  private absorbCpu(
    st: TargetState,
    fetched: Fetched,
    accFor: (pool: Readonly<Record<string, string>>, backend: string) => BackendAcc,
  ): void {
    const labels = st.target.labels!;
    const reading = readCpu(fetched.families, st.target.cpuMetric ?? 'auto');
    if (reading === undefined) {
      st.tracker.update(fetched.at, new Map());
      this.cpuErrors.push(
        new SkewwatchError('source-malformed', `cpu scrape target ${st.display}: no node_cpu_seconds_total or process_cpu_seconds_total`),
      );
      return;
    }
    const rate = st.tracker.update(fetched.at, new Map([['cpu', reading.seconds]])).get('cpu');
    const pool: Record<string, string> = {};
    for (const l of this.preset.poolLabels) pool[l] = labels[l]!;
    const acc = accFor(pool, labels[this.preset.backendLabel]!);
    if (rate !== undefined) acc.cpu = (acc.cpu ?? 0) + rate.rate;
    const capacity = st.target.cpuCapacity ?? reading.capacity;
    if (capacity !== undefined) acc.cpuCapacity = capacity;
  }

  private buildPools(backends: Map<string, BackendAcc>): PoolSample[] {
    const pools = new Map<string, { labels: Readonly<Record<string, string>>; backends: BackendSample[]; seconds: number }>();
    for (const acc of backends.values()) {
      // No request rate yet (first scrape, new backend) or a CPU-only entry
      // for a backend the balancer does not report: leave it out.
      if (acc.rate === undefined) continue;
      const key = poolKey(this.preset, acc.pool);
      let p = pools.get(key);
      if (p === undefined) pools.set(key, (p = { labels: acc.pool, backends: [], seconds: 0 }));
      const b: { -readonly [K in keyof BackendSample]: BackendSample[K] } = {
        backend: acc.backend,
        rate: acc.rate,
        health: acc.health ?? 'up',
      };
      if (acc.count !== undefined) b.count = acc.count;
      if (acc.cpu !== undefined) b.cpu = acc.cpu;
      if (acc.cpuCapacity !== undefined) b.cpuCapacity = acc.cpuCapacity;
      if (acc.weight !== undefined) b.weight = acc.weight;
      if (acc.queue !== undefined) b.queue = acc.queue;
      if (acc.errorRate !== undefined) b.errorRate = acc.errorRate;
      if (acc.sessions !== undefined) b.sessions = acc.sessions;
      if (acc.sessionLimit !== undefined) b.sessionLimit = acc.sessionLimit;
      if (acc.backup !== undefined) b.backup = acc.backup;
      if (acc.stateAgeSeconds !== undefined) b.stateAgeSeconds = acc.stateAgeSeconds;
      if (acc.responseTime !== undefined) b.responseTime = acc.responseTime;
      p.backends.push(b);
      p.seconds = Math.max(p.seconds, acc.seconds ?? 0);
    }
    const out: PoolSample[] = [];
    for (const [key, p] of pools) {
      const sample: { -readonly [K in keyof PoolSample]: PoolSample[K] } = {
        pool: key,
        labels: p.labels,
        backends: p.backends,
        windowSeconds: p.seconds,
      };
      if (this.cpuCapacityHint !== undefined) sample.cpuCapacityHint = this.cpuCapacityHint;
      out.push(sample);
    }
    return out;
  }

  private async fetchAll(signal?: AbortSignal): Promise<Array<Fetched | SkewwatchError>> {
    const results: Array<Fetched | SkewwatchError> = new Array(this.states.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.states.length) {
        const i = next++;
        results[i] = await this.fetchOne(this.states[i]!, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, this.states.length) }, worker));
    return results;
  }

  private async fetchOne(st: TargetState, signal?: AbortSignal): Promise<Fetched | SkewwatchError> {
    try {
      const started = this.clock.now();
      const res = await fetchText(st.target, {
        maxBytes: this.maxBytes,
        defaultTimeoutMs: this.timeoutMs,
        agents: st.agents,
        ...(signal !== undefined && { signal }),
      });
      const finished = this.clock.now();
      const at = started + (finished - started) / 2;
      const keep = st.target.role === 'balancer' ? this.keepBalancer : this.keepCpu;
      let families: Family[];
      try {
        families = parseExposition(res.body, {
          ...(res.contentType !== undefined && { contentType: res.contentType }),
          keepNames: keep,
          includeHistograms: st.target.role === 'balancer' && this.preset.scrape.includeHistograms === true,
        });
      } catch (e) {
        throw new SkewwatchError('source-malformed', `scrape target ${st.display}: ${redactText(errorMessage(e))}`, { cause: e });
      }
      return { families, at };
    } catch (e) {
      if (isSkewwatchError(e)) return e;
      return new SkewwatchError('source-unreachable', `scrape target ${st.display}: ${redactText(errorMessage(e))}`);
    }
  }
}

function addRequests(acc: BackendAcc, r: SeriesRate): void {
  acc.rate = (acc.rate ?? 0) + r.rate;
  acc.count = (acc.count ?? 0) + r.increase;
  acc.seconds = Math.max(acc.seconds ?? 0, r.seconds);
}

export function createScrapeSource(options: ScrapeSourceOptions): ScrapeSource {
  return new ScrapeSource(options);
}
