// The short per-pool history the forecast fits its trend on. Pure and
// bounded: each call returns a new history, never mutates its input, keeps
// only points within historySeconds before `now` and at most
// maxHistoryPoints.
//
// Layout (PoolHistory in types.ts): names once per pool, each point a run of
// numbers (at, traffic, utilisation per name) inside blocks of HISTORY_BLOCK
// points. The earlier layout (two objects keyed by backend name per point,
// rebuilt for every pool every cycle and read back by name) made a
// running-state cycle ~2× the first one: allocation, GC, and the forecast
// chasing ~40 objects per pool scattered over the heap. Now the forecast
// reads a few contiguous arrays, and an append copies only the last,
// partial block: full blocks are never modified, so successive histories
// share them (structure sharing; histories are immutable, which the readonly
// types enforce). Request rates are not kept: their only reader (verdict:
// "did a pool with nothing up just have traffic?") needs one flag per point.

import type { PoolHistory, PoolSample } from '../types.js';
import type { AnalysisOptions } from './options.js';
import * as sanitise from './sanitise.js';
import { assumedCapacity, typicalUpWeight } from './assumed-capacity.js';

// Module-local copies (tsx compiles imported bindings to getter calls; pointOf runs per backend).
const { MAX_PLAUSIBLE, MIN_NONZERO } = sanitise;
const nonNegOrMissing = sanitise.nonNegOrMissing;

/** Marks an unknown utilisation (JSON has no NaN; a number keeps arrays all-double in V8). */
export const UNKNOWN = -1;
/**
 * Marks a backend that was not up (down, maint) or absent from the sample at
 * that point. Kept apart from UNKNOWN (up, CPU unknown) so the analysis can
 * tell a backend that came up within the rate window (warming up, prepare.ts)
 * without one more number per point. Histories written before this marker
 * existed have UNKNOWN there: they read as "was up", the old behaviour.
 */
export const DOWN = -2;
/** Points per block: copying the last block per append stays small, reading stays contiguous. */
export const HISTORY_BLOCK = 8;
/** Offsets inside a point; utilisation of name j is at UTIL + j. */
export const AT = 0;
export const TRAFFIC = 1;
export const UTIL = 2;

/** One point, decoded (tests, re-layout); the hot paths read the blocks directly. */
export interface DecodedPoint {
  readonly at: number;
  readonly traffic: boolean;
  readonly util: readonly number[];
}

/**
 * A history whose structure is known good: built here, or checked once by
 * usable(). Readers then need no per-value checks. The class is private to
 * this module, so `instanceof` proves where a history came from; its fields
 * are the PoolHistory fields and nothing else, so it serialises (state file)
 * exactly like the plain object it replaces, and anything else (JSON-restored,
 * hand-built) is checked on first use.
 *
 * Why not a WeakSet of checked histories (the earlier design): one add per
 * pool per cycle was ~6% of a running-state cycle in the profile, plus the
 * ephemeron work it gives every GC; an `instanceof` costs nothing.
 */
class TrustedHistory implements PoolHistory {
  // Declared, not a class field: an absent `weights` must stay absent (no own
  // property), as in the plain objects this replaces.
  declare readonly weights?: readonly number[];
  constructor(readonly names: readonly string[], readonly blocks: readonly (readonly number[])[], readonly skip: number, weights?: readonly number[]) {
    if (weights !== undefined) (this as { weights?: readonly number[] }).weights = weights;
  }
}

let lastUsable: PoolHistory | null = null;

/** A checked history from parts already known good (history.ts and steady-append.ts only). */
export function checked(names: readonly string[], blocks: readonly (readonly number[])[], skip: number, weights?: readonly number[]): PoolHistory {
  return new TrustedHistory(names, blocks, skip, weights);
}

export const EMPTY_HISTORY: PoolHistory = Object.freeze(checked(Object.freeze([]), Object.freeze([]), 0));

/** Numbers per point. */
export function strideOf(h: PoolHistory): number {
  return h.names.length + UTIL;
}

/**
 * A history safe to read without checks. A checked history is returned as
 * is; anything else is validated into a new one: unknown shapes (a state
 * file from an older version, whose points were keyed by backend name, or a
 * damaged one) become the empty history, which costs the trend, never the
 * daemon; points with an invalid time are dropped, unusable values become
 * UNKNOWN, and points are put in time order. Nothing is aged out here.
 */
