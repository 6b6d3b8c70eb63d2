// Tuning knobs of the analysis, with the defaults on-call engineers can read
// in docs/statistics.md. Everything is plain data so config can override it.

export interface AnalysisOptions {
  /** Significance level of the G-test and (Bonferroni-split) per-backend tests. */
  readonly alpha: number;
  /** Volume guard: requests in the window below which nothing is significant. */
  readonly minRequests: number;
  /** Pool request rate (req/s) below which a pool is never skewed. */
  readonly minRate: number;
  /** observed/expected ratio that counts as a sizeable skew (hot ≥ r, starved ≤ 1/r). */
  readonly skewRatio: number;
  /**
   * |share − expected| in percentage points that also counts as sizeable.
   * Matters for 2–3 backend pools (where a ratio of 1.5 is already 75/25) and
   * for weight-0 backends (expected 0, the ratio is undefined).
   */
  readonly minDeviationPp: number;
  /** Modified z-score a backend's ratio must reach to be labelled an outlier. */
  readonly outlierZ: number;
  /** Below this many comparable backends the z-score is not required (too few to estimate spread). */
  readonly zMinBackends: number;
  /** Floor for the MAD of ratios (ratio units), keeps z finite when most backends are equal. */
  readonly madFloor: number;
  /** Utilisation at which a skewed-hot backend makes the verdict critical. */
  readonly hotUtilisation: number;
  /** Utilisation the forecast counts as saturated. */
  readonly saturationThreshold: number;
  /** A forecast saturation within this many seconds makes a skew critical. */
  readonly horizonSeconds: number;
  /** History kept for the trend, in seconds. */
  readonly historySeconds: number;
  /** Hard cap on history points per pool (bounds memory and Theil–Sen cost). */
  readonly maxHistoryPoints: number;
  /** Points (history + now) needed before a trend is fitted. */
  readonly minForecastPoints: number;
  /** Pairs used by Theil–Sen at most (deterministic subsample beyond). */
  readonly maxTrendPairs: number;
  /** Share of the pool's traffic on one backend that counts as pouring... */
  readonly pouringShare: number;
  /** ...when it is also at least this many percentage points above its expected share. */
  readonly pouringMarginPp: number;
  /** Balancer queue length on a hot backend that counts as queueing. */
  readonly queueThreshold: number;
  /** CPU capacity per backend in cores when neither the sample nor the pool says. */
  readonly cpuCapacityCores: number;
  /** Rate window used to turn rates into counts when the sample's is invalid. */
  readonly defaultWindowSeconds: number;
  /** Pearson r of request vs CPU share above which CPU "follows requests". */
  readonly followsRequestsR: number;
}

export const DEFAULT_ANALYSIS_OPTIONS: AnalysisOptions = Object.freeze({
  alpha: 0.001,
  minRequests: 200,
  minRate: 1,
  skewRatio: 1.5,
  // 15 pp: in a 2-backend pool that is 65/35 (one backend doing 1.86× the
  // other); for 4+ backends the ratio rule triggers first.
  minDeviationPp: 15,
  outlierZ: 3.5,
  zMinBackends: 5,
  madFloor: 0.05,
  hotUtilisation: 0.8,
  saturationThreshold: 0.9,
  horizonSeconds: 900,
  historySeconds: 600,
  maxHistoryPoints: 120,
  minForecastPoints: 3,
  // 40 points (600 s at 15 s) have 780 pairs; the 200 furthest apart give the
  // same trend within noise at a quarter of the cost per pool (robust.ts).
  maxTrendPairs: 200,
  pouringShare: 0.5,
  pouringMarginPp: 30,
  queueThreshold: 1,
  cpuCapacityCores: 1,
  defaultWindowSeconds: 60,
  followsRequestsR: 0.5,
});

type Check = (v: number) => boolean;
const pos: Check = (v) => v > 0 && Number.isFinite(v);
const nonNeg: Check = (v) => v >= 0 && Number.isFinite(v);
const prob: Check = (v) => v > 0 && v < 1;
const CHECKS: Record<keyof AnalysisOptions, [Check, string]> = {
  alpha: [prob, 'in (0, 1)'],
  minRequests: [nonNeg, '>= 0'],
  minRate: [nonNeg, '>= 0'],
  skewRatio: [(v) => v > 1 && Number.isFinite(v), '> 1'],
  minDeviationPp: [(v) => v > 0 && v <= 100, 'in (0, 100]'],
  outlierZ: [pos, '> 0'],
  zMinBackends: [(v) => Number.isInteger(v) && v >= 3, 'an integer >= 3'],
  madFloor: [pos, '> 0'],
  hotUtilisation: [pos, '> 0'],
  saturationThreshold: [pos, '> 0'],
  horizonSeconds: [pos, '> 0'],
  historySeconds: [pos, '> 0'],
  maxHistoryPoints: [(v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'],
  minForecastPoints: [(v) => Number.isInteger(v) && v >= 2, 'an integer >= 2'],
  maxTrendPairs: [(v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'],
  pouringShare: [(v) => v > 0 && v <= 1, 'in (0, 1]'],
  pouringMarginPp: [(v) => v >= 0 && v <= 100, 'in [0, 100]'],
  queueThreshold: [pos, '> 0'],
  cpuCapacityCores: [pos, '> 0'],
  defaultWindowSeconds: [pos, '> 0'],
  followsRequestsR: [(v) => v > -1 && v < 1, 'in (-1, 1)'],
};

/**
 * Defaults overlaid with `overrides`, validated. Throws a RangeError naming the
 * first bad option: a NaN threshold would silently disable alerting.
 */
export function resolveAnalysisOptions(overrides: Partial<AnalysisOptions> = {}): AnalysisOptions {
  const merged: AnalysisOptions = { ...DEFAULT_ANALYSIS_OPTIONS, ...overrides };
  for (const key of Object.keys(CHECKS) as (keyof AnalysisOptions)[]) {
    const [ok, rule] = CHECKS[key];
    const v = merged[key];
    if (typeof v !== 'number' || !ok(v)) {
      throw new RangeError(`analysis option ${key} must be ${rule}, got ${String(v)}`);
    }
  }
  return Object.freeze(merged);
}
