// What the simulated fleet's exporters answer on /metrics, in the Prometheus
// text format 0.0.4:
// - the balancer: HAProxy's built-in exporter (names, HELP texts, label and
//   series order as in test/fixtures/exposition/haproxy-2.6.txt, a real 2.6
//   scrape: backend metrics first, then servers, each metric listing every
//   object before the next metric; haproxy_server_status one series per
//   state; limit_sessions NaN without maxconn), plus haproxy_server_backup,
//   which HAProxy exports from 3.0;
// - per server: node_exporter (node_cpu_seconds_total per cpu and mode: the
//   host's CPU, every process, capacity = the cpu count) or a client
//   library's process_cpu_seconds_total (the application only, no capacity).
import type { Fleet } from './fleet.js';
import type { SimServer } from './server.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4';

const STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
const CODES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

export interface RenderOptions {
  /** Servers whose haproxy_server_weight line is left out of this scrape. */
  readonly hideWeight?: ReadonlySet<string>;
  /** Export haproxy_server_backup (HAProxy 3.0+). Default true. */
  readonly backupMetric?: boolean;
}

function head(out: string[], name: string, help: string, type: 'gauge' | 'counter'): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

function codeCount(s: SimServer, code: (typeof CODES)[number]): number {
  switch (code) {
    case '2xx': return s.r2xx;
    case '3xx': return s.r3xx;
    case '4xx': return s.r4xx;
    case '5xx': return s.r5xx;
    default: return 0;
  }
}

/** HAProxy's exposition of one backend at second fleet.t. */
export function renderHaproxy(fleet: Fleet, opts: RenderOptions = {}): string {
  const p = fleet.name;
  const servers = fleet.servers.filter((s) => s.present);
  const out: string[] = [];
  const per = (name: string, help: string, type: 'gauge' | 'counter', value: (s: SimServer) => string | number): void => {
    head(out, name, help, type);
    for (const s of servers) out.push(`${name}{proxy="${p}",server="${s.name}"} ${value(s)}`);
  };

  head(out, 'haproxy_backend_current_queue', 'Number of current queued connections', 'gauge');
  out.push(`haproxy_backend_current_queue{proxy="${p}"} ${fleet.backendQueueLength}`);
  head(out, 'haproxy_backend_connection_errors_total', 'Total number of failed connections to server since the worker process started', 'counter');
  out.push(`haproxy_backend_connection_errors_total{proxy="${p}"} ${fleet.backendConnectionErrors}`);
  head(out, 'haproxy_backend_http_responses_total', 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started', 'counter');
  for (const code of CODES) {
    let n = 0;
    for (const s of servers) n += codeCount(s, code);
    if (code === '5xx') n += fleet.backend503;
    out.push(`haproxy_backend_http_responses_total{proxy="${p}",code="${code}"} ${n}`);
  }

  per('haproxy_server_current_queue', 'Number of current queued connections', 'gauge', (s) => s.queueLength);
  per('haproxy_server_current_sessions', 'Number of current sessions on the frontend, backend or server', 'gauge', (s) => s.sessions);
  per('haproxy_server_limit_sessions', "Frontend/listener/server's maxconn, backend's fullconn", 'gauge', (s) => (s.maxconn > 0 ? s.maxconn : 'NaN'));
  per('haproxy_server_sessions_total', 'Total number of sessions since process started', 'counter', (s) => s.sessionsTotal);
  per('haproxy_server_connection_errors_total', 'Total number of failed connections to server since the worker process started', 'counter', (s) => s.connectionErrors);
  head(out, 'haproxy_server_status', 'Current status of the service, per state label value.', 'gauge');
  for (const s of servers) {
    const st = s.status;
    for (const state of STATES) out.push(`haproxy_server_status{proxy="${p}",server="${s.name}",state="${state}"} ${st === state ? 1 : 0}`);
  }
  head(out, 'haproxy_server_weight', "Server's effective weight, or sum of active servers' effective weights for a backend", 'gauge');
  for (const s of servers) {
    if (opts.hideWeight?.has(s.name)) continue;
    // The effective weight: ramps during slow start, integer, as HAProxy shows it.
    const w = s.effectiveWeight(fleet.t);
    out.push(`haproxy_server_weight{proxy="${p}",server="${s.name}"} ${w > 0 ? Math.max(1, Math.round(w)) : 0}`);
  }
  per('haproxy_server_uweight', "Server's user weight, or sum of active servers' user weights for a backend", 'gauge', (s) => s.weight);
  per('haproxy_server_check_last_change_seconds', 'How long ago the last server state changed, in seconds', 'gauge', (s) => Math.max(0, fleet.t - s.lastChangeAt));
  per('haproxy_server_response_time_average_seconds', 'Avg. response time for last 1024 successful connections.', 'gauge', (s) => round3(s.responseTime));
  if (opts.backupMetric !== false) per('haproxy_server_backup', 'Is the server a backup server', 'gauge', (s) => (s.backup ? 1 : 0));
  head(out, 'haproxy_server_http_responses_total', 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started', 'counter');
  for (const code of CODES) for (const s of servers) out.push(`haproxy_server_http_responses_total{proxy="${p}",server="${s.name}",code="${code}"} ${codeCount(s, code)}`);
  return out.join('\n') + '\n';
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** node_exporter: the host's CPU per cpu and mode (busy split 80/20 user/system over the cpus). */
export function renderNodeCpu(s: SimServer, uptimeSeconds: number): string {
  const out: string[] = [];
  head(out, 'node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter');
  const cpus = Math.max(1, Math.round(s.cores));
  const busy = s.hostCpuSeconds / cpus;
  for (let c = 0; c < cpus; c++) {
    const idle = Math.max(0, uptimeSeconds - busy);
    out.push(`node_cpu_seconds_total{cpu="${c}",mode="idle"} ${idle.toFixed(2)}`);
    out.push(`node_cpu_seconds_total{cpu="${c}",mode="system"} ${(busy * 0.2).toFixed(2)}`);
    out.push(`node_cpu_seconds_total{cpu="${c}",mode="user"} ${(busy * 0.8).toFixed(2)}`);
  }
  return out.join('\n') + '\n';
}

/** A client library's process metrics: the application's own CPU since it started. */
export function renderProcessCpu(sinceRestartSeconds: number): string {
  return (
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n' +
    '# TYPE process_cpu_seconds_total counter\n' +
    `process_cpu_seconds_total ${sinceRestartSeconds.toFixed(3)}\n`
  );
}
