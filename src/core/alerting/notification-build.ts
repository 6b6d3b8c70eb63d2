// Builds the Notification a tracked alert hands to the delivery pipeline:
// the labels (the same on trigger and resolve, or Alertmanager would see two
// alerts), the templated headline, the resolve's reason. Pure.
import type { Notification, NotificationKind } from './notification.js';
import type { EffectiveRule } from './rule-match.js';
import type { EvaluatorContext, TrackedAlert } from './evaluator.js';
import type { Resolution } from './resolution.js';
import { alertLabels } from './inhibit.js';

/** What a notification needs of its rule: an orphan's rule may be gone, so the tracked alert stands in. */
export type RuleIdentity = Pick<EffectiveRule, 'id' | 'name' | 'severity' | 'annotations'>;

/** Fills `{{pool}}` and `{{LABEL}}` in a template (unknown labels become ""). */
export function render(template: string, pool: string, labels: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, key: string) => (key === 'pool' ? pool : (labels[key] ?? '')));
}

/** The rule's headline for a pool: its templated summary annotation, else "<name> in pool <pool>". */
export function headline(rule: RuleIdentity, pool: string, labels: Readonly<Record<string, string>>): string {
  return rule.annotations.summary ? render(rule.annotations.summary, pool, labels) : `${rule.name} in pool ${pool}`;
}

export function makeNotification(
  a: TrackedAlert,
  rule: RuleIdentity,
  kind: NotificationKind,
  summary: string,
  now: number,
  ctx: EvaluatorContext,
  resolution?: Resolution,
): Notification {
  const startsAt = a.state.firedAt ?? now;
  const generatorUrl = ctx.generatorUrl?.(a.pool);
  return {
    id: `${a.dedupKey}:${kind}:${now}`,
    dedupKey: a.dedupKey,
    kind,
    ruleId: rule.id,
    ruleName: rule.name,
    severity: rule.severity,
    pool: a.pool,
    poolLabels: a.poolLabels,
    startsAt,
    ...(kind === 'resolve' ? { endsAt: a.state.resolvedAt ?? now, resolution: resolution ?? 'recovered' } : {}),
    createdAt: now,
    summary,
    // The rule's own headline (templated), without the verdict's explanation:
    // sinks that show both (Slack, Alertmanager) need them apart.
    annotations: { ...rule.annotations, summary: rule.annotations.summary ? render(rule.annotations.summary, a.pool, a.poolLabels) : summary },
    labels: alertLabels(rule.name, rule.severity, a.pool, a.poolLabels),
    verdict: a.lastVerdict,
    ...(generatorUrl ? { generatorUrl } : {}),
  };
}