export function usable(history: unknown): PoolHistory {
  // One pool's history is asked for several times in a row (analyse,
  // forecast, append): remembering the last answer saves WeakSet lookups.
  if (lastUsable !== null && history === lastUsable) return lastUsable;
  if (typeof history !== 'object' || history === null) return EMPTY_HISTORY;
  if (history instanceof TrustedHistory) return (lastUsable = history);
  const { names, blocks, skip } = history as { names?: unknown; blocks?: unknown; skip?: unknown };
  if (!Array.isArray(names) || !Array.isArray(blocks) || !Number.isInteger(skip) || (skip as number) < 0) return EMPTY_HISTORY;
  // Columns must be distinct strings, or values could not be attributed.
  if (names.some((n) => typeof n !== 'string') || new Set(names).size !== names.length) return EMPTY_HISTORY;
  const stride = names.length + UTIL;
  if (!blocks.every((b) => Array.isArray(b) && b.length % stride === 0)) return EMPTY_HISTORY;
  const points: DecodedPoint[] = [];
  const { weights } = history as { weights?: unknown };
  blocks.forEach((block: unknown[], b) => {
    for (let o = b === 0 ? (skip as number) * stride : 0; o < block.length; o += stride) {
      const at = block[o + AT];
      if (typeof at !== 'number' || !Number.isFinite(at)) continue;
      const util = names.map((_, j) => {
        const v = block[o + UTIL + j];
        return typeof v === 'number' && v >= 0 && v < Infinity ? v : v === DOWN ? DOWN : UNKNOWN;
      });
      points.push({ at, traffic: block[o + TRAFFIC] === 1, util });
    }
  });
  // Stable, so points at the same instant keep their order.
  points.sort((a, c) => a.at - c.at);
  return buildHistory(names as string[], points, Array.isArray(weights) && weights.length === names.length ? weights : undefined);
}

/**
 * Encodes points (in time order, util aligned to names) as a checked history.
 * `weights` (aligned to names) is the last weight each backend had while up
 * (PoolHistory.weights); anything unusable in it reads as unknown.
 */
export function buildHistory(names: readonly string[], points: readonly DecodedPoint[], weights?: readonly unknown[]): PoolHistory {
  const blocks: number[][] = [];
  for (let k = 0; k < points.length; k += HISTORY_BLOCK) {
    const block: number[] = [];
    for (const p of points.slice(k, k + HISTORY_BLOCK)) block.push(p.at, p.traffic ? 1 : 0, ...p.util);
    blocks.push(block);
  }
  const w = weights?.map((v) => (typeof v === 'number' && v >= 0 && v < Infinity ? v : UNKNOWN));
  return checked(names.slice(), blocks, 0, w);
}

/** The live points of a usable history, decoded, oldest first. */
export function historyPoints(history: PoolHistory): DecodedPoint[] {
  const h = usable(history);
  const stride = strideOf(h);
  const out: DecodedPoint[] = [];
  h.blocks.forEach((block, b) => {
    for (let o = b === 0 ? h.skip * stride : 0; o < block.length; o += stride) {
      out.push({ at: block[o + AT]!, traffic: block[o + TRAFFIC] === 1, util: block.slice(o + UTIL, o + stride) });
    }
  });
  return out;
}

/** Time (epoch ms) of the oldest live point, NaN when there is none. */
export function oldestAt(history: PoolHistory): number {
  const h = usable(history);
  const first = h.blocks[0];
  return first && first.length > 0 ? first[h.skip * strideOf(h)]! : Number.NaN;
}

/** Column of `name` in `history.names`, trying `hint` first (columns follow the sample's order); -1 when absent. */
export function columnOf(history: PoolHistory, name: string, hint = -1): number {
  const names = history.names;
  if (hint >= 0 && hint < names.length && names[hint] === name) return hint;
  return names.indexOf(name);
}

/**
 * Which of `names` were not up (DOWN) or absent in some history point with
 * since ≤ at < now: they came up within that span. Sets out[j] = 1 for
 * column j (out must have names.length entries, zeroed by the caller) and
 * returns whether any point lies in the span at all (without one nothing is
 * known: a first cycle, or a history older than the span). Reads only the
 * newest points, from the end.
 */
export function downSince(history: PoolHistory, since: number, now: number, out: Uint8Array): boolean {
  const h = usable(history);
  const stride = strideOf(h);
  const width = h.names.length;
  let any = false;
  for (let b = h.blocks.length - 1; b >= 0; b--) {
    const block = h.blocks[b]!;
    const first = b === 0 ? h.skip * stride : 0;
    for (let o = block.length - stride; o >= first; o -= stride) {
      const at = block[o + AT]!;
      if (at >= now) continue;
      if (at < since) return any;
      any = true;
      for (let j = 0; j < width; j++) if (block[o + UTIL + j] === DOWN) out[j] = 1;
    }
  }
  return any;
}

/**
 * Whether some point at or after `oldest` (epoch ms) recorded traffic: "the
 * pool had traffic recently". Bounded in time on purpose: during an outage
 * (nothing up) the points carry no traffic, so the newest point with
 * traffic is the last one before it; and a history restored from a state
 * file written yesterday is not "recent".
 */
