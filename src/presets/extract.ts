// A declarative scrape extractor: each preset says which samples carry which
// signal, and this turns parsed families into one reading per backend. Values
// of every matching sample of a backend are summed (HTTP responses over
// codes, CPU over modes), which is what `sum by (pool, backend)` does in
// query mode.

import type { Health } from '../core/types.js';
import type { ExpositionSample, Family } from '../sources/exposition-types.js';
import type { BackendReading, QueryContext, QuerySet, ScrapeExtractor, ScrapePreset } from './preset.js';

export interface SignalSpec {
  /** Sample name as exposed (e.g. `haproxy_server_sessions_total`). */
  readonly metric: string;
  /** Only samples whose labels pass. */
  readonly where?: (labels: Readonly<Record<string, string>>) => boolean;
}

export interface HealthSpec {
  readonly metric: string;
  readonly where?: (labels: Readonly<Record<string, string>>) => boolean;
  /** Health a sample signals, or undefined when it says nothing (e.g. a state series at 0). */
  readonly decode: (sample: ExpositionSample) => Health | undefined;
}

export interface ExtractorSpec {
  readonly poolLabels: readonly string[];
  readonly backendLabel: string;
  /**
   * Request counters in order of preference: per pool, the first spec with any
   * sample in that pool is used (HAProxy: HTTP responses, else TCP sessions).
   */
  readonly requests: readonly SignalSpec[];
  readonly errors?: SignalSpec;
  readonly weight?: SignalSpec;
  readonly queue?: SignalSpec;
  readonly sessions?: SignalSpec;
  readonly cpuSeconds?: SignalSpec;
  readonly cpuCapacity?: SignalSpec;
  readonly health?: HealthSpec;
  /** Gauge that is non-zero for a backup server (HAProxy 3.0+ `haproxy_server_backup`). */
  readonly backup?: SignalSpec;
  /** Backups named in the config (versions without a backup metric), as pool label values and backend joined by '/'. */
  readonly backupServers?: readonly string[];
  /** Seconds since the backend's health last changed (gauge). */
  readonly stateAge?: SignalSpec;
  /** Average response time in seconds (gauge). */
  readonly responseTime?: SignalSpec;
  /** Configured concurrent-session limit (gauge; 0 or NaN means none). */
  readonly sessionLimit?: SignalSpec;
  /** Fixed pool labels for expositions that carry none (e.g. Traefik's job). */
  readonly fixedPool?: Readonly<Record<string, string>>;
  /**
   * Signals whose series lack the pool labels (Kubernetes CPU series carry
   * namespace and pod but not service): join them to the backend found in the
   * request series on these labels plus the backend label. Signals of
   * backends without a request series are then dropped.
   */
  readonly joinOn?: readonly string[];
}

type NumField =
  | 'requests'
  | 'errors'
  | 'weight'
  | 'queue'
  | 'sessions'
  | 'cpuSeconds'
  | 'cpuCapacity'
  | 'backup'
  | 'stateAgeSeconds'
  | 'responseTime'
  | 'sessionLimit';

/**
 * How several samples of one backend combine: counters and counts add up
 * (codes, modes); a state age is the youngest; a response time the slowest;
 * a flag is set when any sample sets it.
 */
const COMBINE: Readonly<Record<NumField, (a: number, b: number) => number>> = {
  requests: (a, b) => a + b,
  errors: (a, b) => a + b,
  weight: (a, b) => a + b,
  queue: (a, b) => a + b,
  sessions: (a, b) => a + b,
  cpuSeconds: (a, b) => a + b,
  cpuCapacity: (a, b) => a + b,
  sessionLimit: (a, b) => a + b,
  backup: Math.max,
  stateAgeSeconds: Math.min,
  responseTime: Math.max,
};

/** Gauges whose NaN means "not set" (HAProxy's limit without maxconn) and is dropped rather than propagated. */
const FINITE_ONLY: ReadonlySet<NumField> = new Set(['backup', 'stateAgeSeconds', 'responseTime', 'sessionLimit']);

