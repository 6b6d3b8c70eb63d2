// Which backends get per-backend series (the self-metric cap, metrics.ts),
// chosen by index over a pool's rows, so the daemon's cycle reads the
// analysis' packed rows (src/core/analysis/backend-rows.ts) instead of
// building 100,000 BackendStat objects per cycle to copy five numbers of
// each. Verdicts without packed rows (hand-built, or spread copies with
// balancer context) are read through their objects: the same choice.
import type { BackendStat, PoolVerdict } from '../core/types.js';
import { backendRowsOf, ROW, ROW_STRIDE, NULL_UTIL, type BackendRows } from '../core/analysis/backend-rows.js';

const { SHARE, EXPECTED, UTIL, FLAGS } = ROW;

/** One pool's rows, packed or as objects: what the selection and the series read. */
export class BackendRowView {
  private constructor(private readonly rows: BackendRows | null, private readonly objects: readonly BackendStat[] | null) {}

  /** The packed rows when the verdict has them (nothing is built), else its objects. */
  static of(v: PoolVerdict): BackendRowView {
    const rows = backendRowsOf(v);
    return rows ? new BackendRowView(rows, null) : new BackendRowView(null, v.backends);
  }

  /** Over the verdict's objects (the exported object-returning helpers). */
  static ofObjects(v: PoolVerdict): BackendRowView {
    return new BackendRowView(null, v.backends);
  }

  get length(): number {
    return this.rows ? this.rows.names.length : this.objects!.length;
  }

  name(i: number): string {
    return this.rows ? this.rows.names[i]! : this.objects![i]!.backend;
  }

  share(i: number): number {
    return this.rows ? this.rows.values[this.rows.offset + i * ROW_STRIDE + SHARE]! : this.objects![i]!.share;
  }

  expectedShare(i: number): number {
    return this.rows ? this.rows.values[this.rows.offset + i * ROW_STRIDE + EXPECTED]! : this.objects![i]!.expectedShare;
  }

  utilisation(i: number): number | null {
    if (!this.rows) return this.objects![i]!.utilisation;
    const o = this.rows.offset + i * ROW_STRIDE;
    return this.rows.values[o + FLAGS]! & NULL_UTIL ? null : this.rows.values[o + UTIL]!;
  }
}

