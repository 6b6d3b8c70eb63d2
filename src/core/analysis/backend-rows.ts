// A verdict's per-backend rows, packed (issue 15, steady-state cycle). The
// analysis used to build one BackendStat object per backend per cycle
// (100,000 at the benchmark's fleet, 11 fields, 6 of them doubles that V8
// boxes one by one), and the daemon packed them straight back into arrays
// (src/app/compact-verdicts.ts) without reading them: ~17% of a running-state
// cycle in backendStats plus most of the garbage collector's ~16%.
//
// Now the analysis writes the rows' numbers into one array of doubles per
// pool, and the verdict's `backends` is an own, enumerable accessor that
// builds the BackendStat objects on first read and keeps them (so every read
// sees the same objects, as with a data property). Everything that looks at a
// verdict sees what it saw before: a property read, a spread (`{...v}` reads
// own enumerable accessors), JSON.stringify, Object.keys and their order,
// assert.deepStrictEqual (same keys, same prototype, same values).
// Assignment replaces the rows like a writable data property would.
// Consumers that only need numbers (the daemon's packed status copy, the
// /metrics series) read the packed rows through backendRowsOf() and never
// build the objects.

import type { BackendStat, Health, PoolVerdict } from '../types.js';

/** Numbers per backend in BackendRows.values. */
export const ROW_STRIDE = 9;
/** Offsets inside a row; the nullable numbers hold 0 when their flag says null. */
export const ROW = Object.freeze({
  WEIGHT: 0,
  RATE: 1,
  SHARE: 2,
  EXPECTED: 3,
  RATIO: 4,
  UTIL: 5,
  QUEUE: 6,
  Z: 7,
  FLAGS: 8,
});
// Flag bits: which nullable numbers are null; health and outlier codes above them.
export const NULL_WEIGHT = 1;
export const NULL_UTIL = 2;
export const NULL_QUEUE = 4;
export const HEALTH_SHIFT = 3; // 2 bits: HEALTH's index
export const OUTLIER_SHIFT = 5; // 2 bits: OUTLIER's index
/** Codes: health 'up' 0, 'down' 1, 'maint' 2; outlier null 0, 'hot' 1, 'starved' 2. */
const HEALTH: readonly Health[] = ['up', 'down', 'maint'];
const OUTLIER: readonly BackendStat['outlier'][] = [null, 'hot', 'starved'];

const { WEIGHT, RATE, SHARE, EXPECTED, RATIO, UTIL, QUEUE, Z, FLAGS } = ROW;

/**
 * A pool's backends as numbers: backend i is names[i] and
 * values[offset + i·ROW_STRIDE, offset + (i+1)·ROW_STRIDE). Never modified
 * once built. `values` is usually a slab shared by many pools (ROW_SLABS).
 */
export interface BackendRows {
  readonly names: readonly string[];
  readonly values: ArrayLike<number>;
  readonly offset: number;
}

/**
 * Doubles per slab: 256 KiB, ~3,600 backends. A Float64Array's numbers live
 * outside the JS heap, so the garbage collector neither scans nor copies
 * them (the verdicts of a cycle stay alive until it ends: a JS array per
 * pool was copied by every scavenge meanwhile). A verdict whose rows were
 * never read keeps its slab alive; reading them (messages, the state file's
 * alert verdicts) builds the objects and lets the slab go.
 */
const SLAB = 32_768;

/** Hands out fresh regions of the current slab (never the same region twice; a full slab is replaced, not reused). */
class RowSlabs {
  values = new Float64Array(SLAB);
  private used = 0;

  /** Offset of `len` fresh doubles in `values` (read `values` after this call: it may be a new slab). */
  take(len: number): number {
    if (len > SLAB / 4) {
      this.values = new Float64Array(len);
      this.used = SLAB; // the next pool starts a new slab
      return 0;
    }
    if (this.used + len > SLAB) {
      this.values = new Float64Array(SLAB);
      this.used = 0;
    }
    const offset = this.used;
    this.used += len;
    return offset;
  }
}

