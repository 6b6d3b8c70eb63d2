// The short per-pool history the forecast fits its trend on. Pure and
// bounded: each call returns a new array, never mutates its input, keeps only
// points within historySeconds before `now` and at most maxHistoryPoints.

import type { HistoryPoint, PoolHistory, PoolSample } from './types.js';
import type { AnalysisOptions } from './options.js';
import { MAX_PLAUSIBLE, MIN_NONZERO, nonNegOrMissing } from './prepare.js';

/** Keeps points with now − historySeconds ≤ at < now (older data and clock skew dropped). */
export function pruneHistory(history: PoolHistory, now: number, opts: AnalysisOptions, reserve = 0): PoolHistory {
  const oldest = now - opts.historySeconds * 1000;
  const cap = Math.max(0, opts.maxHistoryPoints - reserve);
  const kept: HistoryPoint[] = [];
  for (const point of Array.isArray(history) ? history : []) {
    if (point && point.at >= oldest && point.at < now) kept.push(point);
  }
  // Histories arrive in order; a replay or a restored state might not.
  for (let i = 1; i < kept.length; i++) {
    if (kept[i]!.at < kept[i - 1]!.at) {
      kept.sort((a, b) => a.at - b.at);
      break;
    }
  }
  if (kept.length > cap) kept.splice(0, kept.length - cap);
  return kept;
}

/**
 * Appends this sample's per-backend utilisation and rate as a point at `now`
 * (epoch ms). Only up backends with valid values are recorded, so the trend
 * never fits a NaN or a counter reset. A point already at `now` or later is
 * replaced (re-analysing the same instant must not double-count it).
 */
export function appendHistory(history: PoolHistory, sample: PoolSample, now: number, opts: AnalysisOptions): PoolHistory {
  // Without a valid clock reading nothing can be placed or aged: keep what we had.
  if (!Number.isFinite(now)) return Array.isArray(history) ? history.slice() : [];
  // Plain objects, not Object.create(null): every point of every pool has the
  // same backend keys, so V8 shares one hidden class and lookups stay fast
  // (null-prototype objects are dictionaries: 3× slower in the benchmark).
  const utilisation: Record<string, number> = {};
  const rate: Record<string, number> = {};
  const hint = positive(sample.cpuCapacityHint) ? sample.cpuCapacityHint : opts.cpuCapacityCores;
  for (const b of Array.isArray(sample.backends) ? sample.backends : []) {
    if (b.health !== 'up') continue;
    const name = String(b.backend);
    // Same sanitising as the analysis, so history and verdict agree.
    const r = nonNegOrMissing(b.rate);
    if (r >= 0) setOwn(rate, name, r);
    const cpu = nonNegOrMissing(b.cpu);
    if (cpu >= 0) {
      const u = cpu / (positive(b.cpuCapacity) ? b.cpuCapacity : hint!);
      if (Number.isFinite(u)) setOwn(utilisation, name, u);
    }
  }
  const kept = pruneHistory(history, now, opts, 1) as HistoryPoint[];
  // pruneHistory returned a fresh array we own: appending to it is still pure.
  kept.push({ at: now, utilisation, rate });
  return kept;
}

/** Assignment that keeps "__proto__" an ordinary own key instead of replacing the prototype. */
function setOwn(record: Record<string, number>, key: string, value: number): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * Reads one backend's value from a history record (also one restored from
 * JSON). Inherited members ("toString", "__proto__" when not own) are never
 * numbers, so the type check alone rejects them without a hasOwn lookup.
 */
export function recordValue(record: Readonly<Record<string, number>> | undefined, key: string): number | undefined {
  if (!record) return undefined;
  const v = record[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function positive(v: unknown): v is number {
  return typeof v === 'number' && v >= MIN_NONZERO && v <= MAX_PLAUSIBLE;
}

