// HAProxy's built-in Prometheus exporter (`http-request use-service
// prometheus-exporter`). Metric names verified against a real HAProxy 2.6
// scrape (test/fixtures/exposition/haproxy-2.6.txt). Health needs the
// state-labelled haproxy_server_status of recent versions (2.6 has it).
//
// - Requests: haproxy_server_http_responses_total{proxy,server,code} summed
//   over codes; TCP-mode proxies have no HTTP responses, so their pools fall
//   back to haproxy_server_sessions_total.
// - Health: haproxy_server_status{state="UP|DOWN|MAINT|DRAIN|NOLB"} is one
//   series per state at 0 or 1. DRAIN and NOLB take no new traffic, so they
//   count as maintenance (excluded from the expected distribution).
// - Queue: the per-server queue; the backend queue stays 0 while one server
//   piles up (see FIELD-NOTES).
// - 5xx: per-server 5xx only counts responses from the server; the 503s
//   HAProxy itself answers after `timeout queue` are not in it.

import type { Health } from '../core/types.js';
import { scrapePreset } from './extract.js';
import type { Preset, QueryContext, QuerySet } from './preset.js';
import { agg, sel, sumRate } from './promql.js';

const POOL = ['proxy'] as const;
const BACKEND = 'server';
const LABELS = [...POOL, BACKEND];

export const HAPROXY_METRICS = {
  responses: 'haproxy_server_http_responses_total',
  sessions: 'haproxy_server_sessions_total',
  weight: 'haproxy_server_weight',
  status: 'haproxy_server_status',
  queue: 'haproxy_server_current_queue',
  currentSessions: 'haproxy_server_current_sessions',
} as const;

const STATE_HEALTH: Readonly<Record<string, Health>> = {
  UP: 'up',
  DOWN: 'down',
  MAINT: 'maint',
  DRAIN: 'maint',
  NOLB: 'maint',
};

export function haproxyQueries(ctx: QueryContext): QuerySet {
  const m = HAPROXY_METRICS;
  return {
    rate: `${sumRate(LABELS, sel(m.responses, ctx), ctx)} or ${sumRate(LABELS, sel(m.sessions, ctx), ctx)}`,
    // Averaged over the rate window like the rates it is compared with: right
    // after a deliberate weight change the window still holds traffic sent
    // under the old weights, and the instant weight would call that a skew.
    weight: agg('sum', LABELS, `avg_over_time(${sel(m.weight, ctx)}[${ctx.window}])`),
    // 1 up, 0 down, 2 maint: exactly one state series is 1 per server.
    health:
      `${agg('sum', LABELS, sel(m.status, ctx, 'state="UP"'))} + 2 * ` +
      agg('sum', LABELS, sel(m.status, ctx, 'state=~"MAINT|DRAIN|NOLB"')),
    queue: agg('sum', LABELS, sel(m.queue, ctx)),
    errors: sumRate(LABELS, sel(m.responses, ctx, 'code="5xx"'), ctx),
  };
}

export function createHaproxyPreset(): Preset {
  const m = HAPROXY_METRICS;
  return scrapePreset({
    name: 'haproxy',
    description: 'HAProxy built-in Prometheus exporter (per-server metrics; verified on 2.6)',
    poolLabels: POOL,
    backendLabel: BACKEND,
    queries: haproxyQueries,
    scrape: {
      requests: [{ metric: m.responses }, { metric: m.sessions }],
      errors: { metric: m.responses, where: (l) => l.code === '5xx' },
      weight: { metric: m.weight },
      queue: { metric: m.queue },
      sessions: { metric: m.currentSessions },
      health: {
        metric: m.status,
        decode: (s) => (s.value === 1 && s.labels.state !== undefined ? STATE_HEALTH[s.labels.state] : undefined),
      },
    },
  });
}
