// The data contract between sources, the pure analysis core, the alert
// lifecycle and the sinks. Everything here is plain data (JSON-serialisable)
// so that snapshots can be recorded, replayed and persisted unchanged.
import type { BalancerChange } from './changes/changes.js';
import type { PoolDrift } from './declared/drift.js';

/** Backend health as the balancer reports it. */
export type Health = 'up' | 'down' | 'maint';

/** One backend of one pool, as collected at one instant. */
export interface BackendSample {
  /** Backend identity inside the pool (HAProxy `server`, Envoy host, pod name). */
  readonly backend: string;
  /** Requests per second over the rate window. NaN/negative are treated as missing by the core. */
  readonly rate: number;
  /**
   * Requests counted over the window, for significance tests. When absent the
   * core uses rate * windowSeconds.
   */
  readonly count?: number;
  /** CPU in use, in cores (rate of cpu-seconds). */
  readonly cpu?: number;
  /** CPU available to the backend, in cores. Falls back to the pool's hint. */
  readonly cpuCapacity?: number;
  /** Configured balancer weight. Unknown means "assume equal". */
  readonly weight?: number;
  readonly health: Health;
  /** Requests waiting for this backend in the balancer's queue (HAProxy server queue). */
  readonly queue?: number;
  /** 5xx responses per second attributed to this backend, when known. */
  readonly errorRate?: number;
  /**
   * A backup server (HAProxy `backup`): by design it takes traffic only when
   * no primary is up, so it is not expected to share the load otherwise.
   */
  readonly backup?: boolean;
  /**
   * Seconds since the backend's health last changed, when the source knows
   * (HAProxy `haproxy_server_last_state_change_seconds`). A backend that came
   * up within the rate window is still warming up.
   */
  readonly stateAgeSeconds?: number;
  /** Average response time in seconds as the balancer measures it (HAProxy `haproxy_server_response_time_average_seconds`). */
  readonly responseTime?: number;
  /** Sessions/connections open to this backend at the balancer now (HAProxy `haproxy_server_current_sessions`). */
  readonly sessions?: number;
  /** Configured limit of concurrent sessions (HAProxy `maxconn`, `haproxy_server_limit_sessions`), when set. */
  readonly sessionLimit?: number;
}

/** All backends behind one balancer backend/service at one instant. */
export interface PoolSample {
  /** Stable identity: the pool label values joined with '/', e.g. "be_app". */
  readonly pool: string;
  /** The label values that identify the pool (e.g. { proxy: "be_app" }). */
  readonly labels: Readonly<Record<string, string>>;
  readonly backends: readonly BackendSample[];
  /** Length of the rate window in seconds (used to turn rates into counts). */
  readonly windowSeconds: number;
  /** Per-backend CPU capacity hint in cores, when the source has no capacity signal. */
  readonly cpuCapacityHint?: number;
}

/** One collection cycle's result. `at` is epoch milliseconds. */
export interface Snapshot {
  readonly at: number;
  readonly pools: readonly PoolSample[];
  /**
   * Configured signals that gave nothing usable this cycle (the query failed,
   * or none of its series joined a backend of the rate query): skewwatch is
   * partially blind. Absent when the source does not check (scrape mode).
   */
  readonly missingSignals?: readonly MissingSignal[];
}

export interface MissingSignal {
  /** The signal: cpu, weight, health, cpuCapacity, queue, errors. */
  readonly signal: string;
  /** Where it is configured, for people: `source.queries.cpu`, or `preset haproxy (weight)`. */
  readonly configKey: string;
  readonly reason: string;
}

export type Severity = 'ok' | 'warning' | 'critical';

/** Why a verdict is not ok; stable codes that rules and messages can match on. */
export type ReasonCode =
  | 'skew'            // significant, sizeable deviation from the expected distribution
  | 'overweighted'    // traffic follows the weights, but a backend gets more than its share of CPU capacity
  | 'hot'             // a skewed-hot backend is above the hot utilisation threshold
  | 'saturating'      // a skewed-hot backend is forecast to saturate within the horizon
  | 'pouring'         // most of the pool's traffic lands on a backend that should share it
  | 'queueing'        // requests are waiting in the balancer queue for a hot backend
  | 'cpu-not-traffic' // CPU is skewed while requests are not: look past the balancer
  | 'strained'        // the balancer itself shows a backend at its limit (response time, sessions vs limit) while it takes a concentrated share
  | 'capacity-loss'   // most of the pool's in-service capacity left service recently while its traffic stayed: the survivors saturate
  | 'no-healthy';     // nothing is up to take traffic

export interface BackendStat {
  readonly backend: string;
  readonly health: Health;
  readonly weight: number | null;
  readonly rate: number;
  /** Observed share of the pool's traffic among up backends, 0..1. 0 for non-up. */
  readonly share: number;
  /** Share the configuration intends, 0..1. 0 for non-up backends. */
  readonly expectedShare: number;
  /** share / expectedShare; 1 is perfect. 0 for non-up backends. */
  readonly ratio: number;
  /** CPU use / capacity in 0..1 (can exceed 1 if capacity is understated), null when unknown. */
  readonly utilisation: number | null;
  readonly queue: number | null;
  /** Robust z-score of the ratio among up backends (modified z-score). */
  readonly z: number;
  readonly outlier: 'hot' | 'starved' | null;
}

