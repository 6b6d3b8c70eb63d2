// A labelled situation: a simulated pool, its offered load over time, the
// events that happen to it, what skewwatch can see of it, and, for a fault,
// when it starts and what counts as detecting it.
import type { ReasonCode } from '../../src/core/types.js';
import type { Fleet } from './sim/fleet.js';
import type { PoolSpec } from './sim/types.js';

export type Kind = 'benign' | 'fault';

/**
 * What counts as detected, for a fault:
 * - before-5xx: a page after the fault starts and before the simulated first 5xx;
 * - while-saturated: a page after the fault starts, while (or before) the hot server is saturated (spill, no 5xx);
 * - within-2-cycles: a page within two scrape intervals of the fault becoming visible (total outage: the 5xx start at once).
 */
export type Detection = 'before-5xx' | 'while-saturated' | 'within-2-cycles';

/** Where CPU comes from: node_exporter per server (capacity reported), process metrics (no capacity), none, or node_exporter for some servers only. */
export type CpuSource = 'node' | 'process' | 'none' | 'partial';

export interface SimEvent {
  /** Simulated second the event happens at (before that second is stepped). */
  readonly at: number;
  readonly apply: (fleet: Fleet, ctx: EventContext) => void;
}

/** Per-run switches the harness reads when it renders a scrape. */
export interface EventContext {
  /** Servers whose weight line is missing from the next balancer scrape. */
  hideWeightOnce: Set<string>;
  /** Servers whose CPU exporter fails its next scrape. */
  cpuFailOnce: Set<string>;
  /** Balancer scrapes that fail from now on (a gap), counted down per cycle. */
  balancerFailCycles: number;
  /** Process-exporter restarts: the CPU counter starts again from 0. */
  restartApp(server: string): void;
}

export interface Scenario {
  readonly family: string;
  readonly kind: Kind;
  readonly seed: number;
  /** Servers in the pool (primaries and backups, present or joining later). */
  readonly size: number;
  /** One line for the run list: what is special about this run. */
  readonly label: string;
  readonly pool: PoolSpec;
  /** Simulated seconds. */
  readonly duration: number;
  /** Offered requests per second at second t. */
  readonly load: (t: number) => number;
  readonly events: readonly SimEvent[];
  readonly cpu: CpuSource;
  /** For cpu 'partial': servers that have no CPU exporter. */
  readonly noCpu?: ReadonlySet<string>;
  /** Export haproxy_server_backup (HAProxy 3.0+); default true. */
  readonly backupMetric?: boolean;
  /** Faults: the second the fault starts. */
  readonly faultAt?: number;
  readonly detection?: Detection;
  /**
   * Benign situations where a warning is the right answer (a noisy
   * neighbour: "look past the balancer"): warnings carrying this reason are
   * expected, not false. Pages are false regardless.
   */
  readonly expectedWarning?: ReasonCode;
}

/** Server names s01, s02, ... (zero-padded so they sort). */
export function serverName(i: number, size: number): string {
  return `s${String(i + 1).padStart(Math.max(2, String(size).length), '0')}`;
}

// ---- event helpers ---------------------------------------------------------

/** The process stops (clean shutdown: in-flight requests finish); checks mark it DOWN after `fall` checks. */
export function kill(f: Fleet, name: string): void {
  const s = f.server(name);
  s.alive = false;
  s.r2xx += s.backlog;
  s.backlog = 0;
}

/** The process is back; checks mark it UP after `rise` checks. */
export function revive(f: Fleet, name: string): void {
  f.server(name).alive = true;
}

/** `set server be/s state maint|drain|ready` through the runtime API: immediate. */
export function setAdmin(f: Fleet, name: string, state: 'READY' | 'MAINT' | 'DRAIN'): void {
  const s = f.server(name);
  if (s.admin === state) return;
  const wasUsable = s.usable;
  s.admin = state;
  s.lastChangeAt = f.t;
  if (!wasUsable && s.usable) s.upSince = f.t;
}

/** A new server (autoscaling, a new pod) appears in the backend, healthy after its first checks. */
export function join(f: Fleet, name: string): void {
  const s = f.server(name);
  s.present = true;
  s.alive = true;
  s.checkedUp = false;
  s.streak = 0;
  s.lastChangeAt = f.t;
}

/** A server is removed from the backend (scale in): its series vanish. */
export function leave(f: Fleet, name: string): void {
  const s = f.server(name);
  s.r2xx += s.backlog;
  s.backlog = 0;
  s.present = false;
}
