// A Slack incoming-webhook look-alike. Answers like hooks.slack.com does
// (api.slack.com changelog 2016-05 "Improving error conditions for Incoming
// Webhooks", Block Kit reference): 200 "ok"; 400 invalid_payload (not JSON),
// no_text (neither text nor blocks/attachments), invalid_blocks (a block
// breaks a documented limit); 404 no_service for an unknown webhook path;
// 429 + Retry-After and 5xx only when scripted.

import { startReceiver, type ListenOptions, type Reply, type ReceiverBase, type ReceivedRequest } from './common.js';

export const SLACK_WEBHOOK_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';

export const slackReplies = {
  ok: (): Reply => ({ status: 200, body: 'ok' }),
  invalidPayload: (): Reply => ({ status: 400, body: 'invalid_payload' }),
  invalidBlocks: (): Reply => ({ status: 400, body: 'invalid_blocks' }),
  noText: (): Reply => ({ status: 400, body: 'no_text' }),
  invalidToken: (): Reply => ({ status: 403, body: 'invalid_token' }),
  actionProhibited: (): Reply => ({ status: 403, body: 'action_prohibited' }),
  noService: (): Reply => ({ status: 404, body: 'no_service' }),
  channelNotFound: (): Reply => ({ status: 404, body: 'channel_not_found' }),
  channelArchived: (): Reply => ({ status: 410, body: 'channel_is_archived' }),
  rateLimited: (retryAfterSeconds = 1): Reply => ({
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: { ok: false, error: 'rate_limited' },
  }),
  serverError: (): Reply => ({ status: 500, body: 'rollup_error' }),
  hang: (): Reply => ({ hang: true }),
} as const;

const LIMITS = { blocks: 50, header: 150, text: 3000, fields: 10, field: 2000, context: 10, blockId: 255, messageText: 40_000 };

function textProblem(t: unknown, max: number, where: string, plainOnly = false): string | null {
  if (typeof t !== 'object' || t === null) return `${where}: text object required`;
  const o = t as { type?: unknown; text?: unknown };
  if (o.type !== 'plain_text' && o.type !== 'mrkdwn') return `${where}: text type must be plain_text or mrkdwn`;
  if (plainOnly && o.type !== 'plain_text') return `${where}: must be plain_text`;
  if (typeof o.text !== 'string' || o.text.length === 0) return `${where}: text must be a non-empty string`;
  if (o.text.length > max) return `${where}: text longer than ${max}`;
  return null;
}

/** Why Slack would reject these blocks, or null. */
export function blocksProblem(blocks: unknown): string | null {
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > LIMITS.blocks) return `more than ${LIMITS.blocks} blocks`;
  for (const [i, b] of blocks.entries()) {
    const where = `blocks[${i}]`;
    if (typeof b !== 'object' || b === null) return `${where}: not an object`;
    const blk = b as Record<string, unknown>;
    if (blk.block_id !== undefined && (typeof blk.block_id !== 'string' || blk.block_id.length > LIMITS.blockId)) return `${where}: block_id`;
    switch (blk.type) {
      case 'header': {
        const p = textProblem(blk.text, LIMITS.header, where, true);
        if (p) return p;
        break;
      }
      case 'section': {
        if (blk.text === undefined && blk.fields === undefined) return `${where}: section needs text or fields`;
        if (blk.text !== undefined) {
          const p = textProblem(blk.text, LIMITS.text, where);
          if (p) return p;
        }
        if (blk.fields !== undefined) {
          if (!Array.isArray(blk.fields) || blk.fields.length === 0 || blk.fields.length > LIMITS.fields) return `${where}: 1-${LIMITS.fields} fields`;
          for (const [j, f] of blk.fields.entries()) {
            const p = textProblem(f, LIMITS.field, `${where}.fields[${j}]`);
            if (p) return p;
          }
        }
        break;
      }
      case 'context': {
        if (!Array.isArray(blk.elements) || blk.elements.length === 0 || blk.elements.length > LIMITS.context) return `${where}: 1-${LIMITS.context} elements`;
        for (const [j, el] of blk.elements.entries()) {
          const p = textProblem(el, LIMITS.text, `${where}.elements[${j}]`);
          if (p) return p;
        }
        break;
      }
      case 'divider':
        break;
      default:
        return `${where}: unsupported block type ${String(blk.type)}`;
    }
  }
  return null;
}

