// What changed on the balancer: a bounded per-pool log of steps between
// consecutive cycles in the signals skewwatch already reads (a backend's
// weight, its state, members joining or leaving). Pure: the log is data in,
// data out. In every postmortem the hours went to the database and the code
// because nothing said "the balancer changed 40 s before this".
//
// Weights in query mode are averaged over the rate window, so one runtime
// `set weight` shows as a ramp over several cycles. Steps of one backend's
// weight within `mergeWindowMs` of the first are merged into one change
// (first value → latest value, at the time it was first seen).

import type { Health, PoolSample, Snapshot } from '../types.js';

export type ChangeKind = 'weight' | 'state' | 'joined' | 'left';

export interface BalancerChange {
  /** When the step was first seen (epoch ms). */
  readonly at: number;
  readonly pool: string;
  readonly backend: string;
  readonly kind: ChangeKind;
  readonly from: string;
  readonly to: string;
  /** The signal it was seen in, e.g. "weight" or "health". */
  readonly signal: string;
  /** Pool size after the change (members reported). */
  readonly poolSize: number;
}

interface SeenBackend {
  readonly w: number | null;
  readonly h: Health;
}

interface PoolMemory {
  readonly at: number;
  readonly backends: Readonly<Record<string, SeenBackend>>;
}

/** Plain JSON: persisted in the state file. */
export interface ChangeLog {
  readonly memory: Readonly<Record<string, PoolMemory>>;
  readonly changes: readonly BalancerChange[];
}

export const EMPTY_CHANGE_LOG: ChangeLog = Object.freeze({ memory: Object.freeze({}), changes: Object.freeze([]) });

export interface ChangeOptions {
  /** Changes older than this are dropped (ms). */
  readonly retainMs: number;
  /** At most this many changes per pool are kept (the newest). */
  readonly maxPerPool: number;
  /** Weight steps of one backend within this span merge into one change (ms; the rate window). */
  readonly mergeWindowMs: number;
}

export const DEFAULT_CHANGE_OPTIONS: ChangeOptions = Object.freeze({ retainMs: 3_600_000, maxPerPool: 50, mergeWindowMs: 60_000 });

const STATE_NAME: Readonly<Record<Health, string>> = { up: 'UP', down: 'DOWN', maint: 'MAINT' };
/** Below this a weight difference is averaging noise. */
const WEIGHT_EPSILON = 0.5;

