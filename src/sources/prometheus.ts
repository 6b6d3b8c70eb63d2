// Query mode: one instant query per signal covering every pool at once
// (never one query per backend), assembled into per-pool samples.
import type { BackendSample, Health, MissingSignal, PoolSample, Snapshot } from '../core/types.js';
import { HEALTH_MAINT, HEALTH_UP, SIGNALS, type QuerySet, type Signal } from '../signals/query-set.js';
import { poolSelector } from '../signals/pool-selection.js';
import { SkewwatchError, errorMessage } from '../util/errors.js';
import type { Source } from './source.js';
import type { PrometheusApi, VectorSample } from './prometheus-api.js';
import { CompactVector, type SampleTable } from './sample-table.js';
import { StringTable } from './prometheus-scan.js';

export interface PrometheusSourceOptions extends AssemblyOptions {
  readonly api: PrometheusApi;
  readonly queries: QuerySet;
  /**
   * Where each signal's query comes from, for messages (default
   * `source.queries.<signal>`). Signals listed in `explicit` were set by the
   * user: an empty answer is then a problem too, not just an error or a
   * result that joins nothing.
   */
  readonly signalOrigins?: Partial<Record<Signal, string>>;
  readonly explicit?: ReadonlySet<Signal>;
  /** Queries in flight at once (source.prometheus.max_concurrent_queries); default DEFAULT_QUERY_CONCURRENCY. */
  readonly maxConcurrentQueries?: number;
}

/**
 * Signal queries in flight at once. Each answer is scanned as it streams in,
 * so memory no longer grows with this number; it bounds the load one cycle
 * puts on the database (Prometheus runs 20 queries at once by default,
 * --query.max-concurrency) and the receive buffers held at once.
 */
export const DEFAULT_QUERY_CONCURRENCY = 4;

/** camelCase signal -> the snake_case key of source.queries. */
const configKey = (sig: Signal) => sig.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);


interface Acc {
  pool: string;
  labels: Record<string, string>;
  backends: Map<string, BackendValues>;
}

/**
 * A backend's signal values by position (AT), undefined until the signal's
 * series comes: one array shape for all backends and one element store per
 * row (an object given one field per signal changed its shape and grew per
 * backend, and a field store by a varying signal name was a generic lookup).
 */
type BackendValues = Array<number | undefined>;

/** Each signal's position in BackendValues. */
const AT = Object.fromEntries(SIGNALS.map((sig, i) => [sig, i])) as Record<Signal, number>;

