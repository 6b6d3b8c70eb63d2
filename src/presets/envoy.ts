// Envoy. Cluster stats (envoy_cluster_upstream_rq_total) are per cluster, not
// per host, so they cannot show skew between endpoints. Per-endpoint series
// exist only when the cluster sets
//   track_cluster_stats: { per_endpoint_stats: true }
// and then appear on the admin /stats/prometheus endpoint as
// envoy_cluster_endpoint_<stat>{envoy_cluster_name, envoy_endpoint_address}
// (counters rq_total, rq_success, rq_error, rq_timeout, cx_total,
// cx_connect_fail; gauges rq_active, cx_active, healthy). Envoy exports no
// per-endpoint weight (admin /clusters shows it), so weights are assumed equal.

import { scrapePreset } from './extract.js';
import type { Preset, QueryContext, QuerySet } from './preset.js';
import { agg, sel, sumRate } from './promql.js';

const POOL = ['envoy_cluster_name'] as const;
const BACKEND = 'envoy_endpoint_address';
const LABELS = [...POOL, BACKEND];

export const ENVOY_METRICS = {
  requests: 'envoy_cluster_endpoint_rq_total',
  errors: 'envoy_cluster_endpoint_rq_error',
  healthy: 'envoy_cluster_endpoint_healthy',
  active: 'envoy_cluster_endpoint_rq_active',
} as const;

export function envoyQueries(ctx: QueryContext): QuerySet {
  const m = ENVOY_METRICS;
  return {
    rate: sumRate(LABELS, sel(m.requests, ctx), ctx),
    // healthy is 1/0, which is already HEALTH_UP/HEALTH_DOWN.
    health: agg('max', LABELS, sel(m.healthy, ctx)),
    errors: sumRate(LABELS, sel(m.errors, ctx), ctx),
  };
}

export function createEnvoyPreset(): Preset {
  const m = ENVOY_METRICS;
  return scrapePreset({
    name: 'envoy',
    description: 'Envoy with per_endpoint_stats enabled (admin /stats/prometheus)',
    poolLabels: POOL,
    backendLabel: BACKEND,
    queries: envoyQueries,
    scrape: {
      requests: [{ metric: m.requests }],
      errors: { metric: m.errors },
      sessions: { metric: m.active },
      health: { metric: m.healthy, decode: (s) => (s.value >= 1 ? 'up' : s.value === 0 ? 'down' : undefined) },
    },
  });
}