/** The error code Slack would answer for this body, or null for "ok". */
export function slackPayloadProblem(body: unknown): { code: string; detail: string } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { code: 'invalid_payload', detail: 'body is not a JSON object' };
  const m = body as { text?: unknown; blocks?: unknown; attachments?: unknown };
  if (m.text !== undefined && typeof m.text !== 'string') return { code: 'invalid_payload', detail: 'text must be a string' };
  if (typeof m.text === 'string' && m.text.length > LIMITS.messageText) return { code: 'msg_too_long', detail: 'text too long' };
  const hasText = typeof m.text === 'string' && m.text.trim() !== '';
  let totalBlocks = 0;
  if (m.blocks !== undefined) {
    const p = blocksProblem(m.blocks);
    if (p) return { code: 'invalid_blocks', detail: p };
    totalBlocks += (m.blocks as unknown[]).length;
  }
  if (m.attachments !== undefined) {
    if (!Array.isArray(m.attachments)) return { code: 'invalid_attachments', detail: 'attachments must be an array' };
    for (const [i, a] of m.attachments.entries()) {
      const att = a as { blocks?: unknown; color?: unknown };
      if (att.color !== undefined && typeof att.color !== 'string') return { code: 'invalid_attachments', detail: `attachments[${i}].color` };
      if (att.blocks !== undefined) {
        const p = blocksProblem(att.blocks);
        if (p) return { code: 'invalid_blocks', detail: `attachments[${i}].${p}` };
        totalBlocks += (att.blocks as unknown[]).length;
      }
    }
  }
  if (totalBlocks > LIMITS.blocks) return { code: 'invalid_blocks', detail: `more than ${LIMITS.blocks} blocks in the message` };
  if (!hasText && totalBlocks === 0 && !(Array.isArray(m.attachments) && m.attachments.length > 0)) return { code: 'no_text', detail: 'no text' };
  return null;
}

export interface SlackReceiver extends ReceiverBase {
  /** The webhook URL to configure (a fake secret path). */
  readonly url: string;
  /** Messages answered "ok", in order. */
  readonly messages: ReadonlyArray<Record<string, unknown>>;
  /** Why the last rejected payload was rejected (for test failure messages). */
  readonly lastRejection: () => string | undefined;
  summary(): string;
}

export async function startSlackReceiver(opts: { path?: string } & ListenOptions = {}): Promise<SlackReceiver> {
  const path = opts.path ?? SLACK_WEBHOOK_PATH;
  const messages: Array<Record<string, unknown>> = [];
  let lastRejection: string | undefined;
  const base = await startReceiver('slack', (ctx) => {
    if (ctx.method !== 'POST') return { status: 405, body: 'invalid_method' };
    if (ctx.path !== path) return slackReplies.noService();
    if (ctx.body === undefined) {
      lastRejection = 'body is not JSON';
      return slackReplies.invalidPayload();
    }
    const p = slackPayloadProblem(ctx.body);
    if (p) {
      lastRejection = `${p.code}: ${p.detail}`;
      return { status: 400, body: p.code };
    }
    messages.push(ctx.body as Record<string, unknown>);
    return slackReplies.ok();
  }, opts);
  return {
    ...base,
    url: `${base.baseUrl}${path}`,
    messages,
    lastRejection: () => lastRejection,
    summary: () => summarise('Slack', base.received, (r) => headerOf(r.body) ?? String((r.body as { text?: unknown } | undefined)?.text ?? '')),
  };
}

function headerOf(body: unknown): string | undefined {
  const m = body as { blocks?: Array<{ type?: string; text?: { text?: string } }>; attachments?: Array<{ blocks?: Array<{ type?: string; text?: { text?: string } }> }> };
  const all = [...(m?.blocks ?? []), ...(m?.attachments ?? []).flatMap((a) => a.blocks ?? [])];
  return all.find((b) => b.type === 'header')?.text?.text;
}

export function summarise(service: string, received: readonly ReceivedRequest[], describe: (r: ReceivedRequest) => string): string {
  const lines = [`${service} receiver: ${received.length} request(s)`];
  for (const r of received) {
    lines.push(`  ${new Date(r.at).toISOString().slice(11, 23)}  ${r.status === 0 ? 'no answer' : r.status}  ${describe(r).slice(0, 120)}`);
  }
  return lines.join('\n');
}
