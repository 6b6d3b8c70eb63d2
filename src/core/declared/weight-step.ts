// With nothing declared, the weights a pool ran with before a runtime change
// are the next best declaration. A wrong `set weight be/s1 256` shows in the
// exported weight at the next scrape, long before s1 saturates (FIELD-NOTES:
// with no CPU signal, the weight step and the concentration it creates are
// what the balancer itself shows). So a weight change that piles the pool's
// weight onto one server is judged against the weights before it.
//
// Stricter than a drift from a declaration, because deliberate reweights
// happen (canaries, blue/green): only level 2, and only for a server whose
// own weight the change raised (servers that gain share because others
// left or were set to 0 are a deliberate removal, judged by the verdict),
// with f = its weight share after / before = the factor its load grows by
// at the same pool load:
//   - 3 or more servers up and weighted: f ≥ 2 and a share ≥ twice an
//     equal split (2/n). A server that ran above half its capacity (an
//     ordinary operating point) saturates when its load doubles, and
//     without CPU nothing says it had the headroom. Or, as before, a share
//     ≥ 50% with f ≥ 3.
//   - a pair: a share ≥ 90% (f ≥ 1.8; 80/20 stays a choice).
// A blue/green switch from four servers to two (50% each, their weights
// unchanged) does not qualify; 1 → 256 on one of four (99%, 4×) does, and so
// do 1 → 4 on one of four (57%, 2.3×) or of eight (36%, 2.9×) and 1 → 16 on a
// pair (94%): the wrong-weight incidents with no CPU (detection bench
// family wrong-weight-nocpu), which otherwise page only near saturation.
// Not a step: the effective weight ramping after the server came up (HAProxy
// slowstart: haproxy_server_weight climbs from 1), i.e. a weight change
// within RAMP_GUARD_MS after the server's state change or join.
// Ordinary weight changes stay in the change log ("what changed"), and page
// nobody.
// The comparison lasts as long as the change log keeps the change (an
// hour); after that the new weights are the baseline. Declare the config
// (docs/declared.md) to compare for good.

import type { BalancerChange } from '../changes/changes.js';
import type { PoolSample } from '../types.js';
import type { PoolDrift } from './drift.js';

export const STEP_MIN_SHARE = 0.5;
export const STEP_MIN_FACTOR = 3;
/** Load growth that saturates a server that ran above half its capacity. */
export const STEP_DOUBLING_FACTOR = 2;
/** ...with a share at least this multiple of an equal split (1/n). */
export const STEP_EQUAL_MULTIPLE = 2;
export const STEP_MIN_SERVERS = 3;
/** A pair: the share one raised weight must reach. */
export const PAIR_MIN_SHARE = 0.9;
/** A weight change this soon after the server's state change or join is its slow-start ramp. */
export const RAMP_GUARD_MS = 10 * 60_000;

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
  if (up.length < 2) return null;
  const pair = up.length < STEP_MIN_SERVERS;
  // Slow-start ramps: the backend's first weight change came soon after it came up or joined.
  const ramping = new Set<string>();
  for (const [name] of before) {
    const first = weightChanges.find((c) => c.backend === name)!;
    if (changes.some((c) => c.backend === name && (c.kind === 'state' || c.kind === 'joined') && c.at <= first.at && first.at - c.at <= RAMP_GUARD_MS)) ramping.add(name);
  }
  const prev = up.map((b) => (before.has(String(b.backend)) ? before.get(String(b.backend))! : b.weight!));
  const prevSum = prev.reduce((a, w) => a + w, 0);
  const nowSum = up.reduce((a, b) => a + b.weight!, 0);
  if (!(prevSum > 0) || !(nowSum > 0) || prev.some((w) => !Number.isFinite(w))) return null;
  let worst: { i: number; share: number; was: number } | null = null;
  for (let i = 0; i < up.length; i++) {
    const name = String(up[i]!.backend);
    if (!before.has(name) || ramping.has(name) || !(up[i]!.weight! > prev[i]!)) continue;
    const share = up[i]!.weight! / nowSum;
    const was = prev[i]! / prevSum;
    const qualifies = pair
      ? share >= PAIR_MIN_SHARE && share > was
      : (share >= STEP_MIN_SHARE && share >= STEP_MIN_FACTOR * was) ||
        (share >= STEP_EQUAL_MULTIPLE / up.length && share >= STEP_DOUBLING_FACTOR * was);
    if (!qualifies) continue;
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
