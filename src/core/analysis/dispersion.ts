// Inequality and association measures over a small array of non-negative
// values (observed/expected ratios, CPU utilisations). Each is scale free:
// multiplying every value by k > 0 leaves it unchanged, which is what lets a
// pool at 10 req/s and one at 10,000 req/s share thresholds.

/**
 * Coefficient of variation σ/μ (population σ). 0 when the mean is 0 (no
 * traffic: nothing is uneven). Source: any statistics text, e.g. Everitt,
 * The Cambridge Dictionary of Statistics, "coefficient of variation".
 */
export function coefficientOfVariation(values: ArrayLike<number>, len: number): number {
  if (len < 2) return 0;
  // cv is scale free: dividing by the maximum first keeps squares of huge
  // (garbage) inputs from overflowing to Infinity.
  const max = maxAbs(values, len);
  if (!(max > 0) || max === Infinity) return 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < len; i++) {
    const x = values[i]! / max;
    const d = x - mean;
    mean += d / (i + 1);
    m2 += d * (x - mean);
  }
  return mean > 0 ? Math.sqrt(Math.max(0, m2 / len)) / mean : 0;
}

/**
 * Jain's fairness index J = (Σx)² / (n Σx²), in [1/n, 1]; 1 when all equal,
 * 1/n when one value carries everything. Source: Jain, Chiu & Hawe, "A
 * Quantitative Measure of Fairness and Discrimination for Resource Allocation
 * in Shared Computer Systems", DEC-TR-301, 1984. 1 for an all-zero input.
 */
export function jainIndex(values: ArrayLike<number>, len: number): number {
  if (len === 0) return 1;
  // Divide by the maximum first so squares neither overflow nor underflow.
  let max = 0;
  for (let i = 0; i < len; i++) if (values[i]! > max) max = values[i]!;
  if (!(max > 0)) return 1;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < len; i++) {
    const x = values[i]! / max;
    sum += x;
    sumSq += x * x;
  }
  if (!(sumSq > 0)) return 1;
  const j = (sum * sum) / (len * sumSq);
  // Rounding can push a perfectly even input a hair above 1 (or below 1/n).
  return j > 1 ? 1 : j < 1 / len ? 1 / len : j;
}

/**
 * Gini coefficient G = Σ_i (2i − n − 1) x_(i) / (n Σx) over the values sorted
 * ascending (i = 1..n), equivalent to the mean absolute difference over twice
 * the mean. 0 when all equal, (n−1)/n when one value carries everything.
 * Source: Gini, "Variabilità e mutabilità", 1912; sorted form in Damgaard &
 * Weiner, Ecology 81(4), 2000. Sorts a copy (n is the pool size, small).
 */
export function gini(values: ArrayLike<number>, len: number, scratch?: Float64Array): number {
  if (len < 2) return 0;
  const buf = scratch && scratch.length >= len ? scratch : new Float64Array(len);
  let sum = 0;
  for (let i = 0; i < len; i++) {
    buf[i] = values[i]!;
    sum += values[i]!;
  }
  if (!(sum > 0)) return 0;
  sortPrefix(buf, len);
  let acc = 0;
  for (let i = 0; i < len; i++) acc += (2 * (i + 1) - len - 1) * buf[i]!;
  const g = acc / (len * sum);
  return g < 0 ? 0 : g > 1 ? 1 : g;
}

/**
 * Pearson's product-moment correlation r = cov(x, y) / (σx σy). null when it
 * is undefined: fewer than 3 points or either variable constant. Source:
 * Pearson, Proc. R. Soc. Lond. 58, 1895.
 */
export function pearson(xs: ArrayLike<number>, ys: ArrayLike<number>, len: number): number | null {
  if (len < 3) return null;
  // r is invariant to scaling each variable: normalise to avoid overflow.
  const sx = maxAbs(xs, len);
  const sy = maxAbs(ys, len);
  if (!(sx > 0 && sy > 0 && sx < Infinity && sy < Infinity)) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < len; i++) {
    mx += xs[i]! / sx;
    my += ys[i]! / sy;
  }
  mx /= len;
  my /= len;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < len; i++) {
    const dx = xs[i]! / sx - mx;
    const dy = ys[i]! / sy - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Relative tolerance: a "constant" series with rounding noise has no variance.
  if (!(sxx > 1e-24 * (mx * mx * len + 1e-300)) || !(syy > 1e-24 * (my * my * len + 1e-300))) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

function maxAbs(values: ArrayLike<number>, len: number): number {
  let max = 0;
  for (let i = 0; i < len; i++) {
    const a = Math.abs(values[i]!);
    if (a > max) max = a;
  }
  return max;
}

/** Sorts a[0..len) ascending: insertion sort for pool-sized inputs, the built-in beyond. */
function sortPrefix(a: Float64Array, len: number): void {
  if (len > 32) {
    a.subarray(0, len).sort();
    return;
  }
  for (let i = 1; i < len; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > x) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = x;
  }
}
