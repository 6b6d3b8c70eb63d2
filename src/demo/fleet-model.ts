// A pure, deterministic discrete-time model of one balancer backend ("be_app")
// and its servers, for `skewwatch demo`. No I/O, no clock: `step(state, dt)`
// returns the next state. The seeded generator lives inside the state.
//
// Per substep (at most 100 ms):
//   offered requests (integer, fractional remainder carried) are split over
//   the UP servers by smooth weighted round-robin on their weights, or, in
//   source-hash mode, over a few client groups pinned to servers by a hash;
//   each server serves up to capacity*dt (its CPU is served/capacity), the
//   rest waits in its queue; what would wait longer than `timeout queue`
//   (queue > capacity * queueTimeoutSeconds, or over maxQueue) is answered
//   503 by the balancer. Those 503s count at the backend level and as server
//   connection errors, not as server 5xx responses (as HAProxy does, see
//   FIELD-NOTES.md).
// Invariant per server: arrived == served + timedOut + queue.

import { resolveOptions, type FleetOptions, type ResolvedFleetOptions } from './fleet-options.js';
import { draw, noise, seedState } from './prng.js';
import { routeRequests, stickyGroups } from './routing.js';
import { offeredLoad, type RampParams } from './scenarios.js';

export { SCENARIOS, isScenario, type Scenario } from './scenarios.js';
export { resolveOptions, type FleetOptions, type ResolvedFleetOptions } from './fleet-options.js';
export { stickyGroups } from './routing.js';

export type ServerStatus = 'UP' | 'DOWN' | 'MAINT';
export type CodeClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'other';
export type ResponseCounters = Readonly<Record<CodeClass, number>>;
export type Balancing = 'weights' | 'source-hash';



export interface BackendState {
  readonly name: string;
  readonly status: ServerStatus;
  readonly weight: number;
  /** The weight before any fault: what repair() restores. */
  readonly configuredWeight: number;
  readonly capacityRps: number;
  readonly cores: number;
  readonly queue: number;
  /** Service capacity carried between substeps (fractions of a request). */
  readonly serviceCredit: number;
  readonly swrrCurrent: number;
  /** Busy fraction 0..1, smoothed (EWMA, 1 s time constant), without noise. */
  readonly utilisation: number;
  /** CPU utilisation 0..1 as a CPU meter would show it: `utilisation` plus noise. */
  readonly cpu: number;
  /** Smoothed arrival rate (req/s, EWMA with a 2 s time constant). */
  readonly arrivalRate: number;
  readonly currentSessions: number;
  readonly arrivedTotal: number;
  readonly servedTotal: number;
  readonly timedOutTotal: number;
  readonly responses: ResponseCounters;
  readonly sessionsTotal: number;
  readonly cpuSecondsTotal: number;
  readonly connectionErrorsTotal: number;
  /** First time (model seconds) the smoothed utilisation reached 98 %. */
  readonly saturatedAt: number | null;
}

export interface ClientGroup {
  readonly id: string;
  readonly fraction: number;
  readonly backend: number;
  readonly swrrCurrent: number;
}

export interface FleetState {
  readonly options: ResolvedFleetOptions;
  /** Model time in seconds since the start. */
  readonly t: number;
  readonly rng: number;
  readonly balancing: Balancing;
  readonly clientGroups: readonly ClientGroup[];
  /** Offered load over the last substep, req/s. */
  readonly offeredRate: number;
  readonly offeredCarry: number;
  readonly offeredTotal: number;
  /** Requests answered 503 because no server was UP. */
  readonly noServerTotal: number;
  readonly backends: readonly BackendState[];
  /** Backend-level response counters (server responses plus the balancer's own 503s). */
  readonly backendResponses: ResponseCounters;
  readonly faultAt: number | null;
  readonly repairedAt: number | null;
  readonly first5xxAt: number | null;
  /** Expected number of distinct simulated users who received at least one 5xx. */
  readonly usersAffected: number;
}

const MAX_SUBSTEP = 0.1;
const RATE_TAU_SECONDS = 2;
const CPU_TAU_SECONDS = 1;
/** Smoothed utilisation at which a server counts as saturated. */
export const SATURATED = 0.98;

const ZERO_COUNTERS: ResponseCounters = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 };

