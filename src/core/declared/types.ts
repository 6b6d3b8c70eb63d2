// What the balancer is supposed to run, as the user declared it (an HAProxy
// config file, or a `declared:` map per pool in skewwatch's own config).
// Plain data owned by the core: the drift check compares live samples with
// it, and `skewwatch audit` lints it.

/** Where a declaration came from, for messages and SARIF locations. */
export interface DeclaredAt {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
}

export interface DeclaredServer {
  readonly name: string;
  /** Address as written (host:port, or an unresolved name). */
  readonly address: string;
  /** Configured weight (HAProxy default 1; 0..256). */
  readonly weight: number;
  readonly backup: boolean;
  /** `disabled`: starts in maintenance. */
  readonly disabled: boolean;
  /** Per-server connection limit; null when unlimited. */
  readonly maxconn: number | null;
  /** Slow-start ramp in ms; null when not set. */
  readonly slowstartMs: number | null;
  /** Health checks enabled. */
  readonly check: boolean;
  readonly at: DeclaredAt;
}

export interface DeclaredPool {
  /** Pool identity as skewwatch reports it (HAProxy: the backend/listen name). */
  readonly pool: string;
  /** `balance` algorithm, e.g. roundrobin, leastconn, source, uri, hdr(host). */
  readonly balance: string;
  /** `hash-type` method: map-based (default) or consistent. */
  readonly hashType: string;
  /** `timeout queue` in ms, null when unset (HAProxy then uses `timeout connect`). */
  readonly timeoutQueueMs: number | null;
  readonly servers: readonly DeclaredServer[];
  readonly at: DeclaredAt;
}

/** A line of the declaration that could not be understood. */
export interface DeclaredProblem {
  readonly at: DeclaredAt;
  readonly message: string;
}

export interface DeclaredConfig {
  readonly pools: readonly DeclaredPool[];
  readonly problems: readonly DeclaredProblem[];
}

/** An expected, temporary difference from the declaration (a canary, a deliberate drain). */
export interface DeclaredOverride {
  readonly pool: string;
  readonly server: string;
  readonly weight?: number | undefined;
  readonly state?: 'maint' | 'disabled' | undefined;
  /** Epoch ms; the override is ignored from then on. */
  readonly expiresAt: number;
}
