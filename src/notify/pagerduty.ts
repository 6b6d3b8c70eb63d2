// PagerDuty Events API v2 sink (developer.pagerduty.com, "Send an Alert Event").
// trigger/repeat -> event_action "trigger" with the full payload, resolve ->
// event_action "resolve" with the same dedup_key. Documented answers: 202
// {status:"success", message:"Event processed", dedup_key}; 400 {status:"invalid
// event", message, errors:[...]} (final); 429 "retry after some time" (we
// back off at least 30 s even without Retry-After, following PagerDuty's
// rate-limit page); 5xx and network errors retryable. Limits: summary <= 1024
// characters, dedup_key <= 255, payload <= 512 KB, routing_key 32 characters.

import { createHash } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { registerSecret } from '../util/redact.js';
import type { Notification } from '../core/alerting/notification.js';
import { ruleTitle } from '../core/alerting/notification.js';
import type { Notifier, RateLimit, SendResult } from './notifier.js';
import { checkName, checkTimeout, checkUrl, configError, postJson, shortBody, type HttpOutcome } from './http.js';
import { expandTemplate, firingFor, forecastLine, formatDuration, prometheusGraphUrl, runbookUrl, truncate } from './format.js';
import { selectListed } from './compact-verdict.js';
import { describeChange } from '../core/changes/changes.js';

export const PAGERDUTY_URLS = Object.freeze({
  us: 'https://events.pagerduty.com/v2/enqueue',
  eu: 'https://events.eu.pagerduty.com/v2/enqueue',
});

/** The change-event endpoint beside an alert-event one (".../v2/enqueue" → ".../v2/change/enqueue"). */
export function changeEventUrl(enqueueUrl: string): string {
  const u = new URL(enqueueUrl);
  u.pathname = u.pathname.replace(/\/enqueue\/?$/, '/change/enqueue');
  if (!u.pathname.endsWith('/change/enqueue')) u.pathname = `${u.pathname.replace(/\/$/, '')}/change/enqueue`;
  return u.toString();
}

export interface PagerDutyChangeEvent {
  readonly routing_key: string;
  readonly payload: {
    readonly summary: string;
    readonly source?: string;
    readonly timestamp?: string;
    readonly custom_details?: Record<string, unknown>;
  };
  readonly links?: readonly PagerDutyLink[];
}

/**
 * A change event ("Send a Change Event": POST /v2/change/enqueue; summary
 * required, at most 1024 characters; source, timestamp, custom_details and
 * links optional). Shown in PagerDuty's recent changes beside the incident.
 */
export function renderPagerDutyChangeEvent(n: Notification, routingKey: string, opts: RenderOptions = {}): PagerDutyChangeEvent {
  const links: PagerDutyLink[] = [];
  const rb = runbookUrl(n);
  if (rb) links.push({ href: rb, text: 'Runbook' });
  return {
    routing_key: routingKey,
    payload: {
      summary: truncate(`${n.pool}: ${n.summary}`, PAGERDUTY_LIMITS.summary),
      source: truncate(opts.source ?? n.pool, 255),
      timestamp: new Date(n.createdAt).toISOString(),
      custom_details: { kind: ruleTitle(n), pool: n.pool, pool_labels: n.poolLabels, ...n.annotations },
    },
    ...(links.length ? { links } : {}),
  };
}

export const PAGERDUTY_LIMITS = Object.freeze({ summary: 1024, dedupKey: 255, payloadBytes: 512 * 1024, routingKey: 32 });

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyOptions {
  /** Sink name. Default "pagerduty". */
  readonly name?: string;
  /** Events API v2 integration key (32 characters). A secret. */
  readonly routingKey: string;
  readonly clock: Clock;
  /** "us" (default) or "eu"; ignored when `url` is given. */
  readonly region?: 'us' | 'eu';
  /** Custom endpoint (proxy, test receiver). */
  readonly url?: string;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** payload.source; default the pool name. */
  readonly source?: string;
  /** payload.group; default the pool's label values joined with "/". */
  readonly group?: string;
  /** Map our severities onto PagerDuty's; default identity (critical, warning, info). */
  readonly severityMap?: Partial<Record<Notification['severity'], PagerDutySeverity>>;
  readonly client?: string;
  readonly clientUrl?: string;
  readonly prometheusUrl?: string;
  readonly prometheusQuery?: string;
  /** Backends included in custom_details (hot and starved first). Default 50. */
  readonly maxBackendRows?: number;
  /** Floor for the retry delay after a 429 without Retry-After. Default 30 s. */
  readonly throttleBackoffMs?: number;
  /** Default 2/s with a burst of 20: PagerDuty allows about 120 events per minute per integration key. */
  readonly rateLimit?: RateLimit;
}

export const PAGERDUTY_DEFAULT_RATE_LIMIT: RateLimit = Object.freeze({ perSecond: 2, burst: 20 });

export interface PagerDutyLink {
  readonly href: string;
  readonly text: string;
}

