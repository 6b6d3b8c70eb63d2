// The queued entries of the outbox: one lane per (sink, dedup key) whose head
// is the only entry that may be sent, each entry's JSON text made once (the
// state is saved every cycle), and the bytes they take. No policy here: the
// Outbox decides what to queue, drop and send.

import type { Notification } from '../core/alerting/notification.js';
import { compactNotification } from './compact-verdict.js';
import type { OutboxEntry } from './outbox-state.js';

/** JSON of an entry beyond its notification (sink, attempts, times, last error). */
const ENTRY_OVERHEAD_BYTES = 256;

export type Lanes = Map<string, OutboxEntry[]>;

export class OutboxQueue {
  /** Every queued entry, in seq (enqueue) order. */
  private readonly all = new Set<OutboxEntry>();
  private readonly lanesBySink = new Map<string, Lanes>();
  /** Entries of sinks that are not configured (any more): dropped in the next round. */
  private orphaned: OutboxEntry[] = [];
  private readonly queuedIds = new Set<string>();
  private readonly texts = new WeakMap<object, string>();
  private byteCount = 0;

  constructor(sinks: Iterable<string>, private readonly listedBackends: number) {
    for (const s of sinks) this.lanesBySink.set(s, new Map());
  }

  get size(): number {
    return this.all.size;
  }

  get bytes(): number {
    return this.byteCount;
  }

  entries(): IterableIterator<OutboxEntry> {
    return this.all.values();
  }

  /** (dedup key) -> lane of a configured sink. */
  lanes(sink: string): Lanes {
    return this.lanesBySink.get(sink) ?? new Map();
  }

  has(id: string, sink: string): boolean {
    return this.queuedIds.has(entryKey(id, sink));
  }

  /** Entries of unconfigured sinks, handed over once. */
  takeOrphans(): OutboxEntry[] {
    const o = this.orphaned;
    this.orphaned = [];
    return o;
  }

  hasOrphans(): boolean {
    return this.orphaned.length > 0;
  }

  /**
   * Queue an entry as stored: a compact verdict, a private copy of the
   * notification (the caller's object may change) and its JSON text.
   */
  add(n: Notification, fields: Omit<OutboxEntry, 'notification'>): OutboxEntry {
    const text = JSON.stringify(compactNotification(n, this.listedBackends));
    const notification = JSON.parse(text) as Notification;
    this.texts.set(notification, text);
    const e: OutboxEntry = { ...fields, notification };
    this.all.add(e);
    this.byteCount += this.entryBytes(e);
    this.queuedIds.add(entryKey(notification.id, e.sink));
    const lanes = this.lanesBySink.get(e.sink);
    if (!lanes) {
      this.orphaned.push(e);
      return e;
    }
    const lane = lanes.get(notification.dedupKey);
    if (lane) lane.push(e);
    else lanes.set(notification.dedupKey, [e]);
    return e;
  }

  remove(e: OutboxEntry): void {
    if (!this.all.delete(e)) return;
    this.byteCount -= this.entryBytes(e);
    this.queuedIds.delete(entryKey(e.notification.id, e.sink));
    const lanes = this.lanesBySink.get(e.sink);
    const lane = lanes?.get(e.notification.dedupKey);
    if (!lanes || !lane) return;
    const i = lane.indexOf(e);
    if (i >= 0) lane.splice(i, 1);
    if (lane.length === 0) lanes.delete(e.notification.dedupKey);
  }

  /** The entry's notification as JSON text (made once, at add). */
  text(e: OutboxEntry): string {
    return this.texts.get(e.notification)!;
  }

  private entryBytes(e: OutboxEntry): number {
    return this.text(e).length + ENTRY_OVERHEAD_BYTES;
  }
}

export function entryKey(id: string, sink: string): string {
  return `${sink}\u0000${id}`;
}
