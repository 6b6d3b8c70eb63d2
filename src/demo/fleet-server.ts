// The simulated fleet over HTTP: advances the pure model on a timer and serves
// it as HAProxy's exporter would (/metrics), each server's process metrics
// (/backends/<name>/metrics) and a small control API for the demo
// (GET /control/state, POST /control/repair). Binds 127.0.0.1 only.
//
// Time comes from an injected Clock. With `autoTick: false` nothing runs on
// its own: tests move a fake clock and call tick().

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../util/clock.js';
import {
  createFleet,
  repair as repairModel,
  setWeight as setWeightModel,
  step,
  summarize,
  type BackendSummary,
  type Balancing,
  type FleetOptions,
  type FleetState,
  type Scenario,
} from './fleet-model.js';
import {
  HAPROXY_CONTENT_TYPE,
  PROCESS_CONTENT_TYPE,
  renderHaproxyMetrics,
  renderProcessMetrics,
} from './exposition.js';
import { listenLoopback } from '../util/listen.js';

export interface FleetServerOptions {
  /** Model options (ignored when `initialState` is given). */
  readonly fleet?: FleetOptions;
  readonly initialState?: FleetState;
  readonly clock?: Clock;
  /** Model advance period in ms. Default 100. */
  readonly tickMs?: number;
  /** Model seconds per clock second. Default 1. */
  readonly speed?: number;
  /** Run the timer. Default true; false leaves ticking to the caller. */
  readonly autoTick?: boolean;
  /** HAProxy backend (proxy label) name. Default "be_app". */
  readonly proxy?: string;
  /** Port to bind on 127.0.0.1. Default 0 (any free port). */
  readonly port?: number;
  /** Called after every tick with the new state (e.g. to redraw the view). */
  readonly onTick?: (state: FleetState) => void;
}

export interface FleetServer {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The HAProxy-style exporter URL. */
  readonly metricsUrl: string;
  backendMetricsUrl(name: string): string;
  state(): FleetState;
  /** Advance the model to the clock's current time and return the new state. */
  tick(): FleetState;
  /** Restore weights and balancing (an operator's fix), and return the new state. */
  repair(): FleetState;
  /** HAProxy's runtime `set weight` on one server. */
  setWeight(name: string, weight: number): FleetState;
  close(): Promise<void>;
}

/** JSON of GET /control/state. Times are model seconds since the start. */
export interface ControlState {
  readonly t: number;
  readonly scenario: Scenario;
  readonly balancing: Balancing;
  readonly offeredRps: number;
  readonly faultAt: number | null;
  readonly repairedAt: number | null;
  readonly first5xxAt: number | null;
  /** 5xx answered so far (backend level: queue timeouts and no-server). */
  readonly errors5xx: number;
  readonly usersAffected: number;
  readonly backends: readonly BackendSummary[];
}

export function controlState(s: FleetState): ControlState {
  return {
    t: round(s.t, 3),
    scenario: s.options.scenario,
    balancing: s.balancing,
    offeredRps: round(s.offeredRate, 2),
    faultAt: s.faultAt === null ? null : round(s.faultAt, 3),
    repairedAt: s.repairedAt === null ? null : round(s.repairedAt, 3),
    first5xxAt: s.first5xxAt === null ? null : round(s.first5xxAt, 3),
    errors5xx: s.backendResponses['5xx'],
    usersAffected: Math.round(s.usersAffected),
    backends: summarize(s).map((b) => ({
      ...b,
      share: round(b.share, 4),
      weightShare: round(b.weightShare, 4),
      cpu: round(b.cpu, 4),
      saturatedAt: b.saturatedAt === null ? null : round(b.saturatedAt, 3),
    })),
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export async function startFleetServer(opts: FleetServerOptions = {}): Promise<FleetServer> {
  const clock = opts.clock ?? systemClock;
  const tickMs = opts.tickMs ?? 100;
  const speed = opts.speed ?? 1;
  if (!(tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const proxy = opts.proxy ?? 'be_app';
  let state = opts.initialState ?? createFleet(opts.fleet);
  const startedAt = clock.now();
  const modelStart = state.t;
  const startTimeSeconds = startedAt / 1000;

  const tick = (): FleetState => {
    const target = modelStart + ((clock.now() - startedAt) / 1000) * speed;
    const dt = target - state.t;
    if (dt > 0) state = step(state, dt);
    opts.onTick?.(state);
    return state;
  };
  const repair = (): FleetState => {
    state = repairModel(state);
    return state;
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      send(res, 500, 'text/plain; charset=utf-8', `internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const method = req.method ?? 'GET';
    if (path === '/metrics') {
      if (!allow(req, res, ['GET', 'HEAD'])) return;
      res.setHeader('Cache-Control', 'no-cache');
      return send(res, 200, HAPROXY_CONTENT_TYPE, renderHaproxyMetrics(state, proxy), method === 'HEAD');
    }
    const m = /^\/backends\/([^/]+)\/metrics$/.exec(path);
    if (m) {
      if (!allow(req, res, ['GET', 'HEAD'])) return;
      const name = decodeURIComponent(m[1] ?? '');
      const backend = state.backends.find((b) => b.name === name);
      if (!backend) return send(res, 404, 'text/plain; charset=utf-8', `no backend ${name}\n`);
      return send(res, 200, PROCESS_CONTENT_TYPE, renderProcessMetrics(backend, startTimeSeconds), method === 'HEAD');
    }
    if (path === '/control/state') {
      if (!allow(req, res, ['GET'])) return;
      return sendJson(res, 200, controlState(state));
    }
    if (path === '/control/repair') {
      if (!allow(req, res, ['POST'])) return;
      req.resume(); // the body, if any, carries nothing
      return sendJson(res, 200, controlState(repair()));
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }

  const port = await listenLoopback(server, opts.port ?? 0);
  const url = `http://127.0.0.1:${port}`;

  const abort = new AbortController();
  let loop: Promise<void> = Promise.resolve();
  if (opts.autoTick ?? true) {
    loop = (async () => {
      while (!abort.signal.aborted) {
        try {
          await clock.sleep(tickMs, abort.signal);
        } catch {
          return; // aborted
        }
        tick();
      }
    })();
  }

  return {
    port,
    url,
    metricsUrl: `${url}/metrics`,
    backendMetricsUrl: (name) => `${url}/backends/${encodeURIComponent(name)}/metrics`,
    state: () => state,
    tick,
    repair,
    setWeight: (name: string, weight: number) => {
      tick();
      state = setWeightModel(state, name, weight);
      return state;
    },
    close: async () => {
      abort.abort(new Error('fleet server closed'));
      await loop;
      await closeServer(server);
    },
  };
}

function allow(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): boolean {
  if (methods.includes(req.method ?? 'GET')) return true;
  res.setHeader('Allow', methods.join(', '));
  send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  return false;
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(headOnly ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', JSON.stringify(value) + '\n');
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