export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    readonly timestamp: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Record<string, unknown>;
  };
  readonly links?: readonly PagerDutyLink[];
  readonly client?: string;
  readonly client_url?: string;
}

/** PagerDuty caps dedup_key at 255 characters: longer keys become a stable hash. */
export function pagerDutyDedupKey(key: string): string {
  if (key.length <= PAGERDUTY_LIMITS.dedupKey) return key;
  return `skewwatch-sha256-${createHash('sha256').update(key).digest('hex')}`;
}

export type PagerDutyRenderOptions = Omit<PagerDutyOptions, 'routingKey' | 'clock' | 'name' | 'url' | 'region' | 'timeoutMs' | 'throttleBackoffMs' | 'rateLimit'>;
type RenderOptions = PagerDutyRenderOptions;

function customDetails(n: Notification, maxRows: number): Record<string, unknown> {
  const d: Record<string, unknown> = {
    summary: n.summary,
    kind: n.kind,
    rule_id: n.ruleId,
    rule: ruleTitle(n),
    pool: n.pool,
    pool_labels: n.poolLabels,
    labels: n.labels,
    annotations: n.annotations,
    firing_for: formatDuration(firingFor(n)),
    started_at: new Date(n.startsAt).toISOString(),
  };
  const v = n.verdict;
  if (!v) return d;
  const sel = selectListed(v, maxRows);
  const fl = forecastLine(v);
  if (v.changes && v.changes.length > 0) d['changes'] = v.changes.slice(-20).map((c) => describeChange(c, n.createdAt));
  if (v.drift && v.drift.level > 0) d['declared_vs_running'] = { explanation: v.drift.explanation, items: v.drift.items.slice(0, 50) };
  Object.assign(d, {
    explanation: v.explanation,
    reasons: v.reasons,
    total_rate: v.totalRate,
    up_backends: v.upCount,
    hot: v.hot,
    starved: v.starved,
    unavailable: v.unavailable,
    stats: v.stats,
    cpu: v.cpu,
    ...(fl ? { forecast: fl } : {}),
    backends_total: sel.total,
    backends_omitted: sel.omitted,
    backends: sel.rows.map((b) => ({
      backend: b.backend,
      health: b.health,
      share: round(b.share),
      expected_share: round(b.expectedShare),
      ratio: round(b.ratio),
      utilisation: b.utilisation === null ? null : round(b.utilisation),
      queue: b.queue,
      outlier: b.outlier,
    })),
  });
  return d;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10_000) / 10_000 : x;
}

