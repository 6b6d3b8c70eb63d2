// Generic webhook sink: POSTs the Notification itself (with its verdict) as
// JSON, wrapped in a versioned envelope so receivers can evolve. Retry rules
// are the shared ones (2xx ok; 408/429/5xx/network retry; other 4xx final).

import type { Clock } from '../util/clock.js';
import { registerUrlSecrets } from '../util/redact.js';
import type { Notification } from '../core/alerting/notification.js';
import type { Notifier, SendResult } from './notifier.js';
import { checkHeaders, checkName, checkTimeout, checkUrl, configError, postJson } from './http.js';

export interface WebhookOptions {
  /** Sink name. Default "webhook". */
  readonly name?: string;
  /** Target URL. Treated as a secret (webhook URLs often embed tokens). */
  readonly url: string;
  readonly clock: Clock;
  /** Extra headers (Authorization ...). Values are treated as secrets. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default 10 s. */
  readonly timeoutMs?: number;
}

export interface WebhookEnvelope {
  readonly version: 1;
  readonly sentAt: string;
  readonly notification: Notification;
}

export class WebhookNotifier implements Notifier {
  readonly name: string;
  private readonly url: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  constructor(opts: WebhookOptions) {
    if (!opts || typeof opts !== 'object') throw configError('webhook: options are required');
    this.name = checkName(opts.name, 'webhook');
    if (typeof opts.url === 'string') registerUrlSecrets(opts.url);
    checkUrl(this.name, 'url', opts.url);
    if (!opts.clock) throw configError(`${this.name}: clock is required`);
    const headers = checkHeaders(this.name, opts.headers);
    this.url = opts.url;
    this.clock = opts.clock;
    this.headers = headers;
    this.timeoutMs = checkTimeout(this.name, opts.timeoutMs, 10_000);
  }

  send(n: Notification, signal: AbortSignal): Promise<SendResult> {
    const body: WebhookEnvelope = { version: 1, sentAt: new Date(this.clock.now()).toISOString(), notification: n };
    return postJson({
      sink: this.name,
      url: this.url,
      body,
      headers: this.headers,
      timeoutMs: this.timeoutMs,
      signal,
      now: () => this.clock.now(),
    });
  }
}
