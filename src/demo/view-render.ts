// The pure renderer of the demo's live view. The header always says the
// traffic is simulated.

import type { Severity } from '../core/types.js';
import { EVENT_LABELS, type AlertState, type ViewBackend, type ViewInput } from './view-types.js';

export const VIEW_TITLE = 'SIMULATED FLEET (demo) — not real traffic';

const ESC = '\u001b[';
const STYLES = {
  bold: '1',
  dim: '2',
  red: '31',
  green: '32',
  yellow: '33',
  cyan: '36',
  redBold: '1;31',
} as const;
type Style = keyof typeof STYLES;

export type Paint = (style: Style, text: string) => string;

export function painter(color: boolean): Paint {
  return color ? (style, text) => `${ESC}${STYLES[style]}m${text}${ESC}0m` : (_style, text) => text;
}

const ANSI_RE = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Printed width of a string, ignoring ANSI escapes (every code point counts as one column). */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI_RE, '')].length;
}

/** Cut a line to `width` columns, keeping ANSI escapes intact. */
export function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = '';
  let seen = 0;
  let i = 0;
  const chars = [...text];
  while (i < chars.length && seen < width - 1) {
    if (chars[i] === '\u001b') {
      let j = i;
      while (j < chars.length && !/[A-Za-z]/.test(chars[j]!)) j++;
      out += chars.slice(i, j + 1).join('');
      i = j + 1;
      continue;
    }
    out += chars[i];
    seen++;
    i++;
  }
  return out + '…' + (text.includes('\u001b') ? `${ESC}0m` : '');
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** The expected-share marker: thin on an empty cell, heavy inside the bar. The legend names both. */
export const EXPECTED_MARKERS = ['│', '┃'] as const;

/**
 * A horizontal bar of `cells` columns for value/scale, in eighth-block
 * resolution, with `│` (or `┃` inside the bar) at the expected position.
 */
export function shareBar(value: number, expected: number, scale: number, cells: number): string {
  const s = scale > 0 ? scale : 1;
  const eighths = Math.round(Math.min(Math.max(value / s, 0), 1) * cells * 8);
  const full = Math.floor(eighths / 8);
  const chars: string[] = [];
  for (let i = 0; i < cells; i++) {
    if (i < full) chars.push('█');
    else if (i === full && eighths % 8 > 0) chars.push(EIGHTHS[eighths % 8]!);
    else chars.push(' ');
  }
  const marker = Math.min(cells - 1, Math.max(0, Math.round((expected / s) * cells) - 1));
  if (expected > 0) chars[marker] = chars[marker] === ' ' ? EXPECTED_MARKERS[0] : EXPECTED_MARKERS[1];
  return chars.join('');
}

function pct(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '  —' : `${(x * 100).toFixed(digits)}%`;
}

function pad(text: string, width: number, right = false): string {
  const n = Math.max(0, width - visibleLength(text));
  return right ? ' '.repeat(n) + text : text + ' '.repeat(n);
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  const sign = s < 0 ? '-' : '';
  const a = Math.abs(s);
  if (a < 60) return `${sign}${a.toFixed(1)}s`;
  const m = Math.floor(a / 60);
  return `${sign}${m}m${(a - m * 60).toFixed(0).padStart(2, '0')}s`;
}

const ALERT_STYLE: Readonly<Record<AlertState, Style>> = {
  inactive: 'dim',
  pending: 'yellow',
  firing: 'redBold',
  resolved: 'green',
};

const SEVERITY_STYLE: Readonly<Record<Severity, Style>> = { ok: 'green', warning: 'yellow', critical: 'redBold' };

function cpuStyle(cpu: number | null): Style {
  if (cpu === null) return 'dim';
  return cpu >= 0.9 ? 'red' : cpu >= 0.75 ? 'yellow' : 'green';
}

/** Which rows to show: all, or the hottest (by share/expected) when there are too many. */
function pickRows(backends: readonly ViewBackend[], max: number): { rows: ViewBackend[]; hidden: number } {
  if (backends.length <= max) return { rows: [...backends], hidden: 0 };
  const keep = Math.max(1, max - 1);
  // Rounded so that servers near their expected share tie and keep their order.
  const heat = (b: ViewBackend) =>
    Math.round((b.expectedShare > 0 ? b.share / b.expectedShare : b.share > 0 ? 1e6 : 0) * 10) / 10 +
    (b.status === 'UP' ? 0 : 1e6);
  const ranked = backends
    .map((b, i) => ({ b, i }))
    .sort((x, y) => heat(y.b) - heat(x.b) || x.i - y.i)
    .slice(0, keep)
    .sort((x, y) => x.i - y.i)
    .map((x) => x.b);
  return { rows: ranked, hidden: backends.length - ranked.length };
}