export function hadTrafficSince(history: PoolHistory, oldest: number): boolean {
  const h = usable(history);
  const stride = strideOf(h);
  for (let b = h.blocks.length - 1; b >= 0; b--) {
    const block = h.blocks[b]!;
    for (let o = block.length - stride; o >= (b === 0 ? h.skip * stride : 0); o -= stride) {
      if (!(block[o + AT]! >= oldest)) return false;
      if (block[o + TRAFFIC] === 1) return true;
    }
  }
  return false;
}

/** Keeps points with now − historySeconds ≤ at < now (older data and clock skew dropped), at most maxHistoryPoints − reserve. */
export function pruneHistory(history: PoolHistory, now: number, opts: AnalysisOptions, reserve = 0): PoolHistory {
  const h = usable(history);
  return buildHistory(h.names, keptPoints(historyPoints(h), now, opts, reserve), h.weights);
}

function keptPoints(points: DecodedPoint[], now: number, opts: AnalysisOptions, reserve: number): DecodedPoint[] {
  const oldest = now - opts.historySeconds * 1000;
  const kept = points.filter((p) => p.at >= oldest && p.at < now);
  return kept.slice(Math.max(0, kept.length - Math.max(0, opts.maxHistoryPoints - reserve)));
}

/**
 * The general path of appendHistory (history-append.ts), which takes a
 * shortcut in the running state; the tests compare the two.
 *
 * Appends this sample's per-backend utilisation as a point at `now` (epoch
 * ms). Only up backends with valid CPU are recorded, so the trend never fits
 * a NaN; traffic says whether an up backend had a positive valid rate. A
 * point already at `now` or later is replaced (re-analysing the same instant
 * must not double-count it). The result shares the input's full blocks.
 */
export function appendHistoryGeneral(history: PoolHistory, sample: PoolSample, now: number, opts: AnalysisOptions): PoolHistory {
  const h = usable(history);
  const next = appendPoint(h, sample, now, opts);
  return next === h ? h : rememberWeights(next, h, sample);
}

function appendPoint(h: PoolHistory, sample: PoolSample, now: number, opts: AnalysisOptions): PoolHistory {
  // Without a valid clock reading nothing can be placed or aged: keep what we had.
  if (!Number.isFinite(now)) return h;
  const src = Array.isArray(sample.backends) ? sample.backends : [];
  const n = src.length;
  // Usual case: the columns are the sample's backends in the sample's order,
  // so backend i is column i and no lookup is needed.
  if (h.blocks.length === 0) {
    const first = fresh(src, pointOf(sample, now, opts, null, n));
    if (first) return first;
  }
  let aligned = h.names.length === n;
  for (let i = 0; aligned && i < n; i++) aligned = h.names[i] === String(src[i]!.backend);
  if (aligned) {
    const fast = appendAligned(h, pointOf(sample, now, opts, null, n), now, opts);
    if (fast) return fast;
  }
  // Backend set or order changed, or a point at/after now: rebuild (rare).
  let points = keptPoints(historyPoints(h), now, opts, 1);
  let names = h.names;
  if (!aligned) ({ names, points } = relayout(src, h.names, points));
  const column = new Map<string, number>();
  for (let j = names.length - 1; j >= 0; j--) column.set(names[j]!, j);
  const p = pointOf(sample, now, opts, column, names.length);
  points.push({ at: now, traffic: p[TRAFFIC] === 1, util: p.slice(UTIL) });
  return buildHistory(names, points);
}

/**
 * The new point's numbers. `column` maps names to columns when they are not
 * the sample's order. A repeated backend name keeps the last valid value.
 */
function pointOf(sample: PoolSample, now: number, opts: AnalysisOptions, column: Map<string, number> | null, width: number): number[] {
  const src = Array.isArray(sample.backends) ? sample.backends : [];
  const hint = positive(sample.cpuCapacityHint) ? sample.cpuCapacityHint : undefined;
  const p: number[] = [now, 0];
  // Not up or absent: DOWN; up: its utilisation, or UNKNOWN without CPU.
  for (let j = 0; j < width; j++) p.push(DOWN);
  let typicalWeight = -1; // computed on the first backend whose capacity is not reported
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b.health !== 'up') continue;
    const at = UTIL + (column ? column.get(String(b.backend))! : i);
    if (p[at] === DOWN) p[at] = UNKNOWN;
    // Same sanitising as the analysis, so history and verdict agree.
    if (nonNegOrMissing(b.rate) > 0) p[TRAFFIC] = 1;
    const cpu = nonNegOrMissing(b.cpu);
    if (cpu < 0) continue;
    let capacity: number;
    if (positive(b.cpuCapacity)) capacity = b.cpuCapacity;
    else if (hint !== undefined) capacity = hint;
    else {
      if (typicalWeight < 0) typicalWeight = typicalUpWeight(src);
      capacity = assumedCapacity(b.weight, typicalWeight, opts);
    }
    const u = cpu / capacity;
    if (Number.isFinite(u)) p[at] = u;
  }
  return p;
}

