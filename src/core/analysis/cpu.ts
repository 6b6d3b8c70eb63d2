// CPU view of a pool: who is hottest, how uneven utilisation is, and whether
// CPU follows the request distribution. When one backend burns CPU while the
// requests are even, the balancer is not the cause (a bad node, a noisy
// neighbour, an expensive client pinned by content, a runaway process), and
// the verdict says so instead of blaming the balancer.

import type { CpuStats } from '../types.js';
import type { AnalysisOptions } from './options.js';
import { LAYOUT, type PreparedPool } from './prepare.js';
import { coefficientOfVariation, pearson } from './dispersion.js';
import { median } from './robust.js';
import { Scratch } from './scratch.js';

const { C_CPU, C_FLAGS, C_RATE, C_UTIL, F_TESTED, F_UP, STRIDE } = LAYOUT;

export interface CpuResult {
  readonly stats: CpuStats;
  /** Index of the hottest up backend by utilisation, or −1. */
  readonly hottest: number;
  /** Median utilisation of up backends with CPU known (0 when none). */
  readonly medianUtilisation: number;
  /**
   * A backend is hot by CPU: utilisation ≥ hotUtilisation and ≥ skewRatio ×
   * the pool's median utilisation. Said about CPU only; the caller combines
   * it with the request verdict.
   */
  readonly skewed: boolean;
}

const UTILS = new Scratch();
const RATES = new Scratch();
const CPUS = new Scratch();
const MEDIAN = new Scratch();

const NO_CPU: CpuResult = Object.freeze({
  stats: Object.freeze({ hottest: null, maxUtilisation: null, spread: null, followsRequests: null }),
  hottest: -1,
  medianUtilisation: 0,
  skewed: false,
});

export function analyseCpu(p: PreparedPool, opts: AnalysisOptions): CpuResult {
  const { d, n } = p;
  let k = 0;
  const end = n * STRIDE;
  for (let o = 0; o < end; o += STRIDE) if (d[o + C_FLAGS]! & F_UP && d[o + C_UTIL]! >= 0) k++;
  if (k === 0) return NO_CPU;

  const utils = UTILS.get(k);
  const rates = RATES.get(k);
  const cpus = CPUS.get(k);
  let hottest = -1;
  let maxU = -1;
  let j = 0;
  let c = 0;
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    const flags = d[o + C_FLAGS]!;
    const u = d[o + C_UTIL]!;
    if (!(flags & F_UP) || u < 0) continue;
    utils[j++] = u;
    if (u > maxU) {
      maxU = u;
      hottest = i;
    }
    if (flags & F_TESTED) {
      rates[c] = d[o + C_RATE]!;
      cpus[c] = d[o + C_CPU]!;
      c++;
    }
  }
  // Pearson r is scale free, so correlating raw rates with raw CPU cores is
  // the same as correlating request share with CPU share.
  const r = pearson(rates, cpus, c);
  const med = median(utils, k, MEDIAN.get(k));
  const skewed = k >= 2 && maxU >= opts.hotUtilisation && maxU >= opts.skewRatio * med;
  return {
    stats: {
      hottest: String(p.sample.backends[hottest]!.backend),
      maxUtilisation: maxU,
      spread: k >= 2 ? coefficientOfVariation(utils, k) : null,
      followsRequests: r === null ? null : r > opts.followsRequestsR,
    },
    hottest,
    medianUtilisation: med,
    skewed,
  };
}
