// Types of the delivery pipeline's API: what the caller configures and what
// each round reports (per sink and outcome, for prom-client counters).

import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Notification } from '../core/alerting/notification.js';
import type { Notifier, RateLimit } from './notifier.js';
import type { RetryPolicy } from './retry.js';

export type DeliveryOutcome = 'sent' | 'retry' | 'failed_final' | 'dropped_expired' | 'dropped_overflow' | 'superseded';

export interface DeliveryResult {
  readonly sink: string;
  readonly outcome: DeliveryOutcome;
  readonly notificationId: string;
  readonly dedupKey: string;
  readonly kind: Notification['kind'];
  /** Failed attempts so far (after this one). */
  readonly attempts: number;
  readonly status?: number;
  /** Redacted. */
  readonly message?: string;
  /** For 'retry': delay until the next attempt. */
  readonly retryInMs?: number;
}

export interface DeliverySummary {
  readonly sent: number;
  readonly retry: number;
  readonly failed_final: number;
  readonly dropped_expired: number;
  readonly dropped_overflow: number;
  readonly superseded: number;
  /** Due lane heads left waiting for the rate limit, a Retry-After pause, the per-round cap or an abort. */
  readonly deferred: number;
  readonly results: readonly DeliveryResult[];
}

export interface OutboxOptions {
  readonly notifiers: readonly Notifier[];
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
  readonly retry?: Partial<RetryPolicy>;
  /** Per-sink token buckets; null disables a notifier's default. */
  readonly rateLimits?: Readonly<Record<string, RateLimit | null>>;
  /** Per-sink limit of sends in flight at once (different dedup keys); overrides the notifier's. */
  readonly concurrency?: Readonly<Record<string, number>>;
  /** Called for every outcome (count them with prom-client). Exceptions are ignored. */
  readonly onResult?: (r: DeliveryResult) => void;
  /** Queue bound; beyond it the oldest entries are dropped (repeats first). Default 10000. */
  readonly maxEntries?: number;
  /**
   * Byte bound of the queued entries (their JSON in the state file). Beyond
   * it, as beyond maxEntries, the oldest repeat, else the oldest entry, is
   * dropped. Default 16 MiB (DEFAULT_MAX_BYTES).
   */
  readonly maxBytes?: number;
  /** Up backends kept per stored verdict; default the most any notifier renders, at least 50. */
  readonly listedBackends?: number;
  /** How long finished (id, sink) pairs are remembered to ignore re-enqueues. Default retry.maxAgeMs. */
  readonly doneRetentionMs?: number;
}

export interface EnqueueResult {
  /** Sinks the notification was queued for. */
  readonly queued: readonly string[];
  /** Sinks skipped because this id is already queued or finished there. */
  readonly duplicate: readonly string[];
}

