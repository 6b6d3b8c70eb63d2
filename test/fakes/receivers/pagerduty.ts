// A PagerDuty Events API v2 look-alike (developer.pagerduty.com "Send an
// Alert Event", "Events API v2 Overview"). POST /v2/enqueue. 202
// {status:"success", message:"Event processed", dedup_key}; 400 {status:
// "invalid event", message:"Event object is invalid", errors:[...]} for a bad
// event; 429 and 5xx only when scripted. Tracks alerts per (routing_key,
// dedup_key) the way PagerDuty documents de-duplication: a trigger on an open
// alert is folded into it; a resolve closes it; a resolve for no open alert is
// dropped (still 202); a trigger after a resolve opens a new alert.

import { randomUUID } from 'node:crypto';
import { startReceiver, type ListenOptions, type Reply, type ReceiverBase } from './common.js';
import { summarise } from './slack.js';

export const PAGERDUTY_ENQUEUE_PATH = '/v2/enqueue';
/** "Send a Change Event": POST /v2/change/enqueue, 202 {status:"success", message:"Change event processed"}. */
export const PAGERDUTY_CHANGE_PATH = '/v2/change/enqueue';

export interface PagerDutyChangeRecord {
  readonly routing_key: string;
  readonly payload: { readonly summary: string; readonly source?: string; readonly timestamp?: string; readonly custom_details?: Record<string, unknown> };
  readonly links?: readonly { href: string; text?: string }[];
}

/** The errors PagerDuty would list for this change event, empty when valid. */
export function pagerDutyChangeErrors(body: unknown, knownRoutingKeys?: readonly string[]): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['Event object is not a JSON object'];
  const e = body as Record<string, unknown>;
  const errs: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errs.push("'routing_key' must be a 32 character integration key");
  else if (knownRoutingKeys && !knownRoutingKeys.includes(e.routing_key)) errs.push("'routing_key' is not a known integration key");
  const p = e.payload as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null) errs.push("'payload' is missing or not an object");
  else {
    if (typeof p.summary !== 'string' || p.summary === '') errs.push("'payload.summary' is missing or blank");
    else if (p.summary.length > 1024) errs.push("'payload.summary' exceeds 1024 characters");
    if (p.source !== undefined && typeof p.source !== 'string') errs.push("'payload.source' must be a string");
    if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || Number.isNaN(Date.parse(p.timestamp)))) errs.push("'payload.timestamp' is not an ISO 8601 timestamp");
    if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || p.custom_details === null || Array.isArray(p.custom_details))) errs.push("'payload.custom_details' must be an object");
  }
  if (e.links !== undefined && (!Array.isArray(e.links) || e.links.some((l) => typeof (l as { href?: unknown })?.href !== 'string'))) errs.push("'links' entries need an href");
  if (e.event_action !== undefined || e.dedup_key !== undefined) errs.push('change events take no event_action or dedup_key');
  return errs;
}

export const pagerDutyReplies = {
  accepted: (dedupKey = 'x'): Reply => ({ status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } }),
  invalid: (...errors: string[]): Reply => ({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } }),
  throttled: (retryAfterSeconds?: number): Reply => ({
    status: 429,
    body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' },
    ...(retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(retryAfterSeconds) } } : {}),
  }),
  serverError: (): Reply => ({ status: 500, body: { status: 'error', message: 'Internal server error' } }),
  hang: (): Reply => ({ hang: true }),
} as const;

export interface PagerDutyEventRecord {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'acknowledge' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: Record<string, unknown>;
  readonly [k: string]: unknown;
}

export interface PagerDutyAlert {
  readonly dedupKey: string;
  readonly routingKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  /** Trigger events folded into this alert (1 = the one that opened it). */
  triggers: number;
  resolves: number;
  readonly summary: string;
  readonly openedAt: number;
  resolvedAt?: number;
}

export interface PagerDutyReceiver extends ReceiverBase {
  /** The enqueue URL to configure. */
  readonly url: string;
  /** Accepted events, in order. */
  readonly events: readonly PagerDutyEventRecord[];
  /** Accepted change events, in order. */
  readonly changeEvents: readonly PagerDutyChangeRecord[];
  /** Every alert ever opened, in order (a re-trigger after resolve opens another). */
  readonly alerts: readonly PagerDutyAlert[];
  alertsFor(dedupKey: string): PagerDutyAlert[];
  openAlerts(): PagerDutyAlert[];
  /** Resolve events that matched no open alert (PagerDuty drops them). */
  droppedResolves(): number;
  summary(): string;
}

