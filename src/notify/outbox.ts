// Durable delivery, Alertmanager-style: per sink, wait (rate limit, back-off,
// ordering) -> send -> record. An entry leaves the outbox only after a
// successful send (recorded as done), a final failure, or maxAge. Time comes
// from the injected clock; nothing here sleeps.
//
// Per sink and dedup key, entries go out in enqueue order: a resolve is never
// sent before its trigger. A newer 'repeat' or a 'resolve' supersedes queued
// 'repeat's for the same key and sink (only the latest reminder matters).

import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { errorMessage, SkewwatchError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import type { Notification } from '../core/alerting/notification.js';
import type { Notifier, SendResult } from './notifier.js';
import type { DeliveryOutcome, DeliveryResult, DeliverySummary, EnqueueResult, OutboxOptions } from './outbox-types.js';
import { backoffDelay, checkRetryPolicy, DEFAULT_RETRY_POLICY, TokenBucket, type RetryPolicy } from './retry.js';
import { cloneEntry, parseOutboxState, type DoneOutcome, type DoneRecord, type OutboxEntry, type OutboxState } from './outbox-state.js';

export type { OutboxEntry, OutboxState, DoneRecord } from './outbox-state.js';
export type { DeliveryOutcome, DeliveryResult, DeliverySummary, OutboxOptions, EnqueueResult } from './outbox-types.js';

interface SinkRuntime {
  readonly notifier: Notifier;
  readonly bucket: TokenBucket | null;
  pausedUntil: number;
  /** Last failure signature, to log on change instead of on every retry. */
  failing: string | null;
}

const MAX_DONE = 20_000;

export class Outbox {
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly random: () => number;
  private readonly policy: RetryPolicy;
  private readonly onResult: ((r: DeliveryResult) => void) | undefined;
  private readonly maxEntries: number;
  private readonly doneRetentionMs: number;
  private readonly sinks = new Map<string, SinkRuntime>();
  private entries: OutboxEntry[] = [];
  private done = new Map<string, DoneRecord>();
  private seq = 0;
  private readonly inFlight = new Set<OutboxEntry>();
  private running: Promise<DeliverySummary> | null = null;

  constructor(opts: OutboxOptions, state?: OutboxState) {
    if (!opts?.clock) throw new SkewwatchError('config', 'outbox: clock is required');
    this.clock = opts.clock;
    this.log = opts.logger;
    this.random = opts.random ?? Math.random;
    try {
      this.policy = checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...opts.retry });
    } catch (e) {
      throw new SkewwatchError('config', `outbox: ${errorMessage(e)}`);
    }
    this.onResult = opts.onResult;
    this.maxEntries = opts.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new SkewwatchError('config', 'outbox: maxEntries must be a positive integer');
    this.doneRetentionMs = opts.doneRetentionMs ?? this.policy.maxAgeMs;
    for (const n of opts.notifiers) {
      if (this.sinks.has(n.name)) throw new SkewwatchError('config', `outbox: duplicate sink name "${n.name}"`);
      const rl = opts.rateLimits && n.name in opts.rateLimits ? opts.rateLimits[n.name] : n.rateLimit;
      let bucket: TokenBucket | null = null;
      if (rl) {
        try {
          bucket = new TokenBucket(rl.perSecond, rl.burst);
        } catch (e) {
          throw new SkewwatchError('config', `outbox: rate limit of sink "${n.name}": ${errorMessage(e)}`);
        }
      }
      this.sinks.set(n.name, { notifier: n, bucket, pausedUntil: 0, failing: null });
    }
    for (const k of Object.keys(opts.rateLimits ?? {})) {
      if (!this.sinks.has(k)) throw new SkewwatchError('config', `outbox: rate limit for unknown sink "${k}"`);
    }
    if (state) {
      this.seq = state.seq;
      this.entries = state.entries.map(cloneEntry);
      for (const d of state.done) this.done.set(doneKey(d.id, d.sink), d);
      this.seq = Math.max(this.seq, ...this.entries.map((e) => e.seq + 1));
    }
  }

  /** Restore from toJSON() output (object or JSON text). Throws SkewwatchError kind 'state' when damaged. */
  static fromJSON(json: unknown, opts: OutboxOptions): Outbox {
    return new Outbox(opts, parseOutboxState(json));
  }

  toJSON(): OutboxState {
    return {
      version: 1,
      seq: this.seq,
      entries: this.entries.map(cloneEntry),
      done: [...this.done.values()],
    };
  }

  get size(): number {
    return this.entries.length;
  }

  /** Copies of the queued entries, in enqueue order. */
  list(sink?: string): OutboxEntry[] {
    return this.entries.filter((e) => sink === undefined || e.sink === sink).map(cloneEntry);
  }

  /** The sink names this outbox delivers to. */
  sinkNames(): string[] {
    return [...this.sinks.keys()];
  }

  /**
   * Queue `n` for each sink. Idempotent per (n.id, sink): an id already queued
   * or finished there is skipped. Unknown sink names are a config error.
   */
  enqueue(n: Notification, sinks: readonly string[]): EnqueueResult {
    for (const s of sinks) if (!this.sinks.has(s)) throw new SkewwatchError('config', `outbox: unknown sink "${s}"`);
    const now = this.clock.now();
    const queued: string[] = [];
    const duplicate: string[] = [];
    for (const sink of new Set(sinks)) {
      if (this.done.has(doneKey(n.id, sink)) || this.entries.some((e) => e.sink === sink && e.notification.id === n.id)) {
        duplicate.push(sink);
        continue;
      }
      if (n.kind === 'repeat' || n.kind === 'resolve') this.supersedeRepeats(sink, n.dedupKey);
      this.entries.push({ notification: n, sink, attempts: 0, nextAttemptAt: now, enqueuedAt: now, seq: this.seq++ });
      queued.push(sink);
    }
    this.enforceBound();
    return { queued, duplicate };
  }

  /** Earliest time worth calling deliverDue again, or undefined when empty. */
  nextDueAt(): number | undefined {
    const now = this.clock.now();
    let min: number | undefined;
    for (const e of this.entries) {
      const rt = this.sinks.get(e.sink);
      let t = e.nextAttemptAt;
      if (rt) {
        t = Math.max(t, rt.pausedUntil);
        if (rt.bucket && t <= now) t = Math.max(t, rt.bucket.nextAvailableAt(now));
      }
      if (min === undefined || t < min) min = t;
    }
    return min;
  }

  /**
   * Send every due entry once through its notifier. Sinks run concurrently,
   * entries of one sink one at a time in order. A retryable failure pauses
   * that sink for the rest of the round (it is probably down). When `signal`
   * aborts, no new sends start and interrupted ones stay queued unchanged.
   */
  deliverDue(now: number = this.clock.now(), signal: AbortSignal = new AbortController().signal): Promise<DeliverySummary> {
    if (this.running) return this.running;
    this.running = this.round(now, signal).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async round(now: number, signal: AbortSignal): Promise<DeliverySummary> {
    const results: DeliveryResult[] = [];
    let deferred = 0;
    this.pruneDone(now);
    // Entries for sinks that are no longer configured (config changed across a restart).
    for (const e of [...this.entries]) {
      if (!this.sinks.has(e.sink)) this.finish(e, 'failed_final', results, { message: `sink "${e.sink}" is not configured` });
    }
    const bySink = new Map<string, OutboxEntry[]>();
    for (const e of this.entries) {
      if (this.inFlight.has(e)) continue;
      const list = bySink.get(e.sink) ?? [];
      list.push(e);
      bySink.set(e.sink, list);
    }
    await Promise.all(
      [...bySink.entries()].map(async ([sink, list]) => {
        deferred += await this.deliverSink(this.sinks.get(sink)!, list.sort((a, b) => a.seq - b.seq), now, signal, results);
      }),
    );
    const count = (o: DeliveryOutcome) => results.filter((r) => r.outcome === o).length;
    return {
      sent: count('sent'),
      retry: count('retry'),
      failed_final: count('failed_final'),
      dropped_expired: count('dropped_expired'),
      dropped_overflow: count('dropped_overflow'),
      superseded: count('superseded'),
      deferred,
      results,
    };
  }

  private async deliverSink(rt: SinkRuntime, list: OutboxEntry[], now: number, signal: AbortSignal, results: DeliveryResult[]): Promise<number> {
    const blocked = new Set<string>();
    let deferred = 0;
    let halted = false;
    for (const e of list) {
      const key = e.notification.dedupKey;
      if (e.nextAttemptAt > now) {
        blocked.add(key);
        continue;
      }
      if (this.clock.now() - e.enqueuedAt > this.policy.maxAgeMs) {
        this.finish(e, 'dropped_expired', results, { message: `gave up after ${e.attempts} attempts: ${e.lastError ?? 'never sent'}` });
        continue;
      }
      if (halted || signal.aborted || blocked.has(key)) {
        deferred++;
        blocked.add(key);
        continue;
      }
      const t = this.clock.now();
      if (rt.pausedUntil > t || (rt.bucket && !rt.bucket.take(t))) {
        deferred++;
        blocked.add(key);
        halted = true;
        continue;
      }
      const res = await this.attempt(rt.notifier, e, signal);
      if (res.ok) {
        this.finish(e, 'sent', results, {});
        if (rt.failing !== null) {
          this.log?.info({ sink: rt.notifier.name }, 'notification delivery recovered');
          rt.failing = null;
        }
        continue;
      }
      if (res.aborted) {
        // Shutdown, not a failure: leave the entry exactly as it was.
        deferred++;
        halted = true;
        continue;
      }
      const message = redactText(res.message);
      if (!res.retryable) {
        this.finish(e, 'failed_final', results, { message, ...(res.status !== undefined ? { status: res.status } : {}) });
        this.log?.error(
          { sink: rt.notifier.name, notificationId: e.notification.id, dedupKey: e.notification.dedupKey, status: res.status, error: message },
          'notification dropped: final failure',
        );
        continue;
      }
      this.scheduleRetry(rt, e, res, message, results);
      blocked.add(key);
      halted = true;
    }
    return deferred;
  }

  private async attempt(notifier: Notifier, e: OutboxEntry, signal: AbortSignal): Promise<SendResult> {
    this.inFlight.add(e);
    const startedAt = this.clock.now();
    try {
      const r = await notifier.send(e.notification, signal);
      if (r.ok || !r.aborted) e.firstAttemptAt ??= startedAt;
      return r;
    } catch (err) {
      // A notifier should not throw; if one does, treat it as transient.
      if (signal.aborted) return { ok: false, retryable: true, aborted: true, message: `${notifier.name}: aborted` };
      e.firstAttemptAt ??= startedAt;
      return { ok: false, retryable: true, message: redactText(`${notifier.name}: ${errorMessage(err)}`) };
    } finally {
      this.inFlight.delete(e);
    }
  }

  private scheduleRetry(rt: SinkRuntime, e: OutboxEntry, res: Extract<SendResult, { ok: false }>, message: string, results: DeliveryResult[]): void {
    const t = this.clock.now();
    e.attempts += 1;
    e.lastError = message;
    if (res.status !== undefined) e.lastStatus = res.status;
    else delete e.lastStatus;
    if (t - e.enqueuedAt >= this.policy.maxAgeMs) {
      this.finish(e, 'dropped_expired', results, { message: `gave up after ${e.attempts} attempts: ${message}` });
      return;
    }
    const delay = backoffDelay(e.attempts, this.policy, this.random, res.retryAfterMs);
    // One last attempt at the deadline rather than silently skipping it.
    e.nextAttemptAt = Math.min(t + delay, e.enqueuedAt + this.policy.maxAgeMs);
    // The sink is probably down (or throttling us): hold all its entries until
    // this one's next attempt, so a dead receiver sees one probe per back-off
    // interval instead of one request per queued notification.
    rt.pausedUntil = Math.max(rt.pausedUntil, e.nextAttemptAt);
    const signature = `${res.status ?? 'net'} ${message}`;
    if (rt.failing !== signature) {
      rt.failing = signature;
      this.log?.warn({ sink: rt.notifier.name, status: res.status, attempts: e.attempts, retryInMs: e.nextAttemptAt - t, error: message }, 'notification delivery failing, will retry');
    }
    this.report(results, {
      ...base(e),
      outcome: 'retry',
      message,
      retryInMs: e.nextAttemptAt - t,
      ...(res.status !== undefined ? { status: res.status } : {}),
    });
  }

  private finish(e: OutboxEntry, outcome: DoneOutcome, results: DeliveryResult[] | null, extra: { message?: string; status?: number }): void {
    const i = this.entries.indexOf(e);
    if (i >= 0) this.entries.splice(i, 1);
    const at = this.clock.now();
    this.done.set(doneKey(e.notification.id, e.sink), { id: e.notification.id, sink: e.sink, at, outcome });
    if (outcome === 'dropped_expired') {
      this.log?.error({ sink: e.sink, notificationId: e.notification.id, attempts: e.attempts, error: extra.message }, 'notification dropped: gave up after maxAge');
    }
    this.report(results, { ...base(e), outcome, ...extra });
  }

  private report(results: DeliveryResult[] | null, r: DeliveryResult): void {
    results?.push(r);
    try {
      this.onResult?.(r);
    } catch {
      /* metrics must never break delivery */
    }
  }

  private supersedeRepeats(sink: string, dedupKey: string): void {
    for (const e of [...this.entries]) {
      if (e.sink === sink && e.notification.dedupKey === dedupKey && e.notification.kind === 'repeat' && !this.inFlight.has(e)) {
        this.finish(e, 'superseded', null, { message: 'a newer notification for the same alert replaced it' });
      }
    }
  }

  private enforceBound(): void {
    while (this.entries.length > this.maxEntries) {
      const victim = this.entries.find((e) => e.notification.kind === 'repeat' && !this.inFlight.has(e)) ?? this.entries.find((e) => !this.inFlight.has(e));
      if (!victim) return;
      this.finish(victim, 'dropped_overflow', null, { message: `outbox holds more than ${this.maxEntries} entries` });
      this.log?.error({ sink: victim.sink, notificationId: victim.notification.id }, 'notification dropped: outbox full');
    }
  }

  private pruneDone(now: number): void {
    for (const [k, d] of this.done) {
      if (now - d.at > this.doneRetentionMs) this.done.delete(k);
    }
    if (this.done.size > MAX_DONE) {
      const sorted = [...this.done.entries()].sort((a, b) => a[1].at - b[1].at);
      for (const [k] of sorted.slice(0, this.done.size - MAX_DONE)) this.done.delete(k);
    }
  }
}

function doneKey(id: string, sink: string): string {
  return `${sink}\u0000${id}`;
}

function base(e: OutboxEntry): Pick<DeliveryResult, 'sink' | 'notificationId' | 'dedupKey' | 'kind' | 'attempts'> {
  return { sink: e.sink, notificationId: e.notification.id, dedupKey: e.notification.dedupKey, kind: e.notification.kind, attempts: e.attempts };
}
