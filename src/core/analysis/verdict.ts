// Severity, reason codes and the one-line explanation of a pool verdict.
//
//   ok        no significant, sizeable skew (or nothing to judge: no traffic,
//             one backend, too little volume);
//   warning   'skew': significant and sizeable now (whether it lasts is the
//             rule layer's business), or 'cpu-not-traffic', or an idle pool
//             with nothing up ('no-healthy');
//   critical  'skew' plus any of, for the hot backend(s):
//               'hot'        utilisation ≥ hotUtilisation,
//               'saturating' forecast to reach saturationThreshold within
//                            horizonSeconds,
//               'pouring'    the hottest takes ≥ pouringShare of the traffic
//                            and ≥ pouringMarginPp above its expected share
//                            (works for 2 backends: 80/20 pours), counted
//                            only when the hot backends' utilisation is not
//                            measured (capacity not reported, or no CPU):
//                            measured headroom outranks a share,
//               'queueing'   its balancer queue ≥ queueThreshold;
//             or 'no-healthy' while the pool has (or just had) traffic: every
//             request is failing, which is an outage, not a skew, but nobody
//             should learn about it from a skew monitor saying "ok".
//
// Explanations for ok pools are constants: the benchmark analyses 10,000
// pools per cycle and nobody reads "ok" lines.

import type { PoolHistory, ReasonCode, Severity, Forecast } from '../types.js';
import type { AnalysisOptions } from './options.js';
import { LAYOUT, type PreparedPool } from './prepare.js';
import { MARKS, MIN_EXPECTED_COUNT, type SkewResult } from './skew.js';
import { MAX_ASSUMED_CAPACITY_RATIO } from './assumed-capacity.js';
import type { CpuResult } from './cpu.js';
import type { CapacityResult } from './capacity.js';
import { FLAT_SLOPE_PER_SECOND } from './forecast.js';
import { hadTrafficSince } from './history.js';

const { C_CAP, C_CPU, C_EXPECTED, C_FLAGS, C_MARK, C_QUEUE, C_SHARE, C_UTIL, C_WEIGHT, F_TESTED, STRIDE } = LAYOUT;
const { M_HOT, M_HOT_CANDIDATE } = MARKS;

export interface Decision {
  readonly severity: Severity;
  readonly reasons: readonly ReasonCode[];
  readonly explanation: string;
  /** This cycle's data cannot judge the pool (PoolVerdict.dataGap). */
  readonly dataGap?: boolean;
}

const NONE: readonly ReasonCode[] = Object.freeze([]);
const OK_NO_BACKENDS: Decision = Object.freeze({ severity: 'ok', reasons: NONE, explanation: 'no backends' });
const OK_NO_TRAFFIC: Decision = Object.freeze({ severity: 'ok', reasons: NONE, explanation: 'no traffic' });
const OK_SINGLE: Decision = Object.freeze({ severity: 'ok', reasons: NONE, explanation: 'single backend with traffic: nothing to compare' });
const OK_LOW_VOLUME: Decision = Object.freeze({ severity: 'ok', reasons: NONE, explanation: 'too little traffic to judge the distribution' });
const OK_MATCHES: Decision = Object.freeze({ severity: 'ok', reasons: NONE, explanation: 'traffic matches the configured distribution' });
const OK_TOLERANCE: Decision = Object.freeze({ severity: 'ok', reasons: NONE, explanation: 'traffic deviates from the configuration, within tolerance' });
const OK_LOW_COUNTS: Decision = Object.freeze({ severity: 'ok', reasons: NONE,
  explanation: `too little traffic to judge the distribution (under ${MIN_EXPECTED_COUNT} expected requests per backend in the window; only a backend far above its share would show)` });

