// The one interface every integration implements, and its result type.
// A Notifier never throws for delivery problems: it returns a SendResult
// saying whether the outbox should try again.

import type { Notification } from '../core/alerting/notification.js';

export type SendResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** True when the same request may succeed later (network, 408, 429, 5xx). */
      readonly retryable: boolean;
      /** Lower bound for the next attempt (Retry-After, or an integration's documented back-off). */
      readonly retryAfterMs?: number;
      readonly status?: number;
      /** Already redacted: safe for logs, state files and error reports. */
      readonly message: string;
      /** True when the attempt was cut short by the caller's AbortSignal (not the receiver's fault). */
      readonly aborted?: boolean;
    };

export type SendFailure = Extract<SendResult, { ok: false }>;

/** Token bucket parameters for one sink. */
export interface RateLimit {
  /** Sustained sends per second. */
  readonly perSecond: number;
  /** Sends allowed back to back after a quiet period (bucket size). */
  readonly burst: number;
}

export interface Notifier {
  /** Unique sink name; it keys the outbox entries, rate limits and metric labels. Never a secret. */
  readonly name: string;
  /** Optional default rate limit (Slack: about 1 message per second per webhook). */
  readonly rateLimit?: RateLimit;
  /** Backend rows this sink renders at most: the outbox keeps that many of a verdict (compact-verdict.ts). */
  readonly backendRows?: number;
  /** Sends in flight at once (different alerts); default DEFAULT_SINK_CONCURRENCY (4). */
  readonly concurrency?: number;
  send(n: Notification, signal: AbortSignal): Promise<SendResult>;
}

export const SENT: SendResult = Object.freeze({ ok: true as const });