const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/** The errors PagerDuty would list for this event, empty when valid. */
export function pagerDutyEventErrors(body: unknown, knownRoutingKeys?: readonly string[]): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['Event object is not a JSON object'];
  const e = body as Record<string, unknown>;
  const errs: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errs.push("'routing_key' must be a 32 character integration key");
  else if (knownRoutingKeys && !knownRoutingKeys.includes(e.routing_key)) errs.push("'routing_key' is not a known integration key");
  if (typeof e.event_action !== 'string' || !ACTIONS.includes(e.event_action)) errs.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255 || e.dedup_key === '')) errs.push("'dedup_key' must be 1-255 characters");
  if (e.event_action !== 'trigger' && e.event_action !== undefined && typeof e.dedup_key !== 'string') errs.push("'dedup_key' is required for acknowledge and resolve");
  if (e.event_action === 'trigger') {
    const p = e.payload as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null) errs.push("'payload' is missing or not an object");
    else {
      if (typeof p.summary !== 'string' || p.summary === '') errs.push("'payload.summary' is missing or blank");
      else if (p.summary.length > 1024) errs.push("'payload.summary' exceeds 1024 characters");
      if (typeof p.source !== 'string' || p.source === '') errs.push("'payload.source' is missing or blank");
      if (typeof p.severity !== 'string' || !SEVERITIES.includes(p.severity)) errs.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
      if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || Number.isNaN(Date.parse(p.timestamp)))) errs.push("'payload.timestamp' is not an ISO 8601 timestamp");
      if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || p.custom_details === null)) errs.push("'payload.custom_details' must be an object");
    }
    if (e.links !== undefined && (!Array.isArray(e.links) || e.links.some((l) => typeof (l as { href?: unknown })?.href !== 'string'))) errs.push("'links' entries need an href");
  }
  return errs;
}

export async function startPagerDutyReceiver(opts: { routingKeys?: readonly string[] } & ListenOptions = {}): Promise<PagerDutyReceiver> {
  const events: PagerDutyEventRecord[] = [];
  const changeEvents: PagerDutyChangeRecord[] = [];
  const alerts: PagerDutyAlert[] = [];
  let dropped = 0;
  const open = (rk: string, dk: string) => alerts.find((a) => a.routingKey === rk && a.dedupKey === dk && a.status !== 'resolved');

  const base = await startReceiver('pagerduty', (ctx) => {
    if (ctx.method === 'POST' && ctx.path === PAGERDUTY_CHANGE_PATH) {
      if (ctx.body === undefined) return pagerDutyReplies.invalid('Malformed JSON');
      const errs = pagerDutyChangeErrors(ctx.body, opts.routingKeys);
      if (errs.length) return pagerDutyReplies.invalid(...errs);
      changeEvents.push(ctx.body as PagerDutyChangeRecord);
      return { status: 202, body: { status: 'success', message: 'Change event processed' } };
    }
    if (ctx.method !== 'POST' || ctx.path !== PAGERDUTY_ENQUEUE_PATH) return { status: 404, body: { status: 'not found', message: 'Not Found' } };
    if (ctx.rawBody.length > 512 * 1024) return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ['Payload too large (limit 512 KB)'] } };
    if (ctx.body === undefined) return pagerDutyReplies.invalid('Malformed JSON');
    const errs = pagerDutyEventErrors(ctx.body, opts.routingKeys);
    if (errs.length) return pagerDutyReplies.invalid(...errs);
    const e = { ...(ctx.body as PagerDutyEventRecord) };
    const dedup = typeof e.dedup_key === 'string' ? e.dedup_key : randomUUID();
    const rec: PagerDutyEventRecord = { ...e, dedup_key: dedup };
    events.push(rec);
    const cur = open(rec.routing_key, dedup);
    if (rec.event_action === 'trigger') {
      if (cur) cur.triggers++;
      else alerts.push({ dedupKey: dedup, routingKey: rec.routing_key, status: 'triggered', triggers: 1, resolves: 0, summary: String(rec.payload?.summary ?? ''), openedAt: Date.now() });
    } else if (rec.event_action === 'acknowledge') {
      if (cur) cur.status = 'acknowledged';
    } else if (cur) {
      cur.status = 'resolved';
      cur.resolves++;
      cur.resolvedAt = Date.now();
    } else {
      dropped++;
    }
    return pagerDutyReplies.accepted(dedup);
  }, opts);

  return {
    ...base,
    url: `${base.baseUrl}${PAGERDUTY_ENQUEUE_PATH}`,
    events,
    changeEvents,
    alerts,
    alertsFor: (dk) => alerts.filter((a) => a.dedupKey === dk),
    openAlerts: () => alerts.filter((a) => a.status !== 'resolved'),
    droppedResolves: () => dropped,
    summary: () =>
      summarise('PagerDuty', base.received, (r) => {
        const b = r.body as { event_action?: string; dedup_key?: string; payload?: { summary?: string } } | undefined;
        return `${b?.event_action ?? '?'} ${b?.dedup_key ?? ''} ${b?.payload?.summary ?? ''}`;
      }) + `\n  alerts: ${alerts.map((a) => `${a.dedupKey}=${a.status}(triggers ${a.triggers})`).join(', ') || 'none'}`,
  };
}
