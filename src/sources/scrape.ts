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

import type { PoolSample, Snapshot } from '../core/types.js';
import type { Family } from '../signals/exposition-types.js';
import { hasScrape, mergeHealth, type BackendReading, type BalancerSpec, type ScrapeExtractor } from '../signals/readings.js';
import { systemClock, type Clock } from '../util/clock.js';
import { SkewwatchError, errorMessage, isSkewwatchError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { CPU_METRIC_NAMES, readCpu } from './cpu-exporter.js';
import { parseExposition } from './exposition.js';

import { createAgents, displayUrl, fetchText, registerTargetSecrets, type Agents, type FetchTarget } from './http-fetch.js';
import { parseMatcherList } from '../signals/label-matchers.js';
import { poolSelector } from '../signals/pool-selection.js';
import { RateTracker } from './rates.js';
import { addRequests, BackendAcc, buildPools, poolKey, windowWeight } from './scrape-pools.js';
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
  /** The preset (or anything with its name, labels and extractor). */
  readonly preset: BalancerSpec;
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
  /**
   * source.matchers (and labels) as in query mode: a balancer sample is read
   * only when every matcher passes, on its labels plus the preset's fixed
   * pool labels (Traefik's job).
   */
  readonly matchers?: string;
  /** Only pools whose id (pool label values joined by '/') matches; as in query mode. */
  readonly includePools?: string;
  /** Drop pools whose id matches (after includePools). */
  readonly excludePools?: string;
  /** The preset's diagnoses of an exposition (e.g. labels renamed by a missing honor_labels), once per distinct message. */
  readonly onWarning?: (message: string, signal: string) => void;
}

export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;
export { CPU_METRIC_NAMES, readCpu, type CpuReading } from './cpu-exporter.js';

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
  readonly weightSeconds: Map<string, WeightIntegral>;
  /**
   * The tracker keys of each backend's signals, built once per backend
   * rather than concatenated twice per signal per scrape (the same string
   * objects each scrape: their hashes are computed once). Keyed by the
   * backend's pool key, then its name (no identity string built per reading
   * per scrape to find them); entries of backends absent from a scrape are
   * dropped.
   */
  readonly seriesKeys: Map<string, Map<string, SeriesKeys>>;
}

/** A backend's weight-seconds so far and the weight that holds since `at` (updated in place each scrape). */
interface WeightIntegral {
  total: number;
  at: number;
  weight: number;
}

interface SeriesKeys {
  /** The backend's identity: JSON of [pool key, backend]. */
  readonly id: string;
  /** Its accumulator's key in collect (pool key, separator, backend). */
  readonly acc: string;
  readonly req: string;
  readonly err: string;
  readonly cpu: string;
  readonly wsec: string;
  /** Scrape (count) that last saw the backend. */
  seen: number;
}

interface Fetched {
  readonly families: Family[];
  /** Midpoint of the request, epoch ms. */
  readonly at: number;
}

const SIGNAL_SEP = '\u0000';

/** The accumulator of a backend in this collect: by `key` (accKey), created with `pool` and `backend`. */
type AccFor = (key: string, pool: Readonly<Record<string, string>>, backend: string) => BackendAcc;

/** A backend's accumulator key in collect, whichever target reports it. */
function accKey(poolKeyText: string, backend: string): string {
  return poolKeyText + SIGNAL_SEP + backend;
}

export class ScrapeSource implements Source {
  readonly name: string;
  private readonly preset: BalancerSpec & { readonly scrape: ScrapeExtractor };
  private readonly states: TargetState[];
  private readonly concurrency: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly cpuCapacityHint: number | undefined;
  private readonly selectSample: ((labels: Readonly<Record<string, string>>) => boolean) | undefined;
  private readonly selectPool: (id: string) => boolean;
  private readonly onWarning: ((message: string, signal: string) => void) | undefined;
  private readonly warned = new Set<string>();
  private readonly keepBalancer: Set<string>;
  private readonly keepCpu = new Set<string>(CPU_METRIC_NAMES);
  private isReady = false;
  /** Balancer scrapes absorbed (marks which backends' series keys are still in use). */
  private scrapes = 0;
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
    const matchers = options.matchers?.trim() ?? '';
    if (matchers !== '') {
      let pred: (labels: Readonly<Record<string, string>>) => boolean;
      try {
        pred = parseMatcherList(matchers);
      } catch (e) {
        throw new SkewwatchError('config', `source.matchers in scrape mode: ${errorMessage(e)}`);
      }
      const fixed = options.preset.scrape?.fixedLabels;
      this.selectSample = fixed === undefined ? pred : (labels) => pred({ ...labels, ...fixed });
    }
    this.selectPool = poolSelector(options.includePools, options.excludePools);
    this.onWarning = options.onWarning;
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
      return { target, display, tracker: new RateTracker({ maxPoints: smoothing }), agents: createAgents(target.tls), weightSeconds: new Map(), seriesKeys: new Map() };
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
    const accFor: AccFor = (key, pool, backend) => {
      let acc = backends.get(key);
      if (acc === undefined) backends.set(key, (acc = new BackendAcc(pool, backend)));
      return acc;
    };

    results.forEach((r, i) => {
      if (r instanceof Error) return;
      const st = this.states[i]!;
      if (st.target.role === 'balancer') this.absorbBalancer(st, r, accFor);
      else this.absorbCpu(st, r, accFor);
    });

