// Finished (notification id, sink) pairs, remembered for a while so that a
// lifecycle replaying its last notifications after a restart does not send
// them twice. Bounded in time (retention) and count.

import type { DoneOutcome, DoneRecord } from './outbox-state.js';
import { entryKey } from './outbox-queue.js';

const MAX_DONE = 20_000;

export class DoneLog {
  private readonly records = new Map<string, DoneRecord>();
  private readonly texts = new WeakMap<DoneRecord, string>();

  constructor(private readonly retentionMs: number, restored: readonly DoneRecord[] = []) {
    for (const d of restored) this.records.set(entryKey(d.id, d.sink), d);
  }

  has(id: string, sink: string): boolean {
    return this.records.has(entryKey(id, sink));
  }

  record(id: string, sink: string, at: number, outcome: DoneOutcome): void {
    this.records.set(entryKey(id, sink), { id, sink, at, outcome });
  }

  list(): DoneRecord[] {
    return [...this.records.values()];
  }

  /** Each record as JSON text (made once). */
  jsonTexts(): string[] {
    const out: string[] = [];
    for (const d of this.records.values()) {
      let t = this.texts.get(d);
      if (t === undefined) this.texts.set(d, (t = JSON.stringify(d)));
      out.push(t);
    }
    return out;
  }

  prune(now: number): void {
    for (const [k, d] of this.records) {
      if (now - d.at > this.retentionMs) this.records.delete(k);
    }
    if (this.records.size > MAX_DONE) {
      const sorted = [...this.records.entries()].sort((a, b) => a[1].at - b[1].at);
      for (const [k] of sorted.slice(0, this.records.size - MAX_DONE)) this.records.delete(k);
    }
  }
}
