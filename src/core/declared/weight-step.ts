// With nothing declared, the weights a pool ran with before a runtime change
// are the next best declaration. A wrong `set weight be/s1 256` shows in the
// exported weight at the next scrape, long before s1 saturates (FIELD-NOTES:
// with no CPU signal, the weight step and the concentration it creates are
// what the balancer itself shows). So a weight change that piles the pool's
// weight onto one server is judged against the weights before it.
//
// Stricter than a drift from a declaration, because deliberate reweights
// happen (canaries, blue/green): only level 2, and only when
//   - at least 3 servers are up and weighted (a pair's 80/20 is a choice),
//   - one server's share of the weight is ≥ 50% after the change, and
//   - that share is ≥ 3× its share before the change.
// A blue/green switch from four servers to two (50% each, 2×) does not
// qualify; 1 → 256 on one of four (99%, 4×) does. Ordinary weight changes
// stay in the change log ("what changed"), and page nobody.
// The comparison lasts as long as the change log keeps the change (an
// hour); after that the new weights are the baseline. Declare the config
// (docs/declared.md) to compare for good.

import type { BalancerChange } from '../changes/changes.js';
import type { PoolSample } from '../types.js';
import type { PoolDrift } from './drift.js';

export const STEP_MIN_SHARE = 0.5;
export const STEP_MIN_FACTOR = 3;
export const STEP_MIN_SERVERS = 3;

function pct(v: number): string {
  return `${Math.round(v * 100)}%`;
}

/** A level-2 drift against the weights before the pool's weight changes, or null. */
export function weightStepDrift(sample: PoolSample, changes: readonly BalancerChange[]): PoolDrift | null {
  const weightChanges = changes.filter((c) => c.kind === 'weight');
  if (weightChanges.length === 0) return null;
  // Before: the first change's `from` for each backend that changed, the current weight otherwise.
  const before = new Map<string, number>();
  for (const c of weightChanges) if (!before.has(c.backend)) before.set(c.backend, Number(c.from));
  const up = sample.backends.filter((b) => b.health === 'up' && typeof b.weight === 'number' && Number.isFinite(b.weight) && b.weight >= 0);
  if (up.length < STEP_MIN_SERVERS) return null;
  const prev = up.map((b) => (before.has(String(b.backend)) ? before.get(String(b.backend))! : b.weight!));
  const prevSum = prev.reduce((a, w) => a + w, 0);
  const nowSum = up.reduce((a, b) => a + b.weight!, 0);
  if (!(prevSum > 0) || !(nowSum > 0) || prev.some((w) => !Number.isFinite(w))) return null;
  let worst: { i: number; share: number; was: number } | null = null;
  for (let i = 0; i < up.length; i++) {
    const name = String(up[i]!.backend);
    if (!before.has(name)) continue;
    const share = up[i]!.weight! / nowSum;
    const was = prev[i]! / prevSum;
    if (share < STEP_MIN_SHARE || share < STEP_MIN_FACTOR * was) continue;
    if (!worst || share / Math.max(was, 1e-9) > worst.share / Math.max(worst.was, 1e-9)) worst = { i, share, was };
  }
  if (!worst) return null;
  const b = up[worst.i]!;
  const name = String(b.backend);
  const c = weightChanges.find((x) => x.backend === name)!;
  const live = Number.isInteger(b.weight!) ? String(b.weight) : b.weight!.toFixed(1);
  return {
    pool: sample.pool,
    level: 2,
    items: [{ backend: name, kind: 'weight', declared: c.from, live }],
    concentration: { backend: name, liveShare: worst.share, declaredShare: worst.was },
    explanation: `${name}'s weight changed ${c.from} → ${live} at ${new Date(c.at).toISOString().slice(11, 19)} UTC: it now holds ${pct(worst.share)} of ${sample.pool}'s weight ` +
      `(was ${pct(worst.was)}); no declared config, so compared with the weights before the change: check the weight`,
    baseline: 'previous-weights',
  };
}
