// The one definition of a usable input number, shared by prepare.ts (the
// verdict) and history.ts (the trend), so both read a sample the same way.

/**
 * Beyond this no exporter is measuring anything (1e12 req/s, cores, queue
 * entries): such values are garbage and treated as missing, which also keeps
 * every sum and square far from overflow.
 */
export const MAX_PLAUSIBLE = 1e12;
/** Below this a value is 0 (subnormal noise would lose all digits when scaled). */
export const MIN_NONZERO = 1e-100;

/** A usable non-negative finite number, or −1 (the columns' "missing"). */
export function nonNegOrMissing(v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0) || v > MAX_PLAUSIBLE) return -1; // NaN fails v >= 0
  return v < MIN_NONZERO ? 0 : v;
}

/** A usable positive number (a capacity, a window), or `fallback`. */
export function positiveOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && v >= MIN_NONZERO && v <= MAX_PLAUSIBLE ? v : fallback;
}
