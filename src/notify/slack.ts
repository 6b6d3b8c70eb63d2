// Slack incoming webhook sink. Documented webhook answers: 200 "ok";
// 400 invalid_payload / invalid_blocks / no_text / user_not_found;
// 403 action_prohibited / invalid_token; 404 channel_not_found / no_service;
// 410 channel_is_archived; 429 with Retry-After (seconds); 5xx rollup_error.
// All 4xx but 408/429 are final (the same payload will never be accepted);
// 429 and 5xx are retried. Slack asks for about one message per second per
// webhook, hence the default rate limit.

import type { Clock } from '../util/clock.js';
import { registerSecret } from '../util/redact.js';
import type { Notification } from '../core/alerting/notification.js';
import type { Notifier, RateLimit, SendResult } from './notifier.js';
import { checkName, checkTimeout, checkUrl, configError, postJson, shortBody } from './http.js';
import { renderSlackMessage, type SlackRenderOptions } from './slack-message.js';

export interface SlackOptions extends SlackRenderOptions {
  /** Sink name (metrics, logs, outbox). Default "slack". */
  readonly name?: string;
  /** The incoming webhook URL. A secret: it never appears in messages or logs. */
  readonly webhookUrl: string;
  readonly clock: Clock;
  /** Request deadline. Default 10 s. */
  readonly timeoutMs?: number;
  /** Default 1 message/s, burst 1 (Slack's documented posting rate). */
  readonly rateLimit?: RateLimit;
}

export const SLACK_DEFAULT_RATE_LIMIT: RateLimit = Object.freeze({ perSecond: 1, burst: 1 });

export class SlackNotifier implements Notifier {
  readonly name: string;
  readonly rateLimit: RateLimit;
  readonly backendRows: number;
  private readonly url: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly render: SlackRenderOptions;

  constructor(opts: SlackOptions) {
    if (!opts || typeof opts !== 'object') throw configError('slack: options are required');
    this.name = checkName(opts.name, 'slack');
    // Register before validating further, so even a half-valid URL is masked.
    if (typeof opts.webhookUrl === 'string') {
      registerSecret(opts.webhookUrl);
      try {
        const path = new URL(opts.webhookUrl).pathname;
        registerSecret(path);
        // The last segment is the webhook's token: mask it even on its own.
        registerSecret(path.split('/').filter(Boolean).at(-1));
      } catch {
        /* reported below */
      }
    }
    const u = checkUrl(this.name, 'webhookUrl', opts.webhookUrl);
    if (u.pathname === '/' || u.pathname === '') throw configError(`${this.name}: webhookUrl has no path (expected .../services/...)`);
    if (!opts.clock) throw configError(`${this.name}: clock is required`);
    const rows = opts.maxBackendRows ?? 12;
    if (!Number.isInteger(rows) || rows < 1 || rows > 35) throw configError(`${this.name}: maxBackendRows must be an integer from 1 to 35`);
    if (opts.prometheusUrl !== undefined) checkUrl(this.name, 'prometheusUrl', opts.prometheusUrl);
    if ((opts.prometheusUrl === undefined) !== (opts.prometheusQuery === undefined)) {
      throw configError(`${this.name}: prometheusUrl and prometheusQuery go together`);
    }
    const rl = opts.rateLimit ?? SLACK_DEFAULT_RATE_LIMIT;
    if (!(rl.perSecond > 0) || !(rl.burst >= 1)) throw configError(`${this.name}: rateLimit needs perSecond > 0 and burst >= 1`);
    this.rateLimit = rl;
    this.backendRows = rows;
    this.url = opts.webhookUrl;
    this.clock = opts.clock;
    this.timeoutMs = checkTimeout(this.name, opts.timeoutMs, 10_000);
    this.render = {
      maxBackendRows: rows,
      ...(opts.prometheusUrl !== undefined ? { prometheusUrl: opts.prometheusUrl } : {}),
      ...(opts.prometheusQuery !== undefined ? { prometheusQuery: opts.prometheusQuery } : {}),
      ...(opts.barWidth !== undefined ? { barWidth: opts.barWidth } : {}),
    };
  }

  send(n: Notification, signal: AbortSignal): Promise<SendResult> {
    return postJson({
      sink: this.name,
      url: this.url,
      body: renderSlackMessage(n, this.render),
      timeoutMs: this.timeoutMs,
      signal,
      now: () => this.clock.now(),
      // Slack answers errors as a bare code in text/plain ("invalid_blocks").
      classify: { describe: (o) => shortBody(o.body, 80) },
    });
  }
}
