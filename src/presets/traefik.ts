// Traefik v2/v3. Traefik has NO per-server request counter: request metrics
// stop at the service (traefik_service_requests_total{service,code,method,
// protocol}), and the only per-server series is traefik_service_server_up
// {service,url}. So this preset compares services with each other: the
// children of a weighted (WRR) service, each child one backend. Pick the
// children with matchers (e.g. service=~"app-(blue|green)@file"). The pool is
// the Prometheus `job` that scrapes Traefik (in scrape mode: options.job).
// Skew between the servers inside one service needs the servers' own metrics:
// use the kubernetes or custom preset for that. WRR weights are not exported.
// Requires `metrics.prometheus.addServicesLabels: true` (the default).

import { scrapePreset } from './extract.js';
import type { Preset, QueryContext, QuerySet } from './preset.js';
import { agg, sel, sumRate } from './promql.js';

export interface TraefikOptions {
  /** Pool name used in scrape mode (the exposition has no job label). Default "traefik". */
  readonly job?: string;
}

export const TRAEFIK_METRICS = {
  requests: 'traefik_service_requests_total',
  serverUp: 'traefik_service_server_up',
  openConnections: 'traefik_service_open_connections',
} as const;

export function createTraefikPreset(options: TraefikOptions = {}): Preset {
  const pool = ['job'] as const;
  const backend = 'service';
  const labels = [...pool, backend];
  const m = TRAEFIK_METRICS;
  const queries = (ctx: QueryContext): QuerySet => ({
    rate: sumRate(labels, sel(m.requests, ctx), ctx),
    // A service is up while any of its servers is up.
    health: agg('max', labels, sel(m.serverUp, ctx)),
    errors: sumRate(labels, sel(m.requests, ctx, 'code=~"5.."'), ctx),
  });
  return scrapePreset({
    name: 'traefik',
    description: `Traefik services as backends of a weighted service (no per-server request metrics exist; scrape-mode job ${options.job ?? 'traefik'})`,
    poolLabels: pool,
    backendLabel: backend,
    queries,
    scrape: {
      fixedPool: { job: options.job ?? 'traefik' },
      requests: [{ metric: m.requests }],
      errors: { metric: m.requests, where: (l) => (l.code ?? '').startsWith('5') },
      sessions: { metric: m.openConnections },
      health: { metric: m.serverUp, decode: (s) => (s.value >= 1 ? 'up' : s.value === 0 ? 'down' : undefined) },
    },
  });
}
