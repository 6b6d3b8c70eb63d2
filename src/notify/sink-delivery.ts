// Delivery to one sink: up to `concurrency` workers take the due lane heads,
// oldest first, through the sink's token bucket; a retryable failure backs off
// that lane alone (exponential back-off with full jitter), and a Retry-After
// pauses the whole sink (the receiver speaks for itself, not for a payload).

import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import type { Notifier, SendResult } from './notifier.js';
import type { DeliveryResult } from './outbox-types.js';
import type { DoneOutcome, OutboxEntry } from './outbox-state.js';
import type { Lanes } from './outbox-queue.js';
import { backoffDelay, type RetryPolicy, type TokenBucket } from './retry.js';

/** Sends per sink in one round at most, so that a round (and the state save after it) never waits on a long queue. */
export const MAX_SENDS_PER_ROUND = 64;

/** What a sink's delivery needs from the outbox. */
export interface DeliveryContext {
  readonly clock: Clock;
  readonly log: Logger | undefined;
  readonly random: () => number;
  readonly policy: RetryPolicy;
  /** Entries being sent right now (any sink). */
  readonly inFlight: Set<OutboxEntry>;
  finish(e: OutboxEntry, outcome: DoneOutcome, results: DeliveryResult[] | null, extra: { message?: string; status?: number }): void;
  report(results: DeliveryResult[] | null, r: DeliveryResult): void;
}

export class SinkDelivery {
  /** The receiver asked us to wait (Retry-After) until then: nothing is sent to it before. */
  pausedUntil = 0;
  /** Last failure signature, to log on change instead of on every retry. */
  private failing: string | null = null;

  constructor(
    readonly notifier: Notifier,
    readonly bucket: TokenBucket | null,
    readonly concurrency: number,
    private readonly ctx: DeliveryContext,
  ) {}

  /** When this sink may next send, given the earliest due time of its lane heads (Retry-After pause, token bucket). */
  dueAt(headDueAt: number, now: number): number {
    let t = Math.max(headDueAt, this.pausedUntil);
    if (this.bucket && t <= now) t = Math.max(t, this.bucket.nextAvailableAt(now));
    return t;
  }

  /** Runs the sink's workers over its lanes; returns how many due heads were left waiting (rate limit, pause, concurrency, abort). */
  async deliver(lanes: Lanes, now: number, signal: AbortSignal, results: DeliveryResult[]): Promise<number> {
    // Nothing queued (most rounds): no workers, no promises. Same outcome as
    // the loop below over no lanes: nothing sent, expired or deferred.
    if (lanes.size === 0) return 0;
    this.expire(lanes, results);
    const tried = new Set<OutboxEntry>();
    let sends = 0;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop && !signal.aborted && sends < MAX_SENDS_PER_ROUND) {
        const t = this.ctx.clock.now();
        if (this.pausedUntil > t) return;
        const e = this.nextHead(lanes, Math.max(now, t), tried);
        if (!e) return;
        if (this.bucket && !this.bucket.take(t)) {
          stop = true;
          return;
        }
        tried.add(e);
        sends++;
        await this.deliverOne(e, signal, results);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    let deferred = 0;
    const t = Math.max(now, this.ctx.clock.now());
    for (const lane of lanes.values()) {
      const head = lane[0]!;
      if (!tried.has(head) && !this.ctx.inFlight.has(head) && head.nextAttemptAt <= t) deferred++;
    }
    return deferred;
  }

  /** The due lane head with the lowest seq that is not in flight and not yet tried this round. */
  private nextHead(lanes: Lanes, now: number, tried: ReadonlySet<OutboxEntry>): OutboxEntry | undefined {
    let best: OutboxEntry | undefined;
    for (const lane of lanes.values()) {
      const head = lane[0]!;
      if (head.nextAttemptAt > now || tried.has(head) || this.ctx.inFlight.has(head)) continue;
      if (!best || head.seq < best.seq) best = head;
    }
    return best;
  }