/** One slot per signal (SIGNALS.length; were there more signals, the extra ones would read as holes: undefined, still right). */
function newBackendValues(): BackendValues {
  return [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
}

export { SIGNALS, type Signal } from '../signals/query-set.js';

/** A gauge value worth keeping: finite (HAProxy reports an unset limit as NaN). */
function finite(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}

/** How series become pools: shared by the live source and by replay. */
export interface AssemblyOptions {
  readonly poolLabels: readonly string[];
  readonly backendLabel: string;
  readonly windowMs: number;
  readonly includePools?: string;
  readonly excludePools?: string;
  readonly onWarning?: (message: string, signal: string) => void;
}

export class PrometheusSource implements Source {
  readonly name = 'prometheus';
  private readonly assembler: SnapshotAssembler;

  constructor(private readonly opts: PrometheusSourceOptions) {
    this.assembler = new SnapshotAssembler(opts);
  }

  async collect(now: number, signal?: AbortSignal): Promise<Snapshot> {
    const { queries, poolLabels, backendLabel } = this.opts;
    const signals = SIGNALS.filter((s) => queries[s] !== undefined);
    // One string table per cycle: each pool and backend name is stored once across the answers.
    const strings = new StringTable();
    const labels = [...poolLabels, backendLabel];
    const results = await settledWithLimit(signals, this.opts.maxConcurrentQueries ?? DEFAULT_QUERY_CONCURRENCY,
      (s) => this.opts.api.queryTable(queries[s]!, now, labels, strings, signal));
    const data: Array<[Signal, SampleTable]> = [];
    const missing: MissingSignal[] = [];
    const origin = (sig: Signal) => this.opts.signalOrigins?.[sig] ?? `source.queries.${configKey(sig)}`;
    results.forEach((r, i) => {
      const sig = signals[i]!;
      if (r.status === 'rejected') {
        // The rate is what skew is made of: without it there is no snapshot.
        if (sig === 'rate') throw r.reason instanceof SkewwatchError ? r.reason : new SkewwatchError('source-unreachable', errorMessage(r.reason));
        this.opts.onWarning?.(`signal ${sig} unavailable this cycle: ${errorMessage(r.reason)}`, sig);
        missing.push({ signal: sig, configKey: origin(sig), reason: `query failed: ${errorMessage(r.reason)}` });
        return;
      }
      for (const w of r.value.warnings) this.opts.onWarning?.(`Prometheus warning for ${sig}: ${w}`, sig);
      data.push([sig, r.value.data]);
    });
    const rate = data.find(([sig]) => sig === 'rate')?.[1];
    // With no rate series there are no pools: that is reported as zero pools, not as every signal missing.
    if (rate && rate.size > 0) {
      const rateKeys = this.assembler.keys(rate);
      for (const [sig, samples] of data) {
        if (sig === 'rate') continue;
        const joined = this.assembler.joinedCount(samples, rateKeys);
        if (samples.size > 0 && joined === 0) {
          missing.push({ signal: sig, configKey: origin(sig), reason: `none of its ${samples.size} series joins a backend of the rate query: its labels must include [${labels.join(', ')}] with the same values` });
        } else if (samples.size === 0 && this.opts.explicit?.has(sig)) {
          missing.push({ signal: sig, configKey: origin(sig), reason: 'the query returned no series' });
        }
      }
    }
    const snapshot = this.assembler.assemble(now, data);
    return missing.length > 0 ? { ...snapshot, missingSignals: missing } : snapshot;
  }
}

/** Promise.allSettled over `items`, with at most `limit` calls in flight; results in the items' order. */
export async function settledWithLimit<T, R>(items: readonly T[], limit: number, call: (item: T) => Promise<R>): Promise<Array<PromiseSettledResult<R>>> {
  const out = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await call(items[i]!) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Turns per-signal vectors (all pools at once) into a Snapshot. Pure. */
export class SnapshotAssembler {
  private readonly selectPool: (id: string) => boolean;

  constructor(private readonly opts: AssemblyOptions) {
    if (opts.poolLabels.length === 0) throw new Error('poolLabels must not be empty');
    this.selectPool = poolSelector(opts.includePools, opts.excludePools);
  }

  /**
   * Per-signal answers -> pools. Tables must hold [...poolLabels,
   * backendLabel] in that order (PrometheusSource's); full samples (replay)
   * are projected first.
   */
  assemble(at: number, data: ReadonlyArray<readonly [Signal, SampleTable | readonly VectorSample[]]>): Snapshot {
    const pools = new Map<string, Acc>();
    for (const [sig, samples] of data) this.accumulate(pools, sig, this.table(samples));
    return { at, pools: [...pools.values()].map((acc) => this.toPool(acc)) };
  }

  /** The (pool, backend) keys of a signal's series, to count joins against. */
  keys(samples: SampleTable | readonly VectorSample[]): LabelTuples {
    const t = this.table(samples);
    const out = new LabelTuples(t.labelNames.length);
    for (let r = 0; r < t.size; r++) out.add(t, r);
    return out;
  }

  /** How many of `samples` land on a (pool, backend) that the rate query also returned. */
  joinedCount(samples: SampleTable | readonly VectorSample[], rateKeys: LabelTuples): number {
    const t = this.table(samples);
    let n = 0;
    for (let r = 0; r < t.size; r++) if (rateKeys.has(t, r)) n++;
    return n;
  }

  private table(samples: SampleTable | readonly VectorSample[]): SampleTable {
    return Array.isArray(samples) ? CompactVector.from(samples as readonly VectorSample[], [...this.opts.poolLabels, this.opts.backendLabel]) : samples as SampleTable;
  }

  private accumulate(pools: Map<string, Acc>, sig: Signal, samples: SampleTable): void {
    const { poolLabels, backendLabel } = this.opts;
    const nPool = poolLabels.length;
    let unlabelled = 0;
    const values: Array<string | undefined> = new Array(nPool);
    const skipped = new Set<string>(); // pools left out by include/exclude_pools: judged once
    const at = AT[sig];
    // A pool's backends come one after another: the last pool's record, without a lookup.
    let lastPool: string | undefined;
    let lastAcc: Acc | undefined;
    for (let r = 0; r < samples.size; r++) {
      const backend = samples.labelAt(r, nPool);
      let complete = true;
      for (let j = 0; j < nPool; j++) {
        const v = samples.labelAt(r, j);
        values[j] = v;
        if (v === undefined || v === '') complete = false;
      }
      if (!backend || !complete) {
        unlabelled++;
        continue;
      }
      const pool = nPool === 1 ? values[0]! : values.join('/');
      let acc = pool === lastPool ? lastAcc : pools.get(pool);
      if (!acc) {
        if (skipped.has(pool)) continue;
        if (!this.selectPool(pool)) {
          skipped.add(pool);
          continue;
        }
        const labels: Record<string, string> = {};
        poolLabels.forEach((l, i) => (labels[l] = values[i]!));
        acc = { pool, labels, backends: new Map() };
        pools.set(pool, acc);
      }
      lastPool = pool;
      lastAcc = acc;
      let b = acc.backends.get(backend);
      if (!b) acc.backends.set(backend, (b = newBackendValues()));
      // Duplicate series for one backend (a query without the right `by`) add up.
      b[at] = (b[at] ?? 0) + samples.valueAt(r);
    }
    if (unlabelled > 0) {
      this.opts.onWarning?.(`${unlabelled} ${sig} series lack the pool labels [${poolLabels.join(', ')}] or backend label ${backendLabel}: check the query's "by (...)" clause`, sig);
    }
  }

  private toPool(acc: Acc): PoolSample {
    const windowSeconds = this.opts.windowMs / 1000;
    const backends: BackendSample[] = [];
    for (const [backend, values] of acc.backends) {
      const weight = values[AT.weight];
      const cpu = values[AT.cpu];
      const cpuCapacity = values[AT.cpuCapacity];
      const queue = values[AT.queue];
      const errors = values[AT.errors];
      const backup = values[AT.backup];
      const stateAge = values[AT.stateAge];
      const responseTime = values[AT.responseTime];
      const sessions = values[AT.sessions];
      const sessionLimit = values[AT.sessionLimit];
      // A backend that the balancer lists (weight/health) but that has no
      // rate series is receiving nothing: rate 0, which is a starved backend.
      const rate = values[AT.rate] ?? 0;
      // Optional fields assigned one by one, in this order (the order JSON
      // shows them in): `...(cond ? { k: v } : {})` made one short-lived
      // object per field per backend, ~70 MiB of garbage per cycle at
      // 100,000 backends (the largest allocation of a cycle).
      const out: { -readonly [K in keyof BackendSample]: BackendSample[K] } = {
        backend,
        rate,
        count: Number.isFinite(rate) && rate > 0 ? rate * windowSeconds : 0,
        health: toHealth(values[AT.health]),
      };
      if (weight !== undefined) out.weight = weight;
      if (cpu !== undefined) out.cpu = cpu;
      if (cpuCapacity !== undefined) out.cpuCapacity = cpuCapacity;
      if (queue !== undefined) out.queue = queue;
      if (errors !== undefined) out.errorRate = errors;
      if (finite(backup)) out.backup = backup > 0;
      if (finite(stateAge) && stateAge >= 0) out.stateAgeSeconds = stateAge;
      if (finite(responseTime) && responseTime >= 0) out.responseTime = responseTime;
      if (finite(sessions) && sessions >= 0) out.sessions = sessions;
      // 0 or NaN is "no limit" (HAProxy without maxconn), not a limit of 0.
      if (finite(sessionLimit) && sessionLimit > 0) out.sessionLimit = sessionLimit;
      backends.push(out);
    }
    sortByBackend(backends);
    return { pool: acc.pool, labels: acc.labels, backends, windowSeconds };
  }
}

/**
 * The label tuples (pool labels..., backend) of a table's rows, as nested
 * maps of the label strings (an absent label counts as ''), so a join check
 * builds no key string per row: at 100,000 backends a joined key per row
 * of each of 11 answers was ~35 MiB of garbage per cycle.
 */
export class LabelTuples {
  private readonly root = new Map<string, unknown>();
  constructor(private readonly width: number) {}

  add(t: SampleTable, row: number): void {
    let level: Map<string, unknown> = this.root;
    for (let j = 0; j < this.width - 1; j++) {
      const v = t.labelAt(row, j) ?? '';
      let next = level.get(v) as Map<string, unknown> | Set<string> | undefined;
      if (!next) level.set(v, (next = j === this.width - 2 ? new Set<string>() : new Map<string, unknown>()));
      level = next as Map<string, unknown>;
    }
    if (this.width === 1) this.root.set(t.labelAt(row, 0) ?? '', true);
    else (level as unknown as Set<string>).add(t.labelAt(row, this.width - 1) ?? '');
  }

  has(t: SampleTable, row: number): boolean {
    if (this.width === 1) return this.root.has(t.labelAt(row, 0) ?? '');
    let level: Map<string, unknown> | undefined = this.root;
    for (let j = 0; j < this.width - 1 && level; j++) level = level.get(t.labelAt(row, j) ?? '') as Map<string, unknown> | undefined;
    return level !== undefined && (level as unknown as Set<string>).has(t.labelAt(row, this.width - 1) ?? '');
  }
}

/**
 * Backends in code-unit order of their names. The names are distinct (a
 * Map's keys), so every correct sort gives the same order: a pool's few
 * backends, which come mostly in order already, by insertion in place (no
 * allocation, unlike Array.prototype.sort's work arrays: ~8 MiB of garbage
 * per cycle at 10,000 pools), larger pools by Array.prototype.sort.
 */
export function sortByBackend(backends: BackendSample[]): void {
  const n = backends.length;
  if (n > 32) {
    backends.sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
    return;
  }
  for (let i = 1; i < n; i++) {
    const x = backends[i]!;
    let j = i - 1;
    while (j >= 0 && backends[j]!.backend > x.backend) {
      backends[j + 1] = backends[j]!;
      j--;
    }
    backends[j + 1] = x;
  }
}

function toHealth(code: number | undefined): Health {
  if (code === undefined) return 'up';
  if (code >= HEALTH_MAINT) return 'maint';
  return code >= HEALTH_UP ? 'up' : 'down';
}
