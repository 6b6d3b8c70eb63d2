// The traffic-skew statistics of one pool: per-backend ratios and robust
// z-scores, the pool's dispersion measures, the G-test against the expected
// distribution, and which backends are hot or starved.
//
// A backend is a skew *candidate* when all three hold:
//   1. the pool-level G-test is significant (p < alpha, volume guards met);
//   2. the effect is sizeable: ratio ≥ skewRatio (hot) / ≤ 1/skewRatio
//      (starved), or |share − expected| ≥ minDeviationPp;
//   3. the backend itself deviates significantly: its adjusted residual
//      passes a Bonferroni-corrected test at alpha / (backends compared).
// It is labelled an *outlier* ('hot'/'starved') when, in addition, its
// modified z-score among its peers reaches ±outlierZ — required only with
// zMinBackends or more comparable backends (below that a median/MAD of 2–4
// values says nothing). The pool is skewed when any candidate exists.

import type { PoolStats } from '../types.js';
import type { AnalysisOptions } from './options.js';
import { LAYOUT, type PreparedPool } from './prepare.js';
import { chiSquareSurvival } from './special.js';
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

export interface SkewResult {
  readonly stats: PoolStats;
  /** Index of the backend with the highest ratio among hot candidates, or −1. */
  readonly hottest: number;
  /** Index of the backend with the lowest ratio among starved candidates, or −1. */
  readonly coldest: number;
  readonly skewed: boolean;
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
    return { stats: { ...UNTESTED_STATS, volume }, hottest: -1, coldest: -1, skewed: false };
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
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    if (!(d[o + C_FLAGS]! & F_TESTED)) continue;
    const share = d[o + C_SHARE]!;
    const expected = d[o + C_EXPECTED]!;
    let ratio: number;
    if (expected > 0) {
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
  const pValue = df > 0 && g > 0 ? chiSquareSurvival(g, df) : 1;
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
  const perBackendAlpha = opts.alpha / tested; // Bonferroni (Dunn, JASA 56, 1961)
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
    if (!backendSignificant(d[o + C_COUNT]!, volume, expected, perBackendAlpha)) continue;
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
  return { stats, hottest, coldest, skewed: hottest >= 0 || coldest >= 0 };
}

/**
 * Does one backend's count deviate from its expectation beyond chance?
 * Adjusted (standardised) residual r = (O − E) / √(E(1 − p)) with E = V·p,
 * asymptotically N(0, 1) under the configured distribution (Haberman,
 * Biometrics 29, 1973); two-sided p = P(χ²₁ ≥ r²). A weight-0 backend
 * (p = 0) cannot receive anything by chance: any request is significant.
 */
export function backendSignificant(obs: number, volume: number, expected: number, alpha: number): boolean {
  if (expected <= 0) return obs >= 1;
  if (expected >= 1) return false;
  const e = volume * expected;
  const r2 = ((obs - e) * (obs - e)) / (e * (1 - expected));
  return chiSquareSurvival(r2, 1) < alpha;
}
