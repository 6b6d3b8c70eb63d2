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
import { theilSen } from './robust.js';
import { columnOf, strideOf, usable, UTIL } from './history.js';
import { Scratch } from './scratch.js';

const XS = new Scratch();
const YS = new Scratch();

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
 *   at `now` (robust to a spike in the latest sample), floored at 0.
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
  for (const block of blocks) len += block.length / stride;
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
  if (k >= opts.minForecastPoints) {
    const fit = theilSen(xs, ys, k, opts.maxTrendPairs);
    if (fit && Number.isFinite(fit.slope) && Number.isFinite(fit.intercept)) {
      slope = fit.slope;
      level = fit.intercept;
    }
  }
  let secondsToSaturation: number | null = null;
  if (current >= threshold) secondsToSaturation = 0;
  else if (k >= opts.minForecastPoints && slope > FLAT_SLOPE_PER_SECOND) {
    const eta = (threshold - level) / slope;
    secondsToSaturation = Number.isFinite(eta) ? Math.max(0, eta) : null;
  }
  return { backend, secondsToSaturation, slopePerSecond: slope, threshold, current };
}
