// The alerting rule as the pure core evaluates it. The core owns these
// types; config/rules.ts validates YAML into them (and a compile-time check
// there keeps the schema and these types in step).
import type { ReasonCode } from '../types.js';

/** Statistics a rule can test. Pool-level unless noted. */
export const RULE_STATS = [
  'severity',              // verdict severity: 0 ok, 1 warning, 2 critical
  'peak_ratio',            // hottest backend's observed/expected share
  'max_deviation_pp',      // largest share deviation in percentage points
  'cv',                    // coefficient of variation of the ratios
  'gini',                  // Gini coefficient of the ratios
  'jain',                  // Jain's fairness index (use `below`)
  'entropy',               // evenness against the expected distribution (use `below`)
  'p_value',               // G-test p-value (use `below`)
  'max_utilisation',       // hottest backend's CPU utilisation 0..1
  'seconds_to_saturation', // forecast; rule holds only while a forecast exists (use `below`)
  'total_rate',            // pool requests per second
  'hot_count',             // number of backends flagged hot
  'blind_cycles',          // source-level: consecutive failed collections (meta-alert)
  'signals_missing',       // source-level: configured signals that failed or joined no backend (meta.ts)
  'pool_count',            // source-level: pools in the last collection (meta.ts)
  'config_drift',          // declared vs running: 0 none, 1 drift, 2 drift that concentrates traffic (no declaration: no value)
] as const;
export type RuleStat = (typeof RULE_STATS)[number];

/** Every reason code, in the order documented in docs/statistics.md. */
export const REASON_CODES = ['skew', 'overweighted', 'hot', 'saturating', 'pouring', 'queueing', 'cpu-not-traffic', 'strained', 'capacity-loss', 'no-healthy'] as const satisfies readonly ReasonCode[];

export type RuleSeverity = 'info' | 'warning' | 'critical';

export interface RuleCondition {
  readonly stat: RuleStat;
  readonly above?: number | undefined;
  readonly below?: number | undefined;
  /** Hysteresis: once firing, the rule holds until the value falls below this. */
  readonly resolve_below?: number | undefined;
  /** Hysteresis for `below` rules. */
  readonly resolve_above?: number | undefined;
  /** Only when the G-test says the skew is significant (default true for share statistics). */
  readonly require_significant?: boolean | undefined;
  /** Only when the verdict carries at least one of these reasons. */
  readonly any_reason?: readonly ReasonCode[] | undefined;
}

/** The overridable part of a rule, per matching pool. Durations in ms. */
export interface RuleOverride {
  readonly match: Readonly<Record<string, string>>;
  readonly when?: RuleCondition | undefined;
  readonly for?: number | undefined;
  readonly keep_firing_for?: number | undefined;
  readonly min_rate?: number | undefined;
  readonly severity?: RuleSeverity | undefined;
  readonly sinks?: readonly string[] | undefined;
  readonly repeat_interval?: number | undefined;
}

/** One rule. Durations in ms; sinks are slack, pagerduty, alertmanager or webhook:<name>. */
export interface RuleConfig {
  readonly id: string;
  /** Alert name shown to people and used as Alertmanager's alertname (default: id). */
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly when: RuleCondition;
  readonly for: number;
  readonly keep_firing_for: number;
  readonly min_rate: number;
  readonly severity: RuleSeverity;
  readonly sinks: readonly string[];
  /** Label regexes a pool must match (`pool` is the pool id; other keys are pool labels). */
  readonly match: Readonly<Record<string, string>>;
  readonly repeat_interval: number;
  readonly annotations: Readonly<Record<string, string>>;
  readonly overrides: readonly RuleOverride[];
}

/**
 * Alertmanager's inhibit_rules: while an alert matching `source_match` is
 * firing, notifications of alerts matching `target_match` whose `equal`
 * labels have the same values are muted. Matchers are whole-value regexes on
 * the alert's labels: alertname, severity, pool and the pool's labels.
 */
export interface InhibitRule {
  readonly source_match: Readonly<Record<string, string>>;
  readonly target_match: Readonly<Record<string, string>>;
  readonly equal: readonly string[];
}