interface Acc {
  pool: Record<string, string>;
  backend: string;
  values: Partial<Record<NumField, number>>;
  /** Index of the request spec used for this backend's pool. */
  health: Health | undefined;
}

const HEALTH_RANK: Record<Health, number> = { down: 0, maint: 1, up: 2 };

/** Best-of merge: a backend any sample reports up is up; otherwise maint beats down. */
export function mergeHealth(a: Health | undefined, b: Health | undefined): Health | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return HEALTH_RANK[a] >= HEALTH_RANK[b] ? a : b;
}

function indexSamples(families: readonly Family[]): Map<string, ExpositionSample[]> {
  const byName = new Map<string, ExpositionSample[]>();
  for (const f of families) {
    for (const s of f.samples) {
      let list = byName.get(s.name);
      if (list === undefined) byName.set(s.name, (list = []));
      list.push(s);
    }
  }
  return byName;
}

/**
 * "be_app/bk1" -> ["be_app", "bk1"]: the first `poolLabelCount` parts are the
 * pool label values, the rest is the backend (which may itself hold '/').
 */
export function splitBackendId(id: string, poolLabelCount: number): string[] {
  const parts = id.split('/');
  if (parts.length < poolLabelCount + 1) throw new RangeError(`"${id}": expected ${Array(poolLabelCount).fill('<pool>').join('/')}/<backend>`);
  return [...parts.slice(0, poolLabelCount), parts.slice(poolLabelCount).join('/')];
}

