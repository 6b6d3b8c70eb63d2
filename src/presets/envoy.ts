// Envoy. Cluster stats (envoy_cluster_upstream_rq_total) are per cluster, not
// per host, so they cannot show skew between endpoints. Per-endpoint series
// exist only when the cluster sets
//   track_cluster_stats: { per_endpoint_stats: true }
// and then appear on the admin /stats/prometheus endpoint as
// envoy_cluster_endpoint_<stat>{envoy_cluster_name, envoy_endpoint_address}
// (counters rq_total, rq_success, rq_error, rq_timeout, cx_total,
// cx_connect_fail; gauges rq_active, cx_active, healthy). Envoy exports no
// per-endpoint weight (admin /clusters shows it), so weights are assumed equal.
//
// Degraded hosts: the per-endpoint `healthy` gauge is 1 only for a healthy
// host, so a degraded one (active health check or outlier detection marks it
// degraded; Envoy still routes to it when healthy hosts are short) reads 0
// like a dead one. The cluster gauge envoy_cluster_membership_degraded says
// whether the cluster has degraded members; in such a cluster an endpoint at
// healthy 0 with requests in flight (rq_active > 0) is serving and counts as
// up, not down. In a cluster without degraded members healthy 0 stays down.
//
// per_endpoint_stats cannot be combined with the bootstrap's
// cluster_manager.load_stats_config (Envoy's TrackClusterStats docs): with LRS
// configured there are no per-endpoint series and this preset has nothing to read.

import type { Family } from '../signals/exposition-types.js';
import type { BackendReading } from '../signals/readings.js';
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
  degradedMembers: 'envoy_cluster_membership_degraded',
} as const;

export function envoyQueries(ctx: QueryContext): QuerySet {
  const m = ENVOY_METRICS;
  return {
    rate: sumRate(LABELS, sel(m.requests, ctx), ctx),
    // healthy is 1/0, which is already HEALTH_UP/HEALTH_DOWN; plus 1 (capped)
    // for a serving endpoint of a cluster that has degraded members.
    // `or` keeps the plain gauge where the cluster exports no degraded count.
    health:
      `clamp_max(${agg('max', LABELS, sel(m.healthy, ctx))} + on (${LABELS.join(', ')}) ` +
      `((${agg('max', LABELS, `${sel(m.active, ctx)} > bool 0`)}) * on (${POOL.join(', ')}) group_left () ` +
      `(${agg('max', POOL, `${sel(m.degradedMembers, ctx)} > bool 0`)})), 1) or ${agg('max', LABELS, sel(m.healthy, ctx))}`,
    errors: sumRate(LABELS, sel(m.errors, ctx), ctx),
  };
}

export function createEnvoyPreset(): Preset {
  const m = ENVOY_METRICS;
  const preset = scrapePreset({
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
  const inner = preset.scrape;
  return {
    ...preset,
    scrape: {
      ...inner,
      metricNames: [...inner.metricNames, m.degradedMembers],
      extract(families: readonly Family[]): BackendReading[] {
        const degraded = new Set<string>();
        for (const f of families) {
          for (const s of f.samples) {
            if (s.name === m.degradedMembers && s.value > 0) degraded.add(s.labels.envoy_cluster_name ?? '');
          }
        }
        return inner.extract(families).map((r) =>
          r.health === 'down' && (r.sessions ?? 0) > 0 && degraded.has(r.pool.envoy_cluster_name ?? '') ? { ...r, health: 'up' } : r,
        );
      },
    },
  };
}
