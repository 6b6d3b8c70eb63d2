// Query mode: one instant query per signal covering every pool at once
// (never one query per backend), assembled into per-pool samples.
import type { BackendSample, Health, PoolSample, Snapshot } from '../core/types.js';
import type { QuerySet } from '../presets/preset.js';
import { HEALTH_MAINT, HEALTH_UP } from '../presets/preset.js';
import { SkewwatchError, errorMessage } from '../util/errors.js';
import type { Source } from './source.js';
import type { PrometheusApi, VectorSample } from './prometheus-api.js';

export interface PrometheusSourceOptions extends AssemblyOptions {
  readonly api: PrometheusApi;
  readonly queries: QuerySet;
}


interface Acc {
  pool: string;
  labels: Record<string, string>;
  backends: Map<string, Partial<Record<Signal, number>>>;
}

export type Signal = keyof QuerySet;
export const SIGNALS: readonly Signal[] = [
  'rate',
  'weight',
  'health',
  'cpu',
  'cpuCapacity',
  'queue',
  'errors',
  'backup',
  'stateAge',
  'responseTime',
  'sessions',
  'sessionLimit',
];

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
    const { queries } = this.opts;
    const signals = SIGNALS.filter((s) => queries[s] !== undefined);
    const results = await Promise.allSettled(signals.map((s) => this.opts.api.query(queries[s]!, now, signal)));
    const data: Array<[Signal, readonly VectorSample[]]> = [];
    results.forEach((r, i) => {
      const sig = signals[i]!;
      if (r.status === 'rejected') {
        // The rate is what skew is made of: without it there is no snapshot.
        if (sig === 'rate') throw r.reason instanceof SkewwatchError ? r.reason : new SkewwatchError('source-unreachable', errorMessage(r.reason));
        this.opts.onWarning?.(`signal ${sig} unavailable this cycle: ${errorMessage(r.reason)}`, sig);
        return;
      }
      for (const w of r.value.warnings) this.opts.onWarning?.(`Prometheus warning for ${sig}: ${w}`, sig);
      data.push([sig, r.value.data]);
    });
    return this.assembler.assemble(now, data);
  }
}

/** Turns per-signal vectors (all pools at once) into a Snapshot. Pure. */
export class SnapshotAssembler {
  private readonly include?: RegExp;
  private readonly exclude?: RegExp;

  constructor(private readonly opts: AssemblyOptions) {
    if (opts.poolLabels.length === 0) throw new Error('poolLabels must not be empty');
    if (opts.includePools) this.include = new RegExp(`^(?:${opts.includePools})$`);
    if (opts.excludePools) this.exclude = new RegExp(`^(?:${opts.excludePools})$`);
  }

  assemble(at: number, data: ReadonlyArray<readonly [Signal, readonly VectorSample[]]>): Snapshot {
    const pools = new Map<string, Acc>();
    for (const [sig, samples] of data) this.accumulate(pools, sig, samples);
    return { at, pools: [...pools.values()].map((acc) => this.toPool(acc)) };
  }

  private accumulate(pools: Map<string, Acc>, sig: Signal, samples: readonly VectorSample[]): void {
    const { poolLabels, backendLabel } = this.opts;
    let unlabelled = 0;
    for (const s of samples) {
      const backend = s.metric[backendLabel];
      const values = poolLabels.map((l) => s.metric[l]);
      if (!backend || values.some((v) => v === undefined || v === '')) {
        unlabelled++;
        continue;
      }
      const pool = values.join('/');
      if (this.include && !this.include.test(pool)) continue;
      if (this.exclude?.test(pool)) continue;
      let acc = pools.get(pool);
      if (!acc) {
        const labels: Record<string, string> = {};
        poolLabels.forEach((l, i) => (labels[l] = values[i]!));
        acc = { pool, labels, backends: new Map() };
        pools.set(pool, acc);
      }
      let b = acc.backends.get(backend);
      if (!b) acc.backends.set(backend, (b = {}));
      // Duplicate series for one backend (a query without the right `by`) add up.
      b[sig] = (b[sig] ?? 0) + s.value;
    }
    if (unlabelled > 0) {
      this.opts.onWarning?.(`${unlabelled} ${sig} series lack the pool labels [${poolLabels.join(', ')}] or backend label ${backendLabel}: check the query's "by (...)" clause`, sig);
    }
  }

  private toPool(acc: Acc): PoolSample {
    const windowSeconds = this.opts.windowMs / 1000;
    const backends: BackendSample[] = [];
    for (const [backend, b] of acc.backends) {
      // A backend that the balancer lists (weight/health) but that has no
      // rate series is receiving nothing: rate 0, which is a starved backend.
      const rate = b.rate ?? 0;
      backends.push({
        backend,
        rate,
        count: Number.isFinite(rate) && rate > 0 ? rate * windowSeconds : 0,
        health: toHealth(b.health),
        ...(b.weight !== undefined ? { weight: b.weight } : {}),
        ...(b.cpu !== undefined ? { cpu: b.cpu } : {}),
        ...(b.cpuCapacity !== undefined ? { cpuCapacity: b.cpuCapacity } : {}),
        ...(b.queue !== undefined ? { queue: b.queue } : {}),
        ...(b.errors !== undefined ? { errorRate: b.errors } : {}),
        ...(finite(b.backup) ? { backup: b.backup > 0 } : {}),
        ...(finite(b.stateAge) && b.stateAge >= 0 ? { stateAgeSeconds: b.stateAge } : {}),
        ...(finite(b.responseTime) && b.responseTime >= 0 ? { responseTime: b.responseTime } : {}),
        ...(finite(b.sessions) && b.sessions >= 0 ? { sessions: b.sessions } : {}),
        // 0 or NaN is "no limit" (HAProxy without maxconn), not a limit of 0.
        ...(finite(b.sessionLimit) && b.sessionLimit > 0 ? { sessionLimit: b.sessionLimit } : {}),
      });
    }
    backends.sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
    return { pool: acc.pool, labels: acc.labels, backends, windowSeconds };
  }
}

function toHealth(code: number | undefined): Health {
  if (code === undefined) return 'up';
  if (code >= HEALTH_MAINT) return 'maint';
  return code >= HEALTH_UP ? 'up' : 'down';
}
