// Runs a task every `intervalMs`, aligned to absolute ticks (start + k *
// interval) so timing neither drifts nor accumulates jitter. A tick that
// arrives while the previous run is still going is skipped and reported,
// never queued: a slow Prometheus must not pile up cycles.
import type { Clock } from '../util/clock.js';

export interface SchedulerHooks {
  onSkip?: (tickAt: number) => void;
  onError?: (e: unknown) => void;
}

export class IntervalScheduler {
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly task: (tickAt: number) => Promise<void>,
    private readonly clock: Clock,
    private readonly hooks: SchedulerHooks = {},
  ) {
    if (!(intervalMs > 0)) throw new Error(`IntervalScheduler: intervalMs must be > 0, got ${intervalMs}`);
  }

  /** Starts ticking; the first run is immediate. */
  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const origin = this.clock.now();
    for (let k = 0; !signal.aborted; k++) {
      const tickAt = origin + k * this.intervalMs;
      const wait = tickAt - this.clock.now();
      if (wait > 0) {
        try {
          await this.clock.sleep(wait, signal);
        } catch {
          return; // stopped
        }
      } else if (wait <= -this.intervalMs) {
        // We fell behind by whole intervals (the machine was suspended, or a
        // run overran): skip the missed ticks rather than firing a burst.
        const behind = Math.floor(-wait / this.intervalMs);
        for (let i = 0; i < behind; i++) this.hooks.onSkip?.(origin + (k + i) * this.intervalMs);
        k += behind;
        continue;
      }
      if (this.running) {
        this.hooks.onSkip?.(tickAt);
        continue;
      }
      const p = this.task(tickAt).catch((e: unknown) => this.hooks.onError?.(e));
      this.running = p.finally(() => {
        if (this.running === tracked) this.running = null;
      });
      const tracked = this.running;
    }
  }

  /** Stops ticking and waits for the run in flight, up to `deadlineMs`. Returns false on timeout. */
  async stop(deadlineMs: number): Promise<boolean> {
    this.abort.abort(new Error('scheduler stopped'));
    await this.loop;
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), deadlineMs); });
    const done = this.running.then(() => true as const);
    const result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** True while a run is in flight. */
  get busy(): boolean {
    return this.running !== null;
  }
}
