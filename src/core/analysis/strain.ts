// Balancer-side strain: the wrong weight that no CPU signal shows.
//
// When a weight is wrong (`set weight be_app/s1 256`), the balancer sends the
// backend exactly the share its weight says, so the request test (skew.ts)
// sees nothing, and without CPU for every backend the capacity check
// (capacity.ts) cannot run. The balancer itself still sees the backend
// struggle (FIELD-NOTES, "the wrong-weight incident with no CPU signal"):
// its response time climbs far above its peers', its open sessions reach the
// server's limit, requests wait in its queue. Any of those, on a backend
// that takes a concentrated share of the pool, is the incident:
//
//   concentrated i   share_i ≥ pouringShare and share_i − 1/n ≥ pouringMarginPp
//                    (n compared backends: 1/n is what equal peers would take;
//                    for 2 backends that means ≥ 80%, so 65/35 noise is not),
//                    or the same of its weight share (weight_i / Σ weight), which
//                    stays concentrated when roundrobin spills a full server's
//                    excess to its peers (FIELD-NOTES, maxconn spill);
//   enough requests  count_i ≥ minRequests in the window (the request test's
//                    volume guard, on the backend itself) and the pool's rate ≥ minRate;
//   strained i       any of
//     response time  rt_i ≥ RESPONSE_RATIO · b and rt_i − b ≥ MIN_RESPONSE_GAP_S,
//                    b = median rt of the peers that served requests in the
//                    window (the maximum when fewer than 3: one odd, stale
//                    peer must not lower the bar). HAProxy's
//                    haproxy_server_response_time_average_seconds is the mean
//                    over a server's last 1024 requests (management guide,
//                    "rtime"): a single slow request barely moves it. Only
//                    backends whose state held RT_SETTLE_SECONDS are compared
//                    (after an HAProxy reload the averages restart from 0);
//     sessions       sessions_i ≥ SESSIONS_NEAR_LIMIT · limit_i (maxconn set);
//     queue          queue_i ≥ queueThreshold (HAProxy queues for a server only
//                    when it is at maxconn).
//
// A 'cpu-not-traffic' warning stays a warning: the CPU says the heat is not
// from the traffic (a noisy neighbour), so the balancer is not the fix.
// Not judged while any compared backend is warming up (its state changed
// within the rate window): the survivors of a return to service look
// concentrated until the window fills. Correct weights on mixed hardware
// have concentrated shares at most on a bigger box, whose response time is
// its peers'; a noisy neighbour on an even pool is not concentrated.
//
// The result turns the verdict critical with reason 'strained' (withStrain).

import type { BackendSample, ReasonCode } from '../types.js';
import type { AnalysisOptions } from './options.js';
import { pct, type Decision } from './verdict.js';
import { LAYOUT, nonNegOrMissing, type PreparedPool } from './prepare.js';
import { medianInPlace } from './robust.js';
import { Scratch } from './scratch.js';

const { C_COUNT, C_CPU, C_EXPECTED, C_FLAGS, C_QUEUE, C_SHARE, C_WEIGHT, F_TESTED, STRIDE } = LAYOUT;

/** Response time against the peers' that counts as strain (3×: queueing well past the service time). */
export const RESPONSE_RATIO = 3;
/** ...and at least this much slower in absolute terms (HAProxy reports whole milliseconds). */
export const MIN_RESPONSE_GAP_S = 0.005;
/** Open sessions as a fraction of the server's maxconn that counts as at its limit. */
export const SESSIONS_NEAR_LIMIT = 0.9;
/** Peers needed before their median is used as the baseline (fewer: their maximum). */
export const MEDIAN_PEERS = 3;
/**
 * Seconds a backend's state must have held before its response time is
 * compared. HAProxy's average starts from 0 when its counters reset (a
 * restart or reload; the state age restarts with them) and converges
 * like an exponential average over ~512 requests (measured on 2.6: 150
 * requests of 9.5 ms read 3 ms), so right after a reload the backend with
 * the most traffic reads its true time while its quieter peers still read
 * low: a correct 8:1:1 config would look 3–6× slower than its peers.
 */
