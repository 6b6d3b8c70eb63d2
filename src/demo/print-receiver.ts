// A local stand-in for Slack and PagerDuty during the demo: accepts Slack
// incoming-webhook posts at /slack and PagerDuty Events API v2 posts at
// /pagerduty/v2/enqueue on 127.0.0.1, answers as those services do, prints
// each one readably to a stream, and records its arrival time so the demo can
// tell when the first page arrived.
//
// Answers (the services' documented behaviour):
//   Slack:     200 text/html "ok"; 400 "invalid_payload" for a body that is
//              not a JSON object; 400 "no_text" without text or blocks.
//   PagerDuty: 202 {"status":"success","message":"Event processed","dedup_key":…}
//              (the key is generated when the event has none); 400
//              {"status":"invalid event","message":"Event object is invalid","errors":[…]}.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../util/clock.js';
import { listenLoopback } from '../util/listen.js';

export type ReceivedKind = 'slack' | 'pagerduty' | 'pagerduty-change';
export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

export interface ReceivedEvent {
  readonly kind: ReceivedKind;
  /** Arrival time, clock epoch milliseconds. */
  readonly at: number;
  readonly path: string;
  readonly body: unknown;
  /** One line for people. */
  readonly summary: string;
  /** Slack: the header block's text (or the message text). */
  readonly header?: string;
  /** Slack: the first section block's text. */
  readonly text?: string;
  /** PagerDuty fields. */
  readonly eventAction?: PagerDutyAction;
  readonly severity?: string;
  readonly dedupKey?: string;
}

export interface PrintReceiverOptions {
  /** Where the readable form goes; nothing is printed without it. */
  readonly out?: NodeJS.WritableStream;
  readonly clock?: Clock;
  /** Printed times are relative to this (epoch ms). Default: when the receiver started. */
  readonly startedAt?: number;
  readonly port?: number;
  /** Listen address. Default 127.0.0.1; the compose lab's receiver container uses 0.0.0.0. */
  readonly host?: string;
  /** Largest accepted body. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  readonly onEvent?: (event: ReceivedEvent) => void;
}

export interface PrintReceiver {
  readonly port: number;
  readonly url: string;
  readonly slackUrl: string;
  readonly pagerDutyUrl: string;
  events(): readonly ReceivedEvent[];
  /** Arrival (epoch ms) of the first PagerDuty trigger: the first page. */
  firstPageAt(): number | null;
  /** Arrival (epoch ms) of the first Slack message. */
  firstWarningAt(): number | null;
  close(): Promise<void>;
}

