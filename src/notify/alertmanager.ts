// Alertmanager sink: POST {url}/api/v2/alerts with a JSON array of postable
// alerts (api/v2/openapi.yaml: 200 on success, 400 "Bad request" for invalid
// alerts -> final, 500 -> retried). A firing alert carries endsAt = send time
// + resolveTimeout so that Alertmanager resolves it by itself if skewwatch
// dies; the lifecycle must therefore re-send (kind 'repeat') more often than
// resolveTimeout while the alert fires. A resolve carries endsAt = resolve
// time. Labels must be identical between trigger and resolve, otherwise
// Alertmanager sees two different alerts: they are derived only from fields
// that do not change over an alert's life (rule, pool, dedup key, labels).

import { describeChange } from '../core/changes/changes.js';
import type { Clock } from '../util/clock.js';
import { registerSecret } from '../util/redact.js';
import type { Notification } from '../core/alerting/notification.js';
import { ruleTitle } from '../core/alerting/notification.js';
import type { Notifier, SendResult } from './notifier.js';
import { checkHeaders, checkName, checkTimeout, checkUrl, configError, postJson, shortBody } from './http.js';
import { expandTemplate, forecastLine, prometheusGraphUrl } from './format.js';

export interface AlertmanagerOptions {
  /** Sink name. Default "alertmanager". */
  readonly name?: string;
  /** Alertmanager base URL, e.g. http://alertmanager:9093 (a path prefix is kept). */
  readonly url: string;
  readonly clock: Clock;
  /** Extra request headers (tenant ids ...). Values are treated as secrets. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  readonly bearerToken?: string;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** How long a firing alert stays firing without a re-send. Default 5 min. */
  readonly resolveTimeoutMs?: number;
  /** Used for generatorURL when the notification has none. */
  readonly prometheusUrl?: string;
  readonly prometheusQuery?: string;
}

export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
}

/** Label key that carries the lifecycle's dedup key (stable per rule + pool). */
export const DEDUP_LABEL = 'skewwatch_dedup_key';

/** Alertmanager label names: [a-zA-Z_][a-zA-Z0-9_]*. Anything else becomes '_'. */
export function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

export function alertLabels(n: Notification): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: string) => {
    if (v !== '') out[sanitizeLabelName(k)] = v;
  };
  // Lowest precedence first: pool labels, then the rule's labels, then ours.
  for (const [k, v] of Object.entries(n.poolLabels)) put(k, v);
  for (const [k, v] of Object.entries(n.labels)) put(k, v);
  put('alertname', ruleTitle(n));
  put('severity', n.severity);
  put('pool', n.pool);
  put('skewwatch_rule', n.ruleId);
  put(DEDUP_LABEL, n.dedupKey);
  return out;
}

export function renderAlertmanagerAlerts(
  n: Notification,
  sendTime: number,
  opts: { resolveTimeoutMs?: number; prometheusUrl?: string; prometheusQuery?: string } = {},
): PostableAlert[] {
  const annotations: Record<string, string> = { ...n.annotations, summary: n.summary };
  if (n.verdict) {
    annotations['explanation'] = n.verdict.explanation;
    annotations['description'] ??= n.verdict.explanation;
    const fl = forecastLine(n.verdict);
    if (fl) annotations['forecast'] = fl;
    if (n.verdict.hot.length) annotations['hot_backends'] = n.verdict.hot.slice(0, 50).join(', ');
    if (n.verdict.starved.length) annotations['starved_backends'] = n.verdict.starved.slice(0, 50).join(', ');
    if (n.verdict.changes?.length) annotations['changes'] = n.verdict.changes.slice(-10).map((c) => describeChange(c, n.createdAt)).join('; ');
    if (n.verdict.drift && n.verdict.drift.level > 0 && n.verdict.drift.explanation) annotations['declared_vs_running'] = n.verdict.drift.explanation;
  }
  const resolveTimeout = opts.resolveTimeoutMs ?? 5 * 60_000;
  const end = n.kind === 'resolve' ? n.endsAt ?? n.createdAt : sendTime + resolveTimeout;
  // Alertmanager rejects endsAt before startsAt.
  const endsAt = Math.max(end, n.startsAt + 1);
  let generatorURL = n.generatorUrl;
  if (!generatorURL && opts.prometheusUrl && opts.prometheusQuery) {
    generatorURL = prometheusGraphUrl(opts.prometheusUrl, expandTemplate(opts.prometheusQuery, n));
  }
  return [
    {
      labels: alertLabels(n),
      annotations,
      startsAt: new Date(n.startsAt).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      ...(generatorURL ? { generatorURL } : {}),
    },
  ];
}