/** The analysis' row slabs (analyse.ts writes each pool's rows here once). */
export const ROW_SLABS = new RowSlabs();

/** The flags number of a row. */
export function rowFlags(health: Health, outlier: BackendStat['outlier'], weightNull: boolean, utilNull: boolean, queueNull: boolean): number {
  return (weightNull ? NULL_WEIGHT : 0) | (utilNull ? NULL_UTIL : 0) | (queueNull ? NULL_QUEUE : 0)
    | (HEALTH.indexOf(health) << HEALTH_SHIFT) | (OUTLIER.indexOf(outlier) << OUTLIER_SHIFT);
}

/** The health a flags number encodes. */
export function rowHealth(flags: number): Health {
  return HEALTH[(flags >> HEALTH_SHIFT) & 3]!;
}

/** The outlier mark a flags number encodes. */
export function rowOutlier(flags: number): BackendStat['outlier'] {
  return OUTLIER[(flags >> OUTLIER_SHIFT) & 3]!;
}

/** Backend i's BackendStat, a new object with the keys in the order the analysis always wrote them. */
export function backendStatAt(rows: BackendRows, i: number): BackendStat {
  const v = rows.values;
  const o = rows.offset + i * ROW_STRIDE;
  const f = v[o + FLAGS]!;
  return {
    backend: rows.names[i]!,
    health: HEALTH[(f >> HEALTH_SHIFT) & 3]!,
    weight: f & NULL_WEIGHT ? null : v[o + WEIGHT]!,
    rate: v[o + RATE]!,
    share: v[o + SHARE]!,
    expectedShare: v[o + EXPECTED]!,
    ratio: v[o + RATIO]!,
    utilisation: f & NULL_UTIL ? null : v[o + UTIL]!,
    queue: f & NULL_QUEUE ? null : v[o + QUEUE]!,
    z: v[o + Z]!,
    outlier: OUTLIER[(f >> OUTLIER_SHIFT) & 3]!,
  };
}

/** Every row as new BackendStat objects. */
export function backendStats(rows: BackendRows): BackendStat[] {
  const n = rows.names.length;
  const out = new Array<BackendStat>(n);
  for (let i = 0; i < n; i++) out[i] = backendStatAt(rows, i);
  return out;
}

/**
 * Packs BackendStat objects; null when one is not of the exact shape the
 * analysis makes (a hand-built or extended row must be kept as it is).
 */
export function packBackendStats(backends: readonly BackendStat[]): BackendRows | null {
  const n = backends.length;
  const names = new Array<string>(n);
  const values = new Array<number>(n * ROW_STRIDE);
  for (let i = 0; i < n; i++) {
    const b = backends[i]!;
    if (!hasOwnShape(b)) return null;
    const o = i * ROW_STRIDE;
    names[i] = b.backend;
    values[o + WEIGHT] = b.weight ?? 0;
    values[o + RATE] = b.rate;
    values[o + SHARE] = b.share;
    values[o + EXPECTED] = b.expectedShare;
    values[o + RATIO] = b.ratio;
    values[o + UTIL] = b.utilisation ?? 0;
    values[o + QUEUE] = b.queue ?? 0;
    values[o + Z] = b.z;
    values[o + FLAGS] = rowFlags(b.health, b.outlier, b.weight === null, b.utilisation === null, b.queue === null);
  }
  return { names, values, offset: 0 };
}

/** BackendStat's keys in the order the analysis writes them. */
const KEYS = ['backend', 'health', 'weight', 'rate', 'share', 'expectedShare', 'ratio', 'utilisation', 'queue', 'z', 'outlier'] as const;

