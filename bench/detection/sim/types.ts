// The simulated fleet's vocabulary: one HAProxy backend ("pool") and its
// servers, shaped like what HAProxy 2.6's exporter and a node or process
// exporter per server report (see /work/shared/FIELD-NOTES.md).

/** HAProxy `balance` algorithms the simulator implements. */
export type Balance =
  | 'roundrobin' // smooth weighted round robin: near-exact shares; skips a server at maxconn (spill)
  | 'random' // each request to a server drawn with probability weight/total: Poisson per server
  | 'first' // the first server (in order) with a free connection slot takes the request
  | 'source' // map-based hash of the client address over the weight slots of usable servers; no spill
  | 'uri-consistent'; // consistent hash of the URI on a ring (hash-type consistent); no spill

/** The admin state set through the runtime API (`set server be/s state ...`). */
export type AdminState = 'READY' | 'MAINT' | 'DRAIN';

/** What the exporter's haproxy_server_status says (one series per state, 1 for the current one). */
export type ReportedStatus = 'UP' | 'DOWN' | 'MAINT' | 'DRAIN';

export interface ServerSpec {
  readonly name: string;
  /** CPU cores of the server's host. */
  readonly cores: number;
  /** Configured weight (HAProxy `weight`). */
  readonly weight: number;
  /** HAProxy `backup`: takes traffic only when no primary server is usable. */
  readonly backup?: boolean;
  /** HAProxy `maxconn` per server; 0 or absent = unlimited (the default). */
  readonly maxconn?: number;
  /**
   * Requests the application holds at most (accepted, waiting for a CPU);
   * beyond it the application itself answers 503 (per-server 5xx). 0 = unbounded.
   */
  readonly appLimit?: number;
  /** CPU-seconds one request costs. */
  readonly serviceTime: number;
  /** Cores used by something other than this application on the same host (a noisy neighbour, a baseline). */
  readonly bgCores?: number;
  /** HAProxy `slowstart` in seconds: the effective weight ramps from 0 after the server comes up. */
  readonly slowstart?: number;
  /** Present from the start (false: joins later through an event). */
  readonly present?: boolean;
}

/** A client address (source hash) or a URI (consistent hash) with its share of the offered load. */
export interface HashKey {
  /** 32-bit hash position. */
  readonly hash: number;
  /** Relative request weight; the load function scales it. */
  share: number;
}

export interface PoolSpec {
  readonly name: string;
  readonly balance: Balance;
  readonly servers: readonly ServerSpec[];
  /** HAProxy `timeout queue` in seconds: a request waiting longer is answered 503 by HAProxy. */
  readonly timeoutQueue?: number;
  /** Clients (source) or URIs (uri-consistent). */
  readonly keys?: readonly HashKey[];
  /** Health check interval (`inter`, s), `fall` and `rise`. Default 2 s, 3, 2. */
  readonly check?: { readonly inter: number; readonly fall: number; readonly rise: number };
}

/** Ground truth the benchmark judges against; never visible to skewwatch. */
export interface Truth {
  /** First simulated second with any 5xx (server-side shedding or HAProxy's queue timeout), null if none. */
  first5xxAt: number | null;
  total5xx: number;
  /** First second a server ran at its CPU limit with work waiting, or held maxconn sessions. */
  firstSaturatedAt: number | null;
  lastSaturatedAt: number | null;
  saturatedSeconds: number;
  /** Highest per-server CPU utilisation (app + background) / cores seen, over 1 s steps. */
  maxUtilisation: number;
  /** Requests offered and answered (any code). */
  offered: number;
}
