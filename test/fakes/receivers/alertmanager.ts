// A tiny Alertmanager stand-in for unit tests (the end-to-end suite uses the
// real binary). POST /api/v2/alerts: 200 with an empty body when every alert
// is valid, 400 with a JSON string naming the problem otherwise (as the real
// API does: labels required, names [a-zA-Z_][a-zA-Z0-9_]*, startsAt before
// endsAt). Keeps the latest version of each alert by label set.

import { startReceiver, type ListenOptions, type Reply, type ReceiverBase } from './common.js';
import { summarise } from './slack.js';

export const alertmanagerReplies = {
  ok: (): Reply => ({ status: 200, body: '' }),
  badRequest: (why = 'start time must be before end time'): Reply => ({ status: 400, body: JSON.stringify(why) }),
  serverError: (): Reply => ({ status: 500, body: JSON.stringify('internal error') }),
  hang: (): Reply => ({ hang: true }),
} as const;

export interface StoredAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  /** How many posts updated this alert. */
  posts: number;
}

export interface AlertmanagerReceiver extends ReceiverBase {
  /** Base URL to configure (the sink appends /api/v2/alerts). */
  readonly url: string;
  alerts(): StoredAlert[];
  /** Alerts whose endsAt is after `at` (default now). */
  firing(at?: number): StoredAlert[];
  summary(): string;
}

function fingerprint(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

export function alertProblem(a: unknown): string | null {
  if (typeof a !== 'object' || a === null) return 'alert is not an object';
  const x = a as Record<string, unknown>;
  // Alertmanager 0.25 drops empty-valued labels before validating (checked against the real binary).
  if (typeof x.labels !== 'object' || x.labels === null || Object.values(x.labels).filter((v) => v !== '').length === 0) return 'at least one label pair required';
  for (const [k, v] of Object.entries(x.labels as Record<string, unknown>)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) return `invalid label set: invalid name "${k}"`;
    if (typeof v !== 'string') return `invalid label set: invalid value for "${k}"`;
  }
  if (x.startsAt !== undefined && x.endsAt !== undefined && Date.parse(String(x.startsAt)) > Date.parse(String(x.endsAt))) return 'start time must be before end time';
  return null;
}

export async function startAlertmanagerReceiver(opts: ListenOptions = {}): Promise<AlertmanagerReceiver> {
  const store = new Map<string, StoredAlert>();
  const base = await startReceiver('alertmanager', (ctx) => {
    if (ctx.path !== '/api/v2/alerts' || ctx.method !== 'POST') return { status: 404, body: '404 page not found' };
    if (!Array.isArray(ctx.body)) return alertmanagerReplies.badRequest('body must be a JSON array of alerts');
    for (const a of ctx.body) {
      const p = alertProblem(a);
      if (p) return alertmanagerReplies.badRequest(p);
    }
    for (const a of ctx.body as StoredAlert[]) {
      const fp = fingerprint(a.labels);
      const prev = store.get(fp);
      store.set(fp, { ...a, posts: (prev?.posts ?? 0) + 1 });
    }
    return alertmanagerReplies.ok();
  }, opts);
  return {
    ...base,
    url: base.baseUrl,
    alerts: () => [...store.values()],
    firing: (at = Date.now()) => [...store.values()].filter((a) => Date.parse(a.endsAt) > at),
    summary: () => summarise('Alertmanager', base.received, (r) => JSON.stringify((r.body as Array<{ labels?: unknown; endsAt?: unknown }> | undefined)?.map((a) => [a.labels, a.endsAt]) ?? r.rawBody)),
  };
}