  private async deliverOne(e: OutboxEntry, signal: AbortSignal, results: DeliveryResult[]): Promise<void> {
    const res = await this.attempt(e, signal);
    if (res.ok) {
      this.ctx.finish(e, 'sent', results, {});
      if (this.failing !== null) {
        this.ctx.log?.info({ sink: this.notifier.name }, 'notification delivery recovered');
        this.failing = null;
      }
      return;
    }
    // Shutdown, not a failure: leave the entry exactly as it was.
    if (res.aborted) return;
    const message = redactText(res.message);
    if (!res.retryable) {
      this.ctx.finish(e, 'failed_final', results, { message, ...(res.status !== undefined ? { status: res.status } : {}) });
      this.ctx.log?.error(
        { sink: this.notifier.name, notificationId: e.notification.id, dedupKey: e.notification.dedupKey, status: res.status, error: message },
        'notification dropped: final failure',
      );
      return;
    }
    this.scheduleRetry(e, res, message, results);
  }

  private async attempt(e: OutboxEntry, signal: AbortSignal): Promise<SendResult> {
    this.ctx.inFlight.add(e);
    const startedAt = this.ctx.clock.now();
    try {
      const notifier = this.notifier;
      const r = await notifier.send(e.notification, signal);
      if (r.ok || !r.aborted) e.firstAttemptAt ??= startedAt;
      return r;
    } catch (err) {
      // A notifier should not throw; if one does, treat it as transient.
      if (signal.aborted) return { ok: false, retryable: true, aborted: true, message: `${this.notifier.name}: aborted` };
      e.firstAttemptAt ??= startedAt;
      return { ok: false, retryable: true, message: redactText(`${this.notifier.name}: ${errorMessage(err)}`) };
    } finally {
      this.ctx.inFlight.delete(e);
    }
  }

  private scheduleRetry(e: OutboxEntry, res: Extract<SendResult, { ok: false }>, message: string, results: DeliveryResult[]): void {
    const t = this.ctx.clock.now();
    e.attempts += 1;
    e.lastError = message;
    if (res.status !== undefined) e.lastStatus = res.status;
    else delete e.lastStatus;
    if (t - e.enqueuedAt >= this.ctx.policy.maxAgeMs) {
      this.ctx.finish(e, 'dropped_expired', results, { message: `gave up after ${e.attempts} attempts: ${message}` });
      return;
    }
    const delay = backoffDelay(e.attempts, this.ctx.policy, this.ctx.random, res.retryAfterMs);
    // One last attempt at the deadline rather than silently skipping it.
    e.nextAttemptAt = Math.min(t + delay, e.enqueuedAt + this.ctx.policy.maxAgeMs);
    // Retry-After speaks for the receiver (throttled or unavailable), not for
    // this payload: the whole sink waits. Any other failure backs off this lane only.
    if (res.retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, t + res.retryAfterMs);
    const signature = `${res.status ?? 'net'} ${message}`;
    if (this.failing !== signature) {
      this.failing = signature;
      this.ctx.log?.warn(
        { sink: this.notifier.name, dedupKey: e.notification.dedupKey, status: res.status, attempts: e.attempts, retryInMs: e.nextAttemptAt - t, error: message },
        'notification delivery failing, will retry',
      );
    }
    this.ctx.report(results, {
      ...base(e),
      outcome: 'retry',
      message,
      retryInMs: e.nextAttemptAt - t,
      ...(res.status !== undefined ? { status: res.status } : {}),
    });
  }

  /** Entries older than maxAge that are not being sent are given up (their last attempt was at the deadline). */
  private expire(lanes: Lanes, results: DeliveryResult[]): void {
    const t = this.ctx.clock.now();
    for (const lane of [...lanes.values()]) {
      for (const e of [...lane]) {
        if (!this.ctx.inFlight.has(e) && t - e.enqueuedAt > this.ctx.policy.maxAgeMs) {
          this.ctx.finish(e, 'dropped_expired', results, { message: `gave up after ${e.attempts} attempts: ${e.lastError ?? 'never sent'}` });
        }
      }
    }
  }
}

export function base(e: OutboxEntry): Pick<DeliveryResult, 'sink' | 'notificationId' | 'dedupKey' | 'kind' | 'attempts'> {
  return { sink: e.sink, notificationId: e.notification.id, dedupKey: e.notification.dedupKey, kind: e.notification.kind, attempts: e.attempts };
}
