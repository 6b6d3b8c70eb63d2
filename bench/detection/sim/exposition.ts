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
import type { Family } from '../../../src/signals/exposition-types.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4';

const STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
const CODES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

export interface RenderOptions {
  /** Servers whose haproxy_server_weight line is left out of this scrape. */
  readonly hideWeight?: ReadonlySet<string>;
  /** Export haproxy_server_backup (HAProxy 3.0+). Default true. */
  readonly backupMetric?: boolean;
  /**
   * Build only these metrics (the 'families' wire: what the parser would
   * keep of the text). The blocks built are the same as without it.
   */
  readonly only?: ReadonlySet<string>;
}

/**
 * One sample as the exporter writes it: a number is written as JS prints it
 * (`${value}`, which parses back to the same number, NaN included), a string
 * as it stands (a value already formatted, e.g. toFixed(2)). Shaped like the
 * parser's ExpositionSample (name, labels, value), so that a block of
 * numbers is handed to the scrape source as it is (blocksToFamilies).
 */
export interface BlockSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | string;
}

/** One metric as the exporter writes it. */
export interface MetricBlock {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: readonly BlockSample[];
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

interface ServerLabels {
  readonly proxy: string;
  readonly base: Readonly<Record<string, string>>;
  readonly states: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly codes: ReadonlyArray<Readonly<Record<string, string>>>;
}
/**
 * Label sets per server, built once: a scrape renders every server's 30-odd
 * series each cycle, and these objects were most of its allocation. Shared
 * and never mutated (the scrape source only reads labels).
 */
const LABELS = new WeakMap<SimServer, ServerLabels>();
function labelsOf(proxy: string, s: SimServer): ServerLabels {
  let l = LABELS.get(s);
  if (l === undefined || l.proxy !== proxy) {
    const base = Object.freeze({ proxy, server: s.name });
    l = {
      proxy,
      base,
      states: STATES.map((state) => Object.freeze({ proxy, server: s.name, state })),
      codes: CODES.map((code) => Object.freeze({ proxy, server: s.name, code })),
    };
    LABELS.set(s, l);
  }
  return l;
}

/** HAProxy's metrics for one backend at second fleet.t, in exporter order. */
export function haproxyBlocks(fleet: Fleet, opts: RenderOptions = {}): MetricBlock[] {
  const p = fleet.name;
  const servers: SimServer[] = [];
  const labels: ServerLabels[] = [];
  for (const s of fleet.servers) {
    if (!s.present) continue;
    servers.push(s);
    labels.push(labelsOf(p, s));
  }
  const n = servers.length;
  const out: MetricBlock[] = [];
  const only = opts.only;
  const wanted = (name: string): boolean => only === undefined || only.has(name);
  const per = (name: string, help: string, type: 'gauge' | 'counter', value: (s: SimServer) => number): void => {
    if (!wanted(name)) return;
    const samples: BlockSample[] = new Array(n);
    for (let i = 0; i < n; i++) samples[i] = { name, labels: labels[i]!.base, value: value(servers[i]!) };
    out.push({ name, help, type, samples });
  };

  if (wanted('haproxy_backend_current_queue')) {
    out.push({ name: 'haproxy_backend_current_queue', help: 'Number of current queued connections', type: 'gauge', samples: [{ name: 'haproxy_backend_current_queue', labels: { proxy: p }, value: fleet.backendQueueLength }] });
  }
  if (wanted('haproxy_backend_connection_errors_total')) out.push({
    name: 'haproxy_backend_connection_errors_total', help: 'Total number of failed connections to server since the worker process started', type: 'counter',
    samples: [{ name: 'haproxy_backend_connection_errors_total', labels: { proxy: p }, value: fleet.backendConnectionErrors }],
  });
  if (wanted('haproxy_backend_http_responses_total')) out.push({
    name: 'haproxy_backend_http_responses_total', help: 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started', type: 'counter',
    samples: CODES.map((code) => {
      let v = 0;
      for (const s of servers) v += codeCount(s, code);
      if (code === '5xx') v += fleet.backend503;
      return { name: 'haproxy_backend_http_responses_total', labels: { proxy: p, code }, value: v };
    }),
  });

  per('haproxy_server_current_queue', 'Number of current queued connections', 'gauge', (s) => s.queueLength);
  per('haproxy_server_current_sessions', 'Number of current sessions on the frontend, backend or server', 'gauge', (s) => s.sessions);
  per('haproxy_server_limit_sessions', "Frontend/listener/server's maxconn, backend's fullconn", 'gauge', (s) => (s.maxconn > 0 ? s.maxconn : NaN));
  per('haproxy_server_sessions_total', 'Total number of sessions since process started', 'counter', (s) => s.sessionsTotal);
  per('haproxy_server_connection_errors_total', 'Total number of failed connections to server since the worker process started', 'counter', (s) => s.connectionErrors);
  if (wanted('haproxy_server_status')) {
    const status: BlockSample[] = [];
    for (let i = 0; i < n; i++) {
      const st = servers[i]!.status;
      const states = labels[i]!.states;
      for (let k = 0; k < STATES.length; k++) status.push({ name: 'haproxy_server_status', labels: states[k]!, value: st === STATES[k] ? 1 : 0 });
    }
    out.push({ name: 'haproxy_server_status', help: 'Current status of the service, per state label value.', type: 'gauge', samples: status });
  }
  if (wanted('haproxy_server_weight')) {
    const weights: BlockSample[] = [];
    for (let i = 0; i < n; i++) {
      const s = servers[i]!;
      if (opts.hideWeight?.has(s.name)) continue;
      // The effective weight: ramps during slow start, integer, as HAProxy shows it.
      const w = s.effectiveWeight(fleet.t);
      weights.push({ name: 'haproxy_server_weight', labels: labels[i]!.base, value: w > 0 ? Math.max(1, Math.round(w)) : 0 });
    }
    out.push({ name: 'haproxy_server_weight', help: "Server's effective weight, or sum of active servers' effective weights for a backend", type: 'gauge', samples: weights });
  }
  per('haproxy_server_uweight', "Server's user weight, or sum of active servers' user weights for a backend", 'gauge', (s) => s.weight);
  per('haproxy_server_check_last_change_seconds', 'How long ago the last server state changed, in seconds', 'gauge', (s) => Math.max(0, fleet.t - s.lastChangeAt));
  per('haproxy_server_response_time_average_seconds', 'Avg. response time for last 1024 successful connections.', 'gauge', (s) => round3(s.responseTime));
  if (opts.backupMetric !== false) per('haproxy_server_backup', 'Is the server a backup server', 'gauge', (s) => (s.backup ? 1 : 0));
  if (!wanted('haproxy_server_http_responses_total')) return out;
  const responses: BlockSample[] = [];
  for (let k = 0; k < CODES.length; k++) {
    const code = CODES[k]!;
    for (let i = 0; i < n; i++) responses.push({ name: 'haproxy_server_http_responses_total', labels: labels[i]!.codes[k]!, value: codeCount(servers[i]!, code) });
  }
  out.push({
    name: 'haproxy_server_http_responses_total', help: 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started', type: 'counter',
    samples: responses,
  });
  return out;
}

/** Text format 0.0.4 of metric blocks. */
export function renderBlocks(blocks: readonly MetricBlock[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    out.push(`# HELP ${b.name} ${b.help}`, `# TYPE ${b.name} ${b.type}`);
    for (const s of b.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`).join(',');
      out.push(labels === '' ? `${b.name} ${s.value}` : `${b.name}{${labels}} ${s.value}`);
    }
  }
  return out.join('\n') + '\n';
}

/** A number the text shows as it is (`${v}` parses back to v); -0 prints as "0", which parses to +0. */
function asParsed(s: BlockSample): boolean {
  return typeof s.value === 'number' && !Object.is(s.value, -0);
}

/**
 * The same blocks as the exposition parser returns them (Family objects),
 * without the text in between. A block whose samples are all numbers is
 * passed on as it is (its samples already have the parser's shape); one with
 * formatted strings gets the parsed numbers.
 */
export function blocksToFamilies(blocks: readonly MetricBlock[], keep: ReadonlySet<string>): Family[] {
  const out: Family[] = [];
  for (const b of blocks) {
    if (!keep.has(b.name)) continue;
    const samples = b.samples.every(asParsed)
      ? (b.samples as Family['samples'])
      : b.samples.map((s) => ({ name: s.name, labels: s.labels, value: Number(s.value) }));
    out.push({ name: b.name, type: b.type, help: b.help, samples });
  }
  return out;
}

/** HAProxy's exposition of one backend at second fleet.t. */
export function renderHaproxy(fleet: Fleet, opts: RenderOptions = {}): string {
  return renderBlocks(haproxyBlocks(fleet, opts));
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Label sets of cpu c's idle, system and user series, built once and shared (never mutated). */
const CPU_LABELS: Array<readonly [Readonly<Record<string, string>>, Readonly<Record<string, string>>, Readonly<Record<string, string>>]> = [];
function cpuLabels(c: number): (typeof CPU_LABELS)[number] {
  for (let k = CPU_LABELS.length; k <= c; k++) {
    const cpu = String(k);
    CPU_LABELS.push([Object.freeze({ cpu, mode: 'idle' }), Object.freeze({ cpu, mode: 'system' }), Object.freeze({ cpu, mode: 'user' })]);
  }
  return CPU_LABELS[c]!;
}

/** node_exporter: the host's CPU per cpu and mode (busy split 80/20 user/system over the cpus). */
export function nodeCpuBlocks(s: SimServer, uptimeSeconds: number): MetricBlock[] {
  const cpus = Math.max(1, Math.round(s.cores));
  const busy = s.hostCpuSeconds / cpus;
  // Centiseconds, as node_exporter's USER_HZ counters give them; written as
  // the number they are (a number per value, not per cpu: every cpu shows
  // the same three).
  const idle = decimals(Math.max(0, uptimeSeconds - busy), 2);
  const name = 'node_cpu_seconds_total';
  const samples: BlockSample[] = [];
  const system = decimals(busy * 0.2, 2);
  const user = decimals(busy * 0.8, 2);
  for (let c = 0; c < cpus; c++) {
    const labels = cpuLabels(c);
    samples.push({ name, labels: labels[0], value: idle }, { name, labels: labels[1], value: system }, { name, labels: labels[2], value: user });
  }
  return [{ name, help: 'Seconds the CPUs spent in each mode.', type: 'counter', samples }];
}

/**
 * Number(x.toFixed(digits)) for digits ≤ 3, without
 * toFixed's exact decimal conversion (the slowest call of a scrape: three
 * per CPU target per cycle). toFixed rounds the exact value of x to the
 * nearest multiple of 10^-digits, the larger on a tie; x·10^digits is off
 * by at most a few ulps, so away from a tie Math.round picks the same
 * integer n, and n / 10^digits (one correctly rounded division) is the
 * double nearest the decimal toFixed writes, which is what Number() reads
 * back. Near a tie it asks toFixed. test/bench/simulator.test.ts compares
 * both over random and tie values.
 */
export function decimals(x: number, digits: 0 | 1 | 2 | 3): number {
  const scale = digits === 0 ? 1 : digits === 1 ? 10 : digits === 2 ? 100 : 1000;
  const y = x * scale;
  // Below 2^30 the product is within 2^-23 of the exact x·10^digits (half an ulp).
  if (!(x > 0 && y < 2 ** 30)) return Number(x.toFixed(digits)); // 0 and -0 too: toFixed writes "0"
  const frac = y - Math.floor(y);
  if (Math.abs(frac - 0.5) <= 1e-6) return Number(x.toFixed(digits));
  return Math.round(y) / scale;
}

/** A client library's process metrics: the application's own CPU since it started. */
export function processCpuBlocks(sinceRestartSeconds: number): MetricBlock[] {
  return [{ name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', type: 'counter', samples: [{ name: 'process_cpu_seconds_total', labels: {}, value: decimals(sinceRestartSeconds, 3) }] }];
}
