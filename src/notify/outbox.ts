// Durable delivery, Alertmanager-style: per sink, wait (rate limit, back-off,
// ordering) -> send -> record. An entry leaves the outbox only after a
// successful send (recorded as done), a final failure, or maxAge. Time comes
// from the injected clock; nothing here sleeps.
//
// Retries are per dedup key, as Alertmanager retries each aggregation group
// on its own: a notification that keeps failing (a receiver that 500s on one
// payload, a body that times out) backs off alone while the other alerts on
// the same sink go out. Within one (sink, dedup key) lane entries go out in
// enqueue order, one at a time: a resolve is never sent before its trigger.
// A newer 'repeat' or a 'resolve' supersedes queued 'repeat's of the same lane.
// The sink as a whole waits only when the receiver says so (Retry-After), for
// its rate limit, or for its concurrency limit.
//
// Files: outbox-queue.ts (lanes, entry texts, bytes), sink-delivery.ts (one
// sink's workers, back-off), outbox-done.ts (finished pairs), outbox-state.ts
// (persisted form and its validation), compact-verdict.ts (what is stored).

import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { errorMessage, SkewwatchError } from '../util/errors.js';
import type { Notification } from '../core/alerting/notification.js';
import type { DeliveryOutcome, DeliveryResult, DeliverySummary, EnqueueResult, OutboxOptions } from './outbox-types.js';
import { checkRetryPolicy, DEFAULT_RETRY_POLICY, TokenBucket, type RetryPolicy } from './retry.js';
import { DEFAULT_LISTED_BACKENDS } from './compact-verdict.js';
import { cloneEntry, parseOutboxState, type DoneOutcome, type OutboxEntry, type OutboxState } from './outbox-state.js';
import { OutboxQueue } from './outbox-queue.js';
import { DoneLog } from './outbox-done.js';
import { base, SinkDelivery, type DeliveryContext } from './sink-delivery.js';

export type { OutboxEntry, OutboxState, DoneRecord } from './outbox-state.js';
export type { DeliveryOutcome, DeliveryResult, DeliverySummary, OutboxOptions, EnqueueResult } from './outbox-types.js';
export { MAX_SENDS_PER_ROUND } from './sink-delivery.js';

