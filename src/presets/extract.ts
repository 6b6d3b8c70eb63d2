// A declarative scrape extractor: each preset says which samples carry which
// signal, and this turns parsed families into one reading per backend. Values
// of every matching sample of a backend are summed (HTTP responses over
// codes, CPU over modes), which is what `sum by (pool, backend)` does in
// query mode.

import type { Health } from '../core/types.js';
import type { ExpositionSample, Family } from '../signals/exposition-types.js';
import type { QueryContext, QuerySet } from '../signals/query-set.js';
import { mergeHealth, type BackendReading, type ScrapeExtractor } from '../signals/readings.js';
import type { ScrapePreset } from './preset.js';

export { mergeHealth } from '../signals/readings.js';

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

/**
 * One backend's values so far. Every field is declared (undefined until a
 * sample sets it), so all accumulators share one shape and the per-sample
 * reads and writes stay monomorphic: an object growing its keys in the order
 * samples arrived (the earlier design) made each access a keyed lookup.
 */
class Acc {
  requests: number | undefined = undefined;
  errors: number | undefined = undefined;
  weight: number | undefined = undefined;
  queue: number | undefined = undefined;
  sessions: number | undefined = undefined;
  cpuSeconds: number | undefined = undefined;
  cpuCapacity: number | undefined = undefined;
  backup: number | undefined = undefined;
  stateAgeSeconds: number | undefined = undefined;
  responseTime: number | undefined = undefined;
  sessionLimit: number | undefined = undefined;
  health: Health | undefined = undefined;
  /** Newest sample timestamp per counter, when the exposition has them. */
  times: Partial<Record<'requests' | 'errors' | 'cpuSeconds', number>> | undefined = undefined;
  constructor(
    readonly pool: Record<string, string>,
    readonly backend: string,
  ) {}
}

function noteTime(acc: Acc, field: 'requests' | 'errors' | 'cpuSeconds', s: ExpositionSample): void {
  if (s.timestampMs === undefined) return;
  const times = (acc.times ??= {});
  times[field] = Math.max(times[field] ?? -Infinity, s.timestampMs);
}

/** Adds one sample's value to an accumulator's field (COMBINE), per field: each a fixed property access. */
type Adder = (acc: Acc, s: ExpositionSample) => void;

function adderFor(field: Exclude<NumField, 'requests'>): Adder {
  const combine = COMBINE[field];
  switch (field) {
    case 'errors':
      return (acc, s) => {
        acc.errors = acc.errors === undefined ? s.value : combine(acc.errors, s.value);
        noteTime(acc, 'errors', s);
      };
    case 'cpuSeconds':
      return (acc, s) => {
        acc.cpuSeconds = acc.cpuSeconds === undefined ? s.value : combine(acc.cpuSeconds, s.value);
        noteTime(acc, 'cpuSeconds', s);
      };
    case 'weight': return (acc, s) => void (acc.weight = acc.weight === undefined ? s.value : combine(acc.weight, s.value));
    case 'queue': return (acc, s) => void (acc.queue = acc.queue === undefined ? s.value : combine(acc.queue, s.value));
    case 'sessions': return (acc, s) => void (acc.sessions = acc.sessions === undefined ? s.value : combine(acc.sessions, s.value));
    case 'cpuCapacity': return (acc, s) => void (acc.cpuCapacity = acc.cpuCapacity === undefined ? s.value : combine(acc.cpuCapacity, s.value));
    case 'backup': return (acc, s) => void (acc.backup = acc.backup === undefined ? s.value : combine(acc.backup, s.value));
    case 'stateAgeSeconds': return (acc, s) => void (acc.stateAgeSeconds = acc.stateAgeSeconds === undefined ? s.value : combine(acc.stateAgeSeconds, s.value));
    case 'responseTime': return (acc, s) => void (acc.responseTime = acc.responseTime === undefined ? s.value : combine(acc.responseTime, s.value));
    case 'sessionLimit': return (acc, s) => void (acc.sessionLimit = acc.sessionLimit === undefined ? s.value : combine(acc.sessionLimit, s.value));
  }
}

