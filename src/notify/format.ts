// Rendering helpers shared by the integrations: durations, percentages, the
// per-backend selection for huge pools, the share bar, Prometheus links.
// Pure functions of their arguments.

import type { BackendStat, PoolVerdict } from '../core/types.js';
import type { Notification } from '../core/alerting/notification.js';

/** "45s", "12m", "2h", "2h 5m", "3d 4h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0s';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  // Shares in pools of hundreds of backends are fractions of a percent.
  const d = x !== 0 && Math.abs(x) < 0.01 ? Math.max(digits, 2) : digits;
  return `${(x * 100).toFixed(d)}%`;
}

/** Cut to `max` UTF-16 units (never more than Slack's character count) with an ellipsis. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return s.slice(0, Math.max(0, max));
  let cut = s.slice(0, max - 1);
  // Do not leave half a surrogate pair behind.
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export function padEnd(s: string, n: number): string {
  const t = truncate(s, n);
  return t + ' '.repeat(Math.max(0, n - [...t].length));
}

export function padStart(s: string, n: number): string {
  return ' '.repeat(Math.max(0, n - [...s].length)) + s;
}

/**
 * A fixed-width bar of the observed share with a marker at the expected share:
 * `▇▇▇▇▇┃▇▇▇···` reads "above expectation", `▇▇··┃·······` "starved".
 * Both are scaled to `scale` (the largest share shown) so rows compare.
 */
export function shareBar(share: number, expected: number, scale: number, width = 14): string {
  const s = scale > 0 ? scale : 1;
  const clamp = (x: number) => Math.max(0, Math.min(width, x));
  const filled = clamp(Math.round((share / s) * width));
  const marker = expected > 0 ? clamp(Math.round((expected / s) * width)) : -1;
  let out = '';
  for (let i = 0; i < width; i++) {
    if (i === marker || (marker === width && i === width - 1)) out += '┃';
    else out += i < filled ? '▇' : '·';
  }
  return out;
}

export interface BackendSelection {
  /** Rows to show, hottest first. */
  readonly rows: readonly BackendStat[];
  readonly total: number;
  readonly omitted: number;
  readonly omittedHot: number;
  readonly omittedStarved: number;
  /** Backends not up (down/maint): listed by name, not as rows. */
  readonly unavailable: readonly string[];
}

function interest(b: BackendStat): number {
  if (b.health !== 'up') return 0;
  if (b.outlier === 'hot') return 3;
  if (b.outlier === 'starved') return 2;
  return 1;
}

/**
 * The rows worth a person's attention when a pool has hundreds of backends:
 * hot outliers, then starved ones, then the largest deviations from expected.
 */
export function selectBackends(v: PoolVerdict, max: number): BackendSelection {
  const up = v.backends.filter((b) => b.health === 'up');
  const ranked = [...up].sort(
    (a, b) => interest(b) - interest(a) || Math.abs(b.ratio - 1) - Math.abs(a.ratio - 1) || a.backend.localeCompare(b.backend),
  );
  const shown = ranked.slice(0, Math.max(0, max));
  const rest = ranked.slice(shown.length);
  const rows = [...shown].sort((a, b) => b.ratio - a.ratio || a.backend.localeCompare(b.backend));
  return {
    rows,
    total: v.backends.length,
    omitted: rest.length,
    omittedHot: rest.filter((b) => b.outlier === 'hot').length,
    omittedStarved: rest.filter((b) => b.outlier === 'starved').length,
    unavailable: v.backends.filter((b) => b.health !== 'up').map((b) => `${b.backend} (${b.health})`),
  };
}

/** One line about the saturation forecast, or null when there is none. */
export function forecastLine(v: PoolVerdict): string | null {
  const f = v.forecast;
  if (!f) return null;
  const now = pct(f.current, 0);
  const thr = pct(f.threshold, 0);
  if (f.secondsToSaturation === null) return `${f.backend} at ${now} CPU, not rising towards ${thr}`;
  const rate = (f.slopePerSecond * 60 * 100).toFixed(1);
  if (f.secondsToSaturation <= 0) return `${f.backend} is at or above ${thr} CPU now (${now})`;
  return `${f.backend} reaches ${thr} CPU in ~${formatDuration(f.secondsToSaturation * 1000)} (now ${now}, +${rate} pp/min)`;
}

/**
 * Fill `{{pool}}`, `{{rule}}` and `{{label:NAME}}` (a pool label) in a query or
 * URL template, so one configured PromQL serves every pool.
 */
export function expandTemplate(tpl: string, n: Notification): string {
  return tpl
    .replace(/\{\{\s*pool\s*\}\}/g, n.pool)
    .replace(/\{\{\s*rule\s*\}\}/g, n.ruleId)
    .replace(/\{\{\s*label:([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => n.poolLabels[name] ?? '');
}

/** Prometheus expression-browser link for a query (graph tab, last hour). */
export function prometheusGraphUrl(base: string, query: string): string {
  const root = base.replace(/\/+$/, '');
  const params = new URLSearchParams({ 'g0.expr': query, 'g0.tab': '0', 'g0.range_input': '1h' });
  return `${root}/graph?${params.toString()}`;
}

/** The runbook from the annotations (runbook_url, or runbook), when it is a URL. */
export function runbookUrl(n: Notification): string | undefined {
  const r = n.annotations['runbook_url'] ?? n.annotations['runbook'];
  return r && /^https?:\/\//.test(r) ? r : undefined;
}

/** How long the alert has been firing when this notification was created, or lasted when resolved. */
export function firingFor(n: Notification): number {
  const end = n.kind === 'resolve' ? n.endsAt ?? n.createdAt : n.createdAt;
  return Math.max(0, end - n.startsAt);
}
