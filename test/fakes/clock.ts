// A manual clock: sleeps resolve only when the test advances time.
import type { Clock } from '../../src/util/clock.js';

interface Sleeper { at: number; resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal }

export class FakeClock implements Clock {
  private t: number;
  private sleepers: Sleeper[] = [];
  constructor(start = 1_700_000_000_000) { this.t = start; }

  now(): number { return this.t; }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const s: Sleeper = { at: this.t + Math.max(0, ms), resolve, reject, ...(signal ? { signal } : {}) };
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((x) => x !== s);
        reject(signal.reason);
      }, { once: true });
      this.sleepers.push(s);
    });
  }

  /** Moves time forward, waking sleepers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = target;
    await flush();
  }

  get pendingSleeps(): number { return this.sleepers.length; }
}

/** Lets queued promise continuations run (several turns of the microtask queue and one macrotask). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
