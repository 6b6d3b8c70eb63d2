// A preset knows one load balancer's metric names. In query mode it yields
// PromQL (one query per signal covering every pool at once); in scrape mode
// it reads the balancer's own exposition (see ScrapeExtractor). The shared
// vocabulary (query sets, readings, exposition types) lives in src/signals.

import type { QueryContext, QuerySet } from '../signals/query-set.js';
import type { BalancerSpec, ScrapeExtractor } from '../signals/readings.js';

export { HEALTH_DOWN, HEALTH_MAINT, HEALTH_UP, type QueryContext, type QuerySet } from '../signals/query-set.js';
export { hasScrape, type BackendReading, type ScrapeExtractor } from '../signals/readings.js';

export interface Preset extends BalancerSpec {
  readonly description: string;
  /** PromQL for query mode. */
  queries(ctx: QueryContext): QuerySet;
}

export interface ScrapePreset extends Preset {
  readonly scrape: ScrapeExtractor;
}
