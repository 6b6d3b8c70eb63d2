// appendHistory: the history's general append (history.ts,
// appendHistoryGeneral) plus the running-state case fused into one pass
// (issue 15). history.ts owns the layout and the general path; this file only
// makes the commonest append cheap, and must give exactly what the general
// path gives (test/core/analysis/steady-append.test.ts).

import type { PoolHistory, PoolSample } from '../types.js';
import type { AnalysisOptions } from './options.js';
import * as sanitise from './sanitise.js';
import { assumedCapacity, typicalUpWeight } from './assumed-capacity.js';
import * as layout from './history.js';
import { appendHistoryGeneral, usable } from './history.js';

// Module-local copies (tsx compiles imported bindings to getter calls; the loop below runs per backend).
const nonNegOrMissing = sanitise.nonNegOrMissing;
const { AT, TRAFFIC, UTIL, DOWN, UNKNOWN, HISTORY_BLOCK } = layout;
const checked = layout.checked;
const positive = layout.positive;

/**
 * Appends this sample's per-backend utilisation as a point at `now` (epoch
 * ms); see appendHistoryGeneral (history.ts) for what is recorded. The result
 * shares the input's full blocks.
 */
export function appendHistory(history: PoolHistory, sample: PoolSample, now: number, opts: AnalysisOptions): PoolHistory {
  const h = usable(history);
  return appendSteady(h, sample, now, opts) ?? appendHistoryGeneral(h, sample, now, opts);
}


/**
 * Reused point buffers, one per width (see appendSteady): the point is
 * written here and copied into the new tail block by concat, so the only
 * allocations of a steady append are that block, the block list and the
 * history object.
 */
const POINT_SCRATCH: number[][] = [];

function pointScratch(stride: number): number[] {
  let p = POINT_SCRATCH[stride];
  if (p === undefined) {
    // Filled with a non-integer so the array starts (and stays) all-double.
    p = [];
    for (let j = 0; j < stride; j++) p.push(0.5);
    POINT_SCRATCH[stride] = p;
  }
  return p;
}

/**
 * The running-state append, fused: columns are the sample's backends in
 * order (the usual case), the newest point is before `now`. Does what
 * appendPoint (pointOf + appendAligned) followed by rememberWeights does in
 * that case, with the same numbers, but without the intermediate point
 * array, the second history object and the closures: this runs for every
 * pool every cycle and its garbage was a large part of the steady-state
 * cycle's GC. Returns null for every other case (the general path handles
 * it); steady-append.test.ts checks both paths give identical histories.
 */
function appendSteady(h: PoolHistory, sample: PoolSample, now: number, opts: AnalysisOptions): PoolHistory | null {
  const src = sample.backends;
  const blocks = h.blocks;
  const names = h.names;
  const n = names.length;
  if (!Number.isFinite(now) || blocks.length === 0 || !Array.isArray(src) || src.length !== n) return null;
  for (let i = 0; i < n; i++) if (names[i] !== String(src[i]!.backend)) return null;
  const old = h.weights;
  if (old !== undefined && old.length !== n) return null;
  const stride = n + UTIL;
  const last = blocks[blocks.length - 1]!;
  if (!(last[last.length - stride + AT]! < now)) return null;

  // The new point, as pointOf computes it (column i is backend i).
  const p = pointScratch(stride);
  p[AT] = now;
  p[TRAFFIC] = 0;
  const hint = positive(sample.cpuCapacityHint) ? sample.cpuCapacityHint : undefined;
  let typicalWeight = -1;
  let weights = old;
  for (let i = 0; i < n; i++) {
    const b = src[i]!;
    const at = UTIL + i;
    if (b.health !== 'up') {
      p[at] = DOWN;
      if (weights === undefined) weights = freshWeights(n);
      continue;
    }
    p[at] = UNKNOWN;
    if (nonNegOrMissing(b.rate) > 0) p[TRAFFIC] = 1;
    // rememberWeights: an up backend's weight now replaces the remembered one.
    const live = nonNegOrMissing(b.weight);
    if (weights === undefined) weights = freshWeights(n);
    if (live >= 0 && live !== weights[i]) {
      if (weights === old) weights = old.slice();
      (weights as number[])[i] = live;
    }
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
  if (weights === undefined) weights = freshWeights(n);

  // Ageing, as appendAligned: advance `skip`, dropping blocks that empty.
  const oldest = now - opts.historySeconds * 1000;
  const cap = Math.max(0, opts.maxHistoryPoints - 1);
  // One division, not one per block (every block holds whole points, so the quotient is exact).
  let cells = 0;
  for (let b = 0; b < blocks.length; b++) cells += blocks[b]!.length;
  let total = cells / stride - h.skip;
  let first = 0;
  let skip = h.skip;
  while (total > 0 && (total > cap || !(blocks[first]![skip * stride + AT]! >= oldest))) {
    total--;
    if (++skip * stride === blocks[first]!.length) {
      first++;
      skip = 0;
    }
  }
  if (total === 0) return checked(names, [p.slice()], 0, weights);
  const kept = blocks.length - first;
  const tailFull = last.length >= HISTORY_BLOCK * stride;
  const out = new Array<readonly number[]>(tailFull ? kept + 1 : kept);
  for (let b = 0; b < kept - 1; b++) out[b] = blocks[first + b]!;
  if (tailFull) {
    out[kept - 1] = last;
    out[kept] = p.slice();
  } else {
    out[kept - 1] = last.concat(p);
  }
  return checked(names, out, skip, weights);
}

/**
 * rememberWeights for a history that had none (written before weights were
 * kept): every column unknown until its backend is seen up. A new array per
 * call: the caller fills it in.
 */
function freshWeights(n: number): number[] {
  const w: number[] = [];
  for (let j = 0; j < n; j++) w.push(UNKNOWN);
  return w;
}