/** Sends in flight at once per sink unless the notifier or the options say otherwise. */
export const DEFAULT_SINK_CONCURRENCY = 4;
/** Default byte bound of the queued entries (their JSON in the state file). */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export class Outbox {
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly onResult: ((r: DeliveryResult) => void) | undefined;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly sinks = new Map<string, SinkDelivery>();
  private readonly queue: OutboxQueue;
  private readonly done: DoneLog;
  private seq = 0;
  private readonly inFlight = new Set<OutboxEntry>();
  private running: Promise<DeliverySummary> | null = null;

  constructor(opts: OutboxOptions, state?: OutboxState) {
    if (!opts?.clock) throw new SkewwatchError('config', 'outbox: clock is required');
    this.clock = opts.clock;
    this.log = opts.logger;
    let policy: RetryPolicy;
    try {
      policy = checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...opts.retry });
    } catch (e) {
      throw new SkewwatchError('config', `outbox: ${errorMessage(e)}`);
    }
    this.onResult = opts.onResult;
    this.maxEntries = opts.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new SkewwatchError('config', 'outbox: maxEntries must be a positive integer');
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 64 * 1024) throw new SkewwatchError('config', 'outbox: maxBytes must be an integer of at least 65536');
    const ctx: DeliveryContext = {
      clock: this.clock,
      log: this.log,
      random: opts.random ?? Math.random,
      policy,
      inFlight: this.inFlight,
      finish: (e, outcome, results, extra) => this.finish(e, outcome, results, extra),
      report: (results, r) => this.report(results, r),
    };
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
      const concurrency = opts.concurrency?.[n.name] ?? n.concurrency ?? DEFAULT_SINK_CONCURRENCY;
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
        throw new SkewwatchError('config', `outbox: concurrency of sink "${n.name}" must be an integer from 1 to 64`);
      }
      this.sinks.set(n.name, new SinkDelivery(n, bucket, concurrency, ctx));
    }
    for (const [what, rec] of [['rate limit', opts.rateLimits], ['concurrency', opts.concurrency]] as const) {
      for (const k of Object.keys(rec ?? {})) if (!this.sinks.has(k)) throw new SkewwatchError('config', `outbox: ${what} for unknown sink "${k}"`);
    }
    const listed = opts.listedBackends ?? Math.max(DEFAULT_LISTED_BACKENDS, ...opts.notifiers.map((n) => n.backendRows ?? 0));
    this.queue = new OutboxQueue(this.sinks.keys(), listed);
    this.done = new DoneLog(opts.doneRetentionMs ?? policy.maxAgeMs, state?.done);
    if (state) {
      this.seq = state.seq;
      for (const e of [...state.entries].sort((a, b) => a.seq - b.seq)) {
        this.queue.add(e.notification, e);
        this.seq = Math.max(this.seq, e.seq + 1);
      }
      for (const [name, p] of Object.entries(state.sinks ?? {})) {
        const sink = this.sinks.get(name);
        if (sink) sink.pausedUntil = p.pausedUntil;
      }
    }
  }

  /** Restore from toJSON() output (object or JSON text). Throws SkewwatchError kind 'state' when damaged. */
  static fromJSON(json: unknown, opts: OutboxOptions): Outbox {
    return new Outbox(opts, parseOutboxState(json));
  }

  toJSON(): OutboxState {
    return { ...this.stateHead(), entries: [...this.queue.entries()].map(cloneEntry), done: this.done.list() };
  }

  /**
   * The same as JSON.stringify(toJSON()), built from each entry's cached
   * notification text: unchanged entries are not serialised again.
   */
  toJSONText(): string {
    const entries: string[] = [];
    for (const e of this.queue.entries()) {
      const { notification: _n, ...rest } = e;
      entries.push(`{"notification":${this.queue.text(e)},${JSON.stringify(rest).slice(1)}`);
    }
    const head = this.stateHead();
    const sinks = head.sinks ? `,"sinks":${JSON.stringify(head.sinks)}` : '';
    return `{"version":1,"seq":${this.seq},"entries":[${entries.join(',')}],"done":[${this.done.jsonTexts().join(',')}]${sinks}}`;
  }

  private stateHead(): Pick<OutboxState, 'version' | 'seq' | 'sinks'> {
    const sinks: Record<string, { pausedUntil: number }> = {};
    for (const [name, s] of this.sinks) if (s.pausedUntil > this.clock.now()) sinks[name] = { pausedUntil: s.pausedUntil };
    return { version: 1, seq: this.seq, ...(Object.keys(sinks).length ? { sinks } : {}) };
  }

  /** Bytes the queued entries take in the state file (about; the bound counts this). */
  get bytes(): number {
    return this.queue.bytes;
  }

  get size(): number {
    return this.queue.size;
  }

  /** Finished (id, sink) pairs remembered against a re-enqueue (outbox-done.ts). */
  get doneCount(): number {
    return this.done.size;
  }

  /** Copies of the queued entries, in enqueue order. */
  list(sink?: string): OutboxEntry[] {
    return [...this.queue.entries()].filter((e) => sink === undefined || e.sink === sink).map(cloneEntry);
  }

  /** Queued entries per configured sink (for the pending gauge; no copies). */
  pendingBySink(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of this.sinks.keys()) {
      let n = 0;
      for (const lane of this.queue.lanes(name).values()) n += lane.length;
      out[name] = n;
    }
    return out;
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
      if (this.done.has(n.id, sink) || this.queue.has(n.id, sink)) {
        duplicate.push(sink);
        continue;
      }
      if (n.kind === 'repeat' || n.kind === 'resolve') this.supersedeRepeats(sink, n.dedupKey);
      this.queue.add(n, { sink, attempts: 0, nextAttemptAt: now, enqueuedAt: now, seq: this.seq++ });
      queued.push(sink);
    }
    this.enforceBound();
    return { queued, duplicate };
  }

  /**
   * Earliest time worth calling deliverDue again, or undefined when empty.
   * Only the head of each lane counts (the entries behind it wait for it, not
   * for the clock), so a loop sleeping until then never spins.
   */
  nextDueAt(): number | undefined {
    const now = this.clock.now();
    if (this.queue.hasOrphans()) return now;
    let min: number | undefined;
    for (const [name, sink] of this.sinks) {
      let headMin: number | undefined;
      for (const lane of this.queue.lanes(name).values()) {
        const head = lane[0]!;
        if (this.inFlight.has(head)) continue;
        if (headMin === undefined || head.nextAttemptAt < headMin) headMin = head.nextAttemptAt;
      }
      if (headMin === undefined) continue;
      const t = sink.dueAt(headMin, now);
      if (min === undefined || t < min) min = t;
    }
    return min;
  }

  /**
   * Send every due lane head once through its notifier (and the entries that
   * become heads once their predecessor is sent). Sinks run concurrently;
   * within a sink up to its concurrency limit of lanes at once, oldest first.
   * A retryable failure backs off that lane only. When `signal` aborts, no
   * new sends start and interrupted ones stay queued unchanged.
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
    this.done.prune(now);
    // Entries for sinks that are no longer configured (config changed across a restart).
    for (const e of this.queue.takeOrphans()) this.finish(e, 'failed_final', results, { message: `sink "${e.sink}" is not configured` });
    // Nothing queued (most rounds): a round over empty lanes, without running the sinks.
    const deferred = this.queue.size === 0
      ? []
      : await Promise.all([...this.sinks].map(([name, sink]) => sink.deliver(this.queue.lanes(name), now, signal, results)));
    const count = (o: DeliveryOutcome) => results.filter((r) => r.outcome === o).length;
    return {
      sent: count('sent'),
      retry: count('retry'),
      failed_final: count('failed_final'),
      dropped_expired: count('dropped_expired'),
      dropped_overflow: count('dropped_overflow'),
      superseded: count('superseded'),
      deferred: deferred.reduce((a, b) => a + b, 0),
      results,
    };
  }

  private finish(e: OutboxEntry, outcome: DoneOutcome, results: DeliveryResult[] | null, extra: { message?: string; status?: number }): void {
    this.queue.remove(e);
    this.done.record(e.notification.id, e.sink, e.notification.dedupKey, this.clock.now(), outcome);
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
    for (const e of [...(this.queue.lanes(sink).get(dedupKey) ?? [])]) {
      if (e.notification.kind === 'repeat' && !this.inFlight.has(e)) {
        this.finish(e, 'superseded', null, { message: 'a newer notification for the same alert replaced it' });
      }
    }
  }

  /**
   * Entries and bytes are bounded. Over either bound the oldest repeat goes
   * first (a later reminder or the resolve says the same), then the oldest
   * entry; each drop is reported (dropped_overflow) and logged, never silent.
   */
  private enforceBound(): void {
    while (this.queue.size > this.maxEntries || this.queue.bytes > this.maxBytes) {
      let victim: OutboxEntry | undefined;
      let oldest: OutboxEntry | undefined;
      for (const e of this.queue.entries()) {
        if (this.inFlight.has(e)) continue;
        oldest ??= e;
        if (e.notification.kind === 'repeat') {
          victim = e;
          break;
        }
      }
      victim ??= oldest;
      if (!victim) return;
      const why = this.queue.size > this.maxEntries ? `outbox holds more than ${this.maxEntries} entries` : `outbox holds more than ${this.maxBytes} bytes`;
      this.finish(victim, 'dropped_overflow', null, { message: why });
      this.log?.error(
        { sink: victim.sink, notificationId: victim.notification.id, dedupKey: victim.notification.dedupKey, kind: victim.notification.kind, entries: this.queue.size, bytes: this.queue.bytes, error: why },
        'notification dropped: outbox full',
      );
    }
  }
}
