// The last cycle's verdicts as the daemon keeps them between cycles for
// /api/v1/status: each pool's per-backend rows packed into one Float64Array
// and one Uint8Array instead of one object per backend. At 100,000 backends
// the objects (11 fields, most of them boxed doubles) were ~34 MiB of the
// live heap held all the time; packed they are ~9 bytes x 9 per backend.
// Rebuilt on read, field for field and key for key as the analysis made them
// (src/core/analysis/analyse.ts): what status shows does not change.
import type { BackendStat, Health, PoolVerdict } from '../core/types.js';

/** BackendStat's keys in the order the analysis writes them; rows of any other shape are kept as objects. */
const KEYS = ['backend', 'health', 'weight', 'rate', 'share', 'expectedShare', 'ratio', 'utilisation', 'queue', 'z', 'outlier'] as const;
const HEALTH: readonly Health[] = ['up', 'down', 'maint'];
const OUTLIER: readonly BackendStat['outlier'][] = [null, 'hot', 'starved'];
/** Numbers per backend: weight, rate, share, expectedShare, ratio, utilisation, queue, z. */
const STRIDE = 8;
// Flag bits: which nullable numbers are null; health and outlier codes above them.
const NULL_WEIGHT = 1;
const NULL_UTIL = 2;
const NULL_QUEUE = 4;
const HEALTH_SHIFT = 3; // 2 bits
const OUTLIER_SHIFT = 5; // 2 bits

interface Packed {
  readonly names: readonly string[];
  readonly numbers: Float64Array;
  readonly flags: Uint8Array;
}

interface Kept {
  /** The verdict with its backends left out when they are packed. */
  readonly verdict: PoolVerdict;
  readonly packed: Packed | null;
}

export class CompactVerdicts {
  private constructor(private readonly kept: readonly Kept[]) {}

  static readonly EMPTY = new CompactVerdicts([]);

  static of(verdicts: readonly PoolVerdict[]): CompactVerdicts {
    return new CompactVerdicts(verdicts.map((v) => {
      const packed = pack(v.backends);
      return packed ? { verdict: { ...v, backends: [] }, packed } : { verdict: v, packed: null };
    }));
  }

  get length(): number {
    return this.kept.length;
  }

  /** The verdicts as they were given (new objects for packed backends). */
  *[Symbol.iterator](): Generator<PoolVerdict> {
    for (const k of this.kept) yield k.packed ? { ...k.verdict, backends: unpack(k.packed) } : k.verdict;
  }
}

function hasOwnShape(b: BackendStat): boolean {
  // for-in walks the own keys in order without building an array (Object.keys
  // made one 11-element array per backend per cycle); a plain object has no
  // inherited enumerable keys, and any other object fails the order check.
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

function pack(backends: readonly BackendStat[]): Packed | null {
  if (!backends.every(hasOwnShape)) return null;
  const n = backends.length;
  const numbers = new Float64Array(n * STRIDE);
  const flags = new Uint8Array(n);
  const names: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const b = backends[i]!;
    const o = i * STRIDE;
    names[i] = b.backend;
    numbers[o] = b.weight ?? 0;
    numbers[o + 1] = b.rate;
    numbers[o + 2] = b.share;
    numbers[o + 3] = b.expectedShare;
    numbers[o + 4] = b.ratio;
    numbers[o + 5] = b.utilisation ?? 0;
    numbers[o + 6] = b.queue ?? 0;
    numbers[o + 7] = b.z;
    flags[i] = (b.weight === null ? NULL_WEIGHT : 0) | (b.utilisation === null ? NULL_UTIL : 0) | (b.queue === null ? NULL_QUEUE : 0)
      | (HEALTH.indexOf(b.health) << HEALTH_SHIFT) | (OUTLIER.indexOf(b.outlier) << OUTLIER_SHIFT);
  }
  return { names, numbers, flags };
}

function unpack(p: Packed): BackendStat[] {
  const out: BackendStat[] = new Array<BackendStat>(p.names.length);
  for (let i = 0; i < p.names.length; i++) {
    const o = i * STRIDE;
    const f = p.flags[i]!;
    out[i] = {
      backend: p.names[i]!,
      health: HEALTH[(f >> HEALTH_SHIFT) & 3]!,
      weight: f & NULL_WEIGHT ? null : p.numbers[o]!,
      rate: p.numbers[o + 1]!,
      share: p.numbers[o + 2]!,
      expectedShare: p.numbers[o + 3]!,
      ratio: p.numbers[o + 4]!,
      utilisation: f & NULL_UTIL ? null : p.numbers[o + 5]!,
      queue: f & NULL_QUEUE ? null : p.numbers[o + 6]!,
      z: p.numbers[o + 7]!,
      outlier: OUTLIER[(f >> OUTLIER_SHIFT) & 3]!,
    };
  }
  return out;
}
