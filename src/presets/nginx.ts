// NGINX, two exporters (options.flavour):
// - 'plus' (default): nginx-prometheus-exporter in NGINX Plus mode
//   (`--nginx.plus`, reads the Plus API). Series:
//   nginxplus_upstream_server_requests{upstream,server} (counter, no _total),
//   nginxplus_upstream_server_responses{upstream,server,code="1xx".."5xx"},
//   nginxplus_upstream_server_state{upstream,server} with 1 up, 2 draining,
//   3 down, 4 unavail, 5 checking, 6 unhealthy, and
//   nginxplus_upstream_server_active. No weight is exported.
// - 'vts': nginx-module-vts (`vhost_traffic_status_display_format
//   prometheus`). nginx_vts_upstream_requests_total{upstream,backend,code}
//   with code 1xx..5xx and a "total" series that must not be added again.
//   Every proxy_pass target without an `upstream` block lands in the group
//   upstream="::nogroups": unrelated destinations, never one pool, so it is
//   excluded. nginx_vts_upstream_response_seconds is the average upstream
//   response time. VTS exports no health or weight.
// Open-source NGINX with stub_status has no per-upstream-server metrics at all.

import type { Health } from '../core/types.js';
import { scrapePreset } from './extract.js';
import type { Preset, QueryContext, QuerySet } from './preset.js';
import { agg, sel, sumRate } from './promql.js';

export interface NginxOptions {
  /** Which exporter: NGINX Plus through nginx-prometheus-exporter (default), or nginx-module-vts. */
  readonly flavour?: 'plus' | 'vts';
}

/** VTS' group for proxy_pass targets outside any upstream block. */
export const VTS_NO_GROUP = '::nogroups';

export const NGINX_PLUS_METRICS = {
  requests: 'nginxplus_upstream_server_requests',
  responses: 'nginxplus_upstream_server_responses',
  state: 'nginxplus_upstream_server_state',
  active: 'nginxplus_upstream_server_active',
} as const;

export const NGINX_VTS_METRICS = {
  requests: 'nginx_vts_upstream_requests_total',
  responseSeconds: 'nginx_vts_upstream_response_seconds',
} as const;

const PLUS_STATE: Readonly<Record<number, Health>> = { 1: 'up', 2: 'maint', 3: 'down', 4: 'down', 5: 'down', 6: 'down' };

function plusPreset(): Preset {
  const pool = ['upstream'] as const;
  const backend = 'server';
  const labels = [...pool, backend];
  const m = NGINX_PLUS_METRICS;
  const queries = (ctx: QueryContext): QuerySet => ({
    rate: sumRate(labels, sel(m.requests, ctx), ctx),
    // 1 up, 2 draining -> HEALTH_MAINT, every other state -> HEALTH_DOWN (0).
    health:
      `${agg('max', labels, `${sel(m.state, ctx)} == bool 1`)} + 2 * ` +
      agg('max', labels, `${sel(m.state, ctx)} == bool 2`),
    errors: sumRate(labels, sel(m.responses, ctx, 'code="5xx"'), ctx),
  });
  return scrapePreset({
    name: 'nginx',
    description: 'NGINX Plus through nginx-prometheus-exporter (per upstream server)',
    poolLabels: pool,
    backendLabel: backend,
    queries,
    scrape: {
      requests: [{ metric: m.requests }],
      errors: { metric: m.responses, where: (l) => l.code === '5xx' },
      sessions: { metric: m.active },
      health: { metric: m.state, decode: (s) => PLUS_STATE[s.value] },
    },
  });
}

function vtsPreset(): Preset {
  const pool = ['upstream'] as const;
  const backend = 'backend';
  const labels = [...pool, backend];
  const m = NGINX_VTS_METRICS;
  const grouped = `upstream!="${VTS_NO_GROUP}"`;
  const queries = (ctx: QueryContext): QuerySet => ({
    rate: sumRate(labels, sel(m.requests, ctx, 'code!="total"', grouped), ctx),
    errors: sumRate(labels, sel(m.requests, ctx, 'code="5xx"', grouped), ctx),
    responseTime: agg('max', labels, sel(m.responseSeconds, ctx, grouped)),
  });
  const inGroup = (l: Readonly<Record<string, string>>) => l.upstream !== VTS_NO_GROUP;
  return scrapePreset({
    name: 'nginx',
    description: 'NGINX with nginx-module-vts (per upstream backend)',
    poolLabels: pool,
    backendLabel: backend,
    queries,
    scrape: {
      requests: [{ metric: m.requests, where: (l) => inGroup(l) && l.code !== 'total' }],
      errors: { metric: m.requests, where: (l) => inGroup(l) && l.code === '5xx' },
      responseTime: { metric: m.responseSeconds, where: inGroup },
    },
  });
}

export function createNginxPreset(options: NginxOptions = {}): Preset {
  return options.flavour === 'vts' ? vtsPreset() : plusPreset();
}