function weightOf(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

function fmtWeight(w: number | null): string {
  if (w === null) return 'unknown';
  return Number.isInteger(w) ? String(w) : String(Math.round(w * 10) / 10);
}

function seenOf(sample: PoolSample): Record<string, SeenBackend> {
  const out: Record<string, SeenBackend> = {};
  for (const b of sample.backends) out[String(b.backend)] = { w: weightOf(b.weight), h: b.health };
  return out;
}

/** Steps between the remembered pool and this sample. */
function diffPool(prev: PoolMemory, sample: PoolSample, now: number): BalancerChange[] {
  const out: BalancerChange[] = [];
  const cur = seenOf(sample);
  const size = sample.backends.length;
  const base = { at: now, pool: sample.pool, poolSize: size };
  for (const [name, b] of Object.entries(cur)) {
    const p = prev.backends[name];
    if (!p) {
      out.push({ ...base, backend: name, kind: 'joined', from: 'absent', to: STATE_NAME[b.h] ?? 'DOWN', signal: 'membership' });
      continue;
    }
    if (p.h !== b.h) out.push({ ...base, backend: name, kind: 'state', from: STATE_NAME[p.h] ?? 'DOWN', to: STATE_NAME[b.h] ?? 'DOWN', signal: 'health' });
    if (p.w !== null && b.w !== null && Math.abs(p.w - b.w) >= WEIGHT_EPSILON) {
      out.push({ ...base, backend: name, kind: 'weight', from: fmtWeight(p.w), to: fmtWeight(b.w), signal: 'weight' });
    }
  }
  for (const name of Object.keys(prev.backends)) {
    if (!(name in cur)) out.push({ ...base, backend: name, kind: 'left', from: STATE_NAME[prev.backends[name]!.h] ?? 'DOWN', to: 'absent', signal: 'membership' });
  }
  return out;
}

/**
 * Records the steps this snapshot shows against the last one seen per pool.
 * Returns the next log and the changes that are new this cycle (a merged
 * weight ramp is returned once, when it starts).
 */
export function trackChanges(log: ChangeLog, snapshot: Snapshot, opts: ChangeOptions = DEFAULT_CHANGE_OPTIONS): { log: ChangeLog; fresh: BalancerChange[] } {
  const now = snapshot.at;
  const memory: Record<string, PoolMemory> = {};
  const changes = log.changes.filter((c) => now - c.at <= opts.retainMs).slice();
  const fresh: BalancerChange[] = [];
  for (const sample of snapshot.pools) {
    const prev = log.memory[sample.pool];
    memory[sample.pool] = { at: now, backends: seenOf(sample) };
    if (!prev) continue; // first sight of a pool is not a change
    for (const c of diffPool(prev, sample, now)) {
      if (c.kind === 'weight') {
        const i = findMergeable(changes, c, opts.mergeWindowMs);
        if (i >= 0) {
          const merged = { ...changes[i]!, to: c.to, poolSize: c.poolSize };
          changes[i] = merged;
          continue;
        }
      }
      changes.push(c);
      fresh.push(c);
    }
  }
  // Pools not in this snapshot keep their memory (a source hiccup is not a change) until retention.
  for (const [pool, m] of Object.entries(log.memory)) {
    if (!(pool in memory) && now - m.at <= opts.retainMs) memory[pool] = m;
  }
  return { log: { memory, changes: capPerPool(changes, opts.maxPerPool) }, fresh };
}

function findMergeable(changes: readonly BalancerChange[], c: BalancerChange, windowMs: number): number {
  for (let i = changes.length - 1; i >= 0; i--) {
    const o = changes[i]!;
    if (o.pool !== c.pool || o.backend !== c.backend || o.kind !== 'weight') continue;
    // Only a continuation of the same ramp merges; a step back is a change of its own.
    const sameDirection = Math.sign(Number(o.to) - Number(o.from)) === Math.sign(Number(c.to) - Number(c.from));
    return c.at - o.at <= windowMs && sameDirection ? i : -1;
  }
  return -1;
}

function capPerPool(changes: BalancerChange[], max: number): BalancerChange[] {
  const count = new Map<string, number>();
  const keep: BalancerChange[] = [];
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    const n = (count.get(c.pool) ?? 0) + 1;
    count.set(c.pool, n);
    if (n <= max) keep.push(c);
  }
  return keep.reverse();
}

/** Changes of `pool` within lookbackMs before `at` (and up to `at`), oldest first. */
export function changesBefore(log: ChangeLog, pool: string, at: number, lookbackMs: number): BalancerChange[] {
  return log.changes.filter((c) => c.pool === pool && c.at <= at && at - c.at <= lookbackMs);
}

/** "s1's weight changed 1 → 256 at 12:03:04 UTC (41 s before)" */
export function describeChange(c: BalancerChange, relativeTo?: number): string {
  const time = `${new Date(c.at).toISOString().slice(11, 19)} UTC`;
  const when = relativeTo !== undefined && relativeTo >= c.at ? ` (${Math.round((relativeTo - c.at) / 1000)} s before)` : '';
  switch (c.kind) {
    case 'weight': return `${c.backend}'s weight changed ${c.from} → ${c.to} at ${time}${when}`;
    case 'state': return `${c.backend} went ${c.from} → ${c.to} at ${time}${when}`;
    case 'joined': return `${c.backend} joined the pool (${c.to}, now ${c.poolSize} backends) at ${time}${when}`;
    case 'left': return `${c.backend} left the pool (now ${c.poolSize} backends) at ${time}${when}`;
  }
}

/** Restores a persisted log; anything malformed reads as empty (never fatal). */
export function restoreChangeLog(v: unknown): ChangeLog {
  if (typeof v !== 'object' || v === null) return EMPTY_CHANGE_LOG;
  const o = v as { memory?: unknown; changes?: unknown };
  if (typeof o.memory !== 'object' || o.memory === null || !Array.isArray(o.changes)) return EMPTY_CHANGE_LOG;
  const changes = o.changes.filter((c): c is BalancerChange =>
    typeof c === 'object' && c !== null && typeof (c as BalancerChange).at === 'number' && typeof (c as BalancerChange).pool === 'string' &&
    typeof (c as BalancerChange).backend === 'string' && typeof (c as BalancerChange).kind === 'string');
  return { memory: o.memory as ChangeLog['memory'], changes };
}