function allOf(n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function flaggedNames(v: PoolVerdict): Set<string> {
  const flagged = new Set<string>([...v.hot, ...v.starved, ...v.unavailable]);
  if (v.forecast?.backend) flagged.add(v.forecast.backend);
  return flagged;
}

/** Indices of `view` in descending share, ties in backend order (Array.prototype.sort is stable). */
function byShare(view: BackendRowView, indices: number[]): number[] {
  // Small lists (a pool's ten backends, every pool every cycle): insertion
  // sort, stable like Array.prototype.sort, and the same order whenever the
  // shares are totally ordered (no NaN: the analysis never gives one).
  if (indices.length > SMALL_SORT) return indices.sort((a, b) => view.share(b) - view.share(a));
  const n = indices.length;
  const keys = SHARES.length >= n ? SHARES : (SHARES = new Float64Array(n * 2));
  for (let i = 0; i < n; i++) {
    const v = view.share(indices[i]!);
    if (v !== v) return indices.sort((a, b) => view.share(b) - view.share(a));
    keys[i] = v;
  }
  for (let i = 1; i < n; i++) {
    const key = keys[i]!;
    const index = indices[i]!;
    let j = i - 1;
    // Strictly greater moves ahead; equal keys keep their order (stable).
    while (j >= 0 && key > keys[j]!) {
      keys[j + 1] = keys[j]!;
      indices[j + 1] = indices[j]!;
      j--;
    }
    keys[j + 1] = key;
    indices[j + 1] = index;
  }
  return indices;
}

/** Lists up to this long are insertion-sorted (byShare). */
const SMALL_SORT = 32;
let SHARES = new Float64Array(64);

/** Whether `name` is flagged in `v` (flaggedNames(v).has(name), without building the set). */
function isFlagged(v: PoolVerdict, name: string): boolean {
  const fb = v.forecast?.backend;
  return v.hot.includes(name) || v.starved.includes(name) || v.unavailable.includes(name) || (!!fb && fb === name);
}

/** Few enough names to test membership by scanning the lists (no Set per pool). */
function fewFlags(v: PoolVerdict): boolean {
  return v.hot.length + v.starved.length + v.unavailable.length <= SMALL_SORT;
}

/**
 * Indices (backend order) of the backends that get series: every flagged
 * one (hot, starved, unavailable, the forecast's) plus the top `k` by
 * observed share; every backend when the pool has at most `k`.
 */
export function seriesIndices(v: PoolVerdict, view: BackendRowView, k: number): number[] {
  const n = view.length;
  if (n <= k) return allOf(n);
  const order = byShare(view, allOf(n));
  const out: number[] = [];
  if (n <= SMALL_SORT && fewFlags(v)) {
    // The usual pool: membership by scanning k names and the short flag lists.
    for (let i = 0; i < n; i++) {
      const name = view.name(i);
      let top = false;
      for (let j = 0; j < k && !top; j++) top = view.name(order[j]!) === name;
      if (top || isFlagged(v, name)) out.push(i);
    }
    return out;
  }
  const flagged = flaggedNames(v);
  const top = new Set(order.slice(0, k).map((i) => view.name(i)));
  for (let i = 0; i < n; i++) {
    const name = view.name(i);
    if (flagged.has(name) || top.has(name)) out.push(i);
  }
  return out;
}

/**
 * seriesIndices for every pool under a global cap of `max` backends (see
 * fleetBackendSeries in metrics.ts): flagged backends first (pool order),
 * then the remaining budget in rounds of each pool's next-largest share.
 */
export function fleetSeriesIndices(verdicts: readonly PoolVerdict[], views: readonly BackendRowView[], k: number, max: number): number[][] {
  const candidates = verdicts.map((v, i) => seriesIndices(v, views[i]!, k));
  let total = 0;
  for (const c of candidates) total += c.length;
  if (total <= max) return candidates;
  // Positions in each pool's candidate list: flagged ones (list order), the
  // others by share (stable, so list order among equals); kept marks in one
  // flat array (base[i] + position) instead of a Set per pool.
  const base = new Int32Array(candidates.length + 1);
  for (let i = 0; i < candidates.length; i++) base[i + 1] = base[i]! + candidates[i]!.length;
  const kept = new Uint8Array(total);
  const rankedOf: number[][] = new Array<number[]>(candidates.length);
  let budget = max;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const v = verdicts[i]!;
    const view = views[i]!;
    const few = fewFlags(v);
    const flagged = few ? null : flaggedNames(v);
    const rest: number[] = [];
    for (let p = 0; p < c.length; p++) {
      const name = view.name(c[p]!);
      if (few ? isFlagged(v, name) : flagged!.has(name)) {
        if (budget > 0) {
          kept[base[i]! + p] = 1;
          budget--;
        }
      } else {
        rest.push(c[p]!);
      }
    }
    rankedOf[i] = byShare(view, rest);
  }
  // Ranked lists hold backend indices; map each back to its position in the (ascending) candidate list.
  for (let round = 0; budget > 0; round++) {
    let any = false;
    for (let i = 0; i < candidates.length && budget > 0; i++) {
      const j = rankedOf[i]![round];
      if (j === undefined) continue;
      any = true;
      kept[base[i]! + positionOf(candidates[i]!, j)] = 1;
      budget--;
    }
    if (!any) break;
  }
  // In the pool's own order, as seriesIndices gives them.
  return candidates.map((c, i) => c.filter((_, p) => kept[base[i]! + p] === 1));
}

/** Position of `j` in the ascending list `c` (binary search; j is in c). */
function positionOf(c: readonly number[], j: number): number {
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c[mid]! < j) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