    const pools = buildPools(this.preset.poolLabels, backends, this.cpuCapacityHint).filter((p) => this.selectPool(p.pool));
    this.isReady = pools.length > 0;
    return { at: now, pools };
  }

  /** Each distinct warning once per source (bounded: a warning names a series or a metric). */
  private warnOnce(message: string): void {
    if (this.warned.has(message) || this.warned.size >= 1000) return;
    this.warned.add(message);
    this.onWarning?.(message, 'scrape');
  }

  /** The families with only the samples source.matchers select. */
  private selected(families: readonly Family[]): readonly Family[] {
    const pred = this.selectSample;
    if (pred === undefined) return families;
    return families.map((f) => ({ ...f, samples: f.samples.filter((s) => pred(s.labels)) }));
  }

  async close(): Promise<void> {
    for (const st of this.states) st.agents.destroy();
  }

  private absorbBalancer(
    st: TargetState,
    fetched: Fetched,
    accFor: AccFor,
  ): void {
    let readings: BackendReading[];
    try {
      readings = this.preset.scrape.extract(this.selected(fetched.families));
      for (const w of this.preset.scrape.diagnose?.(fetched.families) ?? []) this.warnOnce(`scrape target ${st.display}: ${w}`);
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
    // Sample timestamps (Prometheus /federate): rates span the underlying scrapes.
    const times = new Map<string, number>();
    // One identity per reading, computed once: the counters' keys and the
    // rates' lookups below share it.
    const scrape = ++this.scrapes;
    const poolLabels = this.preset.poolLabels;
    const keys = readings.map((r) => {
      const pk = poolKey(poolLabels, r.pool);
      let ofPool = st.seriesKeys.get(pk);
      if (ofPool === undefined) st.seriesKeys.set(pk, (ofPool = new Map()));
      let k = ofPool.get(r.backend);
      if (k === undefined) {
        const id = JSON.stringify([pk, r.backend]);
        k = {
          id, acc: accKey(pk, r.backend),
          req: id + SIGNAL_SEP + 'req', err: id + SIGNAL_SEP + 'err', cpu: id + SIGNAL_SEP + 'cpu', wsec: id + SIGNAL_SEP + 'wsec', seen: scrape,
        };
        ofPool.set(r.backend, k);
      } else k.seen = scrape;
      return k;
    });
    // A backend gone from the scrape is forgotten, its weight integral too
    // (kept, every backend ever renamed or scaled away stayed in memory).
    // Its counters restart as new series if it returns, so the integral's
    // old total would only have shifted the base of a counter that starts over.
    for (const [pk, ofPool] of st.seriesKeys) {
      for (const [backend, k] of ofPool) {
        if (k.seen === scrape) continue;
        ofPool.delete(backend);
        st.weightSeconds.delete(k.id);
      }
      if (ofPool.size === 0) st.seriesKeys.delete(pk);
    }
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const k = keys[i]!;
      const id = k.id;
      if (r.requests !== undefined) counters.set(k.req, r.requests);
      if (r.errors !== undefined) counters.set(k.err, r.errors);
      if (r.cpuSeconds !== undefined) counters.set(k.cpu, r.cpuSeconds);
      const ts = r.timestampsMs;
      if (ts?.requests !== undefined) times.set(k.req, ts.requests);
      if (ts?.errors !== undefined) times.set(k.err, ts.errors);
      if (ts?.cpuSeconds !== undefined) times.set(k.cpu, ts.cpuSeconds);
      if (r.weight !== undefined) {
        // Left-point integral: the previous weight held until this scrape.
        let w = st.weightSeconds.get(id);
        if (w === undefined) st.weightSeconds.set(id, (w = { total: 0, at: fetched.at, weight: r.weight }));
        else {
          w.total = w.total + (w.weight * Math.max(0, fetched.at - w.at)) / 1000;
          w.at = fetched.at;
          w.weight = r.weight;
        }
        counters.set(k.wsec, w.total);
      }
    }
    const rates = st.tracker.update(fetched.at, counters, times);
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const k = keys[i]!;
      const acc = accFor(k.acc, r.pool, r.backend);
      const req = rates.get(k.req);
      if (req !== undefined) addRequests(acc, req);
      const err = rates.get(k.err);
      if (err !== undefined) acc.errorRate = (acc.errorRate ?? 0) + err.rate;
      const cpu = rates.get(k.cpu);
      if (cpu !== undefined) acc.cpu = (acc.cpu ?? 0) + cpu.rate;
      if (r.cpuCapacity !== undefined && acc.cpuCapacity === undefined) acc.cpuCapacity = r.cpuCapacity;
      // The rates average the window, so the weight they are compared with
      // does too: right after a deliberate weight change the window still
      // holds traffic sent under the old weights. The instant weight stands
      // in until two scrapes exist.
      const avgWeight = rates.get(k.wsec);
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
    accFor: AccFor,
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
    const backend = labels[this.preset.backendLabel]!;
    const acc = accFor(accKey(poolKey(this.preset.poolLabels, pool), backend), pool, backend);
    if (rate !== undefined) acc.cpu = (acc.cpu ?? 0) + rate.rate;
    const capacity = st.target.cpuCapacity ?? reading.capacity;
    if (capacity !== undefined) acc.cpuCapacity = capacity;
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
          // The first sample of a repeated series is kept (as Prometheus does); say so once.
          onDuplicate: (series) => this.warnOnce(`scrape target ${st.display}: series ${redactText(series)} appears more than once; the first sample is used`),
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

export function createScrapeSource(options: ScrapeSourceOptions): ScrapeSource {
  return new ScrapeSource(options);
}
