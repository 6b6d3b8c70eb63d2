// A small driver for the outbox: call deliverDue when something is due, sleep
// on the injected clock otherwise, wake early when the lifecycle enqueues.
// The app may schedule deliverDue itself instead; this is the default loop.

import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import type { DeliverySummary, Outbox } from './outbox.js';

export interface DeliveryLoopOptions {
  readonly outbox: Outbox;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Longest sleep when nothing is queued. Default 30 s. */
  readonly idleMs?: number;
  /** After each round (persist the outbox here). */
  readonly afterRound?: (s: DeliverySummary) => void | Promise<void>;
}

export class DeliveryLoop {
  private wakeController = new AbortController();
  private readonly idleMs: number;

  constructor(private readonly opts: DeliveryLoopOptions) {
    this.idleMs = opts.idleMs ?? 30_000;
  }

  /** Cut the current sleep short (call after enqueue). */
  wake(): void {
    this.wakeController.abort();
  }

  /**
   * Runs until `signal` aborts. Never rejects. Sends in flight are cancelled
   * by `sendSignal` only (default: `signal`): a caller that stops gracefully
   * passes a separate one, because a request cancelled after it reached the
   * service may still have been acted on, and would then be sent again.
   */
  async run(signal: AbortSignal, sendSignal: AbortSignal = signal): Promise<void> {
    const { outbox, clock } = this.opts;
    while (!signal.aborted) {
      try {
        const summary = await outbox.deliverDue(clock.now(), sendSignal);
        await this.opts.afterRound?.(summary);
      } catch (e) {
        this.opts.logger?.error({ error: redactText(errorMessage(e)) }, 'delivery round failed');
      }
      if (signal.aborted) break;
      const now = clock.now();
      const next = outbox.nextDueAt();
      const wait = Math.max(0, Math.min(this.idleMs, next === undefined ? this.idleMs : next - now));
      this.wakeController = new AbortController();
      const sleepSignal = AbortSignal.any([signal, this.wakeController.signal]);
      try {
        // A zero wait still yields to the event loop so enqueue can happen.
        await clock.sleep(Math.max(wait, 1), sleepSignal);
      } catch {
        /* woken or stopped */
      }
    }
  }
}
