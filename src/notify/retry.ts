// Back-off and pacing, as pure functions of (state, now, random). No timers:
// the outbox stores the next attempt time and the caller decides when to call
// deliverDue again (tests advance a fake clock instead of sleeping).

export interface RetryPolicy {
  /** First retry delay ceiling. Default 1 s. */
  readonly baseDelayMs: number;
  /** Ceiling of any single delay. Default 5 min. */
  readonly maxDelayMs: number;
  /** Give up (dropped_expired) when an entry has waited longer than this since enqueue. Default 24 h. */
  readonly maxAgeMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ baseDelayMs: 1000, maxDelayMs: 5 * 60_000, maxAgeMs: 24 * 60 * 60_000 });

/**
 * Exponential back-off with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter", 2015): delay = random() * min(max, base * 2^(attempt-1)).
 * A server's Retry-After is a floor, never shortened by the jitter.
 * `attempt` is the number of failed attempts so far (>= 1).
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(0, attempt - 1), 40));
  const r = Math.min(1, Math.max(0, random()));
  const jittered = Math.floor(r * exp);
  return Math.max(jittered, retryAfterMs ?? 0);
}

export function checkRetryPolicy(p: RetryPolicy): RetryPolicy {
  if (!(p.baseDelayMs > 0) || !(p.maxDelayMs >= p.baseDelayMs) || !(p.maxAgeMs > 0)) {
    throw new RangeError('retry policy needs 0 < baseDelayMs <= maxDelayMs and maxAgeMs > 0');
  }
  return p;
}

/**
 * Token bucket on an injected time axis: `perSecond` tokens accrue, at most
 * `burst` are kept. take(now) spends one token when available.
 */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError('token bucket needs perSecond > 0 and burst >= 1');
    this.tokens = burst;
  }

  private refill(now: number): void {
    if (this.last === undefined) {
      this.last = now;
      return;
    }
    const dt = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (dt / 1000) * this.perSecond);
    this.last = now;
  }

  /** Spend a token if one is available at `now`. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens >= 1 - 1e-9) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Earliest time a token is available (now when one is). */
  nextAvailableAt(now: number): number {
    this.refill(now);
    if (this.tokens >= 1 - 1e-9) return now;
    return now + Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
