// Which rules apply to which pool, with per-pool overrides, and silences.
import type { RuleConfig, RuleCondition } from './rule.js';

/** A rule as it applies to one pool, after the first matching override. */
export interface EffectiveRule {
  readonly id: string;
  readonly name: string;
  readonly when: RuleCondition;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly minRate: number;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly sinks: readonly string[];
  readonly repeatIntervalMs: number;
  readonly annotations: Readonly<Record<string, string>>;
}

const regexCache = new Map<string, RegExp>();
function anchored(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    regexCache.set(pattern, re);
  }
  return re;
}

/** Prometheus-style: every matcher must match the whole label value ("pool" is the pool id). */
export function matches(matchers: Readonly<Record<string, string>>, pool: string, labels: Readonly<Record<string, string>>): boolean {
  for (const [name, pattern] of Object.entries(matchers)) {
    const value = name === 'pool' ? pool : (labels[name] ?? '');
    if (!anchored(pattern).test(value)) return false;
  }
  return true;
}

/** Every matcher matches the whole value of its label in a plain label map (absent labels are ""), as Alertmanager's matchers. */
export function matchesLabels(matchers: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const [name, pattern] of Object.entries(matchers)) {
    if (!anchored(pattern).test(labels[name] ?? '')) return false;
  }
  return true;
}

/**
 * The effective rule of every pool when it is the same for all (no matchers,
 * no overrides): one object for a rule's pass over the pools instead of one
 * per pool. null when it depends on the pool.
 */
export function poolIndependentRule(rule: RuleConfig): EffectiveRule | null {
  return rule.overrides.length === 0 && Object.keys(rule.match).length === 0 ? effectiveRule(rule, '', {}) : null;
}

export function effectiveRule(rule: RuleConfig, pool: string, labels: Readonly<Record<string, string>>): EffectiveRule | null {
  if (!matches(rule.match, pool, labels)) return null;
  const o = rule.overrides.find((ov) => matches(ov.match, pool, labels));
  return {
    id: rule.id,
    name: rule.name ?? rule.id,
    when: o?.when ?? rule.when,
    forMs: o?.for ?? rule.for,
    keepFiringForMs: o?.keep_firing_for ?? rule.keep_firing_for,
    minRate: o?.min_rate ?? rule.min_rate,
    severity: o?.severity ?? rule.severity,
    sinks: o?.sinks ?? rule.sinks,
    repeatIntervalMs: o?.repeat_interval ?? rule.repeat_interval,
    annotations: rule.annotations,
  };
}

export interface Silence {
  readonly id: string;
  /** Regexes on the pool id and the rule id; absent matches everything. */
  readonly pool?: string;
  readonly rule?: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly comment: string;
  readonly createdBy: string;
}

export function isSilenced(silences: readonly Silence[], ruleId: string, pool: string, now: number): Silence | null {
  for (const s of silences) {
    if (now < s.startsAt || now >= s.endsAt) continue;
    if (s.pool !== undefined && !anchored(s.pool).test(pool)) continue;
    if (s.rule !== undefined && !anchored(s.rule).test(ruleId)) continue;
    return s;
  }
  return null;
}
