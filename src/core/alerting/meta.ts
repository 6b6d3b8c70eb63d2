// Source-level statistics: what skewwatch can see, as opposed to what it
// sees. One alert per rule for the whole source (pool SOURCE_POOL), like
// blind_cycles. Pure.
//
//   blind_cycles     consecutive failed collections (fully blind)
//   signals_missing  configured signals (CPU, weight, health...) that failed
//                    or joined no backend this cycle (partially blind: a
//                    wrong weight is caught by CPU, so without it skewwatch
//                    cannot see that fault)
//   pool_count       pools in the last collection (0 = blind to everything,
//                    e.g. wrong matchers or preset)
import type { RuleStat } from './rule.js';

export const SOURCE_STATS = ['blind_cycles', 'signals_missing', 'pool_count'] as const satisfies readonly RuleStat[];
export type SourceStat = (typeof SOURCE_STATS)[number];

export function isSourceStat(stat: RuleStat): stat is SourceStat {
  return (SOURCE_STATS as readonly RuleStat[]).includes(stat);
}

/** What the source showed this cycle. */
export interface SourceObservation {
  readonly blindCycles: number;
  /** null when the collection failed (no data). */
  readonly poolCount: number | null;
  /** Config keys of the missing signals (e.g. source.queries.cpu); null when the collection failed. */
  readonly missingSignals: readonly string[] | null;
  readonly lastError: string | null;
}

/** The statistic's value, or null for "no data" (the lifecycle then holds state). */
export function sourceStatValue(stat: SourceStat, o: SourceObservation): number | null {
  switch (stat) {
    case 'blind_cycles': return o.blindCycles;
    case 'signals_missing': return o.missingSignals === null ? null : o.missingSignals.length;
    case 'pool_count': return o.poolCount;
  }
}

/** One line for people: what cannot be seen and what still works. */
export function sourceSummary(stat: SourceStat, name: string, o: SourceObservation): string {
  switch (stat) {
    case 'blind_cycles':
      if (o.blindCycles === 0) return `${name}: skewwatch collects metrics again`;
      return `${name}: skewwatch cannot collect metrics (${o.blindCycles} failed cycles in a row${o.lastError ? `: ${o.lastError}` : ''}); skew alerts hold their state until data returns`;
    case 'signals_missing':
      return o.missingSignals && o.missingSignals.length > 0
        ? `${name}: skewwatch is partially blind: ${o.missingSignals.join(', ')} returned nothing usable; faults only that signal shows (a wrong weight shows in CPU) go unseen`
        : `${name}: every configured signal is back`;
    case 'pool_count':
      return o.poolCount === 0
        ? `${name}: skewwatch finds no pools: check source.matchers, source.preset and the pool labels; nothing is being watched`
        : `${name}: ${o.poolCount ?? 'no'} pools found again`;
  }
}
