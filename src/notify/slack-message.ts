// Block Kit rendering for Slack incoming webhooks. Pure: (notification,
// options) -> payload. Limits respected (docs.slack.dev Block Kit reference):
// at most 50 blocks per message, header plain_text <= 150 characters, section
// text <= 3000, section fields <= 10 items of <= 2000, context <= 10 elements.
// The top-level `text` is the notification fallback shown in push messages.

import { describeChange } from '../core/changes/changes.js';
import type { PoolVerdict } from '../core/types.js';
import type { Notification } from '../core/alerting/notification.js';
import { ruleTitle } from '../core/alerting/notification.js';
import {
  expandTemplate,
  firingFor,
  forecastLine,
  formatDuration,
  padEnd,
  padStart,
  pct,
  prometheusGraphUrl,
  runbookUrl,
  shareBar,
  truncate,
} from './format.js';
import { selectListed } from './compact-verdict.js';

export const SLACK_LIMITS = Object.freeze({
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** We keep the fallback text short; Slack's own cap is far higher. */
  fallbackText: 1000,
});

export interface TextObject {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
}
export type SlackBlock =
  | { readonly type: 'header'; readonly text: TextObject }
  | { readonly type: 'section'; readonly text?: TextObject; readonly fields?: readonly TextObject[] }
  | { readonly type: 'context'; readonly elements: readonly TextObject[] }
  | { readonly type: 'divider' };

/**
 * Header and summary are top-level blocks (always visible); the details go in
 * one attachment whose coloured bar shows severity or green for resolved.
 * Slack calls attachments "secondary" and may fold long ones behind "Show
 * more", which is the right place for the table and links.
 */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
  readonly attachments: readonly [{ readonly color: string; readonly fallback: string; readonly blocks: readonly SlackBlock[] }];
}

/** Every block of a message, top-level first (limits apply to the total). */
export function allBlocks(m: SlackMessage): SlackBlock[] {
  return [...m.blocks, ...m.attachments[0].blocks];
}

export interface SlackRenderOptions {
  /** Base URL of Prometheus for the graph link, e.g. http://prometheus:9090. */
  readonly prometheusUrl?: string;
  /** PromQL behind the alert; `{{pool}}`, `{{rule}}`, `{{label:NAME}}` are filled in. */
  readonly prometheusQuery?: string;
  /** Backend rows shown at most (hot and starved first). Default 12. */
  readonly maxBackendRows?: number;
  /** Bar width in characters. Default 14. */
  readonly barWidth?: number;
}

export const SLACK_COLORS = Object.freeze({ critical: '#d00000', warning: '#f2a900', info: '#439fe0', resolved: '#2eb886', closed: '#9e9e9e' });

/** A resolve that is not a recovery: the rule was removed or the pool is no longer reported (orphans). */
function closedWithoutRecovery(n: Notification): boolean {
  return n.kind === 'resolve' && n.resolution !== undefined && n.resolution !== 'recovered';
}

const SEVERITY_EMOJI = { critical: '🔴', warning: '🟠', info: '🔵' } as const;

/** Slack mrkdwn control characters (docs: "Escaping text"). */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link target safe inside <url|text>. */
function linkTarget(url: string): string {
  return url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
}

function link(url: string, text: string): string {
  return `<${linkTarget(url)}|${escapeMrkdwn(text)}>`;
}

function slackDate(ms: number): string {
  const iso = new Date(ms).toISOString().replace('.000Z', 'Z');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

function mrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): TextObject {
  return { type: 'mrkdwn', text: truncate(text, max) };
}

function statusWord(n: Notification): string {
  if (n.kind === 'change') return 'CHANGE';
  if (closedWithoutRecovery(n)) return `CLOSED after ${formatDuration(firingFor(n))}`;
  if (n.kind === 'resolve') return `RESOLVED after ${formatDuration(firingFor(n))}`;
  if (n.kind === 'repeat') return `STILL FIRING for ${formatDuration(firingFor(n))}`;
  return 'FIRING';
}

function headerText(n: Notification): string {
  const emoji = closedWithoutRecovery(n) ? '⚪' : n.kind === 'resolve' ? '✅' : n.kind === 'repeat' ? '🔁' : n.kind === 'change' ? '🔧' : SEVERITY_EMOJI[n.severity];
  const sev = n.kind === 'resolve' || n.kind === 'change' ? '' : ` ${n.severity.toUpperCase()}`;
  return truncate(`${emoji} ${statusWord(n)}${sev} · ${n.pool}: ${ruleTitle(n)}`, SLACK_LIMITS.headerText);
}

/** The notification fallback (push notifications, screen readers, clients without blocks). */
export function fallbackText(n: Notification): string {
  const tag = closedWithoutRecovery(n) ? 'CLOSED' : n.kind === 'resolve' ? 'RESOLVED' : n.kind === 'change' ? 'CHANGE' : `${n.kind === 'repeat' ? 'STILL FIRING' : 'FIRING'}:${n.severity.toUpperCase()}`;
  return truncate(`[${tag}] ${n.pool}: ${n.summary}`, SLACK_LIMITS.fallbackText);
}

