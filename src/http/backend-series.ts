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
  return indices.sort((a, b) => view.share(b) - view.share(a));
}

/**
 * Indices (backend order) of the backends that get series: every flagged
 * one (hot, starved, unavailable, the forecast's) plus the top `k` by
 * observed share; every backend when the pool has at most `k`.
 */
export function seriesIndices(v: PoolVerdict, view: BackendRowView, k: number): number[] {
  const n = view.length;
  if (n <= k) return allOf(n);
  const flagged = flaggedNames(v);
  const top = new Set(byShare(view, allOf(n)).slice(0, k).map((i) => view.name(i)));
  const out: number[] = [];
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
  const total = candidates.reduce((n, c) => n + c.length, 0);
  if (total <= max) return candidates;
  const flaggedOf = candidates.map((c, i) => {
    const flagged = flaggedNames(verdicts[i]!);
    return c.filter((j) => flagged.has(views[i]!.name(j)));
  });
  const rankedOf = candidates.map((c, i) => byShare(views[i]!, c.filter((j) => !flaggedOf[i]!.includes(j))));
  let budget = max;
  const kept = candidates.map(() => new Set<number>());
  for (let i = 0; i < verdicts.length && budget > 0; i++) {
    for (const j of flaggedOf[i]!) {
      if (budget === 0) break;
      kept[i]!.add(j);
      budget--;
    }
  }
  for (let round = 0; budget > 0; round++) {
    let any = false;
    for (let i = 0; i < verdicts.length && budget > 0; i++) {
      const j = rankedOf[i]![round];
      if (j === undefined) continue;
      any = true;
      kept[i]!.add(j);
      budget--;
    }
    if (!any) break;
  }
  // In the pool's own order, as seriesIndices gives them.
  return candidates.map((c, i) => c.filter((j) => kept[i]!.has(j)));
}
