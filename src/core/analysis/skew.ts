// The traffic-skew statistics of one pool: per-backend ratios and robust
// z-scores, the pool's dispersion measures, the G-test against the expected
// distribution, and which backends are hot or starved.
//
// A backend is a skew *candidate* when all three hold:
//   1. the pool-level G-test is significant (p < alpha, volume guards met);
//   2. the effect is sizeable: ratio ≥ skewRatio (hot) / ≤ 1/skewRatio
//      (starved), or |share − expected| ≥ minDeviationPp;
//   3. the backend itself deviates significantly: the exact binomial tail of
//      its count, in the direction of the effect, is below
//      alpha / (2 × backends compared) (two-sided, Bonferroni-corrected).
//
// The pool test of step 1 is the G-test while every comparable backend
// expects at least MIN_EXPECTED_COUNT requests. Below that the chi-square
// approximation of G fails (a 1000-backend pool at 1–2 requests each raised
// warnings in 7–18% of balanced cycles) and the pool p-value is instead the
// Bonferroni bound over the exact per-backend tests, min(1, 2k · min tail),
// which holds at any count.
// It is labelled an *outlier* ('hot'/'starved') when, in addition, its
// modified z-score among its peers reaches ±outlierZ — required only with
// zMinBackends or more comparable backends (below that a median/MAD of 2–4
// values says nothing). The pool is skewed when any candidate exists.

import type { PoolStats } from '../types.js';
import type { AnalysisOptions } from './options.js';
import { LAYOUT, type PreparedPool } from './prepare.js';
import { binomialLowerTail, binomialUpperTail, chiSquareSurvival } from './special.js';
import { coefficientOfVariation, gini, jainIndex } from './dispersion.js';
import { mad, median, modifiedZ } from './robust.js';
import { Scratch } from './scratch.js';

const { C_COUNT, C_EXPECTED, C_FLAGS, C_MARK, C_RATIO, C_SHARE, C_Z, F_TESTED, STRIDE } = LAYOUT;

/** Bits of the C_MARK column (copied to locals by consumers, see LAYOUT). */
export const MARKS = Object.freeze({ M_HOT_CANDIDATE: 1, M_COLD_CANDIDATE: 2, M_HOT: 4, M_STARVED: 8 });
const { M_HOT_CANDIDATE, M_COLD_CANDIDATE, M_HOT, M_STARVED } = MARKS;

/**
 * Expected count used for a weight-0 backend in the G-test. Its configured
 * expectation is 0, which makes any traffic "impossible" (G = ∞). Half a
 * request is a continuity floor: a draining server's trickle of sticky
 * sessions adds little, a weight-0 server taking real traffic adds a lot.
 */
const ZERO_WEIGHT_EXPECTED_COUNT = 0.5;

/**
 * Smallest expected count per comparable backend for the G-test's
 * chi-square approximation: Cochran's rule (Biometrics 10, 1954) asks for
 * expected counts of at least 5; below it the exact tests decide.
 */
export const MIN_EXPECTED_COUNT = 5;

export interface SkewResult {
  readonly stats: PoolStats;
  /** Index of the backend with the highest ratio among hot candidates, or −1. */
  readonly hottest: number;
  /** Index of the backend with the lowest ratio among starved candidates, or −1. */
  readonly coldest: number;
  readonly skewed: boolean;
  /** Some comparable backend expected fewer than MIN_EXPECTED_COUNT requests: the exact tests stood in for the G-test. */
  readonly lowCounts: boolean;
}

const RATIOS = new Scratch();
const WORK = new Scratch();

const UNTESTED_STATS: PoolStats = Object.freeze({
  peakRatio: 0, minRatio: 0, cv: 0, gini: 0, jain: 1, entropy: 1,
  maxDeviationPp: 0, gStatistic: 0, pValue: 1, volume: 0, significant: false,
});

