// The end-of-run summary: each event's time relative to the fault, and the
// lead time the demo is about (first 5xx minus first page).

import { formatSeconds, painter, visibleLength } from './view-render.js';
import { EVENT_LABELS, type DemoEvent } from './view-types.js';

export interface TimelineOptions {
  readonly color?: boolean;
}

export type LeadTime =
  /** The first page came `seconds` before the first 5xx. */
  | { readonly kind: 'lead'; readonly seconds: number; readonly pageAt: number; readonly first5xxAt: number }
  /** The first page came `seconds` after the first 5xx. */
  | { readonly kind: 'late'; readonly seconds: number; readonly pageAt: number; readonly first5xxAt: number }
  /** Users saw 5xx and no page was sent. */
  | { readonly kind: 'no-page'; readonly first5xxAt: number }
  /** No 5xx during the run; `repaired` when the auto-fix got there first. */
  | { readonly kind: 'no-5xx'; readonly repaired: boolean; readonly pageAt: number | null };

function firstAt(events: readonly DemoEvent[], kind: DemoEvent['kind']): number | null {
  let best: number | null = null;
  for (const e of events) if (e.kind === kind && (best === null || e.at < best)) best = e.at;
  return best;
}

export function leadTime(events: readonly DemoEvent[]): LeadTime {
  const pageAt = firstAt(events, 'page');
  const first5xxAt = firstAt(events, 'first-5xx');
  if (first5xxAt === null) return { kind: 'no-5xx', repaired: firstAt(events, 'repaired') !== null, pageAt };
  if (pageAt === null) return { kind: 'no-page', first5xxAt };
  return pageAt <= first5xxAt
    ? { kind: 'lead', seconds: first5xxAt - pageAt, pageAt, first5xxAt }
    : { kind: 'late', seconds: pageAt - first5xxAt, pageAt, first5xxAt };
}

export function describeLeadTime(lt: LeadTime): string {
  switch (lt.kind) {
    case 'lead':
      return `lead time: ${formatSeconds(lt.seconds)} between the first page and the first 5xx`;
    case 'late':
      return `no lead time: the first page came ${formatSeconds(lt.seconds)} after the first 5xx`;
    case 'no-page':
      return 'no lead time: users saw 5xx and no page was sent';
    case 'no-5xx':
      return lt.repaired ? 'no 5xx (auto-fix repaired before saturation)' : 'no 5xx during the run';
  }
}

/** A table of events (times relative to the fault, or to the start without one) and the lead time. */
export function renderTimeline(events: readonly DemoEvent[], opts: TimelineOptions = {}): string {
  const paint = painter(opts.color ?? false);
  const faultAt = firstAt(events, 'fault');
  const origin = faultAt ?? 0;
  const rel = (at: number) => (faultAt === null ? `t=${formatSeconds(at)}` : `T${at - origin < 0 ? '' : '+'}${formatSeconds(at - origin)}`);
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const rows = sorted.map((e) => [rel(e.at), EVENT_LABELS[e.kind], e.detail ?? ''] as const);
  const header = [faultAt === null ? 'time' : 'time (T = fault)', 'event', 'detail'] as const;
  const w0 = Math.max(visibleLength(header[0]), ...rows.map((r) => visibleLength(r[0])));
  const w1 = Math.max(visibleLength(header[1]), ...rows.map((r) => visibleLength(r[1])));
  const line = (a: string, b: string, c: string) =>
    `  ${a.padStart(w0)}  ${b}${' '.repeat(Math.max(0, w1 - visibleLength(b)))}  ${c}`.trimEnd();
  const out: string[] = [paint('bold', 'Timeline (SIMULATED FLEET)')];
  out.push(paint('dim', line(header[0], header[1], header[2])));
  if (rows.length === 0) out.push(paint('dim', '  (no events)'));
  for (const r of rows) out.push(line(r[0], r[1], r[2]));
  if (faultAt === null) out.push(paint('dim', '  no fault injected'));
  const lt = leadTime(events);
  const style = lt.kind === 'lead' || lt.kind === 'no-5xx' ? 'green' : 'red';
  out.push('', paint(style, describeLeadTime(lt)));
  return out.join('\n') + '\n';
}
