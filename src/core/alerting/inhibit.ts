// Inhibition with Alertmanager's inhibit_rules semantics: a firing source
// alert mutes the notifications of target alerts that agree with it on the
// `equal` labels. Used so that a page (TrafficSkewCritical, PoolDown) is not
// followed by a Slack warning about the same pool. Pure.
//
// As in Alertmanager: the source must be firing (pending does not inhibit;
// a silenced firing alert still does); an alert that matches both sides of a
// rule cannot be inhibited through that rule by an alert that also matches
// both sides (so an alert never inhibits itself); a label absent on both
// sides counts as equal (both "").
import type { InhibitRule } from './rule.js';
import { matchesLabels } from './rule-match.js';

/** What inhibition needs to know of a tracked alert. */
export interface InhibitionCandidate {
  readonly labels: Readonly<Record<string, string>>;
  readonly firing: boolean;
}

/** The labels an alert carries to sinks and that inhibit rules match on. */
export function alertLabels(ruleName: string, severity: string, pool: string, poolLabels: Readonly<Record<string, string>>): Record<string, string> {
  return { alertname: ruleName, severity, pool, ...poolLabels };
}

/**
 * For every candidate key that is inhibited, the key of one firing alert
 * that inhibits it. Cost: rules × sources × targets, on the few alerts that
 * are tracked (quiet pools have none).
 */
export function inhibitions(candidates: ReadonlyMap<string, InhibitionCandidate>, rules: readonly InhibitRule[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const rule of rules) {
    const sources: [string, InhibitionCandidate, boolean][] = [];
    for (const [key, c] of candidates) {
      if (c.firing && matchesLabels(rule.source_match, c.labels)) sources.push([key, c, matchesLabels(rule.target_match, c.labels)]);
    }
    if (sources.length === 0) continue;
    for (const [key, target] of candidates) {
      if (out.has(key) || !matchesLabels(rule.target_match, target.labels)) continue;
      const targetIsSource = matchesLabels(rule.source_match, target.labels);
      for (const [sourceKey, source, sourceIsTarget] of sources) {
        if (sourceKey === key || (targetIsSource && sourceIsTarget)) continue;
        if (rule.equal.every((l) => source.labels[l] === target.labels[l])) { // absent on both: undefined === undefined
          out.set(key, sourceKey);
          break;
        }
      }
    }
  }
  return out;
}
