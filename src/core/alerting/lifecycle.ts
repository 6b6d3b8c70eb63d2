// The alert state machine for one rule and one pool, modelled on Prometheus'
// alerting rule (rules/alerting.go): inactive -> pending -> firing ->
// resolved, with `for`, `keep_firing_for` and hysteresis. Pure: time and
// input are arguments.
//
//   input  = true  (condition holds), false (data says it does not),
//            null  (no data: source failed, pool vanished, data gap)
//
// On null nothing moves: pending does not advance or reset, firing does not
// resolve. Missing data is not recovery, and it is not evidence either:
//   - time without data does not count toward `for` (when data returns,
//     the pending start moves forward by the blind time), and does not run
//     `keep_firing_for` down (its start moves forward the same way);
//   - a pending state older than the outage tolerance (Prometheus'
//     --rules.alert.for-outage-tolerance, default 1h) is not trusted: the
//     alert starts pending again, as if first seen now. "Blind time" counts
//     both cycles without data and gaps between evaluations (the daemon was
//     down), the latter when the evaluation interval is known.
// `keep_firing_for` runs from the first evaluation at which the condition
// no longer held (Prometheus' KeepFiringSince), not from the last one at
// which it held. Hysteresis (the hold threshold) applies only while firing:
// `for` needs the firing condition at every evaluation (see hysteresisApplies).

export type AlertPhase = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface AlertState {
  readonly phase: AlertPhase;
  /** When the condition started to hold (start of pending), moved forward by blind time. */
  readonly activeAt: number | null;
  /** When the alert went to firing. */
  readonly firedAt: number | null;
  /** When the alert last resolved. */
  readonly resolvedAt: number | null;
  /** Last evaluation at which the condition held. */
  readonly lastHeldAt: number | null;
  /**
   * First evaluation of the current run at which a firing alert's condition
   * no longer held (keep_firing_for runs from here); null while it holds.
   * Optional: state files from before it existed restore without it.
   */
  readonly keepFiringSince?: number | null;
  /** Last evaluation with data; null input leaves it unchanged. */
  readonly lastEvalAt: number | null;
  /** Since when data has been missing (null while data flows). */
  readonly missingSince: number | null;
}

export const INITIAL_ALERT_STATE: AlertState = {
  phase: 'inactive',
  activeAt: null,
  firedAt: null,
  resolvedAt: null,
  lastHeldAt: null,
  keepFiringSince: null,
  lastEvalAt: null,
  missingSince: null,
};

/** Prometheus' default --rules.alert.for-outage-tolerance. */
export const DEFAULT_FOR_OUTAGE_TOLERANCE_MS = 3_600_000;

export interface LifecycleTiming {
  /** How long the condition must hold before firing (ms). */
  readonly forMs: number;
  /** How long a firing alert keeps firing after the condition stops holding (ms). */
  readonly keepFiringForMs: number;
  /** Blind time after which a pending state is discarded (ms). Default 1h. */
  readonly outageToleranceMs?: number | undefined;
  /**
   * The evaluation interval (ms), when known: a gap between two evaluations
   * longer than 1.5 intervals (a restart, a stalled daemon) is blind time
   * beyond the one interval. Unknown: only cycles without data count.
   */
  readonly intervalMs?: number | undefined;
}

export type LifecycleEvent = 'fire' | 'resolve' | null;

export interface StepResult {
  readonly state: AlertState;
  readonly event: LifecycleEvent;
}

/** Is the alert past inactive (pending or firing)? */
export function isActive(state: AlertState): boolean {
  return state.phase === 'pending' || state.phase === 'firing';
}

/**
 * Does the hold (resolve) threshold apply instead of the fire threshold?
 * Only once firing: a pending alert must meet the firing condition at every
 * evaluation, or one critical verdict followed by warnings would "hold" a
 * pending page through its `for` and fire it (Prometheus has no hysteresis
 * at all; ours is for resolving, never for firing).
 */
export function hysteresisApplies(state: AlertState): boolean {
  return state.phase === 'firing';
}

/**
 * Time since the last evaluation with data that had no data (ms): from the
 * first cycle without data, or, with a known interval, the part of a long
 * gap between evaluations beyond one interval.
 */
export function blindTime(prev: AlertState, now: number, timing: LifecycleTiming): number {
  if (prev.lastEvalAt === null) return 0;
  let blind = prev.missingSince !== null ? Math.max(0, now - prev.missingSince) : 0;
  const interval = timing.intervalMs;
  const gap = now - prev.lastEvalAt;
  if (interval !== undefined && interval > 0 && gap > 1.5 * interval) blind = Math.max(blind, gap - interval);
  return blind;
}

export function step(prev: AlertState, input: boolean | null, now: number, timing: LifecycleTiming): StepResult {
  if (input === null) {
    return { state: { ...prev, missingSince: prev.missingSince ?? now }, event: null };
  }
  const blind = blindTime(prev, now, timing);
  const tolerance = timing.outageToleranceMs ?? DEFAULT_FOR_OUTAGE_TOLERANCE_MS;
  const base: AlertState = { ...prev, lastEvalAt: now, missingSince: null };
  const startPending = (): StepResult => {
    if (timing.forMs <= 0) {
      return { state: { ...base, phase: 'firing', activeAt: now, firedAt: now, lastHeldAt: now, keepFiringSince: null }, event: 'fire' };
    }
    return { state: { ...base, phase: 'pending', activeAt: now, firedAt: null, lastHeldAt: now, keepFiringSince: null }, event: null };
  };

  if (input) {
    switch (prev.phase) {
      case 'inactive':
      case 'resolved':
        return startPending();
      case 'pending': {
        // Too long without data: the old pending start says nothing about now.
        if (blind > tolerance || prev.activeAt === null) return startPending();
        const activeAt = prev.activeAt + blind;
        if (now - activeAt >= timing.forMs) {
          return { state: { ...base, phase: 'firing', activeAt, firedAt: now, lastHeldAt: now, keepFiringSince: null }, event: 'fire' };
        }
        return { state: { ...base, activeAt, lastHeldAt: now }, event: null };
      }
      case 'firing':
        return { state: { ...base, lastHeldAt: now, keepFiringSince: null }, event: null };
    }
  }

  // The condition does not hold, and we know it from data.
  switch (prev.phase) {
    case 'inactive':
    case 'resolved':
      return { state: base, event: null };
    case 'pending':
      return { state: { ...base, phase: 'inactive', activeAt: null }, event: null };
    case 'firing': {
      const previous = prev.keepFiringSince ?? null;
      const since = previous === null ? now : previous + blind;
      if (now - since < timing.keepFiringForMs) return { state: { ...base, keepFiringSince: since }, event: null };
      return { state: { ...base, phase: 'resolved', activeAt: null, resolvedAt: now, keepFiringSince: null }, event: 'resolve' };
    }
  }
}
