// One simulated server: its configuration, what HAProxy knows about it
// (health as checked, weight, sessions, queue) and its cumulative counters.
// Mutable on purpose: the fleet steps millions of server-seconds per run.
import type { AdminState, ReportedStatus, ServerSpec } from './types.js';

/** Cohorts of requests waiting in a HAProxy queue: [arrival second, count], oldest first. */
export type Cohorts = Array<[number, number]>;

export class SimServer {
  readonly name: string;
  cores: number;
  /** User weight (uweight): what the config or the runtime API set. */
  weight: number;
  readonly backup: boolean;
  maxconn: number;
  appLimit: number;
  serviceTime: number;
  bgCores: number;
  slowstart: number;
  /** Listed in the exposition (false before an autoscaled server joins and after it leaves). */
  present: boolean;

  // ---- state
  /** The process is running and answering. */
  alive = true;
  admin: AdminState = 'READY';
  /** Health as HAProxy's checks see it. */
  checkedUp = true;
  streak = 0;
  /** Second of the last reported status change (check_last_change_seconds is measured from it). */
  lastChangeAt = -3600;
  /** Second the server last became usable (slow start ramps from it). */
  upSince = -3600;
  /** Requests inside the application (accepted, not answered). */
  backlog = 0;
  /** Fractional service capacity carried between steps. */
  serviceCredit = 0;
  /** Round-robin credit (fraction of a request owed). */
  rrCredit = 0;
  readonly queue: Cohorts = [];
  queueLength = 0;
  sessions = 0;
  /**
   * Average response time of recent responses, seconds (HAProxy averages the
   * last 1024). A server present from the start has been up for an hour
   * (lastChangeAt): its average has converged, to its unloaded time here, not
   * 0, which would read a quiet peer as fast for minutes (a server that joins
   * later starts from 0, as HAProxy's stats of a new server do).
   */
  responseTime: number;
  /** Consecutive seconds with work left over at the end of the second. */
  busyStreak = 0;
  /** Per-step scratch of Fleet.step: requests admitted this second, and room left (Infinity without maxconn). */
  admitted = 0;
  room = 0;
  /** Per-step scratch of the routing (routing.ts): requests offered this second, and offered again by a spill pass. */
  want = 0;
  spill = 0;

  // ---- counters as the exporters show them (reset by a reload / restart)
  r2xx = 0;
  r3xx = 0;
  r4xx = 0;
  r5xx = 0;
  sessionsTotal = 0;
  connectionErrors = 0;
  /** Host CPU seconds busy (node exporter: every process). */
  hostCpuSeconds = 0;
  /** The application's own CPU seconds (process exporter). */
  appCpuSeconds = 0;

  constructor(spec: ServerSpec) {
    this.name = spec.name;
    this.cores = spec.cores;
    this.weight = spec.weight;
    this.backup = spec.backup === true;
    this.maxconn = spec.maxconn ?? 0;
    this.appLimit = spec.appLimit ?? 0;
    this.serviceTime = spec.serviceTime;
    this.bgCores = spec.bgCores ?? 0;
    this.slowstart = spec.slowstart ?? 0;
    this.present = spec.present !== false;
    this.responseTime = this.present ? spec.serviceTime : 0;
  }

  /** What haproxy_server_status reports. */
  get status(): ReportedStatus {
    if (this.admin === 'MAINT') return 'MAINT';
    if (!this.checkedUp) return 'DOWN';
    return this.admin === 'DRAIN' ? 'DRAIN' : 'UP';
  }

  /** Takes new requests from the balancer (UP, not drained, not in maintenance, present). */
  get usable(): boolean {
    return this.present && this.admin === 'READY' && this.checkedUp;
  }

  /** Requests per second the application can serve with the cores left to it. */
  get capacity(): number {
    return this.alive ? Math.max(0, this.cores - this.bgCores) / this.serviceTime : 0;
  }

  /**
   * Effective weight at second `t`: the user weight, ramped linearly over
   * `slowstart` after the server became usable, as HAProxy does.
   */
  effectiveWeight(t: number): number {
    if (!this.usable || this.weight <= 0) return 0;
    if (this.slowstart > 0) {
      const f = (t - this.upSince) / this.slowstart;
      if (f < 1) return this.weight * Math.max(f, 0.01);
    }
    return this.weight;
  }

  /** Resets every counter to zero (HAProxy reload, exporter restart). */
  resetBalancerCounters(): void {
    this.r2xx = this.r3xx = this.r4xx = this.r5xx = 0;
    this.sessionsTotal = this.connectionErrors = 0;
  }

  totalResponses(): number {
    return this.r2xx + this.r3xx + this.r4xx + this.r5xx;
  }
}
