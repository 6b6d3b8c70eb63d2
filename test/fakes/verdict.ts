// Builds PoolVerdicts for rule and lifecycle tests without running the analysis.
import type { PoolVerdict, Severity, ReasonCode } from '../../src/core/types.js';

export function verdict(pool: string, severity: Severity, over: Partial<PoolVerdict> = {}, stats: Partial<PoolVerdict['stats']> = {}): PoolVerdict {
  const skewed = severity !== 'ok';
  const reasons: ReasonCode[] = severity === 'ok' ? [] : severity === 'warning' ? ['skew'] : ['skew', 'hot'];
  return {
    pool,
    labels: { proxy: pool },
    at: 0,
    severity,
    reasons,
    explanation: skewed ? `s1 takes 70% of ${pool}'s traffic (expected 25%)` : `${pool} is balanced`,
    totalRate: 100,
    upCount: 4,
    unavailable: [],
    hot: skewed ? ['s1'] : [],
    starved: [],
    stats: {
      peakRatio: skewed ? 2.8 : 1.02,
      minRatio: skewed ? 0.4 : 0.98,
      cv: skewed ? 0.8 : 0.02,
      gini: skewed ? 0.45 : 0.01,
      jain: skewed ? 0.6 : 0.999,
      entropy: skewed ? 0.7 : 0.999,
      maxDeviationPp: skewed ? 45 : 1,
      gStatistic: skewed ? 900 : 1,
      pValue: skewed ? 1e-12 : 0.8,
      volume: 6000,
      significant: skewed,
      ...stats,
    },
    cpu: { hottest: 's1', maxUtilisation: severity === 'critical' ? 0.85 : 0.4, spread: 0.3, followsRequests: true },
    forecast: null,
    backends: [],
    ...over,
  };
}
