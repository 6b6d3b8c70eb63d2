// One evaluation cycle: verdicts (or "no data") + rules + previous alert
// state -> next alert state + notifications to enqueue. Pure: no I/O, no
// clock; the daemon, `check` and `replay` all run exactly this function, so
// a replay produces what the live daemon would have.
import type { RuleConfig } from './rule.js';
import type { Notification, NotificationKind } from './notification.js';
import type { PoolVerdict } from '../types.js';
import { INITIAL_ALERT_STATE, isActive, step, type AlertState } from './lifecycle.js';
import { effectiveRule, isSilenced, type EffectiveRule, type Silence } from './rule-match.js';
import { evaluateCondition, conditionHolds } from './rule-value.js';
import { alertKey, dedupKey, SOURCE_POOL } from './dedup.js';
import { isSourceStat, sourceStatValue, sourceSummary } from './meta.js';

/** One rule on one pool, as tracked across cycles. Plain data: persisted as is. */
export interface TrackedAlert {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly pool: string;
  readonly poolLabels: Readonly<Record<string, string>>;
  readonly dedupKey: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly state: AlertState;
  /** A trigger was enqueued for the current firing episode (false while silenced). */
  readonly notified: boolean;
  /** Last trigger or repeat enqueued for people-facing sinks (repeat_interval). */
  readonly lastNotifiedAt: number | null;
  /** Last trigger or re-send enqueued for Alertmanager (resend_interval). */
  readonly lastResentAt: number | null;
  /** The latest verdict with data, for messages (resolve messages show the balanced state). */
  readonly lastVerdict: PoolVerdict | null;
  readonly silencedBy: string | null;
}

export interface EvaluatorState {
  readonly alerts: Readonly<Record<string, TrackedAlert>>;
  /** Consecutive failed collections. */
  readonly blindCycles: number;
  readonly lastError: string | null;
}

export const INITIAL_EVALUATOR_STATE: EvaluatorState = { alerts: {}, blindCycles: 0, lastError: null };

export interface CycleInput {
  readonly now: number;
  /** null when the source failed this cycle. */
  readonly verdicts: readonly PoolVerdict[] | null;
  /** Redacted message of the source failure, when verdicts is null. */
  readonly error?: string;
  readonly silences: readonly Silence[];
  /** Config keys of configured signals that failed or joined no backend this cycle (meta.ts). */
  readonly missingSignals?: readonly string[];
}

export interface EvaluatorContext {
  readonly namespace: string;
  readonly rules: readonly RuleConfig[];
  /** Alertmanager re-send interval (ms), or null when Alertmanager is not configured. */
  readonly alertmanagerResendMs: number | null;
  /** Sinks that are configured; rule sinks outside this set are skipped. */
  readonly availableSinks: ReadonlySet<string>;
  /** Builds a graph/generator link for a pool, if the source has one. */
  readonly generatorUrl?: (pool: string) => string | undefined;
}

export interface PlannedNotification {
  readonly notification: Notification;
  readonly sinks: readonly string[];
}

export interface CycleResult {
  readonly state: EvaluatorState;
  readonly notifications: readonly PlannedNotification[];
}

/** How long a resolved alert stays visible in the status API. */
const RESOLVED_RETENTION_MS = 3_600_000;

/** Sinks that want periodic reminders while firing (PagerDuty keeps its own incident open). */
const REMINDER_SINKS = (sinks: readonly string[]) => sinks.filter((s) => s === 'slack' || s.startsWith('webhook:'));

function render(template: string, pool: string, labels: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, key: string) => (key === 'pool' ? pool : (labels[key] ?? '')));
}