export function decide(
  p: PreparedPool,
  skew: SkewResult,
  cpu: CpuResult,
  capacity: CapacityResult | null,
  forecast: Forecast | null,
  history: PoolHistory,
  opts: AnalysisOptions,
  now: number,
): Decision {
  const pool = p.sample.pool;
  if (p.n === 0) return OK_NO_BACKENDS;
  if (p.upCount === 0) {
    // Recent = within the history the analysis keeps (historySeconds).
    const hadTraffic = p.unavailableRate > 0 || hadTrafficSince(history, now - opts.historySeconds * 1000);
    return {
      severity: hadTraffic ? 'critical' : 'warning',
      reasons: ['no-healthy'],
      explanation: `no backend of ${pool} is up (${p.n} down or in maintenance)` +
        (hadTraffic ? ': it has traffic, requests are failing' : ', pool idle'),
    };
  }
  if (p.tested === 0) {
    // Every up backend is warming up (all came up within the window, or were
    // renamed): nothing can be judged, and "ok" must not read as recovery.
    if (p.missing.length === 0) return { severity: 'ok', reasons: NONE, dataGap: true, explanation: `no backend of ${pool} can be judged now` + context(p) };
    // Every judgeable up backend's rate is unusable (an exporter restart resets every
    // counter): nothing can be judged, and "ok" must not read as recovery.
    return { severity: 'ok', reasons: NONE, dataGap: true, explanation: `no usable request rates (${listNames(p.missing)}: invalid or reset counter)` + asideContext(p) };
  }
  if (!(p.totalRate > 0)) return withAside(OK_NO_TRAFFIC, p);
  if (p.tested === 1) return withAside(OK_SINGLE, p);

  if (skew.skewed) return decideSkew(p, skew, forecast, opts);
  if (capacity && capacity.overweighted >= 0) return decideOverweighted(p, capacity, forecast, opts);
  if (cpu.skewed) {
    const name = String(p.sample.backends[cpu.hottest]!.backend);
    return {
      severity: 'warning',
      reasons: ['cpu-not-traffic'],
      explanation: `${name} CPU ${fmt2(cpu.stats.maxUtilisation ?? 0)} vs pool median ${fmt2(cpu.medianUtilisation)} ` +
        `while ${pool}'s requests follow the configuration: look past the balancer`,
    };
  }
  const s = skew.stats;
  if (s.volume < opts.minRequests || p.totalRate < opts.minRate) return withAside(OK_LOW_VOLUME, p);
  if (skew.lowCounts && !s.significant) return withAside(OK_LOW_COUNTS, p);
  return withAside(s.significant ? OK_TOLERANCE : OK_MATCHES, p);
}

/** An ok decision with the backends left out of the judgement named (rare: the constants stay shared otherwise). */
function withAside(dec: Decision, p: PreparedPool): Decision {
  const aside = asideContext(p);
  return aside === '' ? dec : { severity: dec.severity, reasons: dec.reasons, explanation: dec.explanation + aside };
}

function decideSkew(p: PreparedPool, skew: SkewResult, forecast: Forecast | null, opts: AnalysisOptions): Decision {
  const { d } = p;
  const pool = p.sample.pool;
  const reasons: ReasonCode[] = ['skew'];
  const nameOf = (i: number): string => String(p.sample.backends[i]!.backend);
  // Outliers decide 'hot'/'queueing'; all hot candidates are named in the
  // text (a bimodal split can have candidates that no z-score singles out).
  const hotOutliers: number[] = [];
  const hotCandidates: number[] = [];
  for (let i = 0, o = 0; i < p.n; i++, o += STRIDE) {
    const mark = d[o + C_MARK]!;
    if ((mark & M_HOT) !== 0) hotOutliers.push(i);
    if ((mark & M_HOT_CANDIDATE) !== 0) hotCandidates.push(i);
  }

  if (skew.hottest < 0) {
    // Only starved backends: traffic avoids someone. What it does not get,
    // the others carry, spread too thin for any one to stand out (a balance
    // algorithm changed to source hashing with few clients). A warning while
    // they have headroom; critical once one of them that takes more than its
    // share is hot, forecast to saturate, or queueing.
    const o = skew.coldest * STRIDE;
    let text = `${nameOf(skew.coldest)} gets ${pct(d[o + C_SHARE]!)} of ${pool}'s traffic ` +
      `(expected ${pct(d[o + C_EXPECTED]!)})`;
    const carrier = overloadedCarrier(p, forecast, opts, nameOf);
    if (carrier !== null) {
      reasons.push(...carrier.reasons);
      text += `; ${carrier.text}`;
    }
    return { severity: reasons.length > 1 ? 'critical' : 'warning', reasons, explanation: text + context(p) };
  }

  const h = skew.hottest;
  const ho = h * STRIDE;
  const hotSet = hotOutliers.includes(h) ? hotOutliers : [h, ...hotOutliers];
  let hotCpu = false;
  let queueing = false;
  for (const i of hotSet) {
    if (d[i * STRIDE + C_UTIL]! >= opts.hotUtilisation) hotCpu = true;
    if (d[i * STRIDE + C_QUEUE]! >= opts.queueThreshold) queueing = true;
  }
  const share = d[ho + C_SHARE]!;
  const expected = d[ho + C_EXPECTED]!;
  const forHottest = forecast !== null && forecast.backend === nameOf(h);
  const eta = forHottest ? forecast.secondsToSaturation : null;
  const saturating = eta !== null && eta <= opts.horizonSeconds;
  // Pouring stands in for load that cannot be measured. Where every
  // backend's capacity is reported, the hot backends' utilisation is
  // measured: an uneven split they carry with headroom (few clients hashing
  // 67/33 at CPU 0.3) harms nobody, and 'hot' / 'saturating' say when it will.
  const measured = p.capacitySource === 'reported' && hotSet.every((i) => d[i * STRIDE + C_UTIL]! >= 0);
  const pouring = !measured && share >= opts.pouringShare && share - expected >= opts.pouringMarginPp / 100;
  if (hotCpu) reasons.push('hot');
  if (saturating) reasons.push('saturating');
  if (pouring) reasons.push('pouring');
  if (queueing) reasons.push('queueing');

  let text = `${nameOf(h)} takes ${pct(share)} of ${pool}'s traffic (expected ${pct(expected)})`;
  const u = d[ho + C_UTIL]!;
  if (u >= 0) {
    text += `, CPU ${fmt2(u)}`;
    if (forHottest && forecast.slopePerSecond > FLAT_SLOPE_PER_SECOND) text += ' and rising';
  }
  if (eta === 0) text += ', saturated';
  else if (eta !== null) text += `, saturates in ${duration(eta)}`;
  const q = d[ho + C_QUEUE]!;
  if (q >= opts.queueThreshold) text += `, ${Math.round(q)} queued`;
  const others = hotCandidates.filter((i) => i !== h);
  if (others.length > 0) text += `; also hot: ${listNames(others.map(nameOf))}`;
  return { severity: reasons.length > 1 ? 'critical' : 'warning', reasons, explanation: text + context(p) };
}