const PD_ACTIONS: readonly string[] = ['trigger', 'acknowledge', 'resolve'];
const PD_SEVERITIES: readonly string[] = ['critical', 'error', 'warning', 'info'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Text of a Slack text object ({type, text}) or a plain string. */
function textOf(v: unknown): string | undefined {
  return isObject(v) ? str(v['text']) : str(v);
}

export function slackParts(body: Record<string, unknown>): { header?: string; text?: string } {
  const blocks = Array.isArray(body['blocks']) ? body['blocks'].filter(isObject) : [];
  const header = textOf(blocks.find((b) => b['type'] === 'header')?.['text']) ?? str(body['text']);
  const text = textOf(blocks.find((b) => b['type'] === 'section')?.['text']);
  return { ...(header !== undefined ? { header } : {}), ...(text !== undefined ? { text } : {}) };
}

/** Problems with a PagerDuty Events v2 body; empty when it is valid. */
export function pagerDutyErrors(body: unknown): string[] {
  if (!isObject(body)) return ['Event object is not a JSON object'];
  const errors: string[] = [];
  if (typeof body['routing_key'] !== 'string' || body['routing_key'] === '') errors.push("'routing_key' is missing or blank");
  const action = body['event_action'];
  if (typeof action !== 'string' || !PD_ACTIONS.includes(action)) {
    errors.push("'event_action' must be one of trigger, acknowledge, resolve");
  }
  if (action === 'trigger') {
    const p = body['payload'];
    if (!isObject(p)) errors.push("'payload' is missing");
    else {
      if (typeof p['summary'] !== 'string' || p['summary'] === '') errors.push("'payload.summary' is missing or blank");
      if (typeof p['source'] !== 'string' || p['source'] === '') errors.push("'payload.source' is missing or blank");
      if (typeof p['severity'] !== 'string' || !PD_SEVERITIES.includes(p['severity'])) {
        errors.push("'payload.severity' must be one of critical, error, warning, info");
      }
    }
  } else if (typeof action === 'string' && PD_ACTIONS.includes(action) && typeof body['dedup_key'] !== 'string') {
    errors.push("'dedup_key' is required for acknowledge and resolve");
  }
  return errors;
}

function relative(ms: number): string {
  const s = ms / 1000;
  return `${s < 0 ? '-' : '+'}${Math.abs(s).toFixed(1)}s`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

export async function startPrintReceiver(opts: PrintReceiverOptions = {}): Promise<PrintReceiver> {
  const clock = opts.clock ?? systemClock;
  const startedAt = opts.startedAt ?? clock.now();
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const received: ReceivedEvent[] = [];

  function record(e: ReceivedEvent, printed: string): void {
    received.push(e);
    opts.out?.write(printed);
    opts.onEvent?.(e);
  }

  function onSlack(res: ServerResponse, at: number, path: string, body: unknown): void {
    if (!isObject(body)) return sendText(res, 400, 'invalid_payload');
    const hasBlocks = Array.isArray(body['blocks']) && body['blocks'].length > 0;
    if (!str(body['text']) && !hasBlocks && !Array.isArray(body['attachments'])) return sendText(res, 400, 'no_text');
    const { header, text } = slackParts(body);
    const title = header ?? '(no header)';
    const tag = `[${relative(at - startedAt)}] SLACK     `;
    let printed = `${tag}${title}\n`;
    if (text) printed += indent(text, ' '.repeat(tag.length)) + '\n';
    record(
      {
        kind: 'slack',
        at,
        path,
        body,
        summary: text ? `${title} — ${text.split('\n')[0]}` : title,
        ...(header !== undefined ? { header } : {}),
        ...(text !== undefined ? { text } : {}),
      },
      printed,
    );
    sendText(res, 200, 'ok');
  }

  function onPagerDuty(res: ServerResponse, at: number, path: string, body: unknown): void {
    const errors = pagerDutyErrors(body);
    if (errors.length > 0 || !isObject(body)) {
      return sendJson(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
    }
    const eventAction = body['event_action'] as PagerDutyAction;
    const dedupKey = str(body['dedup_key']) ?? randomUUID().replace(/-/g, '');
    const payload = isObject(body['payload']) ? body['payload'] : {};
    const severity = str(payload['severity']);
    const summary = str(payload['summary']) ?? '';
    const line = `${eventAction}${severity ? ` ${severity}` : ''}${summary ? `: ${summary}` : ''}`;
    record(
      {
        kind: 'pagerduty',
        at,
        path,
        body,
        summary: line,
        eventAction,
        dedupKey,
        ...(severity !== undefined ? { severity } : {}),
      },
      `[${relative(at - startedAt)}] PAGERDUTY ${line} (dedup_key ${dedupKey})\n`,
    );
    sendJson(res, 202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  }

  /** PagerDuty change events ("Send a Change Event": 202 {status, message}). */
  function onPagerDutyChange(res: ServerResponse, at: number, path: string, body: unknown): void {
    const payload = isObject(body) && isObject(body['payload']) ? body['payload'] : null;
    const summary = payload ? str(payload['summary']) : undefined;
    if (!isObject(body) || typeof body['routing_key'] !== 'string' || !summary) {
      return sendJson(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.summary' is missing or blank"] });
    }
    record({ kind: 'pagerduty-change', at, path, body, summary }, `[${relative(at - startedAt)}] PAGERDUTY change event: ${summary}\n`);
    sendJson(res, 202, { status: 'success', message: 'Change event processed' });
  }

  const server = createServer((req, res) => {
    const at = clock.now();
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const route = path === '/slack' ? onSlack : path === '/pagerduty/v2/enqueue' ? onPagerDuty : path === '/pagerduty/v2/change/enqueue' ? onPagerDutyChange : null;
    if (!route) {
      req.resume();
      return sendText(res, 404, 'not found');
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('Allow', 'POST');
      return sendText(res, 405, 'method not allowed');
    }
    readBody(req, maxBody).then(
      (raw) => {
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        if (route === onPagerDuty && body === undefined) {
          return sendJson(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Body is not valid JSON'] });
        }
        route(res, at, path, body);
      },
      () => sendText(res, 413, 'request entity too large'),
    );
  });

  const port = opts.host && opts.host !== '127.0.0.1' ? await listenOn(server, opts.host, opts.port ?? 0) : await listenLoopback(server, opts.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  const firstAt = (f: (e: ReceivedEvent) => boolean) => received.find(f)?.at ?? null;

  return {
    port,
    url,
    slackUrl: `${url}/slack`,
    pagerDutyUrl: `${url}/pagerduty/v2/enqueue`,
    events: () => received.slice(),
    firstPageAt: () => firstAt((e) => e.kind === 'pagerduty' && e.eventAction === 'trigger'),
    firstWarningAt: () => firstAt((e) => e.kind === 'slack'),
    close: () => closeServer(server),
  };
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        failed = true;
        reject(new Error('body too large'));
        req.resume();
        return;
      }
      if (!failed) chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