export const RT_SETTLE_SECONDS = 60;

export interface StrainResult {
  /** Index of the strained backend, −1 when none. */
  readonly backend: number;
  /** Its share of the compared traffic and of the weights (0 when weights are unknown). */
  readonly share: number;
  readonly weightShare: number;
  readonly weight: number;
  readonly weightSum: number;
  /** Its response time and the peers' baseline in seconds (−1 when not the evidence or unknown). */
  readonly responseTime: number;
  readonly peerResponseTime: number;
  /** Sessions and limit when at the limit, else −1. */
  readonly sessions: number;
  readonly sessionLimit: number;
  /** Queue length when queueing, else −1. */
  readonly queue: number;
}

export const NO_STRAIN: StrainResult = Object.freeze({
  backend: -1, share: 0, weightShare: 0, weight: -1, weightSum: 0,
  responseTime: -1, peerResponseTime: -1, sessions: -1, sessionLimit: -1, queue: -1,
});

const PEERS = new Scratch();

/** A share far above what equal peers would take (1/n of the compared backends). */
function concentrated(share: number, p: PreparedPool, opts: AnalysisOptions): boolean {
  return share >= opts.pouringShare && share - 1 / p.tested >= opts.pouringMarginPp / 100;
}

/** A response time usable as evidence: positive, finite and settled (see RT_SETTLE_SECONDS), else −1. */
function rtOf(b: BackendSample): number {
  const x = nonNegOrMissing(b.responseTime);
  const age = nonNegOrMissing(b.stateAgeSeconds);
  return x > 0 && (age < 0 || age >= RT_SETTLE_SECONDS) ? x : -1;
}

export function analyseStrain(p: PreparedPool, opts: AnalysisOptions): StrainResult {
  const { d, n } = p;
  if (!(p.totalRate >= opts.minRate)) return NO_STRAIN;

  // A backend that came up within the window (prepare.ts: warming) leaves
  // its share on its survivors' windowed rates: they look concentrated.
  if (p.warming.length > 0) return NO_STRAIN;
  let weightSum = 0;
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    if (d[o + C_FLAGS]! & F_TESTED && d[o + C_WEIGHT]! > 0) weightSum += d[o + C_WEIGHT]!;
  }

  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    if (!(d[o + C_FLAGS]! & F_TESTED)) continue;
    const share = d[o + C_SHARE]!;
    const weightShare = p.weighted ? d[o + C_EXPECTED]! : 0;
    if (!concentrated(share, p, opts) && !concentrated(weightShare, p, opts)) continue;
    if (!(d[o + C_COUNT]! >= opts.minRequests)) continue;
    const found = strainOf(p, i, opts);
    if (found.backend < 0) continue;
    return { ...found, share, weightShare, weight: d[o + C_WEIGHT]!, weightSum };
  }
  return NO_STRAIN;
}

/** The balancer's evidence that backend i is at its limit, or NO_STRAIN. */
function strainOf(p: PreparedPool, i: number, opts: AnalysisOptions): StrainResult {
  const { d, n } = p;
  const b = p.sample.backends[i]!;
  let responseTime = -1;
  let peerResponseTime = -1;
  const rt = rtOf(b);
  if (rt > 0) {
    const peers = PEERS.get(n);
    let k = 0;
    let max = 0;
    for (let j = 0, o = 0; j < n; j++, o += STRIDE) {
      if (j === i || !(d[o + C_FLAGS]! & F_TESTED) || !(d[o + C_COUNT]! > 0)) continue; // no requests: no current response time
      const v = rtOf(p.sample.backends[j]!);
      if (v < 0) continue;
      peers[k++] = v;
      if (v > max) max = v;
    }
    if (k > 0) {
      const baseline = k >= MEDIAN_PEERS ? medianInPlace(peers, k) : max;
      if (rt >= RESPONSE_RATIO * baseline && rt - baseline >= MIN_RESPONSE_GAP_S) {
        responseTime = rt;
        peerResponseTime = baseline;
      }
    }
  }
  const sessions = nonNegOrMissing(b.sessions);
  const limit = nonNegOrMissing(b.sessionLimit);
  const atLimit = limit > 0 && sessions >= SESSIONS_NEAR_LIMIT * limit;
  const queue = d[i * STRIDE + C_QUEUE]!;
  const queueing = queue >= opts.queueThreshold;
  if (responseTime < 0 && !atLimit && !queueing) return NO_STRAIN;
  return {
    ...NO_STRAIN,
    backend: i,
    responseTime,
    peerResponseTime,
    sessions: atLimit ? sessions : -1,
    sessionLimit: atLimit ? limit : -1,
    queue: queueing ? queue : -1,
  };
}

