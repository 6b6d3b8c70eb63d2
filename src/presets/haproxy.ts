// HAProxy's built-in Prometheus exporter (`http-request use-service
// prometheus-exporter`). Metric names verified against a real HAProxy 2.6
// scrape (test/fixtures/exposition/haproxy-2.6.txt).
//
// - Requests: haproxy_server_http_responses_total{proxy,server,code} summed
//   over codes; TCP-mode proxies have no HTTP responses, so their pools fall
//   back to haproxy_server_sessions_total.
// - Health, two forms: 2.4+ haproxy_server_status{state="UP|DOWN|MAINT|DRAIN|NOLB"}
//   is one series per state at 0 or 1; 2.0-2.3 export one series per server
//   without a state label whose value is the state (0 DOWN, 1 UP, 2 MAINT,
//   3 DRAIN, 4 NOLB). Both are decoded. DRAIN and NOLB take no new traffic,
//   so they count as maintenance (excluded from the expected distribution).
// - Queue: the per-server queue; the backend queue stays 0 while one server
//   piles up (see FIELD-NOTES).
// - 5xx: per-server 5xx only counts responses from the server; the 503s
//   HAProxy itself answers after `timeout queue` are not in it.
// - Backup: haproxy_server_backup (1 for a `backup` server) exists from 3.0;
//   2.6 has only the per-backend count haproxy_backend_backup_servers, so
//   older versions name their backups in options.backupServers.
// - State age: haproxy_server_check_last_change_seconds ("how long ago the
//   last server state changed"), in 2.6 and 3.x alike.
// - Strain: haproxy_server_response_time_average_seconds (average over the
//   last 1024 successful connections, 0 without traffic),
//   haproxy_server_current_sessions and haproxy_server_limit_sessions (the
//   server's maxconn; NaN when none is set, checked on a real 2.6 scrape).

import type { Health } from '../core/types.js';
import { SkewwatchError } from '../util/errors.js';
import { escapeLabelValue } from '../sources/promql.js';
import { scrapePreset, splitBackendId } from './extract.js';
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
  limitSessions: 'haproxy_server_limit_sessions',
  backup: 'haproxy_server_backup',
  lastChange: 'haproxy_server_check_last_change_seconds',
  responseTime: 'haproxy_server_response_time_average_seconds',
} as const;

export interface HaproxyOptions {
  /**
   * Backup servers as "<proxy>/<server>", for versions before 3.0 that do not
   * export haproxy_server_backup. Listed servers are backups whatever the
   * metric says.
   */
  readonly backupServers?: readonly string[];
}

const STATE_HEALTH: Readonly<Record<string, Health>> = {
  UP: 'up',
  DOWN: 'down',
  MAINT: 'maint',
  DRAIN: 'maint',
  NOLB: 'maint',
};

/** 2.0-2.3: the value is the state (promex HELP: "server: 0=DOWN, 1=UP, 2=MAINT, 3=DRAIN, 4=NOLB"). */
const NUMERIC_HEALTH: Readonly<Record<number, Health>> = { 0: 'down', 1: 'up', 2: 'maint', 3: 'maint', 4: 'maint' };

/** Health one haproxy_server_status sample signals, in either form. */
export function decodeHaproxyStatus(labels: Readonly<Record<string, string>>, value: number): Health | undefined {
  const state = labels.state;
  if (state === undefined || state === '') return NUMERIC_HEALTH[value];
  return value === 1 ? STATE_HEALTH[state] : undefined;
}

/** The "<proxy>/<server>" list as [proxy, server] pairs; a config error names a malformed entry. */
function backupPairs(options: HaproxyOptions): Array<[string, string]> {
  return (options.backupServers ?? []).map((id) => {
    try {
      const [proxy, server] = splitBackendId(id, POOL.length) as [string, string];
      if (proxy === '' || server === '') throw new RangeError(`"${id}": expected <proxy>/<server>`);
      return [proxy, server];
    } catch (e) {
      throw new SkewwatchError('config', `haproxy preset: backup_servers: ${(e as Error).message}`);
    }
  });
}

