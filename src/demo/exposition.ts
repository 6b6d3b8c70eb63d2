// Prometheus text exposition (format 0.0.4) of the simulated fleet, shaped
// like HAProxy 2.6's built-in exporter (`http-request use-service
// prometheus-exporter`) for one backend, and like a Node/Go process's
// standard process_* metrics for each server. Pure functions of the model
// state.
//
// Facts mirrored from HAProxy 2.6's exporter (names, HELP texts, label order,
// series order; compare test/fixtures/exposition/haproxy-2.6.txt, a real
// scrape): backend metrics are written before server metrics; within
// each, metrics follow HAProxy's stats field order (qcur, scur, stot, econ,
// status, weight, hrsp_*); each metric lists every object before the next
// metric; `*_status` has one series per state with value 1 for the current
// one (servers: DOWN, UP, MAINT, DRAIN, NOLB; backends: DOWN, UP); the single
// HELP line of `http_responses_total` is the 1xx field's description; values
// are integers. 503s the balancer itself answers after `timeout queue` count
// at the backend level and as connection errors, never as server 5xx.

import type { BackendState, CodeClass, FleetState, ResponseCounters, ServerStatus } from './fleet-model.js';

export const HAPROXY_CONTENT_TYPE = 'text/plain; version=0.0.4';
/** prom-client's content type for the per-server process metrics. */
export const PROCESS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const CODES: readonly CodeClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'];
const SERVER_STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
const BACKEND_STATES = ['DOWN', 'UP'] as const;

const HELP = {
  current_queue: 'Number of current queued connections',
  current_sessions: 'Number of current sessions on the frontend, backend or server',
  sessions_total: 'Total number of sessions since process started',
  connection_errors_total: 'Total number of failed connections to server since the worker process started',
  status: 'Current status of the service, per state label value.',
  weight: "Server's effective weight, or sum of active servers' effective weights for a backend",
  http_responses_total:
    'Total number of HTTP responses with status 100-199 returned by this object since the worker process started',
} as const;

type MetricKey = keyof typeof HELP;
type MetricType = 'gauge' | 'counter';

const TYPES: Readonly<Record<MetricKey, MetricType>> = {
  current_queue: 'gauge',
  current_sessions: 'gauge',
  sessions_total: 'counter',
  connection_errors_total: 'counter',
  status: 'gauge',
  weight: 'gauge',
  http_responses_total: 'counter',
};

const ORDER: readonly MetricKey[] = [
  'current_queue',
  'current_sessions',
  'sessions_total',
  'connection_errors_total',
  'status',
  'weight',
  'http_responses_total',
];

interface Sample {
  readonly labels: ReadonlyArray<readonly [string, string]>;
  readonly value: number;
}

function block(name: string, key: MetricKey, samples: readonly Sample[], out: string[]): void {
  out.push(`# HELP ${name} ${HELP[key]}`, `# TYPE ${name} ${TYPES[key]}`);
  for (const s of samples) {
    const labels = s.labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    out.push(`${name}{${labels}} ${integer(s.value)}`);
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function integer(v: number): string {
  return Number.isFinite(v) ? String(Math.max(0, Math.floor(v))) : 'NaN';
}

function serverState(status: ServerStatus): (typeof SERVER_STATES)[number] {
  return status;
}

function responses(counters: ResponseCounters, base: ReadonlyArray<readonly [string, string]>): Sample[] {
  return CODES.map((code) => ({ labels: [...base, ['code', code]] as const, value: counters[code] }));
}

function backendSamples(state: FleetState, proxy: string, key: MetricKey): Sample[] {
  const px: ReadonlyArray<readonly [string, string]> = [['proxy', proxy]];
  const up = state.backends.filter((b) => b.status === 'UP');
  const sum = (f: (b: BackendState) => number) => state.backends.reduce((acc, b) => acc + f(b), 0);
  switch (key) {
    case 'current_queue':
      // Requests wait in the per-server queues; the backend queue stays 0.
      return [{ labels: px, value: 0 }];
    case 'current_sessions':
      return [{ labels: px, value: sum((b) => b.currentSessions + b.queue) }];
    case 'sessions_total':
      return [{ labels: px, value: sum((b) => b.arrivedTotal) + state.noServerTotal }];
    case 'connection_errors_total':
      return [{ labels: px, value: sum((b) => b.connectionErrorsTotal) }];
    case 'status': {
      const current = up.length > 0 ? 'UP' : 'DOWN';
      return BACKEND_STATES.map((st) => ({ labels: [...px, ['state', st]] as const, value: st === current ? 1 : 0 }));
    }
    case 'weight':
      return [{ labels: px, value: up.reduce((acc, b) => acc + b.weight, 0) }];
    case 'http_responses_total':
      return responses(state.backendResponses, px);
  }
}

function serverSamples(state: FleetState, proxy: string, key: MetricKey): Sample[] {
  return state.backends.flatMap((b): Sample[] => {
    const base: ReadonlyArray<readonly [string, string]> = [
      ['proxy', proxy],
      ['server', b.name],
    ];
    switch (key) {
      case 'current_queue':
        return [{ labels: base, value: b.queue }];
      case 'current_sessions':
        return [{ labels: base, value: b.currentSessions }];
      case 'sessions_total':
        return [{ labels: base, value: b.sessionsTotal }];
      case 'connection_errors_total':
        return [{ labels: base, value: b.connectionErrorsTotal }];
      case 'status':
        return SERVER_STATES.map((st) => ({
          labels: [...base, ['state', st]] as const,
          value: st === serverState(b.status) ? 1 : 0,
        }));
      case 'weight':
        return [{ labels: base, value: b.weight }];
      case 'http_responses_total':
        return [];
    }
  });
}

/** The /metrics page of the simulated HAProxy for backend `proxy`. */
export function renderHaproxyMetrics(state: FleetState, proxy = 'be_app'): string {
  const out: string[] = [];
  for (const key of ORDER) block(`haproxy_backend_${key}`, key, backendSamples(state, proxy, key), out);
  for (const key of ORDER) {
    const name = `haproxy_server_${key}`;
    if (key === 'http_responses_total') {
      // HAProxy walks the code classes in the outer loop and the servers inside.
      const samples = CODES.flatMap((code) =>
        state.backends.map((b) => ({
          labels: [['proxy', proxy], ['server', b.name], ['code', code]] as const,
          value: b.responses[code],
        })),
      );
      block(name, key, samples, out);
    } else {
      block(name, key, serverSamples(state, proxy, key), out);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * One server's own /metrics: the standard process CPU counters as
 * prom-client (and the Go client, for process_cpu_seconds_total) write them.
 * The user/system split is a fixed 90/10 of the modelled CPU time.
 */
export function renderProcessMetrics(backend: BackendState, startTimeSeconds: number): string {
  const total = backend.cpuSecondsTotal;
  const lines = [
    '# HELP process_cpu_user_seconds_total Total user CPU time spent in seconds.',
    '# TYPE process_cpu_user_seconds_total counter',
    `process_cpu_user_seconds_total ${float(total * 0.9)}`,
    '',
    '# HELP process_cpu_system_seconds_total Total system CPU time spent in seconds.',
    '# TYPE process_cpu_system_seconds_total counter',
    `process_cpu_system_seconds_total ${float(total * 0.1)}`,
    '',
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${float(total)}`,
    '',
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${Math.floor(startTimeSeconds)}`,
  ];
  return lines.join('\n') + '\n';
}

function float(v: number): string {
  // Round to microseconds: enough precision, and no 1e-7 style output.
  return String(Math.round(v * 1e6) / 1e6);
}