/**
 * The verdict with the strain applied: critical, reason 'strained' after the
 * reasons already found, and an explanation a person can act on. Unchanged
 * when nothing is strained.
 */
export function withStrain(decision: Decision, strain: StrainResult, p: PreparedPool, opts: AnalysisOptions): Decision {
  if (strain.backend < 0) return decision;
  // The CPU already says the heat is not the traffic's doing (a noisy
  // neighbour on a correctly weighted box): at most that warning, never a page.
  if (decision.reasons.includes('cpu-not-traffic')) return decision;
  const reasons: ReasonCode[] = decision.severity === 'ok' ? [] : [...decision.reasons];
  reasons.push('strained');
  // A skew or weight verdict already explains the traffic: add the balancer's evidence to it.
  const text = decision.severity === 'critical' || reasons.length > 1
    ? `${decision.explanation}; ${evidence(strain)}`
    : strainText(strain, p, opts);
  return { ...decision, severity: 'critical', reasons, explanation: text };
}

function strainText(s: StrainResult, p: PreparedPool, opts: AnalysisOptions): string {
  const name = String(p.sample.backends[s.backend]!.backend);
  const pool = p.sample.pool;
  const weights = s.weight >= 0 && s.weightSum > 0 ? ` (weight ${num(s.weight)} of ${num(s.weightSum)})` : '';
  let text = `${name} takes ${pct(s.share)} of ${pool}'s traffic${weights}; ${evidence(s)}`;
  // Cores in use, not utilisation: its capacity may be only assumed (prepare.ts).
  const cores = p.d[s.backend * STRIDE + C_CPU]!;
  if (cores >= 0) text += `, CPU ${cores.toFixed(2)} cores`;
  // Concentrated by weight: the weight is the suspect. Otherwise the traffic
  // left the weights (hashing, stickiness): the balancing is.
  text += concentrated(s.weightShare, p, opts) ? ': check its weight' : ': check how the balancer spreads traffic';
  if (p.unavailable.length > 0) text += `; ${p.unavailable.length} of ${p.n} not up`;
  return text;
}

function evidence(s: StrainResult): string {
  const parts: string[] = [];
  if (s.responseTime > 0) {
    parts.push(`its response time at ${num(s.responseTime / s.peerResponseTime)}× its peers' (${ms(s.responseTime)} vs ${ms(s.peerResponseTime)})`);
  }
  if (s.sessionLimit > 0) parts.push(`${num(s.sessions)} sessions of its limit ${num(s.sessionLimit)}`);
  if (s.queue >= 0) parts.push(`${num(s.queue)} requests queued for it`);
  return `the balancer sees ${parts.join(', ')}`;
}

/** Whole numbers as such, otherwise one decimal (a weight averaged over the window can be 128.5). */
function num(v: number): string {
  return Number.isInteger(v) || v >= 100 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, '');
}

function ms(seconds: number): string {
  const v = seconds * 1000;
  return v >= 10 ? `${Math.round(v)} ms` : `${v.toFixed(1).replace(/\.0$/, '')} ms`;
}