export function evaluateCycle(prev: EvaluatorState, input: CycleInput, ctx: EvaluatorContext): CycleResult {
  const { now } = input;
  const alerts: Record<string, TrackedAlert> = { ...prev.alerts };
  const out: PlannedNotification[] = [];
  const blindCycles = input.verdicts === null ? prev.blindCycles + 1 : 0;
  const lastError = input.verdicts === null ? (input.error ?? 'source failed') : null;

  const verdictByPool = new Map<string, PoolVerdict>();
  for (const v of input.verdicts ?? []) verdictByPool.set(v.pool, v);

  for (const rule of ctx.rules) {
    if (isSourceStat(rule.when.stat)) {
      const stat = rule.when.stat;
      const eff = effectiveRule(rule, SOURCE_POOL, {})!;
      const key = alertKey(rule.id, SOURCE_POOL);
      const tracked = alerts[key];
      const active = tracked ? isActive(tracked.state) : false;
      const observed = { blindCycles, lastError, poolCount: input.verdicts?.length ?? null, missingSignals: input.verdicts ? (input.missingSignals ?? []) : null };
      const value = sourceStatValue(stat, observed);
      const holds = value === null ? null : conditionHolds(eff.when, value, active);
      if (!tracked && !holds) continue;
      alerts[key] = advance(tracked ?? fresh(eff, SOURCE_POOL, {}, ctx), eff, holds, null, sourceSummary(stat, eff.name, observed), input, ctx, out);
      continue;
    }

    // Pools we have data for.
    for (const verdict of verdictByPool.values()) {
      const eff = effectiveRule(rule, verdict.pool, verdict.labels);
      const key = alertKey(rule.id, verdict.pool);
      if (!eff) {
        delete alerts[key]; // the rule no longer applies to this pool (config changed)
        continue;
      }
      const tracked = alerts[key];
      const active = tracked ? isActive(tracked.state) : false;
      // A verdict with a gap (backends whose rate was NaN, infinite or reset)
      // may raise an alert but never end one: missing data is not recovery.
      const judged = evaluateCondition(eff.when, verdict, eff.minRate, active);
      const holds = !judged && (verdict.dataGap || (verdict.missing?.length ?? 0) > 0) ? null : judged;
      if (!tracked && !holds) continue; // nothing to remember for a quiet pool
      const summary = render(eff.annotations.summary ?? `${eff.name} in pool {{pool}}`, verdict.pool, verdict.labels);
      alerts[key] = advance(tracked ?? fresh(eff, verdict.pool, verdict.labels, ctx), eff, holds, verdict, `${summary}: ${verdict.explanation}`, input, ctx, out);
    }
  }

  // Tracked alerts with no data this cycle (source down, or pool vanished): hold.
  for (const [key, tracked] of Object.entries(alerts)) {
    if (tracked.pool === SOURCE_POOL || verdictByPool.has(tracked.pool)) continue;
    const rule = ctx.rules.find((r) => r.id === tracked.ruleId);
    if (!rule) {
      delete alerts[key]; // the rule was removed from the config: forget it
      continue;
    }
    const eff = effectiveRule(rule, tracked.pool, tracked.poolLabels);
    if (!eff) {
      delete alerts[key];
      continue;
    }
    alerts[key] = advance(tracked, eff, null, null, '', input, ctx, out);
  }

  // Forget settled alerts: back to inactive, or resolved long enough ago
  // that /api/v1/status no longer needs to show them.
  for (const [key, tracked] of Object.entries(alerts)) {
    const { phase, resolvedAt, missingSince } = tracked.state;
    if (phase === 'inactive' && missingSince === null) delete alerts[key];
    else if (phase === 'resolved' && resolvedAt !== null && now - resolvedAt > RESOLVED_RETENTION_MS) delete alerts[key];
  }
  return { state: { alerts, blindCycles, lastError }, notifications: out };
}

function fresh(eff: EffectiveRule, pool: string, labels: Readonly<Record<string, string>>, ctx: EvaluatorContext): TrackedAlert {
  return {
    ruleId: eff.id,
    ruleName: eff.name,
    pool,
    poolLabels: labels,
    dedupKey: dedupKey(ctx.namespace, eff.id, pool),
    severity: eff.severity,
    state: INITIAL_ALERT_STATE,
    notified: false,
    lastNotifiedAt: null,
    lastResentAt: null,
    lastVerdict: null,
    silencedBy: null,
  };
}

