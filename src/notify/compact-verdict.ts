// What the outbox stores of a verdict. A verdict lists every backend (203 KiB
// at 1,000 backends); a message shows a few dozen rows. The outbox keeps the
// rows a sink can show (the same ranking the renderers use: hot, starved, then
// the largest deviations from the expected share; plus a few backends that
// are not serving) and the true counts in `listing`, and the renderers read
// their counts through selectListed(): what a message says is the same as if
// it had been rendered from the whole verdict.

import type { PoolVerdict } from '../core/types.js';
import type { Notification } from '../core/alerting/notification.js';
import { selectBackends, type BackendSelection } from './format.js';

/** Rows kept per verdict unless a sink renders more (PagerDuty's default rows). */
export const DEFAULT_LISTED_BACKENDS = 50;
/** Backends not serving kept as rows (Slack names ten of them). */
export const LISTED_NOT_SERVING = 10;
/** Names kept in the hot / starved / unavailable / missing lists (Alertmanager annotations name 50). */
export const LISTED_NAMES = 100;

/** The counts of the verdict as analysed, present when rows or names were cut. */
export interface VerdictListing {
  readonly backends: number;
  readonly up: number;
  readonly hotUp: number;
  readonly starvedUp: number;
  readonly notServing: number;
  readonly hot: number;
  readonly starved: number;
  readonly unavailable: number;
  readonly missing: number;
}

export type ListedVerdict = PoolVerdict & { readonly listing?: VerdictListing };

/** A selection with the pool's real totals, and how many backends are not serving in all. */
export interface ListedSelection extends BackendSelection {
  readonly unavailableTotal: number;
}

/** The verdict with at most `maxRows` up backends and LISTED_NOT_SERVING others; unchanged when it is small. */
export function compactVerdict(v: PoolVerdict, maxRows: number = DEFAULT_LISTED_BACKENDS): PoolVerdict {
  if ((v as ListedVerdict).listing) return v;
  const notServing = v.backends.filter((b) => b.health !== 'up');
  const names = [v.hot, v.starved, v.unavailable, v.missing ?? []];
  const upCount = v.backends.length - notServing.length;
  if (upCount <= maxRows && notServing.length <= LISTED_NOT_SERVING && names.every((l) => l.length <= LISTED_NAMES)) return v;
  const keep = new Set(selectBackends(v, maxRows).rows);
  for (const b of notServing.slice(0, LISTED_NOT_SERVING)) keep.add(b);
  const up = v.backends.filter((b) => b.health === 'up');
  const listing: VerdictListing = {
    backends: v.backends.length,
    up: upCount,
    hotUp: up.filter((b) => b.outlier === 'hot').length,
    starvedUp: up.filter((b) => b.outlier === 'starved').length,
    notServing: notServing.length,
    hot: v.hot.length,
    starved: v.starved.length,
    unavailable: v.unavailable.length,
    missing: v.missing?.length ?? 0,
  };
  const compact: ListedVerdict = {
    ...v,
    hot: v.hot.slice(0, LISTED_NAMES),
    starved: v.starved.slice(0, LISTED_NAMES),
    unavailable: v.unavailable.slice(0, LISTED_NAMES),
    ...(v.missing ? { missing: v.missing.slice(0, LISTED_NAMES) } : {}),
    backends: v.backends.filter((b) => keep.has(b)),
    listing,
  };
  return compact;
}

/** The notification as the outbox stores it (a compact verdict). */
export function compactNotification(n: Notification, maxRows: number = DEFAULT_LISTED_BACKENDS): Notification {
  if (!n.verdict) return n;
  const verdict = compactVerdict(n.verdict, maxRows);
  return verdict === n.verdict ? n : { ...n, verdict };
}

/** selectBackends() with the counts of the whole verdict when it was compacted. */
export function selectListed(v: PoolVerdict, max: number): ListedSelection {
  const sel = selectBackends(v, max);
  const l = (v as ListedVerdict).listing;
  if (!l) return { ...sel, unavailableTotal: sel.unavailable.length };
  const shownHot = sel.rows.filter((b) => b.outlier === 'hot').length;
  const shownStarved = sel.rows.filter((b) => b.outlier === 'starved').length;
  return {
    ...sel,
    total: l.backends,
    omitted: Math.max(0, l.up - sel.rows.length),
    omittedHot: Math.max(0, l.hotUp - shownHot),
    omittedStarved: Math.max(0, l.starvedUp - shownStarved),
    unavailableTotal: l.notServing,
  };
}

const LISTING_KEYS: readonly (keyof VerdictListing)[] = ['backends', 'up', 'hotUp', 'starvedUp', 'notServing', 'hot', 'starved', 'unavailable', 'missing'];

/** Why a stored verdict's listing is damaged, or null (restore validation). */
export function listingProblem(verdict: unknown): string | null {
  if (typeof verdict !== 'object' || verdict === null) return null;
  const l = (verdict as { listing?: unknown }).listing;
  if (l === undefined) return null;
  if (typeof l !== 'object' || l === null) return 'verdict.listing must be an object';
  for (const k of LISTING_KEYS) {
    const x = (l as Record<string, unknown>)[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) return `verdict.listing.${k} must be a non-negative integer`;
  }
  if (!Array.isArray((verdict as { backends?: unknown }).backends)) return 'verdict.backends must be an array';
  return null;
}
