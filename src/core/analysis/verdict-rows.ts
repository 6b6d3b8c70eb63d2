// A verdict's per-backend rows from the prepared pool: packed into numbers
// (packRows, what analysePool gives: backend-rows.ts) or built as BackendStat
// objects at once (eagerRows, analysePoolEager: the way the analysis always
// built them, kept as the reference the tests compare with). Both give the
// same values, and the hot and starved names in backend order.

import type { BackendStat, PoolHistory, PoolSample } from '../types.js';
import { LAYOUT, healthOf, type PreparedPool } from './prepare.js';
import { MARKS } from './skew.js';
import * as backendRows from './backend-rows.js';
import type { BackendRows } from './backend-rows.js';

const { C_EXPECTED, C_FLAGS, C_MARK, C_QUEUE, C_RATE, C_RATIO, C_SHARE, C_UTIL, C_WEIGHT, C_Z, F_TESTED, STRIDE } = LAYOUT;
const { M_HOT, M_STARVED } = MARKS;
// Module-local copies (tsx compiles imported bindings to getter calls; packRows runs per backend).
const ROW_SLABS = backendRows.ROW_SLABS;
const { ROW_STRIDE, NULL_WEIGHT, NULL_UTIL, NULL_QUEUE, HEALTH_SHIFT, OUTLIER_SHIFT } = backendRows;
const { WEIGHT: R_WEIGHT, RATE: R_RATE, SHARE: R_SHARE, EXPECTED: R_EXPECTED, RATIO: R_RATIO, UTIL: R_UTIL, QUEUE: R_QUEUE, Z: R_Z, FLAGS: R_FLAGS } = backendRows.ROW;

/** Shared empty name list (frozen: replaced, never pushed to, analyse.ts withName); most pools have no hot or starved backend. */
export const NO_NAMES = Object.freeze([]) as unknown as string[];

export interface Rows {
  /** The rows packed (analysePool), or null when `objects` holds them (analysePoolEager). */
  readonly packed: BackendRows | null;
  readonly objects: readonly BackendStat[];
  readonly hot: string[];
  readonly starved: string[];
}

const NO_STATS: readonly BackendStat[] = Object.freeze([]);

/**
 * The verdict's rows as numbers (backend-rows.ts), with the same values the
 * objects of eagerRows hold; hot and starved names in backend order.
 */
export function packRows(p: PreparedPool, history: PoolHistory): Rows {
  const { d, n } = p;
  const src = p.sample.backends;
  // In the running state the history's columns are these names in this order: shared (both never change).
  const names = sameNames(history.names, src) ? history.names : new Array<string>(n);
  const fill = names !== history.names;
  const offset = ROW_SLABS.take(n * ROW_STRIDE);
  const values = ROW_SLABS.values;
  let hot = NO_NAMES;
  let starved = NO_NAMES;
  for (let i = 0, o = 0, r = offset; i < n; i++, o += STRIDE, r += ROW_STRIDE) {
    const b = src[i]!;
    const name = String(b.backend);
    if (fill) (names as string[])[i] = name;
    const tested = (d[o + C_FLAGS]! & F_TESTED) !== 0;
    const mark = d[o + C_MARK]!;
    // Outlier and health codes as backend-rows.ts numbers them (healthOf: anything else is down).
    const outlier = mark & M_HOT ? 1 : mark & M_STARVED ? 2 : 0;
    if (outlier === 1) hot = hot === NO_NAMES ? [name] : (hot.push(name), hot);
    else if (outlier === 2) starved = starved === NO_NAMES ? [name] : (starved.push(name), starved);
    const health = b.health === 'up' ? 0 : b.health === 'maint' ? 2 : 1;
    const weight = d[o + C_WEIGHT]!;
    const util = d[o + C_UTIL]!;
    const queue = d[o + C_QUEUE]!;
    const weightNull = !(weight >= 0);
    const utilNull = !(util >= 0 && Number.isFinite(util));
    const queueNull = !(queue >= 0);
    values[r + R_WEIGHT] = weightNull ? 0 : weight;
    values[r + R_RATE] = d[o + C_RATE]!;
    values[r + R_SHARE] = tested ? d[o + C_SHARE]! : 0;
    values[r + R_EXPECTED] = tested ? d[o + C_EXPECTED]! : 0;
    values[r + R_RATIO] = tested ? d[o + C_RATIO]! : 0;
    values[r + R_UTIL] = utilNull ? 0 : util;
    values[r + R_QUEUE] = queueNull ? 0 : queue;
    values[r + R_Z] = d[o + C_Z]!;
    values[r + R_FLAGS] = (weightNull ? NULL_WEIGHT : 0) | (utilNull ? NULL_UTIL : 0) | (queueNull ? NULL_QUEUE : 0)
      | (health << HEALTH_SHIFT) | (outlier << OUTLIER_SHIFT);
  }
  return { packed: { names, values, offset }, objects: NO_STATS, hot, starved };
}

function sameNames(names: readonly string[], src: PoolSample['backends']): boolean {
  if (names.length !== src.length) return false;
  for (let i = 0; i < names.length; i++) if (names[i] !== String(src[i]!.backend)) return false;
  return true;
}

/** The rows as BackendStat objects, built the way the analysis always built them (analysePoolEager). */
export function eagerRows(p: PreparedPool): Rows {
  const { d, n } = p;
  const src = p.sample.backends;
  const backends = new Array<BackendStat>(n);
  let hot = NO_NAMES;
  let starved = NO_NAMES;
  for (let i = 0, o = 0; i < n; i++, o += STRIDE) {
    const b = src[i]!;
    const name = String(b.backend);
    const tested = (d[o + C_FLAGS]! & F_TESTED) !== 0;
    const mark = d[o + C_MARK]!;
    const outlier = mark & M_HOT ? 'hot' : mark & M_STARVED ? 'starved' : null;
    if (outlier === 'hot') hot = hot === NO_NAMES ? [name] : (hot.push(name), hot);
    else if (outlier === 'starved') starved = starved === NO_NAMES ? [name] : (starved.push(name), starved);
    const weight = d[o + C_WEIGHT]!;
    const util = d[o + C_UTIL]!;
    const queue = d[o + C_QUEUE]!;
    backends[i] = {
      backend: name,
      health: healthOf(b.health),
      weight: weight >= 0 ? weight : null,
      rate: d[o + C_RATE]!,
      share: tested ? d[o + C_SHARE]! : 0,
      expectedShare: tested ? d[o + C_EXPECTED]! : 0,
      ratio: tested ? d[o + C_RATIO]! : 0,
      utilisation: util >= 0 && Number.isFinite(util) ? util : null,
      queue: queue >= 0 ? queue : null,
      z: d[o + C_Z]!,
      outlier,
    };
  }
  return { packed: null, objects: backends, hot, starved };
}
