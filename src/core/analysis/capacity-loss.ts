// Capacity loss without skew: most of a pool's in-service capacity left
// service (MAINT, DRAIN, DOWN, or gone) while the traffic stayed, so the
// survivors carry k× their earlier load. Requests then follow the weights of
// the servers left (no skew), so the request test and the capacity check see
// nothing; yet the survivors saturate (issue 10: "most servers to MAINT",
// "the wrong server drained"). The balancer's own state says what happened
// and when; the survivors' CPU says whether it will hurt.
//
// The step (from the history, history.ts: DOWN marks a column not up):
//   departed D   backends not in service now (not up, or absent; backups
//                never count) that were in service at some history point;
//   baseline b   the newest point at which all of D were in service;
//   weights      w_j: the weight now for up backends, the last weight while
//                up for D (PoolHistory.weights: a MAINT/DRAIN server reports
//                weight 0); all equal when any is unknown;
//   lost share   f = Σ_D w / C_b,  C_b = Σ w over the primaries in service at b;
//   factor       k = C_b / C_now (C_now over the primaries up now): the
//                balancer spreads the same traffic over k× less weight, so
//                each survivor's load becomes k× (roundrobin and random
//                both split by weight; HAProxy configuration manual, "weight").
//   traffic stayed  the survivors' median utilisation rose by at least half
//                of what k predicts for the time since the step, given that
//                the rate window R fills linearly:
//                u_now − u_b ≥ ½ (k − 1) u_b min(1, age / R).
//                (Traffic that left with its servers, e.g. a region
//                drained with its DNS, does not raise the survivors.)
//
// Critical (reason 'capacity-loss') when the traffic stayed and either
//   most capacity  f ≥ MOST_LOST (2/3: the survivors carry ≥ 3×) and the
//                  projected survivor utilisation k·u_b ≥ MIN_PROJECTED:
//                  paged at the step itself, before the CPU window shows
//                  it; the benign removals (a rolling deploy, one server
//                  down, an autoscaler's scale-in) take a third at most, a
//                  pair losing one server a half; or
//   saturating     f ≥ MIN_LOST (1/4) and the hottest survivor's trend,
//                  fitted (Theil–Sen, forecast.ts) only on points after the
//                  step settled (age ≥ R: before that its windowed CPU
//                  ramps by construction, a slope that would forecast
//                  saturation for every step), reaches saturationThreshold
//                  within horizonSeconds, with at least MIN_SETTLED points
//                  and an observed rise ≥ MIN_RISE since the step settled,
//                  of the hottest survivor and of the survivors' median past
//                  the projection k·u_b (a flat survivor's noise fits slopes
//                  either way; a rise they have not made is not evidence),
//                  and only when a departed server was taken out (MAINT or
//                  DRAIN): servers that went DOWN or vanished are judged at
//                  the step alone (one server of a pair down is benign).
// Without CPU on the survivors nothing is judged here (strain.ts covers the
// balancer's own evidence). Once the baseline has left the history
// (historySeconds), a step the source dates (stateAgeSeconds ≤
// RECENT_SECONDS) is still judged, against the remembered weights, so a
// page does not resolve while the survivors still climb (the forecast case
// then only for a survivor already at saturationThreshold, having climbed:
// that long after the step, a climb is as much the load's as the loss's,
// and an autoscaled pool climbing to 0.8 with a server left in MAINT paged).

import type { PoolHistory } from '../types.js';
import type { AnalysisOptions } from './options.js';
import { LAYOUT, type PreparedPool } from './prepare.js';
import { DOWN, historyPoints, usable, type DecodedPoint } from './history.js';
import { theilSen } from './robust.js';
import { FLAT_SLOPE_PER_SECOND } from './forecast.js';
import { nonNegOrMissing } from './sanitise.js';

const { C_UTIL, C_WEIGHT, STRIDE } = LAYOUT;

/** Share of the in-service capacity whose loss pages at the step itself. */
export const MOST_LOST = 2 / 3;
/** ...when the survivors are projected at least this busy (below: a quiet pool deliberately shrunk). */
export const MIN_PROJECTED = 0.35;
/** Smallest lost share the saturation forecast is judged for. */
export const MIN_LOST = 0.25;
/** Points after the step settled (history + now) before its trend is fitted. */
export const MIN_SETTLED = 3;
/** Utilisation the hottest survivor must have gained since the step settled. */
export const MIN_RISE = 0.03;
/** How long a step the source dates counts as recent once its baseline left the history. */
export const RECENT_SECONDS = 1800;