export interface PoolStats {
  /** Highest observed/expected ratio among up backends (the hottest backend). */
  readonly peakRatio: number;
  /** Lowest observed/expected ratio among up backends (the coldest). */
  readonly minRatio: number;
  /** Coefficient of variation of the ratios. */
  readonly cv: number;
  /** Gini coefficient of the ratios, 0 (equal) .. 1. */
  readonly gini: number;
  /** Jain's fairness index of the ratios, in [1/n, 1]. */
  readonly jain: number;
  /** Relative-entropy based evenness, 1 = observed matches expected. */
  readonly entropy: number;
  /** Largest |share - expectedShare| in percentage points. */
  readonly maxDeviationPp: number;
  /** G statistic of observed counts against expected shares. */
  readonly gStatistic: number;
  /**
   * p-value of the G-test (chi-square, n-1 degrees of freedom); below 5
   * expected requests per backend, the Bonferroni bound over exact binomial
   * per-backend tests (docs/statistics.md §4). 1 when untestable.
   */
  readonly pValue: number;
  /** Requests in the window the test was based on. */
  readonly volume: number;
  /** True when p < alpha AND the volume guard is met. */
  readonly significant: boolean;
}

export interface CpuStats {
  readonly hottest: string | null;
  readonly maxUtilisation: number | null;
  /** Coefficient of variation of utilisation across up backends. */
  readonly spread: number | null;
  /** Pearson correlation between request share and CPU share; null when not computable. */
  readonly followsRequests: boolean | null;
}

export interface Forecast {
  readonly backend: string;
  /** Seconds until utilisation crosses the threshold; null when not rising (or unknown). */
  readonly secondsToSaturation: number | null;
  /** Utilisation change per second from the robust trend fit. */
  readonly slopePerSecond: number;
  readonly threshold: number;
  readonly current: number;
}

/** The pure analysis result for one pool at one instant. */
export interface PoolVerdict {
  readonly pool: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly at: number;
  readonly severity: Severity;
  readonly reasons: readonly ReasonCode[];
  /** One line a person can act on. */
  readonly explanation: string;
  readonly totalRate: number;
  readonly upCount: number;
  /** Backends that are down or in maintenance, excluded from the expected distribution. */
  readonly unavailable: readonly string[];
  /**
   * Up backends left out of the comparison because their rate was unusable
   * (NaN, infinite, or negative: an upstream counter reset). Optional for
   * compatibility; the core always sets it.
   */
  readonly missing?: readonly string[];
  /**
   * Up backends that came up within the rate window (slow start): left out of
   * the expected distribution and the tests, so neither they nor their peers
   * are judged skewed for it. Optional for compatibility; the core sets it.
   */
  readonly warming?: readonly string[];
  /** Up backup servers standing by while a primary is up: no expected share. */
  readonly backups?: readonly string[];
  /** Up backends without a weight while their peers have one: not judged (never assumed equal). */
  readonly unweighted?: readonly string[];
  readonly hot: readonly string[];
  readonly starved: readonly string[];
  /**
   * True when this cycle's data cannot judge the pool (e.g. every rate was
   * invalid after an exporter restart): the alert lifecycle treats it as
   * missing data and holds state, never as recovery.
   */
  readonly dataGap?: boolean;
  /**
   * Balancer changes seen in this pool within the look-back (weights,
   * states, members), oldest first: the likely cause a page names.
   */
  readonly changes?: readonly BalancerChange[];
  /** Declared vs running, when a declaration covers this pool. */
  readonly drift?: PoolDrift;
  readonly stats: PoolStats;
  readonly cpu: CpuStats;
  readonly forecast: Forecast | null;
  readonly backends: readonly BackendStat[];
}

/**
 * Short per-pool history the forecast needs: one point per cycle, oldest
 * first. Compact on purpose (it is kept for every pool and rebuilt every
 * cycle): backend names are stored once, points are runs of numbers in
 * blocks, and full blocks are shared, unchanged, by successive histories of
 * a pool (see src/core/analysis/history.ts). Plain JSON data: persisted in the state
 * file and restored with JSON.parse.
 */
export interface PoolHistory {
  /** Columns: distinct backend names, the sample's order first. */
  readonly names: readonly string[];
  /**
   * Points in blocks of at most HISTORY_BLOCK points. A point is
   * `names.length + 2` numbers: at (epoch ms), traffic (1 when some up
   * backend had a positive request rate, else 0), then the utilisation of
   * each name in order (-1 when unknown: not up, or no CPU).
   */
  readonly blocks: readonly (readonly number[])[];
  /** Leading points of blocks[0] that have aged out (the block stays shared rather than being copied). */
  readonly skip: number;
  /**
   * Per column, the last weight the backend had while up (-1 unknown):
   * what a server put in MAINT or DRAIN carried before (its reported
   * weight drops to 0). Optional: older state files lack it.
   */
  readonly weights?: readonly number[];
}