/**
 * A carrier must take at least this multiple of its expected share: a starved
 * backend's traffic lands somewhere measurable, not in the noise of a split.
 */
const CARRIER_EXCESS = 1.2;

/**
 * The backend that carries a starved backend's traffic and suffers for it:
 * ≥ CARRIER_EXCESS × its expected share and forecast to saturate within the
 * horizon, or queueing. Hot CPU alone does not qualify (a busy host with a
 * starved peer is a noisy neighbour, not this). The busiest such backend (by
 * utilisation), or null.
 */
function overloadedCarrier(p: PreparedPool, forecast: Forecast | null, opts: AnalysisOptions, nameOf: (i: number) => string): { reasons: ReasonCode[]; text: string } | null {
  const { d } = p;
  let best = -1;
  let bestReasons: ReasonCode[] = [];
  for (let i = 0, o = 0; i < p.n; i++, o += STRIDE) {
    if (!(d[o + C_SHARE]! >= CARRIER_EXCESS * d[o + C_EXPECTED]!)) continue;
    const r: ReasonCode[] = [];
    const eta = forecast !== null && forecast.backend === nameOf(i) ? forecast.secondsToSaturation : null;
    if (eta !== null && eta <= opts.horizonSeconds) r.push('saturating');
    if (d[o + C_QUEUE]! >= opts.queueThreshold) r.push('queueing');
    if (r.length === 0) continue;
    if (d[o + C_UTIL]! >= opts.hotUtilisation) r.unshift('hot');
    if (best < 0 || d[o + C_UTIL]! > d[best * STRIDE + C_UTIL]!) { best = i; bestReasons = r; }
  }
  if (best < 0) return null;
  const o = best * STRIDE;
  let text = `${nameOf(best)} carries ${pct(d[o + C_SHARE]!)} (expected ${pct(d[o + C_EXPECTED]!)})`;
  const u = d[o + C_UTIL]!;
  if (u >= 0) text += `, CPU ${fmt2(u)}`;
  const eta = forecast !== null && forecast.backend === nameOf(best) ? forecast.secondsToSaturation : null;
  if (eta === 0) text += ', saturated';
  else if (eta !== null && eta <= opts.horizonSeconds) text += `, saturates in ${duration(eta)}`;
  const q = d[o + C_QUEUE]!;
  if (q >= opts.queueThreshold) text += `, ${Math.round(q)} queued`;
  return { reasons: bestReasons, text };
}

/**
 * Requests follow the configured weights, but the weights send a backend more
 * than its share of CPU capacity: the weight misconfiguration. Critical under
 * the same conditions as a request skew (hot, saturating, queueing, pouring).
 * The text says what a person can act on: the weight against the capacity,
 * and what was assumed when capacity is not reported.
 */
