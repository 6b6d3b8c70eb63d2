// Entry point of the pure analysis core: PoolSample (+ history, + now) →
// PoolVerdict. No I/O, no clock, no timers: `now` is an argument (epoch ms)
// and the next history is returned, never stored.
//
// Pipeline per pool: prepare (sanitise, expected shares) → skew (ratios,
// G-test, outliers) → cpu (utilisation view) → forecast (trend of the hottest
// backend) → decide (severity, reasons, explanation). docs/statistics.md
// explains each statistic for on-call engineers.

import type { BackendStat, PoolHistory, PoolSample, PoolVerdict, Snapshot } from '../types.js';
import { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions } from './options.js';
import { LAYOUT, preparePool } from './prepare.js';
import { analyseSkew } from './skew.js';
import { analyseCpu } from './cpu.js';
import { analyseCapacity } from './capacity.js';
import { forecastBackend } from './forecast.js';
import { decide } from './verdict.js';
import { analyseStrain, withStrain } from './strain.js'; // strain hook (strain.ts)
import { EMPTY_HISTORY, oldestAt, pruneHistory, usable } from './history.js';
import { appendHistory } from './history-append.js';
import { analyseCapacityLoss } from './capacity-loss.js'; // capacity loss without skew
import { withCapacityLoss } from './capacity-loss-verdict.js';
import { withBackendRows } from './backend-rows.js';
import { eagerRows, NO_NAMES, packRows, type Rows } from './verdict-rows.js';

const { C_UTIL, STRIDE } = LAYOUT;

export { DEFAULT_ANALYSIS_OPTIONS, resolveAnalysisOptions, type AnalysisOptions } from './options.js';
export { EMPTY_HISTORY } from './history.js';
export { appendHistory } from './history-append.js';

/**
 * Analyses one pool at `now` (epoch ms). `history` holds earlier points (see
 * appendHistory); points at or after `now` are ignored.
 */
export function analysePool(
  sample: PoolSample,
  history: PoolHistory,
  now: number,
  opts: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS,
): PoolVerdict {
  return analyse(sample, history, now, opts, true);
}

/**
 * analysePool with the verdict's `backends` built as plain BackendStat
 * objects at once, as before the rows were packed (backend-rows.ts): the
 * reference the tests compare analysePool with (same keys, same values).
 */
export function analysePoolEager(
  sample: PoolSample,
  history: PoolHistory,
  now: number,
  opts: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS,
): PoolVerdict {
  return analyse(sample, history, now, opts, false);
}

function analyse(sample: PoolSample, history: PoolHistory, now: number, opts: AnalysisOptions, packed: boolean): PoolVerdict {
  // Checked once; an old-format or damaged history reads as empty.
  const h = usable(history);
  const p = preparePool(sample, opts, h, now);
  const skew = analyseSkew(p, opts);
  const cpu = analyseCpu(p, opts);
  // Only when requests match the configuration: then a wrong weight is the suspect.
  const capacity = skew.skewed ? null : analyseCapacity(p, opts);

  // Forecast the backend that matters: the skew's hottest when its CPU is
  // known, otherwise the hottest by CPU. No CPU anywhere: no forecast.
  let target = -1;
  if (skew.hottest >= 0 && p.d[skew.hottest * STRIDE + C_UTIL]! >= 0) target = skew.hottest;
  else if (cpu.hottest >= 0) target = cpu.hottest;
  const fitted = target >= 0
    ? forecastBackend(String(sample.backends[target]!.backend), p.d[target * STRIDE + C_UTIL]!, h, now, opts, target)
    : null;
  const forecast = fitted && startingUp(h, now, p.window) && fitted.secondsToSaturation !== null && fitted.secondsToSaturation > 0
    ? { ...fitted, secondsToSaturation: null }
    : fitted;

  // Strain hook (strain.ts): the balancer's own evidence (response time,
  // sessions, queue) on a concentrated backend makes the verdict critical.
  const strain = analyseStrain(p, opts);
  const strained = withStrain(decide(p, skew, cpu, capacity, forecast, h, opts, now), strain, p, opts);
  // Capacity loss (capacity-loss.ts): most of the pool left service, the survivors saturate.
  const loss = analyseCapacityLoss(p, h, now, opts);
  const decision = withCapacityLoss(strained, loss, String(sample.pool), opts);
  const rows = packed ? packRows(p, h) : eagerRows(p);
  const { starved } = rows;
  let hot = rows.hot;
  if (strain.backend >= 0) hot = withName(hot, String(sample.backends[strain.backend]!.backend));
  if (loss && decision.reasons.includes('capacity-loss')) hot = withName(hot, loss.hottest);
  if (capacity && capacity.overweighted >= 0 && decision.reasons.includes('overweighted')) {
    hot = withName(hot, String(sample.backends[capacity.overweighted]!.backend));
  }
  // Two literals rather than a spread of `dataGap`: the spread made every
  // verdict a slow-path object copy (same keys, same order either way).
  if (decision.dataGap) {
    return finish({
      pool: sample.pool, labels: sample.labels, at: now, severity: decision.severity, reasons: decision.reasons,
      explanation: decision.explanation, totalRate: p.totalRate, upCount: p.upCount, unavailable: p.unavailable,
      missing: p.missing, warming: p.warming, backups: p.backups, unweighted: p.unweighted, hot, starved,
      dataGap: true, stats: skew.stats, cpu: cpu.stats, forecast,
    }, rows);
  }
  return finish({
    pool: sample.pool,
    labels: sample.labels,
    at: now,
    severity: decision.severity,
    reasons: decision.reasons,
    explanation: decision.explanation,
    totalRate: p.totalRate,
    upCount: p.upCount,
    unavailable: p.unavailable,
    missing: p.missing,
    warming: p.warming,
    backups: p.backups,
    unweighted: p.unweighted,
    hot,
    starved,
    stats: skew.stats,
    cpu: cpu.stats,
    forecast,
  }, rows);
}

