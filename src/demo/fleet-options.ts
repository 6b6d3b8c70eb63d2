// Options of the simulated fleet, their defaults and their validation.

import type { Scenario } from './scenarios.js';

export interface FleetOptions {
  scenario?: Scenario;
  /** Number of servers, 2..500. Default 4. */
  backends?: number;
  /** Length of the scripted run in seconds; the load ramp is scaled to it. Default 120. */
  durationSeconds?: number;
  seed?: number;
  /** Requests per second one server handles at 100 % CPU. Default 100. */
  capacityRps?: number;
  /** CPU cores per server (capacityRps is reached with all of them busy). Default 1. */
  cores?: number;
  /** When the fault is injected, as a fraction of the duration. Default 0.25. */
  faultAtFraction?: number;
  /** When the hot server should reach 100 % CPU, as a fraction of the duration. Default 0.65. */
  saturateAtFraction?: number;
  /** Index of the server the fault makes hot. Default 1 ("s2"), or 0 with one server. */
  hotBackend?: number;
  /** weight-misconfig: the hot server's weight after the fault (others stay 1). Default 8. */
  hotWeight?: number;
  /** sticky-clients: share of the traffic the hot server gets. Default 0.6. */
  stickyShare?: number;
  /** sticky-clients: number of client groups (source addresses). Default 8. */
  stickyClients?: number;
  /** HAProxy `timeout queue` in seconds. Default 2. */
  queueTimeoutSeconds?: number;
  /** Queue length cap per server (HAProxy `maxqueue`). Default 1000. */
  maxQueue?: number;
  /** Per-server connection limit, used for current_sessions. Default 10. */
  maxconn?: number;
  /** Simulated users, to count how many saw a 5xx. Default 1000. */
  users?: number;
  /** Amplitude of the CPU noise (absolute utilisation). Default 0.015. */
  cpuNoise?: number;
  /** Amplitude of the offered-load noise (relative). Default 0.02. */
  loadNoise?: number;
}

export type ResolvedFleetOptions = Readonly<Required<FleetOptions>>;

export function resolveOptions(o: FleetOptions = {}): ResolvedFleetOptions {
  const backends = o.backends ?? 4;
  if (!Number.isInteger(backends) || backends < 2 || backends > 500) {
    throw new RangeError(`backends must be an integer in 2..500, got ${backends}`);
  }
  const durationSeconds = o.durationSeconds ?? 120;
  if (!(durationSeconds > 0)) throw new RangeError(`durationSeconds must be > 0, got ${durationSeconds}`);
  const faultAtFraction = o.faultAtFraction ?? 0.25;
  const saturateAtFraction = o.saturateAtFraction ?? 0.65;
  if (!(faultAtFraction >= 0 && faultAtFraction < saturateAtFraction && saturateAtFraction <= 1)) {
    throw new RangeError('need 0 <= faultAtFraction < saturateAtFraction <= 1');
  }
  const hotBackend = o.hotBackend ?? 1;
  if (!Number.isInteger(hotBackend) || hotBackend < 0 || hotBackend >= backends) {
    throw new RangeError(`hotBackend must be an index in 0..${backends - 1}, got ${hotBackend}`);
  }
  const stickyShare = o.stickyShare ?? 0.6;
  if (!(stickyShare > 0 && stickyShare < 1)) throw new RangeError('stickyShare must be in (0, 1)');
  return {
    scenario: o.scenario ?? 'weight-misconfig',
    backends,
    durationSeconds,
    seed: o.seed ?? 1,
    capacityRps: positive('capacityRps', o.capacityRps ?? 100),
    cores: positive('cores', o.cores ?? 1),
    faultAtFraction,
    saturateAtFraction,
    hotBackend,
    hotWeight: positive('hotWeight', o.hotWeight ?? 8),
    stickyShare,
    stickyClients: Math.max(2, Math.floor(o.stickyClients ?? 8)),
    queueTimeoutSeconds: positive('queueTimeoutSeconds', o.queueTimeoutSeconds ?? 2),
    maxQueue: positive('maxQueue', o.maxQueue ?? 1000),
    maxconn: positive('maxconn', o.maxconn ?? 10),
    users: positive('users', o.users ?? 1000),
    cpuNoise: Math.max(0, o.cpuNoise ?? 0.015),
    loadNoise: Math.max(0, o.loadNoise ?? 0.02),
  };
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}
