// One evaluation cycle: verdicts (or "no data") + rules + previous alert
// state -> next alert state + notifications to enqueue. Pure: no I/O, no
// clock; the daemon, `check` and `replay` all run exactly this function, so
// a replay produces what the live daemon would have.
import type { InhibitRule, RuleConfig } from './rule.js';
import type { Notification, NotificationKind } from './notification.js';
import type { PoolVerdict } from '../types.js';
import { INITIAL_ALERT_STATE, hysteresisApplies, step, type AlertState } from './lifecycle.js';
import { effectiveRule, isSilenced, poolIndependentRule, type EffectiveRule, type Silence } from './rule-match.js';
import { evaluateCondition, conditionHolds } from './rule-value.js';
import { alertKey, dedupKey, SOURCE_POOL } from './dedup.js';
import { applyInhibition } from './inhibition-stage.js';
import { indexTracked } from './tracked-index.js';
import { closeOrphan, DEFAULT_VANISHED_POOL_GRACE_MS, vanishState } from './orphans.js';
import { focusOf, whatChangedBack, type FiringFocus } from './resolution.js';
import { headline, makeNotification } from './notification-build.js';
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
  /** Key of the firing alert that inhibits this one (its notifications are muted). */
  readonly inhibitedBy?: string | null;
  /** What the alert was about when it fired, for the resolve message. */
  readonly firedFocus?: FiringFocus | null;
  /** Sinks the trigger of the current episode went to (resolves of orphans go there). */
  readonly notifiedSinks?: readonly string[];
  /** First successful cycle (source working) at which the pool was not reported. */
  readonly vanishedSince?: number | null;
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
  /** Alertmanager-style inhibition (a firing page mutes the warning of the same pool). */
  readonly inhibitRules?: readonly InhibitRule[];
  /** Blind time after which a pending state is not trusted (ms; default 1h, as Prometheus). */
  readonly forOutageToleranceMs?: number;
  /** The evaluation interval (ms): longer gaps between evaluations count as blind time. */
  readonly intervalMs?: number;
  /** How long a pool must be missing, while the source works, before its alerts are closed (ms; default 15 min). */
  readonly vanishedPoolGraceMs?: number;
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

