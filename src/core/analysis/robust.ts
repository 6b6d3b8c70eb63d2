// Robust location, scale and trend: median by quickselect, the median absolute
// deviation, the modified z-score and the Theil–Sen slope. All functions take
// the values they need and allocate at most one scratch array; none sorts more
// than it has to (the analysis runs for every pool on every cycle).

import { Scratch } from './scratch.js';

/**
 * k-th smallest (0-based) of a[0..len) by Hoare's quickselect, in place (the
 * array is permuted). Expected O(len). Source: Hoare, "Algorithm 65: Find",
 * CACM 4(7), 1961. Middle-element pivot keeps it deterministic and linear on
 * the already-sorted inputs history produces.
 */
export function selectInPlace(a: Float64Array, len: number, k: number): number {
  let lo = 0;
  let hi = len - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * Median of a[0..len), permuting a. For even len the mean of the two middle
 * values (the usual definition, so the median of [0, 1] is 0.5). 0 for len 0.
 */
export function medianInPlace(a: Float64Array, len: number): number {
  if (len <= 0) return 0;
  const mid = len >>> 1;
  const upper = selectInPlace(a, len, mid);
  if (len & 1) return upper;
  // After selection every element left of `mid` is ≤ upper: the lower middle
  // is their maximum, found in one pass instead of a second selection.
  let lower = a[0]!;
  for (let i = 1; i < mid; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

const TAGS = new Uint8Array(256);
/** 64 buckets (+1 so a sentinel never needs a bounds check). */
const COUNTS = new Int32Array(65);
const PICKED = new Scratch(256);

/**
 * The same value as medianInPlace(a, len), faster on the ~200 pairwise
 * slopes Theil–Sen takes the median of for every pool every cycle, where
 * quickselect's unpredictable branches made it the largest single cost of a
 * running-state cycle. One pass sorts the values into 64 equal-width buckets
 * between min and max (bucket order is value order), counting finds the
 * bucket(s) holding the middle rank(s), and quickselect runs on those few
 * values only. Exact: a rank is a rank whichever way it is found. Falls back
 * to medianInPlace when bucketing cannot help or is unsafe (short input, all
 * equal, NaN, infinite range). `a` may be permuted. knownMin/knownMax, when
 * given, must be the exact minimum and maximum of a[0..len).
 */
export function medianBucketed(a: Float64Array, len: number, knownMin = Number.NaN, knownMax = Number.NaN): number {
  if (len < 32 || len > TAGS.length) return medianInPlace(a, len);
  // The caller may pass the extremes it saw while filling `a` (saves a pass).
  let min = knownMin;
  let max = knownMax;
  if (!(min <= max)) {
    min = max = a[0]!;
    for (let i = 1; i < len; i++) {
      const v = a[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const range = max - min;
  if (!(range > 0 && range < Infinity)) return medianInPlace(a, len);
  const buckets = COUNTS.length - 1;
  const scale = buckets / range;
  COUNTS.fill(0);
  for (let i = 0; i < len; i++) {
    const v = a[i]!;
    if (v !== v) return medianInPlace(a, len); // NaN: keep medianInPlace's own semantics
    let t = ((v - min) * scale) | 0;
    if (t >= buckets) t = buckets - 1;
    TAGS[i] = t;
    COUNTS[t]!++;
  }
  // Ranks needed: mid (and mid − 1 for even len), in buckets lo..hi.
  const mid = len >>> 1;
  const lowRank = len & 1 ? mid : mid - 1;
  let below = 0;
  let lo = 0;
  while (below + COUNTS[lo]! <= lowRank) below += COUNTS[lo++]!;
  let hi = lo;
  for (let upto = below + COUNTS[hi]!; upto <= mid; upto += COUNTS[hi]!) hi++;
  const picked = PICKED.get(len);
  let n = 0;
  // One unsigned comparison for lo ≤ t ≤ hi: it is almost always false, so
  // the branch predicts; `t >= lo && t <= hi` mispredicted on its first half
  // (true for about half the values) and was the costliest line here.
  const width = hi - lo;
  for (let i = 0; i < len; i++) if ((TAGS[i]! - lo) >>> 0 <= width) picked[n++] = a[i]!;
  const upper = selectInPlace(picked, n, mid - below);
  if (len & 1) return upper;
  // As in medianInPlace: after selection the lower middle is the maximum left of it.
  let lower = picked[0]!;
  for (let i = 1; i < mid - below; i++) if (picked[i]! > lower) lower = picked[i]!;
  return (lower + upper) / 2;
}

/** Median of values[0..len) without touching the input (copies into `scratch`). */
export function median(values: ArrayLike<number>, len: number, scratch?: Float64Array): number {
  const buf = scratch && scratch.length >= len ? scratch : new Float64Array(len);
  for (let i = 0; i < len; i++) buf[i] = values[i]!;
  return medianInPlace(buf, len);
}

/**
 * Median absolute deviation about `center`: median_i |x_i − center|
 * (Hampel 1974). Unscaled: the modified z-score below carries the 0.6745.
 */
export function mad(values: ArrayLike<number>, len: number, center: number, scratch?: Float64Array): number {
  const buf = scratch && scratch.length >= len ? scratch : new Float64Array(len);
  for (let i = 0; i < len; i++) buf[i] = Math.abs(values[i]! - center);
  return medianInPlace(buf, len);
}

/** 0.6745 = Φ⁻¹(0.75): makes MAD a consistent estimator of σ for normal data. */
export const MODIFIED_Z_CONSTANT = 0.6745;

/**
 * Modified z-score (Iglewicz & Hoaglin, "How to Detect and Handle Outliers",
 * ASQC 1993): M_i = 0.6745 (x_i − median) / MAD, outlier when |M_i| > 3.5.
 *
 * MAD is 0 whenever more than half the values are equal — exactly the "one hot
 * backend among identical peers" case — and then the score is undefined.
 * Instead of the SPSS-style fallback to 1.2533 × mean absolute deviation
 * (which caps the attainable score at n/1.2533, so two hot backends of eight
 * could never reach 3.5) the caller passes `scaleFloor`: a spread in the
 * data's own units below which differences are treated as noise. Ratios are
 * normalised to 1, so a floor of 0.05 means "differences under ~26% of the
 * expected load never score 3.5 on spread alone". This keeps the score finite,
 * scale free and stable for any n ≥ 3.
 */
export function modifiedZ(x: number, center: number, madValue: number, scaleFloor: number): number {
  const scale = madValue > scaleFloor ? madValue : scaleFloor;
  if (!(scale > 0)) return 0;
  return (MODIFIED_Z_CONSTANT * (x - center)) / scale;
}

const SLOPES = new Scratch();
const RESID = new Scratch();

export interface TrendFit {
  /** Change of y per unit of x. */
  readonly slope: number;
  /** y at x = 0. */
  readonly intercept: number;
}

/**
 * Theil–Sen estimator (Theil 1950; Sen, JASA 63, 1968): slope = median of the
 * pairwise slopes (y_j − y_i)/(x_j − x_i) over pairs with x_i ≠ x_j;
 * intercept = median of y_i − slope·x_i. Breakdown point ~29%: a few spikes in
 * the history cannot tilt the trend.
 *
 * With more than `maxPairs` pairs only the pairs furthest apart in index are
 * used, largest lag first (lag len−1, then len−2, …) until maxPairs: a pair's
 * slope error shrinks with its x distance, so these carry most of the
 * information (the idea of Theil's own abbreviated method, which pairs point
 * i with i + n/2), and each point still appears in only a small fraction of
 * the pairs, so a spike cannot dominate the median. Deterministic. Expects xs
 * ascending (history order). Returns null with fewer than two distinct x.
 */
export function theilSen(xs: ArrayLike<number>, ys: ArrayLike<number>, len: number, maxPairs = 200): TrendFit | null {
  const pairs = (len * (len - 1)) / 2;
  if (pairs < 1) return null;
  const capacity = Math.min(pairs, Math.max(1, maxPairs));
  const slopes = SLOPES.get(capacity);
  let m = 0;
  let used = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let lag = len - 1; lag >= 1 && used < capacity; lag--) {
    // The pairs of this lag that fit, counted once (not tested per pair).
    const count = Math.min(len - lag, capacity - used);
    used += count;
    for (let i = 0; i < count; i++) {
      const dx = xs[i + lag]! - xs[i]!;
      if (dx === 0) continue;
      const s = (ys[i + lag]! - ys[i]!) / dx;
      slopes[m++] = s;
      if (s < min) min = s;
      if (s > max) max = s;
    }
  }
  if (m === 0) return null;
  const slope = medianBucketed(slopes, m, min, max);
  // The intercept's median bucketed too, now that picking the middle
  // buckets no longer mispredicts: on ~40 residuals it beats quickselect.
  // (It was quickselect with a bucketed retry for a zero median, the one
  // value where the two could differ, +0 or -0: this gives what that retry
  // gave, and the same order statistic otherwise.)
  const resid = RESID.get(len);
  min = Infinity;
  max = -Infinity;
  for (let i = 0; i < len; i++) {
    const r = ys[i]! - slope * xs[i]!;
    resid[i] = r;
    if (r < min) min = r;
    if (r > max) max = r;
  }
  return { slope, intercept: medianBucketed(resid, len, min, max) };
}
