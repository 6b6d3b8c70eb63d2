// The alert state machine for one rule and one pool, modelled on Prometheus'
// alerting rule: inactive -> pending -> firing -> resolved, with `for`,
// `keep_firing_for` and hysteresis. Pure: time and input are arguments.
//
//   input  = true  (condition holds), false (data says it does not),
//            null  (no data: source failed or pool vanished)
//
// On null nothing moves: pending does not advance or reset, firing does not
// resolve, keep_firing_for does not run down. Missing data is not recovery.

export type AlertPhase = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface AlertState {
  readonly phase: AlertPhase;
  /** When the condition started to hold (start of pending). */
  readonly activeAt: number | null;
  /** When the alert went to firing. */
  readonly firedAt: number | null;
  /** When the alert last resolved. */
  readonly resolvedAt: number | null;
  /** Last evaluation at which the condition held (for keep_firing_for). */
  readonly lastHeldAt: number | null;
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
  lastEvalAt: null,
  missingSince: null,
};

export interface LifecycleTiming {
  /** How long the condition must hold before firing (ms). */
  readonly forMs: number;
  /** How long a firing alert keeps firing after the condition stops holding (ms). */
  readonly keepFiringForMs: number;
}

export type LifecycleEvent = 'fire' | 'resolve' | null;

export interface StepResult {
  readonly state: AlertState;
  readonly event: LifecycleEvent;
}

/** Is the alert past inactive (so the hold threshold, not the fire threshold, applies)? */
export function isActive(state: AlertState): boolean {
  return state.phase === 'pending' || state.phase === 'firing';
}

export function step(prev: AlertState, input: boolean | null, now: number, timing: LifecycleTiming): StepResult {
  if (input === null) {
    return { state: { ...prev, missingSince: prev.missingSince ?? now }, event: null };
  }
  const base = { ...prev, lastEvalAt: now, missingSince: null };

  if (input) {
    switch (prev.phase) {
      case 'inactive':
      case 'resolved': {
        const activeAt = now;
        if (timing.forMs <= 0) {
          return { state: { ...base, phase: 'firing', activeAt, firedAt: now, lastHeldAt: now }, event: 'fire' };
        }
        return { state: { ...base, phase: 'pending', activeAt, firedAt: null, lastHeldAt: now }, event: null };
      }
      case 'pending': {
        const activeAt = prev.activeAt ?? now;
        if (now - activeAt >= timing.forMs) {
          return { state: { ...base, phase: 'firing', activeAt, firedAt: now, lastHeldAt: now }, event: 'fire' };
        }
        return { state: { ...base, lastHeldAt: now }, event: null };
      }
      case 'firing':
        return { state: { ...base, lastHeldAt: now }, event: null };
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
      const lastHeldAt = prev.lastHeldAt ?? prev.firedAt ?? now;
      if (now - lastHeldAt < timing.keepFiringForMs) return { state: base, event: null };
      return { state: { ...base, phase: 'resolved', activeAt: null, resolvedAt: now }, event: 'resolve' };
    }
  }
}
