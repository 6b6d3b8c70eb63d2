// A generic JSON webhook receiver: 200 for any JSON body, 400 otherwise.

import { startReceiver, type ListenOptions, type Reply, type ReceiverBase } from './common.js';
import { summarise } from './slack.js';

export const webhookReplies = {
  ok: (): Reply => ({ status: 200, body: { ok: true } }),
  status: (status: number, body = ''): Reply => ({ status, body }),
  hang: (): Reply => ({ hang: true }),
} as const;

export interface WebhookReceiver extends ReceiverBase {
  readonly url: string;
  /** Accepted JSON bodies, in order. */
  readonly bodies: readonly unknown[];
  summary(): string;
}

export async function startWebhookReceiver(opts: { path?: string } & ListenOptions = {}): Promise<WebhookReceiver> {
  const path = opts.path ?? '/hook';
  const bodies: unknown[] = [];
  const base = await startReceiver('webhook', (ctx) => {
    if (ctx.path !== path) return { status: 404, body: 'not found' };
    if (ctx.body === undefined) return { status: 400, body: 'expected JSON' };
    bodies.push(ctx.body);
    return webhookReplies.ok();
  }, opts);
  return {
    ...base,
    url: `${base.baseUrl}${path}`,
    bodies,
    summary: () => summarise('Webhook', base.received, (r) => r.rawBody),
  };
}