export function evaluateCycle(prev: EvaluatorState, input: CycleInput, ctx: EvaluatorContext): CycleResult {
  const { now } = input;
  const alerts: Record<string, TrackedAlert> = { ...prev.alerts };
  const out: PlannedNotification[] = [];
  const blindCycles = input.verdicts === null ? prev.blindCycles + 1 : 0;
  const lastError = input.verdicts === null ? (input.error ?? 'source failed') : null;
  const graceMs = ctx.vanishedPoolGraceMs ?? DEFAULT_VANISHED_POOL_GRACE_MS;

  const verdictByPool = new Map<string, PoolVerdict>();
  for (const v of input.verdicts ?? []) verdictByPool.set(v.pool, v);
  // Each rule's pass reads only its own alerts, and changes only the one of
  // the pool it is at: the alerts as they are now are what every pass sees.
  const index = indexTracked(alerts, ctx.rules.map((r) => r.id));

  for (const rule of ctx.rules) {
    if (isSourceStat(rule.when.stat)) {
      const stat = rule.when.stat;
      const eff = effectiveRule(rule, SOURCE_POOL, {})!;
      const key = alertKey(rule.id, SOURCE_POOL);
      const tracked = alerts[key];
      const active = tracked ? hysteresisApplies(tracked.state) : false;
      const observed = { blindCycles, lastError, poolCount: input.verdicts?.length ?? null, missingSignals: input.verdicts ? (input.missingSignals ?? []) : null };
      const value = sourceStatValue(stat, observed);
      const holds = value === null ? null : conditionHolds(eff.when, value, active);
      if (!tracked && !holds) continue;
      alerts[key] = advance(tracked ?? fresh(eff, SOURCE_POOL, {}, ctx), eff, holds, null, sourceSummary(stat, eff.name, observed), input, ctx, out);
      continue;
    }

    // Pools we have data for.
    const ruleTracked = index?.get(rule.id);
    const everyPool = poolIndependentRule(rule);
    for (const verdict of verdictByPool.values()) {
      const eff = everyPool ?? effectiveRule(rule, verdict.pool, verdict.labels);
      const tracked = index ? ruleTracked?.get(verdict.pool) : alerts[alertKey(rule.id, verdict.pool)];
      if (!eff) {
        // The rule no longer applies to this pool (its match changed): close, never as "recovered".
        if (tracked) {
          closeOrphan(tracked, 'rule-removed', input, ctx, out, rule.sinks);
          delete alerts[alertKey(rule.id, verdict.pool)];
        }
        continue;
      }
      // A data gap (every rate invalid: an exporter restart) is missing
      // data, not "no skew": the lifecycle holds (input null). A verdict with
      // some backends' rates unusable (NaN, infinite, reset) may raise an
      // alert but never end one: missing data is not recovery.
      const judged = verdict.dataGap ? false : evaluateCondition(eff.when, verdict, eff.minRate, tracked ? hysteresisApplies(tracked.state) : false);
      const holds = !judged && (verdict.dataGap || (verdict.missing?.length ?? 0) > 0) ? null : judged;
      if (!tracked && !holds) continue; // nothing to remember for a quiet pool
      const summary = headline(eff, verdict.pool, verdict.labels);
      const seen = tracked ? (tracked.vanishedSince == null ? tracked : { ...tracked, vanishedSince: null }) : fresh(eff, verdict.pool, verdict.labels, ctx);
      // A drift rule says what drifted; every other rule what the traffic does.
      const detail = eff.when.stat === 'config_drift' && verdict.drift?.explanation ? verdict.drift.explanation : verdict.explanation;
      alerts[alertKey(rule.id, verdict.pool)] = advance(seen, eff, holds, verdict.dataGap ? null : verdict, `${summary}: ${detail}`, input, ctx, out);
    }
  }

  // Tracked alerts with no data this cycle: the rule is gone, the source is
  // down, or the pool is not reported (orphans.ts). Missing data holds.
  for (const [key, tracked] of Object.entries(alerts)) {
    const rule = ctx.rules.find((r) => r.id === tracked.ruleId);
    if (!rule) {
      closeOrphan(tracked, 'rule-removed', input, ctx, out, [...ctx.availableSinks]);
      delete alerts[key];
      continue;
    }
    if (tracked.pool === SOURCE_POOL || verdictByPool.has(tracked.pool)) continue;
    const eff = effectiveRule(rule, tracked.pool, tracked.poolLabels);
    if (!eff) {
      closeOrphan(tracked, 'rule-removed', input, ctx, out, rule.sinks);
      delete alerts[key];
      continue;
    }
    const vanish = vanishState(tracked, input, graceMs);
    if (vanish.gone) {
      closeOrphan(tracked, 'pool-vanished', input, ctx, out, eff.sinks);
      delete alerts[key];
      continue;
    }
    alerts[key] = advance({ ...tracked, vanishedSince: vanish.since }, eff, null, null, '', input, ctx, out);
  }

  // Alertmanager-style inhibition: a firing page mutes the warning of the same pool.
  const notifications = applyInhibition(alerts, out, ctx.inhibitRules ?? []);

  // Forget settled alerts: back to inactive, or resolved long enough ago
  // that /api/v1/status no longer needs to show them.
  for (const [key, tracked] of Object.entries(alerts)) {
    const { phase, resolvedAt, missingSince } = tracked.state;
    if (phase === 'inactive' && missingSince === null) delete alerts[key];
    else if (phase === 'resolved' && resolvedAt !== null && now - resolvedAt > RESOLVED_RETENTION_MS) delete alerts[key];
  }
  return { state: { alerts, blindCycles, lastError }, notifications };
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
    inhibitedBy: null,
    firedFocus: null,
    notifiedSinks: [],
    vanishedSince: null,
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
  const { state, event } = step(tracked.state, holds, now, {
    forMs: eff.forMs,
    keepFiringForMs: eff.keepFiringForMs,
    outageToleranceMs: ctx.forOutageToleranceMs,
    intervalMs: ctx.intervalMs,
  });
  const silence = isSilenced(input.silences, eff.id, tracked.pool, now);
  let next: TrackedAlert = {
    ...tracked,
    ruleName: eff.name,
    severity: eff.severity,
    state,
    lastVerdict: verdict ?? tracked.lastVerdict,
    silencedBy: silence?.id ?? null,
    firedFocus: event === 'fire' && verdict ? focusOf(verdict) : (tracked.firedFocus ?? null),
  };
  const sinks = eff.sinks.filter((s) => ctx.availableSinks.has(s));
  const text = summary || `${eff.name} in pool ${tracked.pool}`;
  const emit = (kind: NotificationKind, to: readonly string[], body = text) => {
    if (to.length === 0) return;
    out.push({ notification: makeNotification(next, eff, kind, body, now, ctx), sinks: to });
  };

  if (event === 'resolve') {
    // Say what changed back: the verdict now against the one it fired on.
    const body = verdict ? `${headline(eff, tracked.pool, tracked.poolLabels)}: ${whatChangedBack(tracked.firedFocus, verdict)}` : text;
    const to = (tracked.notifiedSinks ?? sinks).filter((s) => ctx.availableSinks.has(s));
    if (tracked.notified) emit('resolve', to.length > 0 ? to : sinks, body);
    return { ...next, notified: false, lastNotifiedAt: null, lastResentAt: null, notifiedSinks: [], firedFocus: null };
  }
  if (state.phase !== 'firing') return next;

  if (!next.notified) {
    // A new firing episode, or one that was silenced or inhibited and no
    // longer is: announced only while the condition holds now (not while
    // kept by keep_firing_for or blind), so a late announcement is never a
    // page about something already over.
    if (silence || holds !== true) return next;
    emit('trigger', sinks);
    return { ...next, notified: true, lastNotifiedAt: now, lastResentAt: now, notifiedSinks: sinks };
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