/** Greedy wrap of `words` (kept whole) into lines of at most `width` columns. */
function wrap(words: readonly string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && visibleLength(line) + 1 + visibleLength(w) > width) {
      lines.push(line);
      line = indent + w;
    } else {
      line = line ? `${line} ${w}` : w;
    }
  }
  if (line) lines.push(line);
  return lines;
}

export function renderView(input: ViewInput): string {
  const paint = painter(input.color ?? false);
  const width = Math.max(40, Math.floor(input.width ?? 80));
  const lines: string[] = [];

  const duration = input.durationSeconds !== undefined ? ` / ${formatSeconds(input.durationSeconds)}` : '';
  lines.push(paint('bold', VIEW_TITLE));
  lines.push(
    [
      input.scenario ? `scenario ${paint('cyan', input.scenario)}` : null,
      `t=${formatSeconds(input.elapsedSeconds)}${duration}`,
      `offered ${Math.round(input.offeredRps)} req/s`,
    ]
      .filter((x): x is string => x !== null)
      .join('   '),
  );
  lines.push('');

  const nameWidth = Math.max(6, ...input.backends.map((b) => visibleLength(b.name) + 1));
  const barCells = Math.max(8, Math.min(30, width - nameWidth - 50));
  const maxShare = Math.max(0, ...input.backends.flatMap((b) => [b.share, b.expectedShare]));
  const scale = Math.min(1, Math.ceil((maxShare * 1.1 || 0.1) * 10) / 10);
  lines.push(
    paint(
      'dim',
      `${pad('server', nameWidth)} ${pad('state', 5)} ${pad(`share (${EXPECTED_MARKERS.join(' or ')} = expected, full bar = ${pct(scale)})`, barCells + 20)} ${pad('cpu', 5, true)} ${pad('queue', 6, true)} ${pad('503', 6, true)}`,
    ),
  );
  const { rows, hidden } = pickRows(input.backends, Math.max(2, input.maxBackendRows ?? 12));
  for (const b of rows) {
    const up = b.status === 'UP';
    const status = up ? paint('green', pad(b.status, 5)) : paint('red', pad(b.status, 5));
    const hot = b.expectedShare > 0 && b.share > b.expectedShare * 1.5;
    const bar = shareBar(b.share, b.expectedShare, scale, barCells);
    const shareText = `${pad(pct(b.share, 1), 6, true)} (exp ${pad(pct(b.expectedShare, 1), 6, true)})`;
    lines.push(
      [
        pad(b.name, nameWidth),
        status,
        hot ? paint('red', bar) : bar,
        hot ? paint('red', shareText) : shareText,
        paint(cpuStyle(b.cpu), pad(pct(b.cpu), 5, true)),
        pad(b.queue === null ? '—' : String(Math.round(b.queue)), 6, true),
        pad(b.errors5xx === undefined ? '—' : String(b.errors5xx), 6, true),
      ].join(' '),
    );
  }
  if (hidden > 0) lines.push(paint('dim', `… ${hidden} more servers not shown (near their expected share)`));
  lines.push('');

  const alerts = input.alerts.length
    ? input.alerts.map((a) => `${a.rule} ${paint(ALERT_STYLE[a.state], `[${a.state}]`)}`)
    : [paint('dim', '(no rules evaluated yet)')];
  lines.push(...wrap(['alerts:', ...alerts], width, '        '));

  const v = input.verdict;
  const verdict = v
    ? [paint(SEVERITY_STYLE[v.severity], v.severity.toUpperCase()), ...v.explanation.split(/\s+/).filter(Boolean)]
    : [paint('dim', 'waiting for the first analysis…')];
  lines.push(...wrap(['verdict:', ...verdict], width, '         '));
  lines.push('');

  lines.push(paint('bold', 'events'));
  const events = [...input.events].sort((a, b) => a.at - b.at).slice(-Math.max(1, input.maxEvents ?? 6));
  if (events.length === 0) lines.push(paint('dim', '  (none yet)'));
  for (const e of events) {
    const label = EVENT_LABELS[e.kind];
    const style: Style = e.kind === 'first-5xx' || e.kind === 'page' ? 'red' : e.kind === 'repaired' ? 'green' : 'yellow';
    lines.push(`  ${pad(formatSeconds(e.at), 7, true)}  ${paint(style, label)}${e.detail ? `: ${e.detail}` : ''}`);
  }
  return lines.map((l) => truncate(l.trimEnd(), width)).join('\n') + '\n';
}