/** A pool's first point, when its backend names are distinct (the usual case): columns in sample order. */
function fresh(src: PoolSample['backends'], point: number[]): PoolHistory | null {
  const names = src.map((b) => String(b.backend));
  if (new Set(names).size !== names.length) return null;
  return checked(names, [point], 0);
}

/**
 * The steady-state append: ages points out at the front by advancing `skip`
 * (dropping blocks that become empty), copies the last block only if it has
 * room, else starts a new one. Returns null when the newest point is not
 * before `now` (the general path handles that).
 */
function appendAligned(h: PoolHistory, point: number[], now: number, opts: AnalysisOptions): PoolHistory | null {
  const stride = strideOf(h);
  const blocks = h.blocks;
  const last = blocks[blocks.length - 1];
  if (last && !(last[last.length - stride + AT]! < now)) return null;
  const oldest = now - opts.historySeconds * 1000;
  const cap = Math.max(0, opts.maxHistoryPoints - 1);
  let total = -h.skip;
  for (const block of blocks) total += block.length / stride;
  let first = 0;
  let skip = h.skip;
  while (total > 0 && (total > cap || !(blocks[first]![skip * stride + AT]! >= oldest))) {
    total--;
    if (++skip * stride === blocks[first]!.length) {
      first++;
      skip = 0;
    }
  }
  const out = blocks.slice(first);
  const tail = out[out.length - 1];
  if (total > 0 && tail && tail.length < HISTORY_BLOCK * stride) out[out.length - 1] = tail.concat(point);
  else if (total > 0) out.push(point);
  else return checked(h.names, [point], 0);
  return checked(h.names, out, skip);
}

/**
 * New columns when the backend set or order changed: the sample's distinct
 * names in order, then earlier backends that still have a value in a kept
 * point (a backend missing for a cycle or two keeps its trend).
 */
function relayout(src: PoolSample['backends'], oldNames: readonly string[], kept: DecodedPoint[]): { names: string[]; points: DecodedPoint[] } {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const b of src) {
    const name = String(b.backend);
    if (!seen.has(name)) {
      seen.add(name);
      names.push(name);
    }
  }
  oldNames.forEach((name, j) => {
    if (!seen.has(name) && kept.some((p) => p.util[j]! >= 0)) {
      seen.add(name);
      names.push(name);
    }
  });
  const from = names.map((name) => oldNames.indexOf(name));
  // A name new to the history was absent from the earlier points: DOWN (it joined).
  const points = kept.map((p): DecodedPoint => ({ at: p.at, traffic: p.traffic, util: from.map((j) => (j >= 0 ? p.util[j]! : DOWN)) }));
  return { names, points };
}

/**
 * The history with PoolHistory.weights brought up to date: each up backend's
 * weight now, the remembered one for the others (a server put in MAINT or
 * DRAIN reports weight 0, or an average falling to it: what it carried
 * before is what it took with it; capacity-loss.ts). The previous array is
 * shared when nothing changed.
 */
function rememberWeights(next: PoolHistory, prev: PoolHistory, sample: PoolSample): PoolHistory {
  const src = Array.isArray(sample.backends) ? sample.backends : [];
  const names = next.names;
  const old = prev.weights;
  const liveOf = (j: number): number => {
    const b = j < src.length && String(src[j]!.backend) === names[j] ? src[j]! : src.find((x) => String(x.backend) === names[j]);
    return b && b.health === 'up' ? nonNegOrMissing(b.weight) : -1;
  };
  let out: number[] | null = null;
  if (old !== undefined && old.length === names.length && prev.names.every((n, j) => n === names[j])) {
    // Usual case, same columns: copy only when a weight changed.
    for (let j = 0; j < names.length; j++) {
      const live = liveOf(j);
      if (live < 0 || live === old[j]) continue;
      out ??= old.slice();
      out[j] = live;
    }
    return checked(names, next.blocks, next.skip, out ?? old);
  }
  out = names.map((name, j) => {
    const live = liveOf(j);
    const k = old ? prev.names.indexOf(name) : -1;
    return live >= 0 ? live : k >= 0 ? old![k]! : UNKNOWN;
  });
  return checked(names, next.blocks, next.skip, out);
}

export function positive(v: unknown): v is number {
  return typeof v === 'number' && v >= MIN_NONZERO && v <= MAX_PLAUSIBLE;
}