export function renderPagerDutyEvent(n: Notification, routingKey: string, opts: RenderOptions = {}): PagerDutyEvent {
  const dedup_key = pagerDutyDedupKey(n.dedupKey);
  if (n.kind === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key };

  const links: PagerDutyLink[] = [];
  const rb = runbookUrl(n);
  if (rb) links.push({ href: rb, text: 'Runbook' });
  if (opts.prometheusUrl && opts.prometheusQuery) {
    links.push({ href: prometheusGraphUrl(opts.prometheusUrl, expandTemplate(opts.prometheusQuery, n)), text: 'Prometheus graph' });
  }
  if (n.generatorUrl && /^https?:\/\//.test(n.generatorUrl)) links.push({ href: n.generatorUrl, text: 'Source' });

  const group = opts.group ?? Object.values(n.poolLabels).filter(Boolean).join('/');
  const severity = opts.severityMap?.[n.severity] ?? n.severity;
  const prefix = n.kind === 'repeat' ? `[still firing ${formatDuration(firingFor(n))}] ` : '';
  let rows = opts.maxBackendRows ?? 50;
  for (;;) {
    const ev: PagerDutyEvent = {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key,
      payload: {
        summary: truncate(`${prefix}${n.pool}: ${n.summary}`, PAGERDUTY_LIMITS.summary),
        source: truncate(opts.source ?? n.pool, 255),
        severity,
        timestamp: new Date(n.createdAt).toISOString(),
        component: truncate(n.pool, 255),
        ...(group ? { group: truncate(group, 255) } : {}),
        class: truncate(ruleTitle(n), 255),
        custom_details: customDetails(n, rows),
      },
      ...(links.length ? { links } : {}),
      client: opts.client ?? 'skewwatch',
      ...(opts.clientUrl ? { client_url: opts.clientUrl } : {}),
    };
    // Stay well inside the 512 KB payload cap: fewer backend rows first, then
    // shortened label/annotation values, then none of them.
    if (fits(ev)) return ev;
    if (rows > 0) {
      rows = Math.floor(rows / 2);
      continue;
    }
    const details = ev.payload!.custom_details!;
    for (const k of ['pool_labels', 'labels', 'annotations'] as const) {
      const rec = details[k] as Record<string, string>;
      details[k] = Object.fromEntries(Object.entries(rec).slice(0, 50).map(([a, b]) => [truncate(a, 100), truncate(b, 200)]));
    }
    if (fits(ev)) return ev;
    for (const k of ['pool_labels', 'labels', 'annotations', 'unavailable', 'hot', 'starved'] as const) delete details[k];
    details['truncated'] = 'details removed to stay within PagerDuty\'s 512 KB event limit';
    return ev;
  }
}

function fits(ev: PagerDutyEvent): boolean {
  return Buffer.byteLength(JSON.stringify(ev)) <= PAGERDUTY_LIMITS.payloadBytes - 16 * 1024;
}

/** "Event object is invalid: summary is missing; ..." from a PagerDuty error body. */
export function describePagerDutyBody(o: HttpOutcome): string {
  try {
    const j = JSON.parse(o.body) as { status?: unknown; message?: unknown; errors?: unknown };
    const parts: string[] = [];
    if (typeof j.message === 'string') parts.push(j.message);
    else if (typeof j.status === 'string') parts.push(j.status);
    if (Array.isArray(j.errors) && j.errors.length) parts.push(j.errors.filter((e) => typeof e === 'string').join('; '));
    if (parts.length) return shortBody(parts.join(': '));
  } catch {
    /* not JSON */
  }
  return shortBody(o.body, 120);
}

export class PagerDutyNotifier implements Notifier {
  readonly name: string;
  readonly rateLimit: RateLimit;
  readonly backendRows: number;
  private readonly routingKey: string;
  private readonly url: string;
  private readonly changeUrl: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly throttleBackoffMs: number;
  private readonly render: RenderOptions;

  constructor(opts: PagerDutyOptions) {
    if (!opts || typeof opts !== 'object') throw configError('pagerduty: options are required');
    this.name = checkName(opts.name, 'pagerduty');
    if (typeof opts.routingKey === 'string') registerSecret(opts.routingKey);
    if (typeof opts.routingKey !== 'string' || opts.routingKey === '') throw configError(`${this.name}: routingKey is required`);
    if (opts.routingKey.length !== PAGERDUTY_LIMITS.routingKey || /\s/.test(opts.routingKey)) {
      throw configError(`${this.name}: routingKey must be the 32-character Events API v2 integration key (got ${opts.routingKey.length} characters)`);
    }
    if (!opts.clock) throw configError(`${this.name}: clock is required`);
    if (opts.region !== undefined && opts.region !== 'us' && opts.region !== 'eu') throw configError(`${this.name}: region must be "us" or "eu"`);
    if (opts.url !== undefined) checkUrl(this.name, 'url', opts.url);
    if (opts.clientUrl !== undefined) checkUrl(this.name, 'clientUrl', opts.clientUrl);
    if (opts.prometheusUrl !== undefined) checkUrl(this.name, 'prometheusUrl', opts.prometheusUrl);
    if ((opts.prometheusUrl === undefined) !== (opts.prometheusQuery === undefined)) {
      throw configError(`${this.name}: prometheusUrl and prometheusQuery go together`);
    }
    const rows = opts.maxBackendRows ?? 50;
    if (!Number.isInteger(rows) || rows < 0 || rows > 1000) throw configError(`${this.name}: maxBackendRows must be an integer from 0 to 1000`);
    const tb = opts.throttleBackoffMs ?? 30_000;
    if (!Number.isFinite(tb) || tb < 0) throw configError(`${this.name}: throttleBackoffMs must be >= 0`);
    for (const [k, v] of Object.entries(opts.severityMap ?? {})) {
      if (!['critical', 'error', 'warning', 'info'].includes(v as string)) throw configError(`${this.name}: severityMap.${k} must be critical, error, warning or info`);
    }
    const rl = opts.rateLimit ?? PAGERDUTY_DEFAULT_RATE_LIMIT;
    if (!(rl.perSecond > 0) || !(rl.burst >= 1)) throw configError(`${this.name}: rateLimit needs perSecond > 0 and burst >= 1`);
    this.rateLimit = rl;
    this.backendRows = rows;
    this.routingKey = opts.routingKey;
    this.url = opts.url ?? PAGERDUTY_URLS[opts.region ?? 'us'];
    this.changeUrl = changeEventUrl(this.url);
    this.clock = opts.clock;
    this.timeoutMs = checkTimeout(this.name, opts.timeoutMs, 10_000);
    this.throttleBackoffMs = tb;
    const { clock: _c, name: _n, url: _u, region: _r, timeoutMs: _t, throttleBackoffMs: _b, routingKey: _k, rateLimit: _l, ...render } = opts;
    this.render = { ...render, maxBackendRows: rows };
  }

  send(n: Notification, signal: AbortSignal): Promise<SendResult> {
    const change = n.kind === 'change';
    return postJson({
      sink: this.name,
      url: change ? this.changeUrl : this.url,
      body: change ? renderPagerDutyChangeEvent(n, this.routingKey, this.render) : renderPagerDutyEvent(n, this.routingKey, this.render),
      timeoutMs: this.timeoutMs,
      signal,
      now: () => this.clock.now(),
      classify: {
        describe: describePagerDutyBody,
        adjust: (o, r) =>
          !r.ok && o.status === 429 ? { ...r, retryAfterMs: Math.max(r.retryAfterMs ?? 0, this.throttleBackoffMs) } : r,
      },
    });
  }
}
