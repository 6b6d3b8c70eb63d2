// Runs a task every `intervalMs`, aligned to absolute ticks (start + k *
// interval) so timing neither drifts nor accumulates jitter. A tick that
// arrives while the previous run is still going is skipped and reported,
// never queued: a slow Prometheus must not pile up cycles.
import type { Clock } from '../util/clock.js';

/** Waits for `run` (if any) up to `deadlineMs`: true when it settled in time. */
export async function settleWithin(run: Promise<void> | null, deadlineMs: number): Promise<boolean> {
  if (!run) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), deadlineMs); });
  const result = await Promise.race([run.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}

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
      // Only one run exists at a time (a busy tick is skipped above), so the
      // run that finishes is always the current one.
      this.running = p.finally(() => { this.running = null; });
    }
  }

  /** Stops ticking and waits for the run in flight, up to `deadlineMs`. Returns false on timeout. */
  async stop(deadlineMs: number): Promise<boolean> {
    this.abort.abort(new Error('scheduler stopped'));
    await this.loop;
    return settleWithin(this.running, deadlineMs);
  }

  /** True while a run is in flight. */
  get busy(): boolean {
    return this.running !== null;
  }
}
