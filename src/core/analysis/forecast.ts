// When will the hot backend saturate? A robust straight-line trend of its
// utilisation over the recent history, extrapolated to the threshold.
//
// Why Theil–Sen and not least squares: CPU rates are spiky (GC pauses, a
// scrape landing on a burst) and one spike would tilt a least-squares line
// enough to page or to stay silent. The median of pairwise slopes ignores up
// to ~29% of bad points.
//
// Why no forecast without CPU: a rising request rate says nothing about
// when a backend saturates unless its capacity is known, and guessing would
// page on healthy growth. The verdict still reports skew and 'pouring'.

import type { Forecast, PoolHistory } from '../types.js';
import type { AnalysisOptions } from './options.js';
import { medianInPlace, theilSen } from './robust.js';
import * as layout from './history.js';
import { columnOf, strideOf, usable } from './history.js';
import { Scratch } from './scratch.js';

// Module-local copy (tsx compiles imported bindings to getter calls; the column copy reads it per point).
const { UTIL } = layout;

const XS = new Scratch();
const YS = new Scratch();
const RESIDUALS = new Scratch();

/**
 * Residuals (utilisation units) below which a point agrees with the trend,
 * whatever the fit's own scatter: CPU rates wobble by a few points.
 */
export const RESIDUAL_FLOOR = 0.02;
/** Residual scale: 1.4826 × MAD estimates σ for normal noise (Rousseeuw & Croux, JASA 88, 1993). */
const MAD_TO_SIGMA = 1.4826;
/** A point is off the trend beyond this many σ of the residuals. */
const OFF_TREND_SIGMAS = 3;

/** Slopes below this (utilisation per second, i.e. +0.36 per 10 hours) are "flat". */
export const FLAT_SLOPE_PER_SECOND = 1e-5;

/**
 * Forecast for one backend. `current` is its utilisation now; history points
 * at or after `now` are ignored (the current point stands for now).
 * `hint` is the backend's index in the sample, usually also its history
 * column (saves a name search).
 *
 * secondsToSaturation:
 *   0     when current ≥ threshold (already saturated);
 *   null  with fewer than minForecastPoints points, or a slope ≤ the flat
 *         epsilon (not rising);
 *   (threshold − level) / slope otherwise, where level is the fitted trend
 *   at `now` (robust to a spike in the latest sample) or `current` when that
 *   is lower (the present wins over a fit that lags a drop).
 *
 * The fit is Theil–Sen over the history, unless the newest points have left
 * that trend (regimeStart): then it is refitted on the new regime only.
 */
export function forecastBackend(
  backend: string,
  current: number,
  history: PoolHistory,
  now: number,
  opts: AnalysisOptions,
  hint = -1,
): Forecast {
  const threshold = opts.saturationThreshold;
  const h = usable(history);
  const column = columnOf(h, backend, hint);
  const blocks = column >= 0 ? h.blocks : [];
  const stride = strideOf(h);
  let len = 0;
  // One division, not one per block (every block holds whole points, so the sum is exact).
  for (const block of blocks) len += block.length;
  len /= stride;
  // x in seconds relative to now (keeps the numbers small and exact), y = utilisation.
  const xs = XS.get(len + 1);
  const ys = YS.get(len + 1);
  let k = 0;
  // A usable() history needs no checks: at (offset 0) is finite, a
  // utilisation is ≥ 0 or UNKNOWN (-1). This loop runs for every pool every
  // cycle; `len` above may count aged-out points (it only sizes buffers).
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    for (let o = b === 0 ? h.skip * stride : 0; o < block.length; o += stride) {
      const at = block[o]!;
      const u = block[o + UTIL + column]!;
      if (!(u >= 0) || !(at < now)) continue;
      xs[k] = (at - now) / 1000;
      ys[k] = u;
      k++;
    }
  }
  xs[k] = 0;
  ys[k] = current;
  k++;

  let slope = 0;
  let level = current;
  let fitLen = k; // the fitted points are xs/ys[0, fitLen)
  if (k >= opts.minForecastPoints) {
    let fit = theilSen(xs, ys, k, opts.maxTrendPairs);
    if (fit && Number.isFinite(fit.slope) && Number.isFinite(fit.intercept)) {
      // A new regime (a ramp after minutes of flat load, or a drop) is an
      // outlier set to a fit over the whole history: after 8 flat minutes a
      // ramp to saturation in 40 s was forecast at 922 s. Refit on it.
      const knee = regimeStart(xs, ys, k, fit.slope, fit.intercept);
      if (knee > 0) {
        const m = k - knee;
        for (let i = 0; i < m; i++) {
          xs[i] = xs[knee + i]!;
          ys[i] = ys[knee + i]!;
        }
        const recent = theilSen(xs, ys, m, opts.maxTrendPairs);
        if (recent && Number.isFinite(recent.slope) && Number.isFinite(recent.intercept)) {
          fit = recent;
          fitLen = m;
        }
      }
      slope = fit.slope;
      // The fitted level at now is robust to a spike in the latest sample,
      // but it must not override a present that is lower: a fit still
      // carrying minutes at 0.95 said "saturated" while CPU was 0.3.
      level = fit.intercept < current ? fit.intercept : current;
    }
  }
  let secondsToSaturation: number | null = null;
  if (current >= threshold) secondsToSaturation = 0;
  else if (k >= opts.minForecastPoints && slope > FLAT_SLOPE_PER_SECOND) {
    const eta = (threshold - level) / slope;
    secondsToSaturation = Number.isFinite(eta) ? Math.max(0, eta) : null;
    // Within the horizon the forecast can page: the rise must be a trend,
    // not the wobble of a few CPU rates (3 points at 0.46, 0.47, 0.50 fit a
    // slope that saturates in 6 min).
    // So within the horizon the ETA is taken at the slope's lower 95%
    // confidence bound: only a rise the data is sure of pages.
    if (secondsToSaturation !== null && secondsToSaturation > 0 && secondsToSaturation <= opts.horizonSeconds) {
      const sure = senLowerSlope(xs, ys, fitLen);
      const conservative = sure > FLAT_SLOPE_PER_SECOND ? (threshold - level) / sure : Infinity;
      if (conservative > secondsToSaturation) secondsToSaturation = Number.isFinite(conservative) ? conservative : null;
    }
  }
  return { backend, secondsToSaturation, slopePerSecond: slope, threshold, current };
}