export function haproxyQueries(ctx: QueryContext, options: HaproxyOptions = {}): QuerySet {
  const m = HAPROXY_METRICS;
  // Configured backups first: `or` keeps the left side for a series both
  // sides have, so the list wins over a 0 from haproxy_server_backup.
  const listed = backupPairs(options).map(
    ([proxy, server]) =>
      `${agg('max', LABELS, `${sel(m.weight, ctx, `proxy="${escapeLabelValue(proxy)}"`, `server="${escapeLabelValue(server)}"`)} * 0 + 1`)}`,
  );
  return {
    rate: `${sumRate(LABELS, sel(m.responses, ctx), ctx)} or ${sumRate(LABELS, sel(m.sessions, ctx), ctx)}`,
    // Averaged over the rate window like the rates it is compared with: right
    // after a deliberate weight change the window still holds traffic sent
    // under the old weights, and the instant weight would call that a skew.
    weight: agg('sum', LABELS, `avg_over_time(${sel(m.weight, ctx)}[${ctx.window}])`),
    // 1 up, 0 down, 2 maint. 2.4+: exactly one state series is 1 per server.
    // 2.0-2.3 (no state label, `state=""` selects them): value 1 is up,
    // 2..4 (MAINT, DRAIN, NOLB) maintenance, 0 down.
    health:
      `(${agg('sum', LABELS, sel(m.status, ctx, 'state="UP"'))} + 2 * ` +
      `${agg('sum', LABELS, sel(m.status, ctx, 'state=~"MAINT|DRAIN|NOLB"'))}) or ` +
      `(${agg('max', LABELS, `${sel(m.status, ctx, 'state=""')} == bool 1`)} + 2 * ` +
      `${agg('max', LABELS, `${sel(m.status, ctx, 'state=""')} >= bool 2`)})`,
    queue: agg('sum', LABELS, sel(m.queue, ctx)),
    errors: sumRate(LABELS, sel(m.responses, ctx, 'code="5xx"'), ctx),
    backup: [...listed, agg('max', LABELS, sel(m.backup, ctx))].join(' or '),
    stateAge: agg('min', LABELS, sel(m.lastChange, ctx)),
    responseTime: agg('max', LABELS, sel(m.responseTime, ctx)),
    // Several HAProxies in front of one server: sessions and limits add up.
    sessions: agg('sum', LABELS, sel(m.currentSessions, ctx)),
    // `> 0` drops NaN (no maxconn) and 0 (no limit).
    sessionLimit: agg('sum', LABELS, `${sel(m.limitSessions, ctx)} > 0`),
  };
}

export function createHaproxyPreset(options: HaproxyOptions = {}): Preset {
  const m = HAPROXY_METRICS;
  const backupServers = backupPairs(options).map((p) => p.join('/'));
  return scrapePreset({
    name: 'haproxy',
    description: 'HAProxy built-in Prometheus exporter (per-server metrics; verified on 2.6)',
    poolLabels: POOL,
    backendLabel: BACKEND,
    queries: (ctx) => haproxyQueries(ctx, options),
    scrape: {
      requests: [{ metric: m.responses }, { metric: m.sessions }],
      errors: { metric: m.responses, where: (l) => l.code === '5xx' },
      weight: { metric: m.weight },
      queue: { metric: m.queue },
      sessions: { metric: m.currentSessions },
      sessionLimit: { metric: m.limitSessions },
      backup: { metric: m.backup },
      backupServers,
      stateAge: { metric: m.lastChange },
      responseTime: { metric: m.responseTime },
      health: {
        metric: m.status,
        decode: (s) => decodeHaproxyStatus(s.labels, s.value),
      },
    },
  });
}