const COLS = { name: 18, share: 6, expected: 6, ratio: 6, cpu: 5, queue: 6 } as const;

/** The per-backend table as code-block lines; shrinks the row count until it fits one section. */
export function backendTable(v: PoolVerdict, maxRows: number, barWidth: number): { lines: string[]; notes: string[] } {
  for (let rows = Math.max(0, maxRows); rows >= 0; rows--) {
    const sel = selectListed(v, rows);
    const scale = Math.max(1e-9, ...sel.rows.map((b) => Math.max(b.share, b.expectedShare)));
    const head =
      `${padEnd('backend', COLS.name)} ${padEnd('share (┃=exp)', barWidth)} ${padStart('share', COLS.share)} ` +
      `${padStart('expect', COLS.expected)} ${padStart('ratio', COLS.ratio)} ${padStart('cpu', COLS.cpu)} ${padStart('queue', COLS.queue)}`;
    const lines = [head];
    for (const b of sel.rows) {
      const flag = b.outlier === 'hot' ? ' HOT' : b.outlier === 'starved' ? ' STARVED' : '';
      lines.push(
        `${padEnd(b.backend.replace(/`/g, "'"), COLS.name)} ${shareBar(b.share, b.expectedShare, scale, barWidth)} ` +
          `${padStart(pct(b.share), COLS.share)} ${padStart(pct(b.expectedShare), COLS.expected)} ` +
          `${padStart(Number.isFinite(b.ratio) ? `${b.ratio.toFixed(2)}×` : '–', COLS.ratio)} ` +
          `${padStart(pct(b.utilisation, 0), COLS.cpu)} ${padStart(b.queue === null ? '–' : String(b.queue), COLS.queue)}${flag}`,
      );
    }
    const notes: string[] = [];
    if (sel.omitted > 0) {
      const parts = [sel.omittedHot ? `${sel.omittedHot} hot` : '', sel.omittedStarved ? `${sel.omittedStarved} starved` : ''].filter(Boolean);
      notes.push(`… and ${sel.omitted} more backend${sel.omitted === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}`);
    }
    if (sel.unavailable.length > 0) {
      const shown = sel.unavailable.slice(0, 10).join(', ');
      const more = sel.unavailableTotal > 10 ? ` and ${sel.unavailableTotal - 10} more` : '';
      notes.push(`Not serving: ${shown}${more}`);
    }
    const text = tableText(lines, notes);
    if (text.length <= SLACK_LIMITS.sectionText || rows === 0) return { lines, notes };
  }
  return { lines: [], notes: [] };
}

function tableText(lines: readonly string[], notes: readonly string[]): string {
  const code = '```\n' + escapeMrkdwn(lines.join('\n')) + '\n```';
  return notes.length ? `${code}\n${escapeMrkdwn(notes.join('\n'))}` : code;
}

function linksContext(n: Notification, opts: SlackRenderOptions): SlackBlock | null {
  const els: TextObject[] = [];
  if (opts.prometheusUrl && opts.prometheusQuery) {
    const url = prometheusGraphUrl(opts.prometheusUrl, expandTemplate(opts.prometheusQuery, n));
    if (url.length <= 2500) els.push(mrkdwn(`:chart_with_upwards_trend: ${link(url, 'Prometheus graph')}`));
  }
  const rb = runbookUrl(n);
  if (rb && rb.length <= 2500) els.push(mrkdwn(`:book: ${link(rb, 'Runbook')}`));
  if (n.generatorUrl && /^https?:\/\//.test(n.generatorUrl) && n.generatorUrl.length <= 2500) {
    els.push(mrkdwn(`:mag: ${link(n.generatorUrl, 'Source')}`));
  }
  els.push(mrkdwn(`skewwatch · rule \`${escapeMrkdwn(n.ruleId)}\``, 300));
  return { type: 'context', elements: els.slice(0, SLACK_LIMITS.contextElements) };
}

function fieldsBlock(n: Notification): SlackBlock {
  const labels = Object.entries(n.poolLabels).map(([k, v]) => `${k}=${v}`).join(', ');
  const f: string[] = [
    `*Pool*\n${escapeMrkdwn(n.pool)}${labels ? ` (${escapeMrkdwn(labels)})` : ''}`,
    `*Severity*\n${n.severity}`,
    `*Started*\n${slackDate(n.startsAt)}`,
  ];
  if (n.kind === 'resolve') f.push(`*${closedWithoutRecovery(n) ? 'Closed' : 'Resolved'}*\n${slackDate(n.endsAt ?? n.createdAt)}`);
  else f.push(`*Firing for*\n${formatDuration(firingFor(n))}`);
  const v = closedWithoutRecovery(n) ? null : n.verdict;
  if (v) {
    f.push(`*Traffic*\n${v.totalRate.toFixed(1)} req/s over ${v.upCount} up backend${v.upCount === 1 ? '' : 's'}`);
    if (v.reasons.length) f.push(`*Reasons*\n${escapeMrkdwn(v.reasons.join(', '))}`);
  }
  return { type: 'section', fields: f.slice(0, SLACK_LIMITS.fields).map((t) => mrkdwn(t, SLACK_LIMITS.fieldText)) };
}

