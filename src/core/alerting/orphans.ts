// Orphaned alerts: the rule was removed from the config (or no longer
// applies to the pool), or the pool is no longer reported. Left alone they
// would fire forever (PagerDuty incident open, Alertmanager re-sends) or be
// forgotten without a resolve. They are closed with a resolve that says why
// (Notification.resolution), never as "recovered":
//   - rule removed: at once, on the first evaluation without the rule;
//   - pool vanished: after a grace period (default 15 min) during which the
//     source worked and reported other pools but not this one. A failing
//     source, or one that reports no pool at all (wrong matchers, a broken
//     exporter), is blindness, not vanishing: alerts hold, and the grace
//     clock starts again when the source reports pools again.
import type { CycleInput, EvaluatorContext, PlannedNotification, TrackedAlert } from './evaluator.js';
import { makeNotification } from './notification-build.js';
import { closedBecause, type Resolution } from './resolution.js';

export const DEFAULT_VANISHED_POOL_GRACE_MS = 15 * 60_000;

export interface VanishState {
  /** First cycle with a working source that did not report the pool; null while blind. */
  readonly since: number | null;
  /** Missing long enough to close its alerts. */
  readonly gone: boolean;
}

/** Where a tracked alert's pool stands, this cycle, when the pool was not reported. */
export function vanishState(tracked: TrackedAlert, input: CycleInput, graceMs: number): VanishState {
  if (input.verdicts === null || input.verdicts.length === 0) return { since: null, gone: false };
  const since = tracked.vanishedSince ?? input.now;
  return { since, gone: input.now - since >= graceMs };
}

/**
 * Closes an orphaned alert: a resolve (with its reason) to the sinks that got
 * its trigger, when it was announced and is still open. Quiet alerts
 * (pending, silenced, already resolved) are dropped without a word.
 */
export function closeOrphan(
  tracked: TrackedAlert,
  resolution: Exclude<Resolution, 'recovered'>,
  input: CycleInput,
  ctx: EvaluatorContext,
  out: PlannedNotification[],
  fallbackSinks: readonly string[],
): void {
  if (!tracked.notified || tracked.state.phase !== 'firing') return;
  const sinks = (tracked.notifiedSinks ?? fallbackSinks).filter((s) => ctx.availableSinks.has(s));
  if (sinks.length === 0) return;
  const { now } = input;
  const graceMs = ctx.vanishedPoolGraceMs ?? DEFAULT_VANISHED_POOL_GRACE_MS;
  const closed: TrackedAlert = { ...tracked, state: { ...tracked.state, phase: 'resolved', resolvedAt: now } };
  const rule = { id: tracked.ruleId, name: tracked.ruleName, severity: tracked.severity, annotations: {} };
  const summary = `${tracked.ruleName} in pool ${tracked.pool}: ${closedBecause(resolution, tracked.pool, graceMs)}`;
  out.push({ notification: makeNotification(closed, rule, 'resolve', summary, now, ctx, resolution), sinks });
}