function advance(
  tracked: TrackedAlert,
  eff: EffectiveRule,
  holds: boolean | null,
  verdict: PoolVerdict | null,
  summary: string,
  input: CycleInput,
  ctx: EvaluatorContext,
  out: PlannedNotification[],
): TrackedAlert {
  const { now } = input;
  const { state, event } = step(tracked.state, holds, now, { forMs: eff.forMs, keepFiringForMs: eff.keepFiringForMs });
  const silence = isSilenced(input.silences, eff.id, tracked.pool, now);
  let next: TrackedAlert = {
    ...tracked,
    ruleName: eff.name,
    severity: eff.severity,
    state,
    lastVerdict: verdict ?? tracked.lastVerdict,
    silencedBy: silence?.id ?? null,
  };
  const sinks = eff.sinks.filter((s) => ctx.availableSinks.has(s));
  const text = summary || `${eff.name} in pool ${tracked.pool}`;
  const emit = (kind: NotificationKind, to: readonly string[]) => {
    if (to.length === 0) return;
    out.push({ notification: makeNotification(next, eff, kind, text, now, ctx), sinks: to });
  };

  if (event === 'resolve') {
    if (tracked.notified) emit('resolve', sinks);
    return { ...next, notified: false, lastNotifiedAt: null, lastResentAt: null };
  }
  if (state.phase !== 'firing') return next;

  if (!next.notified) {
    // A new firing episode, or one that was silenced and no longer is.
    if (silence) return next;
    emit('trigger', sinks);
    return { ...next, notified: true, lastNotifiedAt: now, lastResentAt: now };
  }
  if (silence) return next;
  // While blind, people get no reminders (the blind alert speaks), but
  // Alertmanager still gets re-sends: if its endsAt passed, it would resolve
  // the alert for us, and missing data must never resolve an alert.
  const reminders = holds === null ? [] : REMINDER_SINKS(sinks);
  if (next.lastNotifiedAt !== null && now - next.lastNotifiedAt >= eff.repeatIntervalMs && reminders.length > 0) {
    emit('repeat', reminders);
    next = { ...next, lastNotifiedAt: now };
  }
  if (ctx.alertmanagerResendMs !== null && sinks.includes('alertmanager') && (next.lastResentAt === null || now - next.lastResentAt >= ctx.alertmanagerResendMs)) {
    emit('repeat', ['alertmanager']);
    next = { ...next, lastResentAt: now };
  }
  return next;
}

function makeNotification(a: TrackedAlert, eff: EffectiveRule, kind: NotificationKind, summary: string, now: number, ctx: EvaluatorContext): Notification {
  const startsAt = a.state.firedAt ?? now;
  const generatorUrl = ctx.generatorUrl?.(a.pool);
  return {
    id: `${a.dedupKey}:${kind}:${now}`,
    dedupKey: a.dedupKey,
    kind,
    ruleId: eff.id,
    ruleName: eff.name,
    severity: eff.severity,
    pool: a.pool,
    poolLabels: a.poolLabels,
    startsAt,
    ...(kind === 'resolve' ? { endsAt: a.state.resolvedAt ?? now } : {}),
    createdAt: now,
    summary,
    // The rule's own headline (templated), without the verdict's explanation:
    // sinks that show both (Slack, Alertmanager) need them apart.
    annotations: { ...eff.annotations, summary: eff.annotations.summary ? render(eff.annotations.summary, a.pool, a.poolLabels) : summary },
    labels: { alertname: eff.name, severity: eff.severity, pool: a.pool, ...a.poolLabels },
    verdict: a.lastVerdict,
    ...(generatorUrl ? { generatorUrl } : {}),
  };
}
