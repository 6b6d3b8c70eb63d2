// The tracked alerts of a cycle by rule and pool, so that each rule's pass
// over the pools finds a pool's alert with one Map lookup on the pool's own
// string, instead of building the key `${ruleId}\0${pool}` and looking it up
// in the alert record (a fresh string hashed per lookup: at 10,000 pools
// times the pool rules, that was most of the evaluator's own time).
import type { TrackedAlert } from './evaluator.js';

export type TrackedByRule = ReadonlyMap<string, ReadonlyMap<string, TrackedAlert>>;

/**
 * alerts[alertKey(r, p)] as index.get(r)?.get(p), for every rule id r
 * without a NUL character (an alert key splits at its first NUL into rule id
 * and pool, one way only). null, to use the record itself, when a rule id
 * contains a NUL or two rules share an id (the config refuses both; the core
 * does not rely on it): then a rule's pass could see what another rule's
 * pass changed, which this snapshot of the record would not show.
 */
export function indexTracked(alerts: Readonly<Record<string, TrackedAlert>>, ruleIds: readonly string[]): TrackedByRule | null {
  if (new Set(ruleIds).size !== ruleIds.length || ruleIds.some((id) => id.includes('\u0000'))) return null;
  const index = new Map<string, Map<string, TrackedAlert>>();
  for (const key of Object.keys(alerts)) {
    const cut = key.indexOf('\u0000');
    if (cut < 0) continue;
    const rule = key.slice(0, cut);
    let pools = index.get(rule);
    if (!pools) index.set(rule, (pools = new Map()));
    pools.set(key.slice(cut + 1), alerts[key]!);
  }
  return index;
}