/**
 * Points the slope's confidence bound looks at (the newest of the fit):
 * 1,770 pairs at most, computed only when a forecast within the horizon is
 * on the table (rare: steady pools never get here).
 */
export const TREND_TEST_POINTS = 60;
/** One-sided 5% normal quantile. */
const Z_95 = 1.6448536269514722;
const SEN_SLOPES = new Scratch();

/**
 * Lower one-sided 95% confidence bound of the Theil–Sen slope (Sen 1968,
 * JASA 63, "Estimates of the regression coefficient based on Kendall's
 * tau", §5; Hollander & Wolfe, "Nonparametric Statistical Methods", 8.4),
 * over the newest n ≤ TREND_TEST_POINTS fitted points: with the N = n(n−1)/2
 * pairwise slopes sorted, Var S = n(n−1)(2n+5)/18 (Kendall's S; no ties
 * correction: CPU rates are continuous), C = z_0.95·√Var S, the bound is the
 * M₁-th smallest slope, M₁ = round((N − C)/2) (the smallest when that is
 * below 1; −∞ when N − C < 1: too few points to be sure of any rise; for
 * exactly 3 points see below).
 * Three points at 0.46, 0.47, 0.50 fit a slope that saturates in 6 min;
 * their bound is below zero.
 */
export function senLowerSlope(xs: ArrayLike<number>, ys: ArrayLike<number>, len: number): number {
  const n = Math.min(len, TREND_TEST_POINTS);
  const from = len - n;
  const slopes = SEN_SLOPES.get((n * (n - 1)) / 2);
  let m = 0;
  for (let i = from; i < len; i++) {
    for (let j = i + 1; j < len; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes[m++] = (ys[j]! - ys[i]!) / dx;
    }
  }
  // Three points (a ramp seen at its knee and two points after, see
  // regimeStart) can never reach 5% (all rising has chance 1/6): sure only
  // when each step rises beyond the CPU rates' wobble (RESIDUAL_FLOOR).
  if (n === 3) {
    const a = ys[from]!, b = ys[from + 1]!, c3 = ys[from + 2]!;
    return b - a > RESIDUAL_FLOOR && c3 - b > RESIDUAL_FLOOR ? Math.min(slopes[0]!, slopes[2]!) : -Infinity;
  }
  const c = Z_95 * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  if (m - c < 1) return -Infinity;
  const rank = Math.max(1, Math.round((m - c) / 2));
  const sorted = slopes.subarray(0, m).sort();
  return sorted[rank - 1]!;
}

/**
 * Where a new regime starts, or 0 when there is none. The newest two
 * points (the current value and the one before) must both lie off the fit
 * on the same side, beyond max(RESIDUAL_FLOOR, 3σ) with σ = 1.4826 × MAD of
 * the residuals: one spike never switches, two consecutive observations
 * do. The regime is the run of such points at the end; the point before the
 * run (the knee, where the old regime ended) is included, so a ramp seen at
 * only two points still has three to fit. Returns the knee's index.
 */
function regimeStart(xs: Float64Array, ys: Float64Array, k: number, slope: number, intercept: number): number {
  if (k < 4) return 0;
  const last = ys[k - 1]! - (slope * xs[k - 1]! + intercept);
  const before = ys[k - 2]! - (slope * xs[k - 2]! + intercept);
  // Cheap gate first: the usual steady pool stops here, no MAD needed.
  if (!(Math.abs(last) > RESIDUAL_FLOOR && Math.abs(before) > RESIDUAL_FLOOR && last * before > 0)) return 0;
  const r = RESIDUALS.get(k);
  for (let i = 0; i < k; i++) r[i] = Math.abs(ys[i]! - (slope * xs[i]! + intercept));
  // Residuals of a Theil–Sen fit have median ≈ 0, so the median |r| is their MAD.
  const sigma = MAD_TO_SIGMA * medianInPlace(r, k);
  const tol = Math.max(RESIDUAL_FLOOR, OFF_TREND_SIGMAS * sigma);
  const sign = last > 0 ? 1 : -1;
  let start = k;
  while (start > 0) {
    const ri = ys[start - 1]! - (slope * xs[start - 1]! + intercept);
    if (!(ri * sign > tol)) break;
    start--;
  }
  if (k - start < 2) return 0;
  return start > 0 ? start - 1 : 0;
}