export function createFleet(options: FleetOptions = {}): FleetState {
  const opts = resolveOptions(options);
  const backends: BackendState[] = [];
  for (let i = 0; i < opts.backends; i++) {
    backends.push({
      name: `s${i + 1}`,
      status: 'UP',
      weight: 1,
      configuredWeight: 1,
      capacityRps: opts.capacityRps,
      cores: opts.cores,
      queue: 0,
      serviceCredit: 0,
      swrrCurrent: 0,
      utilisation: 0,
      cpu: 0,
      arrivalRate: 0,
      currentSessions: 0,
      arrivedTotal: 0,
      servedTotal: 0,
      timedOutTotal: 0,
      responses: ZERO_COUNTERS,
      sessionsTotal: 0,
      cpuSecondsTotal: 0,
      connectionErrorsTotal: 0,
      saturatedAt: null,
    });
  }
  return {
    options: opts,
    t: 0,
    rng: seedState(opts.seed),
    balancing: 'weights',
    clientGroups: [],
    offeredRate: 0,
    offeredCarry: 0,
    offeredTotal: 0,
    noServerTotal: 0,
    backends,
    backendResponses: ZERO_COUNTERS,
    faultAt: null,
    repairedAt: null,
    first5xxAt: null,
    usersAffected: 0,
  };
}

/** Share of the traffic the hot server receives once the fault is in. */
export function hotShareAfterFault(o: ResolvedFleetOptions): number {
  if (o.scenario === 'sticky-clients') return o.stickyShare;
  if (o.scenario === 'weight-misconfig') return o.hotWeight / (o.hotWeight + o.backends - 1);
  return 1 / o.backends;
}

export function rampParams(o: ResolvedFleetOptions): RampParams {
  return {
    scenario: o.scenario,
    backends: o.backends,
    capacityRps: o.capacityRps,
    durationSeconds: o.durationSeconds,
    faultAtFraction: o.faultAtFraction,
    saturateAtFraction: o.saturateAtFraction,
    hotShare: hotShareAfterFault(o),
  };
}

/** Model time at which the scenario injects its fault; null for 'healthy'. */
export function faultTime(o: ResolvedFleetOptions): number | null {
  return o.scenario === 'healthy' ? null : o.faultAtFraction * o.durationSeconds;
}

/** Inject the scenario's fault now (step() does this at the scripted time). */
export function injectFault(state: FleetState): FleetState {
  const o = state.options;
  if (o.scenario === 'healthy') return state;
  if (o.scenario === 'weight-misconfig') {
    return {
      ...state,
      faultAt: state.t,
      backends: state.backends.map((b, i) => (i === o.hotBackend ? { ...b, weight: o.hotWeight } : b)),
    };
  }
  return { ...state, faultAt: state.t, balancing: 'source-hash', clientGroups: stickyGroups(o) };
}

/** Restore configured weights and weighted balancing (what an operator's fix does). */
export function repair(state: FleetState): FleetState {
  return {
    ...state,
    balancing: 'weights',
    clientGroups: [],
    repairedAt: state.repairedAt ?? state.t,
    backends: state.backends.map((b) => ({ ...b, weight: b.configuredWeight, swrrCurrent: 0 })),
  };
}

/**
 * HAProxy's runtime `set weight`: one server's weight. When every weight is
 * back to the configured one under weighted balancing, that is the repair.
 */
export function setWeight(state: FleetState, name: string, weight: number): FleetState {
  if (!state.backends.some((b) => b.name === name)) throw new RangeError(`no server named ${name}`);
  const backends = state.backends.map((b) => (b.name === name ? { ...b, weight, swrrCurrent: 0 } : b));
  const repaired = state.balancing === 'weights' && state.faultAt !== null && backends.every((b) => b.weight === b.configuredWeight);
  return { ...state, backends, ...(repaired ? { repairedAt: state.repairedAt ?? state.t } : {}) };
}

/** Set a server's status (DOWN and MAINT servers receive no new traffic). */
export function setStatus(state: FleetState, name: string, status: ServerStatus): FleetState {
  if (!state.backends.some((b) => b.name === name)) throw new RangeError(`no server named ${name}`);
  return { ...state, backends: state.backends.map((b) => (b.name === name ? { ...b, status } : b)) };
}

/** Advance the model by `dtSeconds` (split into substeps of at most 100 ms). */
export function step(state: FleetState, dtSeconds: number): FleetState {
  if (!(dtSeconds >= 0) || !Number.isFinite(dtSeconds)) throw new RangeError(`dtSeconds must be >= 0, got ${dtSeconds}`);
  let s = state;
  let left = dtSeconds;
  while (left > 1e-9) {
    const dt = Math.min(MAX_SUBSTEP, left);
    s = substep(s, dt);
    left -= dt;
  }
  return s;
}

