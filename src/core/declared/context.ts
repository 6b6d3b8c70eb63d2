// Adds the balancer's side of the story to each verdict: what changed in the
// pool recently (and, when the pool is not ok, which change is the likely
// cause, in the explanation), and whether it runs what was declared. Pure;
// the daemon, `check` and `replay` all call it after the analysis, so a page
// reads the same whichever of them produced it.

import type { PoolSample, PoolVerdict, Snapshot } from '../types.js';
import { changesBefore, describeChange, type BalancerChange, type ChangeLog } from '../changes/changes.js';
import { compareDeclared, type DriftOptions } from './drift.js';
import { weightStepDrift } from './weight-step.js';
import type { DeclaredOverride, DeclaredPool } from './types.js';

export interface BalancerContext {
  /** Declared pools by pool id (HAProxy: the backend name). Empty: nothing declared. */
  readonly declared: ReadonlyMap<string, DeclaredPool>;
  readonly overrides: readonly DeclaredOverride[];
  readonly changeLog: ChangeLog;
  readonly lookbackMs: number;
  readonly drift: DriftOptions;
}

/** Change kinds in the order they explain a skew: a weight first, then a state, then membership. */
const CAUSE_RANK: Readonly<Record<BalancerChange['kind'], number>> = { weight: 0, state: 1, left: 2, joined: 3 };

/** The change most likely behind a pool's trouble: the hot backend's own, weights first, newest first. */
export function likelyCause(changes: readonly BalancerChange[], hot: readonly string[]): BalancerChange | null {
  let best: BalancerChange | null = null;
  const score = (c: BalancerChange) => (hot.includes(c.backend) ? 0 : 10) + CAUSE_RANK[c.kind];
  for (const c of changes) {
    if (!best || score(c) < score(best) || (score(c) === score(best) && c.at > best.at)) best = c;
  }
  return best;
}

/** The declaration with unexpired overrides applied. */
export function withOverrides(pool: DeclaredPool, overrides: readonly DeclaredOverride[], now: number): DeclaredPool {
  const mine = overrides.filter((o) => o.pool === pool.pool && now < o.expiresAt);
  if (mine.length === 0) return pool;
  return {
    ...pool,
    servers: pool.servers.map((s) => {
      const o = mine.find((x) => x.server === s.name);
      if (!o) return s;
      return { ...s, ...(o.weight !== undefined ? { weight: o.weight } : {}), ...(o.state !== undefined ? { disabled: true } : {}) };
    }),
  };
}

function declaredFor(sample: PoolSample, ctx: BalancerContext): DeclaredPool | undefined {
  return ctx.declared.get(sample.pool) ?? (sample.labels.proxy !== undefined ? ctx.declared.get(sample.labels.proxy) : undefined);
}

export function addBalancerContext(verdicts: readonly PoolVerdict[], snapshot: Snapshot, ctx: BalancerContext): PoolVerdict[] {
  const samples = new Map(snapshot.pools.map((p) => [p.pool, p]));
  const now = snapshot.at;
  // The log's changes grouped by pool once (order kept): filtering the whole
  // log for every pool was O(pools × changes), ~a third of a 1,000-pool soak
  // cycle once renames had filled the log.
  const byPool = new Map<string, BalancerChange[]>();
  for (const c of ctx.changeLog.changes) {
    const list = byPool.get(c.pool);
    if (list) list.push(c);
    else byPool.set(c.pool, [c]);
  }
  return verdicts.map((v) => {
    const sample = samples.get(v.pool);
    const own = byPool.get(v.pool) ?? [];
    const changes = own.length === 0 ? own : changesBefore({ memory: ctx.changeLog.memory, changes: own }, v.pool, now, ctx.lookbackMs);
    const declared = sample ? declaredFor(sample, ctx) : undefined;
    // Nothing declared: a weight change that piles the pool onto one server
    // is judged against the weights before it (the whole retained log counts,
    // not just the look-back, so the alert does not end by ageing).
    const drift = declared && sample
      ? compareDeclared(withOverrides(declared, ctx.overrides, now), sample, ctx.drift)
      : sample ? (weightStepDrift(sample, own.filter((c) => c.at <= now)) ?? undefined) : undefined;
    if (changes.length === 0 && !drift) return v;
    let explanation = v.explanation;
    const cause = v.severity !== 'ok' ? likelyCause(changes, v.hot) : null;
    if (cause) explanation += `; likely cause: ${describeChange(cause, now)}`;
    return { ...v, explanation, ...(changes.length > 0 ? { changes } : {}), ...(drift ? { drift } : {}) };
  });
}