export class AlertmanagerNotifier implements Notifier {
  readonly name: string;
  private readonly url: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly auth?: { username: string; password: string };
  private readonly render: { resolveTimeoutMs: number; prometheusUrl?: string; prometheusQuery?: string };

  constructor(opts: AlertmanagerOptions) {
    if (!opts || typeof opts !== 'object') throw configError('alertmanager: options are required');
    this.name = checkName(opts.name, 'alertmanager');
    const u = checkUrl(this.name, 'url', opts.url);
    if (u.username || u.password) {
      registerSecret(decodeURIComponent(u.password));
      throw configError(`${this.name}: put credentials in basicAuth, not in the url`);
    }
    if (!opts.clock) throw configError(`${this.name}: clock is required`);
    if (opts.basicAuth && opts.bearerToken) throw configError(`${this.name}: use basicAuth or bearerToken, not both`);
    const headers = checkHeaders(this.name, opts.headers);
    if (opts.basicAuth) {
      if (typeof opts.basicAuth.username !== 'string' || typeof opts.basicAuth.password !== 'string' || opts.basicAuth.username === '') {
        throw configError(`${this.name}: basicAuth needs username and password`);
      }
      registerSecret(opts.basicAuth.password);
      this.auth = { username: opts.basicAuth.username, password: opts.basicAuth.password };
    }
    if (opts.bearerToken !== undefined) {
      if (typeof opts.bearerToken !== 'string' || opts.bearerToken === '') throw configError(`${this.name}: bearerToken must be a non-empty string`);
      registerSecret(opts.bearerToken);
      headers['Authorization'] = `Bearer ${opts.bearerToken}`;
    }
    const rt = opts.resolveTimeoutMs ?? 5 * 60_000;
    if (!Number.isFinite(rt) || rt < 10_000) throw configError(`${this.name}: resolveTimeoutMs must be at least 10000`);
    if (opts.prometheusUrl !== undefined) checkUrl(this.name, 'prometheusUrl', opts.prometheusUrl);
    this.url = `${opts.url.replace(/\/+$/, '')}/api/v2/alerts`;
    this.clock = opts.clock;
    this.timeoutMs = checkTimeout(this.name, opts.timeoutMs, 10_000);
    this.headers = headers;
    this.render = {
      resolveTimeoutMs: rt,
      ...(opts.prometheusUrl !== undefined ? { prometheusUrl: opts.prometheusUrl } : {}),
      ...(opts.prometheusQuery !== undefined ? { prometheusQuery: opts.prometheusQuery } : {}),
    };
  }

  send(n: Notification, signal: AbortSignal): Promise<SendResult> {
    return postJson({
      sink: this.name,
      url: this.url,
      body: renderAlertmanagerAlerts(n, this.clock.now(), this.render),
      headers: this.headers,
      ...(this.auth ? { auth: this.auth } : {}),
      timeoutMs: this.timeoutMs,
      signal,
      now: () => this.clock.now(),
      // Alertmanager answers errors as a JSON string ("\"start time must be before end time\"").
      classify: { describe: (o) => shortBody(o.body.replace(/^"|"$/g, ''), 160) },
    });
  }
}
