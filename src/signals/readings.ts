// Scrape mode's vocabulary: one reading per backend that a preset's extractor
// makes of a parsed exposition, and what the scrape source needs of a preset.

import type { Health } from '../core/types.js';
import type { Family } from './exposition-types.js';

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
  /**
   * Exposition timestamps (epoch ms) of the counters, when the samples carry
   * them (Prometheus /federate): the newest among the samples summed.
   */
  readonly timestampsMs?: Readonly<Partial<Record<'requests' | 'errors' | 'cpuSeconds', number>>>;
}

export interface ScrapeExtractor {
  /** Sample or family names the extractor reads; the parser skips every other line. */
  readonly metricNames: readonly string[];
  /** Pass histogram/summary series through to extract() (default false). */
  readonly includeHistograms?: boolean;
  extract(families: readonly Family[]): BackendReading[];
  /**
   * Pool labels the extractor sets itself because the exposition lacks them
   * (Traefik's job): source.matchers see them as query mode would.
   */
  readonly fixedLabels?: Readonly<Record<string, string>>;
  /** Problems the exposition shows that cost a signal without failing the scrape (said, not silent). */
  diagnose?(families: readonly Family[]): string[];
}

/** What the scrape source needs of a preset: its name, labels and extractor. */
export interface BalancerSpec {
  readonly name: string;
  /** Labels whose values identify a pool (e.g. ["proxy"]). */
  readonly poolLabels: readonly string[];
  /** Label that identifies a backend inside a pool (e.g. "server"). */
  readonly backendLabel: string;
  /** Absent when the balancer exposes no metrics of its own. */
  readonly scrape?: ScrapeExtractor;
}

export function hasScrape<T extends BalancerSpec>(spec: T): spec is T & { readonly scrape: ScrapeExtractor } {
  return (spec as { scrape?: unknown }).scrape !== undefined;
}

const HEALTH_RANK: Record<Health, number> = { down: 0, maint: 1, up: 2 };

/** Best-of merge: a backend any sample reports up is up; otherwise maint beats down. */
export function mergeHealth(a: Health | undefined, b: Health | undefined): Health | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return HEALTH_RANK[a] >= HEALTH_RANK[b] ? a : b;
}
