// A preset knows one load balancer's metric names. In query mode it yields
// PromQL (one query per signal covering every pool at once); in scrape mode
// it reads the balancer's own exposition (see ScrapeExtractor).

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

export interface Preset {
  readonly name: string;
  readonly description: string;
  /** Labels whose values identify a pool (e.g. ["proxy"]). */
  readonly poolLabels: readonly string[];
  /** Label that identifies a backend inside a pool (e.g. "server"). */
  readonly backendLabel: string;
  /** PromQL for query mode. */
  queries(ctx: QueryContext): QuerySet;
}