function substep(state: FleetState, dt: number): FleetState {
  let s: FleetState = { ...state, t: state.t + dt };
  const ft = faultTime(s.options);
  if (ft !== null && s.faultAt === null && s.t >= ft) s = injectFault(s);
  const o = s.options;

  const loadNoise = noise(s.rng, o.loadNoise);
  let rng = loadNoise.next;
  const rate = offeredLoad(rampParams(o), s.t) * (1 + loadNoise.value);
  const carry = s.offeredCarry + rate * dt;
  const offered = Math.floor(carry);

  const route = routeRequests(s, offered);
  const arrivals = route.arrivals;
  const alpha = 1 - Math.exp(-dt / RATE_TAU_SECONDS);
  const cpuAlpha = 1 - Math.exp(-dt / CPU_TAU_SECONDS);

  let served2xx = 0;
  let timedOutNow = 0;
  const backends = s.backends.map((b, i): BackendState => {
    const a = arrivals[i] ?? 0;
    const perStep = b.capacityRps * dt;
    const credit = b.serviceCredit + perStep;
    const waiting = b.queue + a;
    const served = Math.min(waiting, Math.floor(credit));
    let queue = waiting - served;
    const maxQ = Math.min(o.maxQueue, Math.floor(b.capacityRps * o.queueTimeoutSeconds));
    const timedOut = Math.max(0, queue - maxQ);
    queue -= timedOut;
    // Idle capacity is lost, not banked: keep only the fractional remainder.
    const leftCredit = credit - served;
    const serviceCredit = queue > 0 ? leftCredit : leftCredit - Math.floor(leftCredit);
    const raw = Math.min(1, served / perStep);
    const utilisation = b.utilisation + (raw - b.utilisation) * cpuAlpha;
    const n = noise(rng, o.cpuNoise);
    rng = n.next;
    const jitter = b.status === 'UP' || served > 0 ? n.value : 0;
    const cpu = clamp01(utilisation + jitter);
    served2xx += served;
    timedOutNow += timedOut;
    return {
      ...b,
      queue,
      serviceCredit,
      swrrCurrent: route.swrr[i] ?? b.swrrCurrent,
      utilisation,
      cpu,
      arrivalRate: b.arrivalRate + (a / dt - b.arrivalRate) * alpha,
      currentSessions: queue > 0 ? o.maxconn : Math.min(o.maxconn, Math.ceil(raw * o.maxconn)),
      arrivedTotal: b.arrivedTotal + a,
      servedTotal: b.servedTotal + served,
      timedOutTotal: b.timedOutTotal + timedOut,
      responses: { ...b.responses, '2xx': b.responses['2xx'] + served },
      sessionsTotal: b.sessionsTotal + served,
      cpuSecondsTotal: b.cpuSecondsTotal + clamp01(raw + jitter) * b.cores * dt,
      connectionErrorsTotal: b.connectionErrorsTotal + timedOut,
      saturatedAt: b.saturatedAt ?? (utilisation >= SATURATED ? s.t : null),
    };
  });

  const errorsNow = timedOutNow + route.noServer;
  const total5xx = s.backendResponses['5xx'] + errorsNow;
  const u = o.users;
  return {
    ...s,
    rng: draw(rng).next,
    clientGroups: route.groups,
    offeredRate: rate,
    offeredCarry: carry - offered,
    offeredTotal: s.offeredTotal + offered,
    noServerTotal: s.noServerTotal + route.noServer,
    backends,
    backendResponses: {
      ...s.backendResponses,
      '2xx': s.backendResponses['2xx'] + served2xx,
      '5xx': total5xx,
    },
    first5xxAt: s.first5xxAt ?? (errorsNow > 0 ? s.t : null),
    // Each 5xx lands on a uniformly random user: E[users hit] = U(1 - (1 - 1/U)^k).
    usersAffected: u * (1 - Math.pow(1 - 1 / u, total5xx)),
  };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Per-server summary for views and the control API. */
export interface BackendSummary {
  readonly name: string;
  readonly status: ServerStatus;
  readonly weight: number;
  /** Share of the pool's (smoothed) arrivals, 0..1. */
  readonly share: number;
  /** Share the current weights give it among UP servers, 0..1. */
  readonly weightShare: number;
  readonly cpu: number;
  readonly queue: number;
  /** 503s the balancer answered for requests queued on this server. */
  readonly errors5xx: number;
  readonly saturatedAt: number | null;
}

export function summarize(state: FleetState): BackendSummary[] {
  const totalRate = state.backends.reduce((acc, b) => acc + (b.status === 'UP' ? b.arrivalRate : 0), 0);
  const totalWeight = state.backends.reduce((acc, b) => acc + (b.status === 'UP' ? b.weight : 0), 0);
  return state.backends.map((b) => ({
    name: b.name,
    status: b.status,
    weight: b.weight,
    share: b.status === 'UP' && totalRate > 0 ? b.arrivalRate / totalRate : 0,
    weightShare: b.status === 'UP' && totalWeight > 0 ? b.weight / totalWeight : 0,
    cpu: b.cpu,
    queue: b.queue,
    errors5xx: b.timedOutTotal,
    saturatedAt: b.saturatedAt,
  }));
}