/** "What changed": the balancer changes of the look-back, newest last, and the declared-vs-running diff. */
function changesBlock(v: PoolVerdict, at: number): SlackBlock | null {
  const lines: string[] = [];
  for (const c of (v.changes ?? []).slice(-5)) lines.push(`• ${escapeMrkdwn(describeChange(c, at))}`);
  if ((v.changes?.length ?? 0) > 5) lines.unshift(`_${v.changes!.length - 5} earlier change(s) not shown_`);
  if (v.drift && v.drift.level > 0) {
    lines.push(`*Declared vs running:* ${escapeMrkdwn(v.drift.explanation ?? '')}`);
    for (const i of v.drift.items.slice(0, 5)) lines.push(`• \`${escapeMrkdwn(i.backend)}\` ${i.kind}: declared ${escapeMrkdwn(i.declared)}, live ${escapeMrkdwn(i.live)}`);
  }
  if (lines.length === 0) return null;
  return { type: 'section', text: mrkdwn(`:mag: *What changed*\n${lines.join('\n')}`) };
}

export function renderSlackMessage(n: Notification, opts: SlackRenderOptions = {}): SlackMessage {
  if (n.kind === 'change') {
    const text = fallbackText(n);
    return {
      text,
      blocks: [{ type: 'header', text: { type: 'plain_text', text: headerText(n), emoji: true } }, { type: 'section', text: mrkdwn(escapeMrkdwn(n.summary)) }],
      attachments: [{ color: SLACK_COLORS.info, fallback: text, blocks: [] }],
    };
  }
  const maxRows = opts.maxBackendRows ?? 12;
  const barWidth = opts.barWidth ?? 14;
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: headerText(n), emoji: true } }];

  const v = n.verdict;
  const description = n.annotations['description'];
  const body: string[] = [];
  if (closedWithoutRecovery(n)) {
    // Not a recovery: no "Now:" line and no table (the verdict is the last one seen, not the present).
    body.push(`*Closed without recovery after ${formatDuration(firingFor(n))}.* ${escapeMrkdwn(n.summary)}`);
  } else if (n.kind === 'resolve') {
    // The summary says what changed back (s1 back to 26% of be_app's traffic ...).
    body.push(`*Resolved after ${formatDuration(firingFor(n))}.* ${escapeMrkdwn(n.summary)}`);
    if (v && v.explanation) body.push(`Now: ${escapeMrkdwn(v.explanation)}`);
  } else {
    // Headline (the rule's summary annotation) in bold, then the verdict's explanation.
    const headline = n.annotations.summary ?? n.summary;
    body.push(`*${escapeMrkdwn(headline)}*`);
    // A drift rule's detail is the drift, not the traffic (evaluator: config_drift rules).
    const detail = v?.drift?.explanation && n.summary.endsWith(v.drift.explanation) ? v.drift.explanation : v?.explanation;
    if (detail && detail !== headline) body.push(escapeMrkdwn(detail));
    if (description && description !== n.summary) body.push(escapeMrkdwn(description));
  }
  blocks.push({ type: 'section', text: mrkdwn(body.join('\n')) });
  blocks.push(fieldsBlock(n));

  if (v && v.backends.length > 0 && !closedWithoutRecovery(n)) {
    const rows = n.kind === 'resolve' ? Math.min(maxRows, 5) : maxRows;
    const { lines, notes } = backendTable(v, rows, barWidth);
    if (lines.length > 0) blocks.push({ type: 'section', text: mrkdwn(tableText(lines, notes)) });
  }
  if (v && n.kind !== 'resolve') {
    const fl = forecastLine(v);
    if (fl) blocks.push({ type: 'section', text: mrkdwn(`:crystal_ball: *Forecast:* ${escapeMrkdwn(fl)}`) });
    const cb = changesBlock(v, n.createdAt);
    if (cb) blocks.push(cb);
  }
  const ctx = linksContext(n, opts);
  if (ctx) blocks.push(ctx);

  const color = closedWithoutRecovery(n) ? SLACK_COLORS.closed : n.kind === 'resolve' ? SLACK_COLORS.resolved : SLACK_COLORS[n.severity];
  const text = fallbackText(n);
  const capped = blocks.slice(0, SLACK_LIMITS.blocks);
  return { text, blocks: capped.slice(0, 2), attachments: [{ color, fallback: text, blocks: capped.slice(2) }] };
}