export function analyseSkew(p: PreparedPool, opts: AnalysisOptions): SkewResult {
  const { d, n, tested, volume } = p;
  if (tested === 0 || !(p.totalRate > 0)) {
    return { stats: { ...UNTESTED_STATS, volume }, hottest: -1, coldest: -1, skewed: false, lowCounts: false };
  }

  // Ratios. Comparable backends (expected > 0) are gathered for the
  // distribution statistics; a weight-0 backend has no meaningful ratio, so
  // its ratio is reported relative to an even split (share × tested) and it
  // is left out of cv/Gini/Jain/z (those describe backends meant to serve).
  const ratios = RATIOS.get(tested);
  const scratch = WORK.get(tested); // for median/MAD/Gini, which permute their input
  let m = 0;
  let peakRatio = 0;
  let minRatio = Infinity;
  let maxDev = 0;
  let g = 0;
  let minExpectedCount = Infinity;
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    if (!(d[o + C_FLAGS]! & F_TESTED)) continue;
    const share = d[o + C_SHARE]!;
    const expected = d[o + C_EXPECTED]!;
    let ratio: number;
    if (expected > 0) {
      if (volume * expected < minExpectedCount) minExpectedCount = volume * expected;
      ratio = share / expected;
      ratios[m++] = ratio;
      if (ratio < minRatio) minRatio = ratio;
    } else {
      ratio = share > 0 ? share * tested : 1;
    }
    d[o + C_RATIO] = ratio;
    if (ratio > peakRatio) peakRatio = ratio;
    const dev = Math.abs(share - expected);
    if (dev > maxDev) maxDev = dev;
    // G = 2 Σ O ln(O/E) (Sokal & Rohlf, Biometry, 1995, §17.1; Wilks 1938).
    const obs = d[o + C_COUNT]!;
    if (obs > 0) {
      const exp = expected > 0 ? volume * expected : ZERO_WEIGHT_EXPECTED_COUNT;
      g += obs * Math.log(obs / exp);
    }
  }
  if (minRatio === Infinity) minRatio = 0;
  g = volume > 0 && Number.isFinite(g) ? 2 * g : 0;
  // Summation rounding leaves |G| ~ 1e-15·volume on a perfect distribution;
  // treat that as 0 so p is exactly 1 there (and monotone in volume).
  if (g <= volume * 1e-12) g = 0;
  const df = tested - 1;
  const lowCounts = df > 0 && minExpectedCount < MIN_EXPECTED_COUNT;
  const pValue = lowCounts ? exactPoolPValue(p) : df > 0 && g > 0 ? chiSquareSurvival(g, df) : 1;
  const significant = pValue < opts.alpha && volume >= opts.minRequests && p.totalRate >= opts.minRate;

  // Robust z of each comparable ratio (Iglewicz & Hoaglin modified z-score).
  const useZ = m >= 3;
  const med = useZ ? median(ratios, m, scratch) : 0;
  const madValue = useZ ? mad(ratios, m, med, scratch) : 0;

  const stats: PoolStats = {
    peakRatio,
    minRatio,
    cv: coefficientOfVariation(ratios, m),
    gini: gini(ratios, m, scratch),
    jain: jainIndex(ratios, m),
    // Evenness exp(−KL(observed‖expected)); with counts, KL = G / (2·volume)
    // (Kullback & Leibler 1951). 1 when observed equals expected, → 0 as the
    // traffic concentrates where it is not expected.
    entropy: volume > 0 ? Math.exp(-g / (2 * volume)) : 1,
    maxDeviationPp: maxDev * 100,
    gStatistic: g,
    pValue,
    volume,
    significant,
  };

  let hottest = -1;
  let coldest = -1;
  // Two-sided at alpha, Bonferroni over the backends compared (Dunn, JASA 56, 1961): each tail at alpha / 2k.
  const tailAlpha = opts.alpha / (2 * tested);
  const minDev = opts.minDeviationPp / 100;
  const coldRatio = 1 / opts.skewRatio;
  const requireZ = m >= opts.zMinBackends;
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    if (!(d[o + C_FLAGS]! & F_TESTED)) continue;
    const expected = d[o + C_EXPECTED]!;
    const ratio = d[o + C_RATIO]!;
    const z = useZ && expected > 0 ? modifiedZ(ratio, med, madValue, opts.madFloor) : 0;
    d[o + C_Z] = z;
    if (!significant) continue;
    const excess = d[o + C_SHARE]! - expected;
    const hotEffect = expected > 0 ? ratio >= opts.skewRatio || excess >= minDev : excess >= minDev;
    const coldEffect = expected > 0 && (ratio <= coldRatio || -excess >= minDev);
    if (!hotEffect && !coldEffect) continue;
    if (!backendSignificant(d[o + C_COUNT]!, volume, expected, tailAlpha, hotEffect)) continue;
    let mark = 0;
    if (hotEffect) {
      mark |= M_HOT_CANDIDATE;
      if (!requireZ || expected === 0 || z >= opts.outlierZ) mark |= M_HOT;
      if (hottest < 0 || ratio > d[hottest * STRIDE + C_RATIO]!) hottest = i;
    } else {
      mark |= M_COLD_CANDIDATE;
      if (!requireZ || z <= -opts.outlierZ) mark |= M_STARVED;
      if (coldest < 0 || ratio < d[coldest * STRIDE + C_RATIO]!) coldest = i;
    }
    d[o + C_MARK] = mark;
  }
  return { stats, hottest, coldest, skewed: hottest >= 0 || coldest >= 0, lowCounts };
}

/**
 * Does one backend's count deviate from its expectation beyond chance, in
 * the direction of its effect? Under the configured distribution a
 * backend's count O is Binomial(V, p) (V requests, each landing on it with
 * its expected share p); the exact tail P(X ≥ O) (hot) or P(X ≤ O)
 * (starved) is compared with `tailAlpha`. Exact at any expected count, where
 * the adjusted residual's normal approximation (Haberman 1973) called a
 * backend with 6 requests where 1 is expected significant at 1e-6 when the
 * true chance is 6e-4. A weight-0 backend (p = 0) cannot receive anything by
 * chance: any request is significant.
 */
export function backendSignificant(obs: number, volume: number, expected: number, tailAlpha: number, hot: boolean): boolean {
  if (expected <= 0) return obs >= 1;
  if (expected >= 1) return false;
  return (hot ? binomialUpperTail(obs, volume, expected) : binomialLowerTail(obs, volume, expected)) < tailAlpha;
}

/**
 * Pool p-value at small expected counts: the Bonferroni bound over the
 * exact two-sided per-backend tests, min(1, k · 2 · min_i min(P(X ≥ O_i),
 * P(X ≤ O_i))). Conservative (valid at any count, Bonferroni 1936), so the
 * pool is called significant only when some backend is, which is what the
 * candidates need anyway. Weight-0 backends: any request counts as p = 0.
 */
function exactPoolPValue(p: PreparedPool): number {
  const { d, n, tested, volume } = p;
  let minTail = 1;
  for (let o = 0; o < n * STRIDE; o += STRIDE) {
    if (!(d[o + C_FLAGS]! & F_TESTED)) continue;
    const expected = d[o + C_EXPECTED]!;
    const obs = d[o + C_COUNT]!;
    let tail: number;
    if (expected <= 0) tail = obs >= 1 ? 0 : 1;
    else if (expected >= 1) tail = 1;
    else if (obs >= volume * expected) tail = binomialUpperTail(obs, volume, expected);
    else tail = binomialLowerTail(obs, volume, expected);
    if (tail < minTail) minTail = tail;
  }
  const bound = 2 * tested * minTail;
  return bound < 1 ? bound : 1;
}
