// Turns a PoolSample into clean numbers: invalid inputs become "missing"
// here, once, so no NaN or Infinity can reach a statistic. Also computes the
// expected distribution the observed traffic is judged against.
//
// Per-backend values live in one flat Float64Array with a fixed stride
// instead of an object per backend, and that array is a reused scratch
// buffer: the analysis runs on every pool every cycle (100k backends in the
// benchmark), and a fresh 1 KB array per pool was ~10 MB of garbage per cycle
// feeding the young-generation GC. Consequence: a PreparedPool is valid only
// until the next preparePool call. analysePool consumes it synchronously and
// copies what it returns into fresh objects, so nothing outside sees reuse.

import type { Health, PoolSample } from '../types.js';
import type { AnalysisOptions } from './options.js';
import { Scratch } from './scratch.js';

const WORK = new Scratch(1024);

// Column offsets inside the stride, and the flag bits. Consumers copy them
// into module-local constants (`const { STRIDE, ... } = LAYOUT`): hot loops
// then read plain locals instead of cross-module live bindings, which some
// loaders (tsx) compile to getter calls that dominated the benchmark profile.
export const LAYOUT = Object.freeze({
  C_RATE: 0, //     req/s, 0 when missing
  C_COUNT: 1, //    requests in the window (count ?? rate·window)
  C_WEIGHT: 2, //   configured weight, −1 when unknown
  C_EXPECTED: 3, // expected share among tested backends
  C_SHARE: 4, //    observed share among tested backends
  C_UTIL: 5, //     cpu / capacity, −1 when unknown
  C_CPU: 6, //      cpu cores, −1 when unknown
  C_QUEUE: 7, //    balancer queue, −1 when unknown
  C_FLAGS: 8, //    F_UP | F_TESTED
  C_RATIO: 9, //    share / expected (see skew.ts)
  C_Z: 10, //       modified z-score of the ratio
  C_MARK: 11, //    candidate/outlier marks (skew.ts)
  STRIDE: 12,
  F_UP: 1,
  /** Up AND has a valid rate: part of the expected distribution and the test. */
  F_TESTED: 2,
});
const { C_RATE, C_COUNT, C_WEIGHT, C_EXPECTED, C_SHARE, C_UTIL, C_CPU, C_QUEUE, C_FLAGS, STRIDE, F_UP, F_TESTED } = LAYOUT;

export interface PreparedPool {
  readonly sample: PoolSample;
  readonly n: number;
  /** Scratch-backed: valid until the next preparePool call. */
  readonly d: Float64Array;
  /** Up backends with a valid rate (the ones compared). */
  readonly tested: number;
  readonly upCount: number;
  /** Σ rate over tested backends. */
  readonly totalRate: number;
  /** Σ count over tested backends: the sample size of the G-test. */
  readonly volume: number;
  /** True when every tested backend had a usable weight (and they sum > 0). */
  readonly weighted: boolean;
  /** Traffic still reported by non-up backends (evidence the pool is in use). */
  readonly unavailableRate: number;
  readonly unavailable: string[];
  /** Up backends whose rate was NaN/±Infinity/negative (a counter reset): excluded. */
  readonly missing: string[];
  readonly window: number;
}

/**
 * Beyond this no exporter is measuring anything (1e12 req/s, cores, queue
 * entries): such values are garbage and treated as missing, which also keeps
 * every sum and square far from overflow.
 */
export const MAX_PLAUSIBLE = 1e12;
/** Below this a value is 0 (subnormal noise would lose all digits when scaled). */
export const MIN_NONZERO = 1e-100;

/** A usable non-negative finite number, or −1 (the columns' "missing"). */
export function nonNegOrMissing(v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0) || v > MAX_PLAUSIBLE) return -1; // NaN fails v >= 0
  return v < MIN_NONZERO ? 0 : v;
}

function positiveOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && v >= MIN_NONZERO && v <= MAX_PLAUSIBLE ? v : fallback;
}

/** Health as reported; anything unrecognised is treated as down (fail safe: not compared). */
export function healthOf(h: unknown): Health {
  return h === 'up' || h === 'maint' ? h : 'down';
}

export function preparePool(sample: PoolSample, opts: AnalysisOptions): PreparedPool {
  const backends = Array.isArray(sample.backends) ? sample.backends : [];
  const n = backends.length;
  const d = WORK.get(n * STRIDE);
  d.fill(0, 0, n * STRIDE);
  const window = positiveOr(sample.windowSeconds, opts.defaultWindowSeconds);
  const poolCapacity = positiveOr(sample.cpuCapacityHint, opts.cpuCapacityCores);
  const unavailable: string[] = [];
  const missing: string[] = [];
  let tested = 0;
  let upCount = 0;
  let totalRate = 0;
  let volume = 0;
  let weightSum = 0;
  let allWeighted = true;
  let unavailableRate = 0;

  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    const b = backends[i]!;
    const up = b.health === 'up';
    const rate = nonNegOrMissing(b.rate);
    const cpu = nonNegOrMissing(b.cpu);
    d[o + C_CPU] = cpu;
    const util = cpu >= 0 ? cpu / positiveOr(b.cpuCapacity, poolCapacity) : -1;
    d[o + C_UTIL] = Number.isFinite(util) ? util : -1; // a denormal capacity overflows it
    d[o + C_QUEUE] = nonNegOrMissing(b.queue);
    const weight = nonNegOrMissing(b.weight);
    d[o + C_WEIGHT] = weight;
    if (!up) {
      unavailable.push(String(b.backend));
      if (rate > 0) unavailableRate += rate;
      continue;
    }
    upCount++;
    if (rate < 0) {
      missing.push(String(b.backend));
      d[o + C_FLAGS] = F_UP;
      continue;
    }
    d[o + C_FLAGS] = F_UP | F_TESTED;
    tested++;
    d[o + C_RATE] = rate;
    totalRate += rate;
    // Prefer the counted requests; fall back to rate·window (the brief's contract).
    const counted = nonNegOrMissing(b.count);
    const count = counted >= 0 ? counted : rate * window;
    d[o + C_COUNT] = count;
    volume += count;
    if (weight < 0) allWeighted = false;
    else weightSum += weight;
  }

  // Expected shares. Weights are used only when every compared backend has
  // one: a partial set cannot be normalised meaningfully, and "unknown means
  // assume equal" (types.ts). All-zero weights (nothing should get traffic)
  // carry no distribution either, so they also fall back to uniform.
  const weighted = tested > 0 && allWeighted && weightSum > 0;
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    if (!(d[o + C_FLAGS]! & F_TESTED)) continue;
    d[o + C_EXPECTED] = weighted ? d[o + C_WEIGHT]! / weightSum : 1 / tested;
    d[o + C_SHARE] = totalRate > 0 ? d[o + C_RATE]! / totalRate : 0;
  }

  return { sample, n, d, tested, upCount, totalRate, volume, weighted, unavailableRate, unavailable, missing, window };
}
