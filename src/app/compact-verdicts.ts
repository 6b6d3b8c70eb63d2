// The last cycle's verdicts as the daemon keeps them between cycles for
// /api/v1/status: each pool's per-backend rows packed (BackendRows,
// src/core/analysis/backend-rows.ts: one array of doubles and the names)
// instead of one object per backend. At 100,000 backends the objects (11
// fields, most of them boxed doubles) were ~34 MiB of the live heap held all
// the time. Verdicts from the analysis already carry their rows packed and
// are kept as they are (nothing is built or copied per cycle); others
// (spread copies with balancer context, hand-built ones) are packed here.
// Rebuilt on read, field for field and key for key as the analysis made them
// (src/core/analysis/analyse.ts): what status shows does not change.
import type { PoolVerdict } from '../core/types.js';
import { backendRowsOf, backendStats, packBackendStats, type BackendRows } from '../core/analysis/backend-rows.js';

interface Kept {
  /** The verdict; when `packed` came from the analysis, the analysis' own verdict, else a copy with its backends left out. */
  readonly verdict: PoolVerdict;
  readonly packed: BackendRows | null;
}

export class CompactVerdicts {
  private constructor(private readonly kept: readonly Kept[]) {}

  static readonly EMPTY = new CompactVerdicts([]);

  static of(verdicts: readonly PoolVerdict[]): CompactVerdicts {
    return new CompactVerdicts(verdicts.map((v) => {
      const own = backendRowsOf(v);
      if (own) return { verdict: v, packed: own };
      const packed = packBackendStats(v.backends);
      return packed ? { verdict: { ...v, backends: [] }, packed } : { verdict: v, packed: null };
    }));
  }

  get length(): number {
    return this.kept.length;
  }

  /** The verdicts as they were given (new objects for packed backends). */
  *[Symbol.iterator](): Generator<PoolVerdict> {
    for (const k of this.kept) yield k.packed ? withRows(k.verdict, k.packed) : k.verdict;
  }
}

/**
 * A plain copy of `v`, keys in its order, with `backends` built from `rows`.
 * Not a spread: that would read (and so build and keep) the analysis
 * verdict's own backends.
 */
function withRows(v: PoolVerdict, rows: BackendRows): PoolVerdict {
  const out: Record<string, unknown> = {};
  for (const key in v) out[key] = key === 'backends' ? backendStats(rows) : v[key as keyof PoolVerdict];
  return out as unknown as PoolVerdict;
}
