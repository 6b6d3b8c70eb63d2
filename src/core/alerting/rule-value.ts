// What a rule's condition reads from a verdict, and whether it holds.
// Pure. `null` means "no data": the lifecycle holds state on null, because
// missing data is never evidence of recovery.
import type { RuleCondition, RuleStat } from './rule.js';
import type { PoolVerdict } from '../types.js';

const SEVERITY_RANK = { ok: 0, warning: 1, critical: 2 } as const;

/** Statistics about the distribution of shares: they need significance by default. */
const SHARE_STATS: ReadonlySet<RuleStat> = new Set(['peak_ratio', 'max_deviation_pp', 'cv', 'gini', 'jain', 'entropy']);

export function statValue(verdict: PoolVerdict, stat: RuleStat): number | null {
  switch (stat) {
    case 'severity': return SEVERITY_RANK[verdict.severity];
    case 'peak_ratio': return verdict.stats.peakRatio;
    case 'max_deviation_pp': return verdict.stats.maxDeviationPp;
    case 'cv': return verdict.stats.cv;
    case 'gini': return verdict.stats.gini;
    case 'jain': return verdict.stats.jain;
    case 'entropy': return verdict.stats.entropy;
    case 'p_value': return verdict.stats.pValue;
    case 'max_utilisation': return verdict.cpu.maxUtilisation;
    case 'seconds_to_saturation': return verdict.forecast?.secondsToSaturation ?? null;
    case 'total_rate': return verdict.totalRate;
    case 'hot_count': return verdict.hot.length;
    case 'blind_cycles': return null; // source-level, evaluated by the caller
    case 'config_drift': return verdict.drift?.level ?? null;
  }
}

/**
 * Does the condition hold? `active` selects the hold (resolve) threshold
 * instead of the fire threshold: hysteresis, so a value hovering around the
 * threshold does not flap.
 */
export function conditionHolds(cond: RuleCondition, value: number, active: boolean): boolean {
  if (!Number.isFinite(value)) return false;
  if (cond.above !== undefined) {
    const threshold = active ? (cond.resolve_below ?? cond.above) : cond.above;
    return active && cond.resolve_below !== undefined ? value >= threshold : value > threshold;
  }
  const threshold = active ? (cond.resolve_above ?? cond.below!) : cond.below!;
  return active && cond.resolve_above !== undefined ? value <= threshold : value < threshold;
}

/**
 * Evaluates a rule's condition on a verdict. Returns null when the verdict
 * has no value for the statistic (e.g. no forecast, no CPU signal): for
 * those, "no value" means the condition is simply not met, except where the
 * caller passes no verdict at all (missing data), handled by the lifecycle.
 */
export function evaluateCondition(cond: RuleCondition, verdict: PoolVerdict, minRate: number, active: boolean): boolean {
  if (verdict.totalRate < minRate) return false;
  const requireSignificant = cond.require_significant ?? SHARE_STATS.has(cond.stat);
  if (requireSignificant && !verdict.stats.significant) return false;
  if (cond.any_reason && !cond.any_reason.some((r) => verdict.reasons.includes(r))) return false;
  const value = statValue(verdict, cond.stat);
  return value !== null && conditionHolds(cond, value, active);
}
