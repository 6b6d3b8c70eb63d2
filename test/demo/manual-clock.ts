// A clock the test moves by hand. sleep() resolves when the time is advanced
// past its deadline, so nothing in the demo tests waits for real time.

import type { Clock } from '../../src/util/clock.js';

export class ManualClock implements Clock {
  private t: number;
  private sleepers: { until: number; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry = { until: this.t + Math.max(0, ms), resolve, reject };
      this.sleepers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== entry);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Move time forward and wake the sleepers that are due. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.until <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.until > this.t);
    for (const s of due) s.resolve();
  }

  get pending(): number {
    return this.sleepers.length;
  }
}
