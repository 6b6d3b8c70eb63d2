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

import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { errorMessage, SkewwatchError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import type { Notification } from '../core/alerting/notification.js';
import type { Notifier, SendResult } from './notifier.js';
import type { DeliveryOutcome, DeliveryResult, DeliverySummary, EnqueueResult, OutboxOptions } from './outbox-types.js';
import { backoffDelay, checkRetryPolicy, DEFAULT_RETRY_POLICY, TokenBucket, type RetryPolicy } from './retry.js';
import { compactNotification, DEFAULT_LISTED_BACKENDS } from './compact-verdict.js';
import { cloneEntry, parseOutboxState, type DoneOutcome, type DoneRecord, type OutboxEntry, type OutboxState } from './outbox-state.js';

export type { OutboxEntry, OutboxState, DoneRecord } from './outbox-state.js';
export type { DeliveryOutcome, DeliveryResult, DeliverySummary, OutboxOptions, EnqueueResult } from './outbox-types.js';

/** Sends in flight at once per sink unless the notifier or the options say otherwise. */
export const DEFAULT_SINK_CONCURRENCY = 4;
/** Sends per sink in one round at most, so that a round (and the state save after it) never waits on a long queue. */
export const MAX_SENDS_PER_ROUND = 64;

interface SinkRuntime {
  readonly notifier: Notifier;
  readonly bucket: TokenBucket | null;
  readonly concurrency: number;
  /** The receiver asked us to wait (Retry-After) until then: nothing is sent to it before. */
  pausedUntil: number;
  /** Last failure signature, to log on change instead of on every retry. */
  failing: string | null;
  /** (dedup key) -> entries in enqueue order; the head is the only one that may be sent. */
  readonly lanes: Map<string, OutboxEntry[]>;
}

const MAX_DONE = 20_000;
/** Default byte bound of the queued entries (their JSON in the state file). */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** JSON of an entry beyond its notification (sink, attempts, times, last error). */
const ENTRY_OVERHEAD_BYTES = 256;

export class Outbox {
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly random: () => number;
  private readonly policy: RetryPolicy;
  private readonly onResult: ((r: DeliveryResult) => void) | undefined;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly listedBackends: number;
  /** Each entry's notification as JSON text, made once at enqueue: the state is saved every cycle. */
  private readonly texts = new WeakMap<object, string>();
  private bytesQueued = 0;
  private readonly doneRetentionMs: number;
  private readonly sinks = new Map<string, SinkRuntime>();
  /** Every queued entry, in seq (enqueue) order. */
  private readonly entries = new Set<OutboxEntry>();
  /** Lanes of sinks that are not configured (any more): dropped in the next round. */
  private readonly orphans: OutboxEntry[] = [];
  /** `${sink}\0${id}` of queued entries, for idempotent enqueue. */
  private readonly queuedIds = new Set<string>();
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
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 64 * 1024) throw new SkewwatchError('config', 'outbox: maxBytes must be an integer of at least 65536');
    this.doneRetentionMs = opts.doneRetentionMs ?? this.policy.maxAgeMs;
    const rows = opts.notifiers.map((n) => n.backendRows ?? 0);
    this.listedBackends = opts.listedBackends ?? Math.max(DEFAULT_LISTED_BACKENDS, ...rows);
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
      this.sinks.set(n.name, { notifier: n, bucket, concurrency, pausedUntil: 0, failing: null, lanes: new Map() });
    }
    for (const k of Object.keys(opts.rateLimits ?? {})) {
      if (!this.sinks.has(k)) throw new SkewwatchError('config', `outbox: rate limit for unknown sink "${k}"`);
    }
    for (const k of Object.keys(opts.concurrency ?? {})) {
      if (!this.sinks.has(k)) throw new SkewwatchError('config', `outbox: concurrency for unknown sink "${k}"`);
    }
    if (state) {
      this.seq = state.seq;
      for (const e of [...state.entries].sort((a, b) => a.seq - b.seq)) this.add(this.stored(e.notification, e));
      for (const d of state.done) this.done.set(doneKey(d.id, d.sink), d);
      for (const e of this.entries) this.seq = Math.max(this.seq, e.seq + 1);
      for (const [name, p] of Object.entries(state.sinks ?? {})) {
        const rt = this.sinks.get(name);
        if (rt) rt.pausedUntil = p.pausedUntil;
      }
    }
  }

  /** Restore from toJSON() output (object or JSON text). Throws SkewwatchError kind 'state' when damaged. */
  static fromJSON(json: unknown, opts: OutboxOptions): Outbox {
    return new Outbox(opts, parseOutboxState(json));
  }

  toJSON(): OutboxState {
    return { ...this.toJSONHead(), entries: [...this.entries].map(cloneEntry), done: [...this.done.values()] };
  }

  private toJSONHead(): Pick<OutboxState, 'version' | 'seq' | 'sinks'> {
    const sinks: Record<string, { pausedUntil: number }> = {};
    for (const [name, rt] of this.sinks) if (rt.pausedUntil > this.clock.now()) sinks[name] = { pausedUntil: rt.pausedUntil };
    return { version: 1, seq: this.seq, ...(Object.keys(sinks).length ? { sinks } : {}) };
  }

  /**
   * The entry as stored: a compact verdict, a private copy of the
   * notification (the caller's object may change) and its JSON text, made once.
   */
  private stored(n: Notification, fields: Omit<OutboxEntry, 'notification'>): OutboxEntry {
    const text = JSON.stringify(compactNotification(n, this.listedBackends));
    const notification = JSON.parse(text) as Notification;
    this.texts.set(notification, text);
    return { ...fields, notification };
  }

  private entryBytes(e: OutboxEntry): number {
    return this.texts.get(e.notification)!.length + ENTRY_OVERHEAD_BYTES;
  }

  /**
   * The same as JSON.stringify(toJSON()), built from each entry's cached
   * notification text: unchanged entries are not serialised again.
   */
  toJSONText(): string {
    const entries: string[] = [];
    for (const e of this.entries) {
      const { notification, ...rest } = e;
      entries.push(`{"notification":${this.texts.get(notification)!},${JSON.stringify(rest).slice(1)}`);
    }
    const done: string[] = [];
    for (const d of this.done.values()) {
      let t = this.texts.get(d);
      if (t === undefined) this.texts.set(d, (t = JSON.stringify(d)));
      done.push(t);
    }
    const state = this.toJSONHead();
    const sinks = state.sinks ? `,"sinks":${JSON.stringify(state.sinks)}` : '';
    return `{"version":1,"seq":${this.seq},"entries":[${entries.join(',')}],"done":[${done.join(',')}]${sinks}}`;
  }

  /** Bytes the queued entries take in the state file (about; the bound counts this). */
  get bytes(): number {
    return this.bytesQueued;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Copies of the queued entries, in enqueue order. */
  list(sink?: string): OutboxEntry[] {
    return [...this.entries].filter((e) => sink === undefined || e.sink === sink).map(cloneEntry);
  }

  /** Queued entries per configured sink (for the pending gauge; no copies). */
  pendingBySink(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, rt] of this.sinks) {
      let n = 0;
      for (const lane of rt.lanes.values()) n += lane.length;
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
      const key = doneKey(n.id, sink);
      if (this.done.has(key) || this.queuedIds.has(key)) {
        duplicate.push(sink);
        continue;
      }
      if (n.kind === 'repeat' || n.kind === 'resolve') this.supersedeRepeats(sink, n.dedupKey);
      this.add(this.stored(n, { sink, attempts: 0, nextAttemptAt: now, enqueuedAt: now, seq: this.seq++ }));
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
    if (this.orphans.length > 0) return now;
    let min: number | undefined;
    for (const rt of this.sinks.values()) {
      let sinkMin: number | undefined;
      for (const lane of rt.lanes.values()) {
        const head = lane[0]!;
        if (this.inFlight.has(head)) continue;
        if (sinkMin === undefined || head.nextAttemptAt < sinkMin) sinkMin = head.nextAttemptAt;
      }
      if (sinkMin === undefined) continue;
      let t = Math.max(sinkMin, rt.pausedUntil);
      if (rt.bucket && t <= now) t = Math.max(t, rt.bucket.nextAvailableAt(now));
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
    this.pruneDone(now);
    // Entries for sinks that are no longer configured (config changed across a restart).
    for (const e of this.orphans.splice(0)) this.finish(e, 'failed_final', results, { message: `sink "${e.sink}" is not configured` });
    const deferred = await Promise.all([...this.sinks.values()].map((rt) => this.deliverSink(rt, now, signal, results)));
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

  /** The sink's workers; returns how many due heads were left waiting (rate limit, pause, concurrency, abort). */
  private async deliverSink(rt: SinkRuntime, now: number, signal: AbortSignal, results: DeliveryResult[]): Promise<number> {
    this.expire(rt, results);
    const tried = new Set<OutboxEntry>();
    let sends = 0;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop && !signal.aborted && sends < MAX_SENDS_PER_ROUND) {
        const t = this.clock.now();
        if (rt.pausedUntil > t) return;
        const e = this.nextHead(rt, Math.max(now, t), tried);
        if (!e) return;
        if (rt.bucket && !rt.bucket.take(t)) {
          stop = true;
          return;
        }
        tried.add(e);
        sends++;
        await this.deliverOne(rt, e, signal, results);
      }
    };
    await Promise.all(Array.from({ length: rt.concurrency }, worker));
    let deferred = 0;
    const t = Math.max(now, this.clock.now());
    for (const lane of rt.lanes.values()) {
      const head = lane[0]!;
      if (!tried.has(head) && !this.inFlight.has(head) && head.nextAttemptAt <= t) deferred++;
    }
    return deferred;
  }

  /** The due lane head with the lowest seq that is not in flight and not yet tried this round. */
  private nextHead(rt: SinkRuntime, now: number, tried: ReadonlySet<OutboxEntry>): OutboxEntry | undefined {
    let best: OutboxEntry | undefined;
    for (const lane of rt.lanes.values()) {
      const head = lane[0]!;
      if (head.nextAttemptAt > now || tried.has(head) || this.inFlight.has(head)) continue;
      if (!best || head.seq < best.seq) best = head;
    }
    return best;
  }

  private async deliverOne(rt: SinkRuntime, e: OutboxEntry, signal: AbortSignal, results: DeliveryResult[]): Promise<void> {
    const res = await this.attempt(rt.notifier, e, signal);
    if (res.ok) {
      this.finish(e, 'sent', results, {});
      if (rt.failing !== null) {
        this.log?.info({ sink: rt.notifier.name }, 'notification delivery recovered');
        rt.failing = null;
      }
      return;
    }
    // Shutdown, not a failure: leave the entry exactly as it was.
    if (res.aborted) return;
    const message = redactText(res.message);
    if (!res.retryable) {
      this.finish(e, 'failed_final', results, { message, ...(res.status !== undefined ? { status: res.status } : {}) });
      this.log?.error(
        { sink: rt.notifier.name, notificationId: e.notification.id, dedupKey: e.notification.dedupKey, status: res.status, error: message },
        'notification dropped: final failure',
      );
      return;
    }
    this.scheduleRetry(rt, e, res, message, results);
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
    // Retry-After speaks for the receiver (throttled or unavailable), not for
    // this payload: the whole sink waits. Any other failure backs off this lane only.
    if (res.retryAfterMs !== undefined) rt.pausedUntil = Math.max(rt.pausedUntil, t + res.retryAfterMs);
    const signature = `${res.status ?? 'net'} ${message}`;
    if (rt.failing !== signature) {
      rt.failing = signature;
      this.log?.warn(
        { sink: rt.notifier.name, dedupKey: e.notification.dedupKey, status: res.status, attempts: e.attempts, retryInMs: e.nextAttemptAt - t, error: message },
        'notification delivery failing, will retry',
      );
    }
    this.report(results, {
      ...base(e),
      outcome: 'retry',
      message,
      retryInMs: e.nextAttemptAt - t,
      ...(res.status !== undefined ? { status: res.status } : {}),
    });
  }

  /** Entries older than maxAge that are not being sent are given up (their last attempt was at the deadline). */
  private expire(rt: SinkRuntime, results: DeliveryResult[]): void {
    const t = this.clock.now();
    for (const lane of [...rt.lanes.values()]) {
      for (const e of [...lane]) {
        if (!this.inFlight.has(e) && t - e.enqueuedAt > this.policy.maxAgeMs) {
          this.finish(e, 'dropped_expired', results, { message: `gave up after ${e.attempts} attempts: ${e.lastError ?? 'never sent'}` });
        }
      }
    }
  }

  private add(e: OutboxEntry): void {
    this.entries.add(e);
    this.bytesQueued += this.entryBytes(e);
    this.queuedIds.add(doneKey(e.notification.id, e.sink));
    const rt = this.sinks.get(e.sink);
    if (!rt) {
      this.orphans.push(e);
      return;
    }
    const lane = rt.lanes.get(e.notification.dedupKey);
    if (lane) lane.push(e);
    else rt.lanes.set(e.notification.dedupKey, [e]);
  }

  private remove(e: OutboxEntry): void {
    if (!this.entries.delete(e)) return;
    this.bytesQueued -= this.entryBytes(e);
    this.queuedIds.delete(doneKey(e.notification.id, e.sink));
    const rt = this.sinks.get(e.sink);
    const lane = rt?.lanes.get(e.notification.dedupKey);
    if (!rt || !lane) return;
    const i = lane.indexOf(e);
    if (i >= 0) lane.splice(i, 1);
    if (lane.length === 0) rt.lanes.delete(e.notification.dedupKey);
  }

  private finish(e: OutboxEntry, outcome: DoneOutcome, results: DeliveryResult[] | null, extra: { message?: string; status?: number }): void {
    this.remove(e);
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
    const lane = this.sinks.get(sink)?.lanes.get(dedupKey);
    for (const e of [...(lane ?? [])]) {
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
    while (this.entries.size > this.maxEntries || this.bytesQueued > this.maxBytes) {
      let victim: OutboxEntry | undefined;
      let oldest: OutboxEntry | undefined;
      for (const e of this.entries) {
        if (this.inFlight.has(e)) continue;
        oldest ??= e;
        if (e.notification.kind === 'repeat') {
          victim = e;
          break;
        }
      }
      victim ??= oldest;
      if (!victim) return;
      const why = this.entries.size > this.maxEntries ? `outbox holds more than ${this.maxEntries} entries` : `outbox holds more than ${this.maxBytes} bytes`;
      this.finish(victim, 'dropped_overflow', null, { message: why });
      this.log?.error(
        { sink: victim.sink, notificationId: victim.notification.id, dedupKey: victim.notification.dedupKey, kind: victim.notification.kind, entries: this.entries.size, bytes: this.bytesQueued, error: why },
        'notification dropped: outbox full',
      );
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
