// Query mode's vocabulary: the PromQL a preset yields per signal, the context
// it is built in, and the health codes a health query returns. Presets
// produce it, sources (and replay) consume it.

/** Health codes returned by a preset's `health` query: 1 up, 0 down, 2 maintenance. */
export const HEALTH_UP = 1;
export const HEALTH_DOWN = 0;
export const HEALTH_MAINT = 2;

/** PromQL per signal. Every query must aggregate `by (<poolLabels>, <backendLabel>)`. */
export interface QuerySet {
  /** Requests per second per backend (required). */
  readonly rate: string;
  readonly weight?: string;
  /** 1 up, 0 down, 2 maint (see HEALTH_*). Absent: every backend with a rate is up. */
  readonly health?: string;
  /** CPU cores in use per backend. */
  readonly cpu?: string;
  /** CPU cores available per backend. */
  readonly cpuCapacity?: string;
  /** Requests queued in the balancer for the backend. */
  readonly queue?: string;
  /** 5xx per second per backend. */
  readonly errors?: string;
  /** 1 for a backup server (takes traffic only when no primary is up), 0 otherwise. */
  readonly backup?: string;
  /** Seconds since the backend's health last changed. */
  readonly stateAge?: string;
  /** Average response time in seconds as the balancer measures it. */
  readonly responseTime?: string;
  /** Sessions/connections open to the backend at the balancer now. */
  readonly sessions?: string;
  /** Configured concurrent-session limit; 0, NaN or absent means none. */
  readonly sessionLimit?: string;
}

export interface QueryContext {
  /** PromQL range duration for rate(), e.g. "1m". */
  readonly window: string;
  /**
   * Extra label matchers ANDed into every selector, without braces, already
   * escaped, e.g. `job="haproxy",instance=~"lb-.*"`. Empty string for none.
   */
  readonly matchers: string;
}

/** The signals of a QuerySet, in the order sources query them. */
export type Signal = keyof QuerySet;
export const SIGNALS: readonly Signal[] = [
  'rate',
  'weight',
  'health',
  'cpu',
  'cpuCapacity',
  'queue',
  'errors',
  'backup',
  'stateAge',
  'responseTime',
  'sessions',
  'sessionLimit',
];