function hasOwnShape(b: BackendStat): boolean {
  // for-in walks the own keys in order without building an array; a plain
  // object has no inherited enumerable keys, any other object fails the order check.
  let i = 0;
  for (const key in b) {
    if (key !== KEYS[i]) return false;
    i++;
  }
  if (i !== KEYS.length || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const numberOrNull = (x: unknown) => x === null || typeof x === 'number';
  return typeof b.backend === 'string' && HEALTH.includes(b.health) && OUTLIER.includes(b.outlier)
    && numberOrNull(b.weight) && numberOrNull(b.utilisation) && numberOrNull(b.queue)
    && typeof b.rate === 'number' && typeof b.share === 'number' && typeof b.expectedShare === 'number' && typeof b.ratio === 'number' && typeof b.z === 'number';
}

/** Returns its argument: lets RowsStamp add private fields to an object it did not construct. */
class ReturnsArgument {
  constructor(o: object) {
    return o;
  }
}

/**
 * The hidden half of a verdict with packed rows: private fields on the
 * verdict object itself (the "return override" idiom), invisible to keys,
 * spread, JSON and deepStrictEqual, and cheaper than a WeakMap entry
 * (which an earlier design paid per pool per cycle, history.ts).
 */
class RowsStamp extends ReturnsArgument {
  /** null once the objects are built: they hold the same values, and a verdict kept long after its cycle (an alert's last verdict, a queued notification's) must not keep a whole slab alive. */
  #rows: BackendRows | null;
  #objects: readonly BackendStat[] | null = null;

  private constructor(o: object, rows: BackendRows) {
    super(o);
    this.#rows = rows;
  }

  static stamp(o: object, rows: BackendRows): void {
    new RowsStamp(o, rows);
  }

  static rowsOf(o: object): BackendRows | null {
    return #rows in o ? (o as unknown as RowsStamp).#rows : null;
  }

  static objectsOf(o: object): readonly BackendStat[] {
    const s = o as unknown as RowsStamp;
    if (s.#objects === null) {
      s.#objects = backendStats(s.#rows!);
      s.#rows = null;
    }
    return s.#objects;
  }

  static replace(o: object, backends: readonly BackendStat[]): void {
    const s = o as unknown as RowsStamp;
    s.#objects = backends;
    s.#rows = null;
  }

  static hasObjects(o: object): boolean {
    return #rows in o && (o as unknown as RowsStamp).#objects !== null;
  }
}

/** One shared accessor pair: `this` is the verdict. */
const BACKENDS: PropertyDescriptor = Object.freeze({
  get(this: object) {
    return RowsStamp.objectsOf(this);
  },
  set(this: object, backends: readonly BackendStat[]) {
    // Assigned rows are what is read from now on; the packed ones no longer describe them.
    RowsStamp.replace(this, backends);
    Object.defineProperty(this, 'backends', { value: backends, writable: true, enumerable: true, configurable: true });
  },
  enumerable: true,
  configurable: true,
});

/**
 * Gives `verdict` (which must not have a `backends` property yet) its
 * `backends` from `rows`, built on first read. Returns the verdict.
 */
export function withBackendRows<V extends object>(verdict: V, rows: BackendRows): V & { readonly backends: readonly BackendStat[] } {
  RowsStamp.stamp(verdict, rows);
  Object.defineProperty(verdict, 'backends', BACKENDS);
  return verdict as V & { readonly backends: readonly BackendStat[] };
}

/**
 * The packed rows of a verdict made by the analysis, without building the
 * objects; null for any other verdict (a spread copy, a restored or
 * hand-built one, one whose backends were assigned or already read, whose
 * objects then hold the rows): read `backends` then.
 */
export function backendRowsOf(verdict: PoolVerdict): BackendRows | null {
  const rows = RowsStamp.rowsOf(verdict);
  if (rows === null) return null;
  // Assigned rows turned `backends` into a data property: the packed ones are stale.
  return Object.getOwnPropertyDescriptor(verdict, 'backends')?.get === BACKENDS.get ? rows : null;
}

/** Whether a verdict's packed rows have been built into objects (tests: who materialises). */
export function backendsMaterialised(verdict: PoolVerdict): boolean {
  return RowsStamp.hasObjects(verdict);
}