/**
 * The verdict with its `backends`, added last (where the literal had it
 * before): the packed rows behind an accessor (backend-rows.ts), or the
 * objects themselves (analysePoolEager).
 */
function finish(verdict: Omit<PoolVerdict, 'backends'>, rows: Rows): PoolVerdict {
  if (rows.packed !== null) return withBackendRows(verdict, rows.packed);
  (verdict as { backends?: readonly BackendStat[] }).backends = rows.objects;
  return verdict as PoolVerdict;
}

/**
 * Rate windows a history must span before its trend forecasts a saturation
 * time. Right after the daemon starts, the first windowed CPU rates and the
 * processes themselves are still settling: a 4% drift over the first 90 s
 * forecast "saturates in ~9 min" on a flat pool (issue 10, wrong-drain with
 * process CPU) and paged with 'overweighted'. "Saturated" (current ≥
 * threshold) is still reported.
 */
export const STARTUP_SPAN_WINDOWS = 2.5;

function startingUp(h: PoolHistory, now: number, windowSeconds: number): boolean {
  const oldest = oldestAt(h);
  return !(now - oldest >= STARTUP_SPAN_WINDOWS * windowSeconds * 1000);
}


/** `names` with `name` added when absent (a new array when `names` is the shared empty one). */
function withName(names: string[], name: string): string[] {
  if (names.includes(name)) return names;
  if (names === NO_NAMES) return [name];
  names.push(name);
  return names;
}

export interface SnapshotAnalysis {
  readonly verdicts: PoolVerdict[];
  /**
   * Histories for the next cycle: every analysed pool's history with this
   * snapshot appended, plus earlier pools missing from this snapshot whose
   * history is still within historySeconds (a source hiccup must not wipe
   * the trend); the rest are dropped.
   */
  readonly histories: Map<string, PoolHistory>;
}

/** Analyses every pool of a snapshot at snapshot.at. Pure: `histories` is not modified. */
export function analyseSnapshot(
  snapshot: Snapshot,
  histories: ReadonlyMap<string, PoolHistory>,
  opts: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS,
): SnapshotAnalysis {
  const steps = analyseSnapshotInSlices(snapshot, histories, opts, Infinity);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * analyseSnapshot in slices: the generator yields after every `slice` pools
 * and returns the same SnapshotAnalysis. A caller on an event loop (the
 * daemon) resumes it from a macrotask, so /metrics and /healthz are served
 * between slices instead of waiting for the whole fleet's analysis (~0.25 s
 * at 10,000 pools on a loaded machine). Pure: no timers here; the inputs
 * must not change while it is suspended (they are the caller's own).
 */
export function* analyseSnapshotInSlices(
  snapshot: Snapshot,
  histories: ReadonlyMap<string, PoolHistory>,
  opts: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS,
  slice = 500,
): Generator<number, SnapshotAnalysis, void> {
  const now = snapshot.at;
  const pools = snapshot.pools;
  const verdicts = new Array<PoolVerdict>(pools.length);
  const next = new Map<string, PoolHistory>();
  for (let i = 0; i < pools.length; i++) {
    if (i > 0 && i % slice === 0) yield i;
    const sample = pools[i]!;
    const history = usable(histories.get(sample.pool));
    verdicts[i] = analysePool(sample, history, now, opts);
    next.set(sample.pool, appendHistory(history, sample, now, opts));
  }
  // Keys, not entries: no [pool, history] pair per pool per cycle for the usual case (every pool still there).
  for (const pool of histories.keys()) {
    if (next.has(pool)) continue;
    const kept = pruneHistory(histories.get(pool)!, now, opts);
    if (kept.blocks.length > 0) next.set(pool, kept);
  }
  return { verdicts, histories: next };
}
