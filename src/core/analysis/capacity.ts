// Traffic against capacity: catches the weight misconfiguration. When a
// backend's configured weight is wrong, the balancer faithfully sends it the
// wrong share, so observed shares match the configured ones and the request
// test (skew.ts) sees nothing. What gives it away is CPU: that backend gets a
// larger share of requests than its share of the pool's CPU capacity, and
// runs far hotter than its peers.
//
//   capacity share    c_i = capacity_i / Σ capacity     (cores as reported, or
//                     the pool's hint; when neither, assumed from the weights
//                     within 2× of the typical backend: assumed-capacity.ts)
//   overweighted i    share_i ≥ skewRatio · c_i
//                     u_i ≥ skewRatio · median(u)  and  u_i − median(u) ≥ minUtilisationGap
//                     G-test of request counts against c is significant (p < alpha)
//
// A correct weighted config on unequal hardware (weight 2 on the box with 2
// cores) has share ≈ capacity share and even utilisation: not flagged.

import type { AnalysisOptions } from './options.js';
import { LAYOUT, type PreparedPool } from './prepare.js';
import { chiSquareSurvival } from './special.js';
import { median } from './robust.js';
import { Scratch } from './scratch.js';

const { C_CAP, C_COUNT, C_CPU, C_FLAGS, C_SHARE, C_UTIL, F_TESTED, STRIDE } = LAYOUT;

/** Smallest utilisation gap (hottest − median) worth a warning: idle pools wobble. */
export const MIN_UTILISATION_GAP = 0.15;

export interface CapacityResult {
  /** Index of the backend that takes more than its capacity share, or −1. */
  readonly overweighted: number;
  /** Its share of the pool's CPU capacity (0 when none). */
  readonly capacityShare: number;
  readonly medianUtilisation: number;
  /** Median CPU in cores of the compared backends (for the text when capacity is assumed). */
  readonly medianCpu: number;
  readonly pValue: number;
  /** Backends compared, their total capacity in cores, and whether all capacities are equal. */
  readonly compared: number;
  readonly capacitySum: number;
  readonly equalCapacity: boolean;
}

const NONE: CapacityResult = Object.freeze({
  overweighted: -1, capacityShare: 0, medianUtilisation: 0, medianCpu: 0, pValue: 1, compared: 0, capacitySum: 0, equalCapacity: true,
});
const UTILS = new Scratch();
const MEDIAN = new Scratch();

export function analyseCapacity(p: PreparedPool, opts: AnalysisOptions): CapacityResult {
  const { d, n } = p;
  let k = 0;
  let capSum = 0;
  let volume = 0;
  let hottest = -1;
  let maxU = -Infinity;
  let minCap = Infinity;
  let maxCap = 0;
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    if (!(d[o + C_FLAGS]! & F_TESTED)) continue;
    const u = d[o + C_UTIL]!;
    if (u < 0) return NONE; // CPU must be known for every compared backend
    k++;
    const cap = d[o + C_CAP]!;
    capSum += cap;
    if (cap < minCap) minCap = cap;
    if (cap > maxCap) maxCap = cap;
    volume += d[o + C_COUNT]!;
    if (u > maxU) {
      maxU = u;
      hottest = i;
    }
  }
  if (k < 2 || hottest < 0 || !(capSum > 0) || volume < opts.minRequests || p.totalRate < opts.minRate) return NONE;

  const utils = UTILS.get(k);
  let j = 0;
  for (let o = 0; o < n * STRIDE; o += STRIDE) if (d[o + C_FLAGS]! & F_TESTED) utils[j++] = d[o + C_UTIL]!;
  const medU = median(utils, k, MEDIAN.get(k));
  const ho = hottest * STRIDE;
  const cs = d[ho + C_CAP]! / capSum;
  if (!(d[ho + C_SHARE]! >= opts.skewRatio * cs)) return NONE;
  if (!(maxU >= opts.skewRatio * medU && maxU - medU >= MIN_UTILISATION_GAP)) return NONE;

  // G = 2 Σ O ln(O / E) with E from capacity shares (Sokal & Rohlf, Biometry, §17.2).
  let g = 0;
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    if (!(d[o + C_FLAGS]! & F_TESTED)) continue;
    const obs = d[o + C_COUNT]!;
    const exp = (volume * d[o + C_CAP]!) / capSum;
    if (obs > 0 && exp > 0) g += obs * Math.log(obs / exp);
  }
  const pValue = chiSquareSurvival(Math.max(0, 2 * g), k - 1);
  if (!(pValue < opts.alpha)) return NONE;
  j = 0;
  for (let o = 0; o < n * STRIDE; o += STRIDE) if (d[o + C_FLAGS]! & F_TESTED) utils[j++] = d[o + C_CPU]!;
  const medianCpu = median(utils, k, MEDIAN.get(k));
  return {
    overweighted: hottest, capacityShare: cs, medianUtilisation: medU, medianCpu, pValue,
    compared: k, capacitySum: capSum, equalCapacity: maxCap - minCap <= 1e-9 * maxCap,
  };
}
