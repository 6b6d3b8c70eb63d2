// Finished (notification id, sink) pairs, remembered for a while so that a
// lifecycle replaying its last notifications after a restart does not send
// them twice. Bounded in time (retention), per lane and in count.
//
// What can come back: a notification id is `${dedupKey}:${kind}:${now}`
// (core/alerting/notification-build.ts), so the same id is enqueued again
// only when the same alert's evaluation at that same instant is replayed
// from a state that does not show it yet. The alert state is written with
// the outbox, right after each enqueue (Daemon.persist), so a replay can
// only re-emit an alert's *last* notification: every earlier one of that
// (sink, dedup key) lane was followed by a later one, and the state that
// made the later one already records the earlier. So only the newest
// finished pair of each lane is kept; an older one is forgotten when a newer
// one of its lane finishes. (Before this bound, a 10,000-backend soak kept
// 20,000 pairs — the count cap — and ~10 MiB of heap for them.)
//
// Compact form: a pair is one Map entry whose key is the record's JSON text
// up to its time (`{"id":…,"sink":…`, what has() looks up) and whose value
// is the rest (`,"at":…,"outcome":…}`), one string shared by every pair
// finished at the same instant with the same outcome. No record objects, no
// separate id or key strings, no cached text: ~250 bytes a pair with its
// lane entry instead of ~550 (20,000 pairs, 4.8 instead of 10.5 MiB), and
// the persisted form is unchanged.

import type { DoneOutcome, DoneRecord } from './outbox-state.js';

/** Backstop on the pairs kept, whatever the lanes (oldest first out). */
export const MAX_DONE = 20_000;

const AT = ',"at":';

/**
 * V8 keeps a concatenation as a tree of its pieces until something reads its
 * characters, which flattens it in place: a kept key is read once so that it
 * is one flat string (measured: ~160 instead of ~300 bytes a key).
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

function head(id: string, sink: string): string {
  return `{"id":${JSON.stringify(id)},"sink":${JSON.stringify(sink)}`;
}

function atOf(tail: string): number {
  return Number(tail.slice(AT.length, tail.indexOf(',', AT.length)));
}

export class DoneLog {
  /** head -> tail, in the order the pairs finished (oldest first). */
  private readonly records = new Map<string, string>();
  /** Lane (sink + dedup key) -> head of its newest finished pair. */
  private readonly newestInLane = new Map<string, string>();
  private lastTail = '';

  constructor(private readonly retentionMs: number, restored: readonly DoneRecord[] = []) {
    // Restored pairs carry no dedup key: each stays until retention or the cap.
    for (const d of [...restored].sort((a, b) => a.at - b.at)) this.records.set(flat(head(d.id, d.sink)), this.tail(d.at, d.outcome));
  }

  get size(): number {
    return this.records.size;
  }

  has(id: string, sink: string): boolean {
    return this.records.has(head(id, sink));
  }

  record(id: string, sink: string, dedupKey: string, at: number, outcome: DoneOutcome): void {
    const key = flat(head(id, sink));
    const lane = flat(`${sink}\n${dedupKey}`);
    const older = this.newestInLane.get(lane);
    if (older !== undefined && older !== key) this.records.delete(older);
    this.records.delete(key); // re-inserted at the end: the Map stays in finishing order
    this.records.set(key, this.tail(at, outcome));
    this.newestInLane.set(lane, key);
    if (this.records.size > MAX_DONE) this.dropOldest(this.records.size - MAX_DONE);
  }

  list(): DoneRecord[] {
    return this.jsonTexts().map((t) => JSON.parse(t) as DoneRecord);
  }

  /** Each record as JSON text. */
  jsonTexts(): string[] {
    const out: string[] = [];
    for (const [k, t] of this.records) out.push(k + t);
    return out;
  }

  prune(now: number): void {
    let expired = 0;
    for (const t of this.records.values()) {
      if (now - atOf(t) <= this.retentionMs) break;
      expired++;
    }
    // A clock that went back leaves later pairs ahead of earlier ones: they
    // go at the next prune after them, or by the cap.
    if (expired > 0) this.dropOldest(expired);
  }

  private dropOldest(n: number): void {
    for (const k of this.records.keys()) {
      if (n-- <= 0) break;
      this.records.delete(k);
    }
    for (const [lane, k] of this.newestInLane) if (!this.records.has(k)) this.newestInLane.delete(lane);
  }

  private tail(at: number, outcome: DoneOutcome): string {
    const t = `${AT}${JSON.stringify(at)},"outcome":${JSON.stringify(outcome)}}`;
    if (t === this.lastTail) return this.lastTail;
    this.lastTail = t;
    return t;
  }
}