export interface CapacityLoss {
  readonly departed: readonly string[];
  /** How they left, for people: MAINT, DOWN, absent, or a mix ("MAINT/DOWN"). */
  readonly how: string;
  /** Seconds since the first of them left (the source's state age when known). */
  readonly secondsAgo: number;
  readonly lostShare: number;
  readonly factor: number;
  readonly survivors: readonly string[];
  readonly hottest: string;
  /** The survivors' median utilisation before the step (−1 unknown), the hottest one's now, the projection k·before. */
  readonly before: number;
  readonly current: number;
  readonly projected: number;
  readonly slopePerSecond: number;
  readonly secondsToSaturation: number | null;
  readonly why: 'most-capacity' | 'saturating';
}

function median(values: number[]): number {
  const v = values.slice().sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length === 0 ? -1 : v.length & 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

export function analyseCapacityLoss(p: PreparedPool, history: PoolHistory, now: number, opts: AnalysisOptions): CapacityLoss | null {
  if (p.upCount === 0 || !(p.totalRate >= opts.minRate)) return null;
  const h = usable(history);
  if (h.blocks.length === 0) return null;
  const src = p.sample.backends;
  let anyOut = false;
  for (let i = 0; i < p.n; i++) if (src[i]!.health !== 'up' && src[i]!.backup !== true) anyOut = true;
  // Cheap gate: every backend up and present, nothing left service. Checked
  // without building the index when the columns are the sample's backends
  // in order (the usual case): this runs for every pool every cycle.
  if (!anyOut && sameColumns(h.names, src)) return null;
  const index = new Map<string, number>();
  for (let i = 0; i < p.n; i++) index.set(String(src[i]!.backend), i);
  if (!anyOut && h.names.every((n) => index.has(n))) return null;

  const points = historyPoints(h).filter((q) => q.at < now && q.at >= now - opts.historySeconds * 1000);
  const names = h.names;
  const memory = h.weights;
  const isPrimary = (j: number): boolean => src[index.get(names[j]!) ?? -1]?.backup !== true;
  const upNow = (j: number): boolean => src[index.get(names[j]!) ?? -1]?.health === 'up';

  // Departed: out now, in service somewhere in the history; baseline: the newest point with all of them in.
  const departed: number[] = [];
  let baseline = -1;
  for (let j = 0; j < names.length; j++) {
    if (upNow(j) || !isPrimary(j)) continue;
    let last = -1;
    for (let k = points.length - 1; k >= 0; k--) if (points[k]!.util[j] !== DOWN) { last = k; break; }
    if (last < 0) continue;
    departed.push(j);
    baseline = baseline < 0 ? last : Math.min(baseline, last);
  }
  if (departed.length > 0) {
    const b = points[baseline]!;
    const inAtB = departed.filter((j) => b.util[j] !== DOWN);
    return judgeStep(p, h, points, inAtB, b, points[baseline + 1]?.at ?? now, now, opts, index);
  }
  return judgeDated(p, h, points, now, opts, memory, index);
}

/** Whether the history's columns are exactly the sample's backends, in order. */
function sameColumns(names: readonly string[], src: PreparedPool['sample']['backends']): boolean {
  if (names.length !== src.length) return false;
  for (let i = 0; i < names.length; i++) if (names[i] !== String(src[i]!.backend)) return false;
  return true;
}

interface Weights { readonly of: (j: number) => number }

/** w_j as the header says; equal weights when any involved one is unknown. */
function weightsFor(p: PreparedPool, h: PoolHistory, columns: readonly number[], index: Map<string, number>): Weights {
  const raw = new Map<number, number>();
  let known = true;
  for (const j of columns) {
    const i = index.get(h.names[j]!) ?? -1;
    const live = i >= 0 && p.sample.backends[i]!.health === 'up' ? p.d[i * STRIDE + C_WEIGHT]! : -1;
    const w = live >= 0 ? live : h.weights?.[j] ?? -1;
    if (!(w >= 0)) known = false;
    raw.set(j, w);
  }
  return { of: (j) => (known ? raw.get(j) ?? 0 : 1) };
}

function judgeStep(
  p: PreparedPool, h: PoolHistory, points: readonly DecodedPoint[], departed: readonly number[], b: DecodedPoint,
  seenOutAt: number, now: number, opts: AnalysisOptions, index: Map<string, number>,
): CapacityLoss | null {
  if (departed.length === 0) return null;
  const names = h.names;
  const src = p.sample.backends;
  // Columns in service at the baseline (primaries), and the primaries up now (by column; new ones too).
  const atB: number[] = [];
  const nowCols: number[] = [];
  for (let j = 0; j < names.length; j++) {
    const i = index.get(names[j]!) ?? -1;
    if (i >= 0 && src[i]!.backup === true) continue;
    if (b.util[j] !== DOWN) atB.push(j);
    if (i >= 0 && src[i]!.health === 'up') nowCols.push(j);
  }
  const w = weightsFor(p, h, [...new Set([...atB, ...nowCols])], index);
  const cBefore = atB.reduce((a, j) => a + w.of(j), 0);
  const cNow = nowCols.reduce((a, j) => a + w.of(j), 0);
  const lost = departed.reduce((a, j) => a + w.of(j), 0);
  if (!(cBefore > 0) || !(cNow > 0)) return null;
  const lostShare = lost / cBefore;
  const factor = cBefore / cNow;
  if (lostShare < MIN_LOST || !(factor > 1)) return null;

  // Survivors with CPU then and now.
  const survivors = nowCols.filter((j) => b.util[j]! >= 0 && p.d[(index.get(names[j]!)!) * STRIDE + C_UTIL]! >= 0);
  if (survivors.length === 0) return null;
  const utilNow = (j: number): number => p.d[index.get(names[j]!)! * STRIDE + C_UTIL]!;
  const before = median(survivors.map((j) => b.util[j]!));
  const medianNow = median(survivors.map(utilNow));
  let hot = survivors[0]!;
  for (const j of survivors) if (utilNow(j) > utilNow(hot)) hot = j;

  const age = stepAge(p, departed.map((j) => names[j]!), index, (now - seenOutAt) / 1000, (now - b.at) / 1000);
  const window = p.window;
  // Too soon to tell whether the traffic followed (the window has barely moved).
  if (age < window / 4) return null;
  if (!(medianNow - before >= 0.5 * (factor - 1) * before * Math.min(1, age / window))) return null;
  const projected = before * factor;
  const base = { departed: departed.map((j) => names[j]!), how: howLeft(p, departed.map((j) => names[j]!), index), secondsAgo: age, lostShare, factor,
    survivors: survivors.map((j) => names[j]!), hottest: names[hot]!, before, current: utilNow(hot), projected };
  const trend = settledTrend(points, hot, utilNow(hot), now, now - (age - window) * 1000, opts);
  if (lostShare >= MOST_LOST && projected >= MIN_PROJECTED) return { ...base, ...trend, why: 'most-capacity' };
  // The survivors as a whole must have climbed past what the step alone explains (one survivor's noise is not a trend).
  if (trend.saturating && medianNow - projected >= MIN_RISE && takenOut(p, base.departed, index)) return { ...base, ...trend, why: 'saturating' };
  return null;
}

/**
 * The baseline has left the history: a step the source dates within
 * RECENT_SECONDS, judged against the remembered weights (C_b = C_now + Σ_D w)
 * and the survivors' current utilisation (the whole history is after it).
 */
function judgeDated(
  p: PreparedPool, h: PoolHistory, points: readonly DecodedPoint[], now: number, opts: AnalysisOptions,
  memory: readonly number[] | undefined, index: Map<string, number>,
): CapacityLoss | null {
  if (!memory || points.length === 0) return null;
  const names = h.names;
  const src = p.sample.backends;
  const departed: number[] = [];
  const nowCols: number[] = [];
  let age = 0;
  for (let j = 0; j < names.length; j++) {
    const i = index.get(names[j]!) ?? -1;
    if (i < 0 || src[i]!.backup === true) continue;
    if (src[i]!.health === 'up') { nowCols.push(j); continue; }
    const a = nonNegOrMissing(src[i]!.stateAgeSeconds);
    if (a < 0 || a > RECENT_SECONDS) continue;
    departed.push(j);
    age = Math.max(age, a);
  }
  if (departed.length === 0) return null;
  const w = weightsFor(p, h, [...departed, ...nowCols], index);
  const cNow = nowCols.reduce((a, j) => a + w.of(j), 0);
  const lost = departed.reduce((a, j) => a + w.of(j), 0);
  if (!(cNow > 0)) return null;
  const lostShare = lost / (lost + cNow);
  if (lostShare < MIN_LOST) return null;
  const survivors = nowCols.filter((j) => p.d[index.get(names[j]!)! * STRIDE + C_UTIL]! >= 0);
  if (survivors.length === 0) return null;
  const utilNow = (j: number): number => p.d[index.get(names[j]!)! * STRIDE + C_UTIL]!;
  let hot = survivors[0]!;
  for (const j of survivors) if (utilNow(j) > utilNow(hot)) hot = j;
  const medianNow = median(survivors.map(utilNow));
  const base = { departed: departed.map((j) => names[j]!), how: howLeft(p, departed.map((j) => names[j]!), index), secondsAgo: age, lostShare,
    factor: (lost + cNow) / cNow, survivors: survivors.map((j) => names[j]!), hottest: names[hot]!, before: -1, current: utilNow(hot), projected: medianNow };
  const trend = settledTrend(points, hot, utilNow(hot), now, points[0]!.at, opts);
  if (lostShare >= MOST_LOST && medianNow >= MIN_PROJECTED) return { ...base, ...trend, why: 'most-capacity' };
  // Long after the step a survivor's climb is as much the load's as the loss's: only a saturated one is judged.
  if (trend.saturating && base.current >= opts.saturationThreshold && takenOut(p, base.departed, index)) return { ...base, ...trend, why: 'saturating' };
  return null;
}

/**
 * Seconds since the step: the newest point that saw the departed out, refined
 * by the source's state age when that lies between it and the baseline (a
 * server that left and joined again reports the age of its return, not of
 * its departure).
 */
function stepAge(p: PreparedPool, departed: readonly string[], index: Map<string, number>, seen: number, baselineAge: number): number {
  let age = -1;
  for (const name of departed) {
    const i = index.get(name);
    const a = i === undefined ? -1 : nonNegOrMissing(p.sample.backends[i]!.stateAgeSeconds);
    if (a >= seen && a <= baselineAge && a > age) age = a;
  }
  return age >= 0 ? age : Math.max(0, seen);
}

/**
 * Whether someone took capacity out: a departed server in MAINT or DRAIN (an
 * operator's or an API's act), not only servers that failed their checks or
 * vanished. Below MOST_LOST only such a step is judged on the forecast: one
 * server of a pair or a trio going DOWN, or a pod leaving, is the redundancy
 * doing its job (the benchmark's recovery, backup and one-down families);
 * its survivors' windowed CPU climbing towards the new level forecast
 * saturation that never came in 6 of 100 recovery runs.
 */
function takenOut(p: PreparedPool, departed: readonly string[], index: Map<string, number>): boolean {
  return departed.some((n) => {
    const i = index.get(n);
    return i !== undefined && p.sample.backends[i]!.health === 'maint';
  });
}

function howLeft(p: PreparedPool, departed: readonly string[], index: Map<string, number>): string {
  const kinds = new Set(departed.map((n) => {
    const i = index.get(n);
    return i === undefined ? 'absent' : p.sample.backends[i]!.health === 'maint' ? 'MAINT/DRAIN' : 'DOWN';
  }));
  return [...kinds].join(' or ');
}

/** The hottest survivor's trend over the points at or after `settledAt` plus now (see the header). */
function settledTrend(points: readonly DecodedPoint[], column: number, current: number, now: number, settledAt: number, opts: AnalysisOptions):
  { slopePerSecond: number; secondsToSaturation: number | null; saturating: boolean } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const q of points) {
    const u = q.util[column]!;
    if (q.at >= settledAt && u >= 0) { xs.push((q.at - now) / 1000); ys.push(u); }
  }
  xs.push(0);
  ys.push(current);
  if (xs.length < MIN_SETTLED) return { slopePerSecond: 0, secondsToSaturation: null, saturating: false };
  // Typed arrays, as forecast.ts passes: theilSen stays monomorphic (it runs for every pool).
  const fit = theilSen(Float64Array.from(xs), Float64Array.from(ys), xs.length, opts.maxTrendPairs);
  const slope = fit && Number.isFinite(fit.slope) ? fit.slope : 0;
  const level = fit && Number.isFinite(fit.intercept) && fit.intercept < current ? fit.intercept : current;
  const rise = current - ys[0]!;
  let eta: number | null = null;
  if (current >= opts.saturationThreshold) eta = 0;
  else if (slope > FLAT_SLOPE_PER_SECOND) eta = Math.max(0, (opts.saturationThreshold - level) / slope);
  const saturating = eta !== null && eta <= opts.horizonSeconds && rise >= MIN_RISE;
  return { slopePerSecond: slope, secondsToSaturation: eta, saturating };
}