export function createExtractor(spec: ExtractorSpec): ScrapeExtractor {
  const names = new Set<string>();
  for (const r of spec.requests) names.add(r.metric);
  const gauges = [spec.backup, spec.stateAge, spec.responseTime, spec.sessionLimit];
  for (const s of [spec.errors, spec.weight, spec.queue, spec.sessions, spec.cpuSeconds, spec.cpuCapacity, spec.health, ...gauges]) {
    if (s !== undefined) names.add(s.metric);
  }
  const poolKeyOf = (labels: Readonly<Record<string, string>>): { key: string; pool: Record<string, string> } => {
    const pool: Record<string, string> = {};
    const parts: string[] = [];
    for (const l of spec.poolLabels) {
      const v = spec.fixedPool?.[l] ?? (Object.prototype.hasOwnProperty.call(labels, l) ? labels[l]! : '');
      pool[l] = v;
      parts.push(v);
    }
    return { key: JSON.stringify(parts), pool };
  };

  const configuredBackups = new Set((spec.backupServers ?? []).map((id) => JSON.stringify(splitBackendId(id, spec.poolLabels.length))));
  return {
    metricNames: [...names],
    extract(families: readonly Family[]): BackendReading[] {
      const byName = indexSamples(families);
      const accs = new Map<string, Acc>();
      const poolOfBackend = new Map<string, { key: string; pool: Record<string, string> }>();
      const usable = (s: ExpositionSample, where?: SignalSpec['where']): string | undefined => {
        if (!Object.prototype.hasOwnProperty.call(s.labels, spec.backendLabel)) return undefined;
        if (where !== undefined && !where(s.labels)) return undefined;
        return s.labels[spec.backendLabel];
      };
      const joinKey = (labels: Readonly<Record<string, string>>, backend: string): string =>
        JSON.stringify([...(spec.joinOn ?? []).map((l) => labels[l] ?? ''), backend]);
      const accFor = (labels: Readonly<Record<string, string>>, backend: string, create: boolean): Acc | undefined => {
        let pk = poolKeyOf(labels);
        if (spec.joinOn !== undefined) {
          const known = poolOfBackend.get(joinKey(labels, backend));
          if (known !== undefined) pk = known;
          else if (!create) return undefined;
        }
        const key = pk.key + '\u0000' + backend;
        let acc = accs.get(key);
        if (acc === undefined) {
          if (!create) return undefined;
          acc = { pool: pk.pool, backend, values: {}, health: undefined };
          accs.set(key, acc);
          if (spec.joinOn !== undefined) poolOfBackend.set(joinKey(labels, backend), pk);
        }
        return acc;
      };

      // Requests first: they define which backends exist (and, with
      // poolByBackend, which pool a backend belongs to).
      const poolUsesSpec = new Map<string, number>();
      spec.requests.forEach((r, i) => {
        for (const s of byName.get(r.metric) ?? []) {
          const backend = usable(s, r.where);
          if (backend === undefined) continue;
          const pk = poolKeyOf(s.labels).key;
          const chosen = poolUsesSpec.get(pk);
          if (chosen !== undefined && chosen !== i) continue;
          poolUsesSpec.set(pk, i);
          const acc = accFor(s.labels, backend, true)!;
          acc.values.requests = (acc.values.requests ?? 0) + s.value;
        }
      });

      const fields: Array<[NumField, SignalSpec | undefined]> = [
        ['errors', spec.errors],
        ['weight', spec.weight],
        ['queue', spec.queue],
        ['sessions', spec.sessions],
        ['cpuSeconds', spec.cpuSeconds],
        ['cpuCapacity', spec.cpuCapacity],
        ['backup', spec.backup],
        ['stateAgeSeconds', spec.stateAge],
        ['responseTime', spec.responseTime],
        ['sessionLimit', spec.sessionLimit],
      ];
      for (const [field, sig] of fields) {
        if (sig === undefined) continue;
        const combine = COMBINE[field];
        for (const s of byName.get(sig.metric) ?? []) {
          const backend = usable(s, sig.where);
          if (backend === undefined) continue;
          if (FINITE_ONLY.has(field) && !Number.isFinite(s.value)) continue;
          const acc = accFor(s.labels, backend, spec.joinOn === undefined);
          if (acc === undefined) continue;
          const prev = acc.values[field];
          acc.values[field] = prev === undefined ? s.value : combine(prev, s.value);
        }
      }
      if (spec.health !== undefined) {
        const h = spec.health;
        for (const s of byName.get(h.metric) ?? []) {
          const backend = usable(s, h.where);
          if (backend === undefined) continue;
          const acc = accFor(s.labels, backend, spec.joinOn === undefined);
          if (acc === undefined) continue;
          acc.health = mergeHealth(acc.health, h.decode(s));
        }
      }

      const out: BackendReading[] = [];
      for (const acc of accs.values()) {
        const r: { -readonly [K in keyof BackendReading]: BackendReading[K] } = { pool: acc.pool, backend: acc.backend };
        const { backup, sessionLimit, ...numbers } = acc.values;
        for (const [k, v] of Object.entries(numbers) as Array<[Exclude<NumField, 'backup' | 'sessionLimit'>, number]>) r[k] = v;
        // 0 means "no limit" (as does NaN, dropped above).
        if (sessionLimit !== undefined && sessionLimit > 0) r.sessionLimit = sessionLimit;
        const named = configuredBackups.has(JSON.stringify([...spec.poolLabels.map((l) => acc.pool[l] ?? ''), acc.backend]));
        if (named || backup !== undefined) r.backup = named || (backup ?? 0) > 0;
        if (acc.health !== undefined) r.health = acc.health;
        out.push(r);
      }
      return out;
    },
  };
}

export interface ScrapePresetDefinition {
  readonly name: string;
  readonly description: string;
  readonly poolLabels: readonly string[];
  readonly backendLabel: string;
  readonly queries: (ctx: QueryContext) => QuerySet;
  /** What the exposition carries; the pool and backend labels are the preset's own. */
  readonly scrape: Omit<ExtractorSpec, 'poolLabels' | 'backendLabel'>;
}

/** A preset that works in query and scrape mode, with one set of pool and backend labels for both. */
export function scrapePreset(def: ScrapePresetDefinition): ScrapePreset {
  const { scrape, ...rest } = def;
  return { ...rest, scrape: createExtractor({ ...scrape, poolLabels: def.poolLabels, backendLabel: def.backendLabel }) };
}