function indexSamples(families: readonly Family[]): Map<string, readonly ExpositionSample[]> {
  const byName = new Map<string, ExpositionSample[]>();
  // Lists borrowed from a family as they are (copied before anything is added to them).
  const borrowed = new Set<readonly ExpositionSample[]>();
  for (const f of families) {
    // The usual family (a counter or gauge) names every sample after itself:
    // its own list is used, without a lookup and a push per sample.
    if (!byName.has(f.name) && f.samples.every((s) => s.name === f.name)) {
      byName.set(f.name, f.samples as ExpositionSample[]);
      borrowed.add(f.samples);
      continue;
    }
    for (const s of f.samples) {
      let list = byName.get(s.name);
      if (list === undefined) byName.set(s.name, (list = []));
      else if (borrowed.has(list)) byName.set(s.name, (list = [...list]));
      list.push(s);
    }
  }
  return byName;
}

/** A value that is its own pool key: not starting with '[' (a JSON key) and holding neither U+0000 nor U+0001 (one pass). */
function plainKey(v: string): boolean {
  if (v.charCodeAt(0) === 91) return false;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) < 2) return false;
  return true;
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
  const poolOf = (labels: Readonly<Record<string, string>>): Record<string, string> => {
    const pool: Record<string, string> = {};
    for (const l of spec.poolLabels) pool[l] = spec.fixedPool?.[l] ?? (Object.prototype.hasOwnProperty.call(labels, l) ? labels[l]! : '');
    return pool;
  };
  // Called for every sample of every scrape, so it builds no object: the
  // pool label values each after a NUL, or (a value holding U+0000 or
  // U+0001, which could make two keys meet) their JSON, which starts with
  // '[' and escapes both. Accumulators are found by pool key, then backend.
  const single = spec.poolLabels.length === 1 && spec.fixedPool === undefined ? spec.poolLabels[0]! : undefined;
  const poolKeyOf = (labels: Readonly<Record<string, string>>): string => {
    if (single !== undefined) {
      // One pool label (most presets): the value itself, unless it could
      // meet a JSON key ('[' first) or holds U+0000/U+0001.
      const v = Object.prototype.hasOwnProperty.call(labels, single) ? labels[single]! : '';
      return plainKey(v) ? v : JSON.stringify([v]);
    }
    let key = '';
    for (const l of spec.poolLabels) {
      const v = spec.fixedPool?.[l] ?? (Object.prototype.hasOwnProperty.call(labels, l) ? labels[l]! : '');
      if (v.includes('\u0000') || v.includes('\u0001')) return JSON.stringify(Object.values(poolOf(labels)));
      key += '\u0000' + v;
    }
    return key;
  };

  const configuredBackups = new Set((spec.backupServers ?? []).map((id) => JSON.stringify(splitBackendId(id, spec.poolLabels.length))));
  // The non-request signals this preset reads, in the order they are read
  // (built once: extract runs for every scrape).
  const fields: ReadonlyArray<readonly [Exclude<NumField, 'requests'>, SignalSpec]> = (
    [
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
    ] as Array<[Exclude<NumField, 'requests'>, SignalSpec | undefined]>
  ).filter((f): f is [Exclude<NumField, 'requests'>, SignalSpec] => f[1] !== undefined);
  const adders = fields.map(([field, sig]) => ({ sig, add: adderFor(field), finiteOnly: FINITE_ONLY.has(field) }));
  return {
    metricNames: [...names],
    ...(spec.fixedPool !== undefined && { fixedLabels: spec.fixedPool }),
    extract(families: readonly Family[]): BackendReading[] {
      const byName = indexSamples(families);
      // Pool key -> backend -> accumulator (no key built per sample), and
      // the accumulators in the order they were created (the output's).
      const accs = new Map<string, Map<string, Acc>>();
      const created: Acc[] = [];
      // Joined presets: every pool a backend's request series put it in (a pod
      // behind two Services is in both, and its CPU counts in both).
      const poolsOfBackend = new Map<string, string[]>();
      const usable = (s: ExpositionSample, where?: SignalSpec['where']): string | undefined => {
        if (!Object.prototype.hasOwnProperty.call(s.labels, spec.backendLabel)) return undefined;
        if (where !== undefined && !where(s.labels)) return undefined;
        return s.labels[spec.backendLabel];
      };
      const joinKey = (labels: Readonly<Record<string, string>>, backend: string): string =>
        JSON.stringify([...(spec.joinOn ?? []).map((l) => labels[l] ?? ''), backend]);
      // Samples come metric by metric, each listing a pool's backends in a
      // row: the last pool's map saves a lookup per sample.
      let lastKey: string | undefined;
      let lastPool: Map<string, Acc> | undefined;
      /** The backend's accumulator in pool `pk` (the sample's own), created (request series). */
      const accIn = (pk: string, labels: Readonly<Record<string, string>>, backend: string): Acc => {
        let ofPool = pk === lastKey ? lastPool : accs.get(pk);
        if (ofPool === undefined) accs.set(pk, (ofPool = new Map()));
        lastKey = pk;
        lastPool = ofPool;
        let acc = ofPool.get(backend);
        if (acc === undefined) {
          acc = new Acc(poolOf(labels), backend);
          ofPool.set(backend, acc);
          created.push(acc);
          if (spec.joinOn !== undefined) {
            const jk = joinKey(labels, backend);
            const list = poolsOfBackend.get(jk);
            if (list === undefined) poolsOfBackend.set(jk, [pk]);
            else list.push(pk);
          }
        }
        return acc;
      };
      const ownAcc = (labels: Readonly<Record<string, string>>, backend: string): Acc => accIn(poolKeyOf(labels), labels, backend);
      /** Accumulators a non-request sample feeds: its own pool, or (joined) every pool of the backend. */
      const accsFor = (labels: Readonly<Record<string, string>>, backend: string): Acc[] => {
        if (spec.joinOn === undefined) return [ownAcc(labels, backend)];
        return (poolsOfBackend.get(joinKey(labels, backend)) ?? []).map((pk) => accs.get(pk)!.get(backend)!);
      };

      // Requests first: they define which backends exist (and, with
      // poolByBackend, which pool a backend belongs to).
      const poolUsesSpec = new Map<string, number>();
      spec.requests.forEach((r, i) => {
        for (const s of byName.get(r.metric) ?? []) {
          const backend = usable(s, r.where);
          if (backend === undefined) continue;
          const pk = poolKeyOf(s.labels);
          const chosen = poolUsesSpec.get(pk);
          if (chosen !== undefined && chosen !== i) continue;
          poolUsesSpec.set(pk, i);
          const acc = accIn(pk, s.labels, backend);
          acc.requests = (acc.requests ?? 0) + s.value;
          noteTime(acc, 'requests', s);
        }
      });

      for (const { sig, add, finiteOnly } of adders) {
        for (const s of byName.get(sig.metric) ?? []) {
          const backend = usable(s, sig.where);
          if (backend === undefined) continue;
          if (finiteOnly && !Number.isFinite(s.value)) continue;
          // Unjoined (every preset but one): the sample's own pool, without a list per sample.
          if (spec.joinOn === undefined) add(ownAcc(s.labels, backend), s);
          else for (const acc of accsFor(s.labels, backend)) add(acc, s);
        }
      }
      if (spec.health !== undefined) {
        const h = spec.health;
        for (const s of byName.get(h.metric) ?? []) {
          const backend = usable(s, h.where);
          if (backend === undefined) continue;
          if (spec.joinOn === undefined) {
            const acc = ownAcc(s.labels, backend);
            acc.health = mergeHealth(acc.health, h.decode(s));
          } else for (const acc of accsFor(s.labels, backend)) acc.health = mergeHealth(acc.health, h.decode(s));
        }
      }

      const out: BackendReading[] = [];
      for (const acc of created) {
        const r: { -readonly [K in keyof BackendReading]: BackendReading[K] } = { pool: acc.pool, backend: acc.backend };
        // The keys in the order the samples first set them: requests (read
        // first), then the other signals in `fields` order.
        if (acc.requests !== undefined) r.requests = acc.requests;
        if (acc.errors !== undefined) r.errors = acc.errors;
        if (acc.weight !== undefined) r.weight = acc.weight;
        if (acc.queue !== undefined) r.queue = acc.queue;
        if (acc.sessions !== undefined) r.sessions = acc.sessions;
        if (acc.cpuSeconds !== undefined) r.cpuSeconds = acc.cpuSeconds;
        if (acc.cpuCapacity !== undefined) r.cpuCapacity = acc.cpuCapacity;
        if (acc.stateAgeSeconds !== undefined) r.stateAgeSeconds = acc.stateAgeSeconds;
        if (acc.responseTime !== undefined) r.responseTime = acc.responseTime;
        const { backup, sessionLimit } = acc;
        // 0 means "no limit" (as does NaN, dropped above).
        if (sessionLimit !== undefined && sessionLimit > 0) r.sessionLimit = sessionLimit;
        const named = configuredBackups.size > 0 && configuredBackups.has(JSON.stringify([...spec.poolLabels.map((l) => acc.pool[l] ?? ''), acc.backend]));
        if (named || backup !== undefined) r.backup = named || (backup ?? 0) > 0;
        if (acc.health !== undefined) r.health = acc.health;
        if (acc.times !== undefined) r.timestampsMs = acc.times;
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
