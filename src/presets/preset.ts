// A preset knows one load balancer's metric names. In query mode it yields
// PromQL (one query per signal covering every pool at once); in scrape mode
// it reads the balancer's own exposition (see ScrapeExtractor).

import type { Health } from '../core/types.js';
import type { Family } from '../sources/exposition-types.js';

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

export interface Preset {
  readonly name: string;
  readonly description: string;
  /** Labels whose values identify a pool (e.g. ["proxy"]). */
  readonly poolLabels: readonly string[];
  /** Label that identifies a backend inside a pool (e.g. "server"). */
  readonly backendLabel: string;
  /** PromQL for query mode. */
  queries(ctx: QueryContext): QuerySet;
  /** Scrape mode: how to read the balancer's own /metrics. Absent when it exposes none. */
  readonly scrape?: ScrapeExtractor;
}

// ---- Scrape mode -----------------------------------------------------------
// A scrape extractor reads the balancer's own exposition (already parsed, only
// the families named in `metricNames` kept) and returns one reading per
// backend. Counters are raw cumulative values: the scrape source turns them
// into rates, so extractors stay pure and stateless.

export interface BackendReading {
  /** Pool label values, keyed by the preset's poolLabels (missing labels are ''). */
  readonly pool: Readonly<Record<string, string>>;
  readonly backend: string;
  /** Cumulative requests served (counter). Backends without it get no rate. */
  readonly requests?: number;
  /** Cumulative 5xx responses (counter). */
  readonly errors?: number;
  readonly weight?: number;
  readonly health?: Health;
  /** Requests waiting in the balancer's queue for this backend (gauge). */
  readonly queue?: number;
  /** Current sessions/active connections on this backend (gauge). */
  readonly sessions?: number;
  /** Cumulative CPU seconds (counter), when the exposition carries CPU per backend. */
  readonly cpuSeconds?: number;
  /** CPU cores available to the backend. */
  readonly cpuCapacity?: number;
  /** A backup server (see BackendSample.backup). */
  readonly backup?: boolean;
  /** Seconds since the backend's health last changed (gauge). */
  readonly stateAgeSeconds?: number;
  /** Average response time in seconds (gauge). */
  readonly responseTime?: number;
  /** Configured concurrent-session limit; absent when there is none. */
  readonly sessionLimit?: number;
}

export interface ScrapeExtractor {
  /** Sample or family names the extractor reads; the parser skips every other line. */
  readonly metricNames: readonly string[];
  /** Pass histogram/summary series through to extract() (default false). */
  readonly includeHistograms?: boolean;
  extract(families: readonly Family[]): BackendReading[];
}

export interface ScrapePreset extends Preset {
  readonly scrape: ScrapeExtractor;
}

export function hasScrape(preset: Preset): preset is ScrapePreset {
  return (preset as { scrape?: unknown }).scrape !== undefined;
}