function decideOverweighted(p: PreparedPool, c: CapacityResult, forecast: Forecast | null, opts: AnalysisOptions): Decision {
  const { d } = p;
  const h = c.overweighted;
  const o = h * STRIDE;
  const name = String(p.sample.backends[h]!.backend);
  const share = d[o + C_SHARE]!;
  const u = d[o + C_UTIL]!;
  const reasons: ReasonCode[] = ['skew', 'overweighted'];
  const forHottest = forecast !== null && forecast.backend === name;
  const eta = forHottest ? forecast.secondsToSaturation : null;
  if (u >= opts.hotUtilisation) reasons.push('hot');
  if (eta !== null && eta <= opts.horizonSeconds) reasons.push('saturating');
  if (share >= opts.pouringShare && share - c.capacityShare >= opts.pouringMarginPp / 100) reasons.push('pouring');
  if (d[o + C_QUEUE]! >= opts.queueThreshold) reasons.push('queueing');
  const pool = p.sample.pool;
  let text = p.weighted
    ? `${name} has weight ${num(d[o + C_WEIGHT]!)} of ${num(weightTotal(p))} (${pct(share)} of ${pool}'s traffic, as configured)`
    : `${name} takes ${pct(share)} of ${pool}'s traffic as configured (expected ${pct(d[o + C_EXPECTED]!)})`;
  const assumed = p.capacitySource !== 'reported';
  if (p.capacitySource === 'assumed-from-weights') {
    text += ` but at most ${pct(c.capacityShare)} of its CPU capacity (capacity not reported: assumed from the weights, ` +
      `at most ${MAX_ASSUMED_CAPACITY_RATIO}× a typical server's)`;
  } else if (c.equalCapacity) {
    text += ` but only 1 of ${c.compared} ${assumed ? 'servers\' capacity (capacity not reported: assumed equal)' : 'equal servers\' capacity'}`;
  } else {
    text += ` but only ${num(d[o + C_CAP]!)} of ${num(c.capacitySum)} cores (${pct(c.capacityShare)} of its CPU capacity)`;
  }
  text += p.capacitySource === 'assumed-from-weights'
    ? `: CPU ${fmt2(d[o + C_CPU]!)} cores vs median ${fmt2(c.medianCpu)}`
    : `: CPU ${fmt2(u)} vs median ${fmt2(c.medianUtilisation)}`;
  if (forHottest && forecast.slopePerSecond > FLAT_SLOPE_PER_SECOND) text += ' and rising';
  if (eta === 0) text += ', saturated';
  else if (eta !== null) text += `, saturates in ${duration(eta)}`;
  text += '; check its weight';
  return { severity: reasons.length > 2 ? 'critical' : 'warning', reasons, explanation: text + context(p) };
}

function weightTotal(p: PreparedPool): number {
  let sum = 0;
  for (let o = 0; o < p.n * STRIDE; o += STRIDE) if (p.d[o + C_FLAGS]! & F_TESTED) sum += p.d[o + C_WEIGHT]!;
  return sum;
}

/** A weight or a core count: integers as such, others to two decimals. */
function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/\.?0+$/, '');
}

/** Down/maint and excluded backends, appended so on-call sees the whole pool. */
function context(p: PreparedPool): string {
  let s = '';
  if (p.unavailable.length > 0) s += `; ${p.unavailable.length} of ${p.n} not up`;
  if (p.missing.length > 0) s += `; excluded (invalid rate): ${listNames(p.missing)}`;
  return s + asideContext(p);
}

/** Up backends deliberately left out of the judgement, and why. */
function asideContext(p: PreparedPool): string {
  let s = '';
  if (p.warming.length > 0) s += `; warming up (came up within the rate window, not judged): ${listNames(p.warming)}`;
  if (p.backups.length > 0) s += `; backup standing by (primaries up): ${listNames(p.backups)}`;
  if (p.unweighted.length > 0) s += `; no weight reported (not judged): ${listNames(p.unweighted)}`;
  return s;
}

function listNames(names: readonly string[], max = 3): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} +${names.length - max} more`;
}

/** Share as a percentage: whole numbers, one decimal below 10% so 0.4% is not "0%". */
export function pct(share: number): string {
  const v = share * 100;
  return `${v < 10 && v > 0 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)}%`;
}

function fmt2(v: number): string {
  return v.toFixed(2);
}

/** "~40 s", "~4 min", "~2.5 h": the precision a forecast deserves. */
export function duration(seconds: number): string {
  if (seconds < 90) return `~${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `~${Math.round(seconds / 60)} min`;
  return `~${(seconds / 3600).toFixed(1).replace(/\.0$/, '')} h`;
}
