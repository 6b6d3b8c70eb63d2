// Plain data the demo's terminal view renders. The demo assembles it from the
// fleet model, the daemon's verdicts and alert states, and the print
// receiver's arrivals.

import type { Severity } from '../core/types.js';

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface ViewAlert {
  readonly rule: string;
  readonly state: AlertState;
  readonly severity?: 'warning' | 'critical';
}

export interface ViewBackend {
  readonly name: string;
  readonly status: 'UP' | 'DOWN' | 'MAINT';
  /** Observed share of the pool's requests, 0..1. */
  readonly share: number;
  /** Share the configuration intends, 0..1 (drawn as a marker on the bar). */
  readonly expectedShare: number;
  /** CPU utilisation 0..1, null when unknown. */
  readonly cpu: number | null;
  readonly queue: number | null;
  /** 5xx so far attributed to this server (e.g. queue timeouts), when known. */
  readonly errors5xx?: number;
}

export type DemoEventKind = 'fault' | 'warning' | 'page' | 'saturated' | 'first-5xx' | 'repaired' | 'resolved';

export interface DemoEvent {
  readonly kind: DemoEventKind;
  /** Seconds since the demo started. */
  readonly at: number;
  readonly detail?: string;
}

export interface ViewVerdict {
  readonly severity: Severity;
  readonly explanation: string;
}

export interface ViewInput {
  readonly elapsedSeconds: number;
  readonly durationSeconds?: number;
  readonly scenario?: string;
  /** Offered load, req/s. */
  readonly offeredRps: number;
  readonly backends: readonly ViewBackend[];
  readonly alerts: readonly ViewAlert[];
  /** The daemon's latest verdict for the pool; null or absent before the first one. */
  readonly verdict?: ViewVerdict | null;
  readonly events: readonly DemoEvent[];
  /** ANSI colours. Default false. */
  readonly color?: boolean;
  /** Terminal width in columns; lines are cut to fit. Default 80. */
  readonly width?: number;
  /** Most server rows shown; beyond it the hottest are shown plus a summary row. Default 12. */
  readonly maxBackendRows?: number;
  /** Most recent events shown. Default 6. */
  readonly maxEvents?: number;
}

export const EVENT_LABELS: Readonly<Record<DemoEventKind, string>> = {
  fault: 'fault injected',
  warning: 'warning sent',
  page: 'page sent',
  saturated: 'hot server at 100% CPU',
  'first-5xx': 'first 503',
  repaired: 'repaired',
  resolved: 'alert resolved',
};
