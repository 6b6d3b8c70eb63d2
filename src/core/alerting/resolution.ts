// What a resolve says: what changed back between the verdict the alert fired
// on and the verdict it resolves on ("s1 back to 26% of be_app's traffic
// (expected 25%)"), and why an alert was closed without recovering ("pool no
// longer reported"). Pure. The firing side is kept compact (FiringFocus), as
// it lives in the state file for every firing alert.
import type { BackendStat, PoolVerdict, ReasonCode } from '../types.js';

/** How an alert ended. Only 'recovered' means the data shows the problem gone. */
export type Resolution = 'recovered' | 'pool-vanished' | 'rule-removed';

/** What the alert was about when it fired: the backend the verdict blamed, and its figures then. */
export interface FiringFocus {
  readonly reasons: readonly ReasonCode[];
  readonly upCount: number;
  /** The backend the verdict blamed (hottest, overweighted), null when none. */
  readonly backend: string | null;
  readonly share: number | null;
  readonly expectedShare: number | null;
  readonly utilisation: number | null;
  readonly weight: number | null;
}

/** One line for an alert closed without recovery: never worded as "recovered". */
export function closedBecause(resolution: Exclude<Resolution, 'recovered'>, pool: string, graceMs: number): string {
  return resolution === 'rule-removed'
    ? 'closed because its rule was removed from the configuration (or no longer applies to this pool); this is not a recovery'
    : `closed because pool ${pool} is no longer reported by the source (gone for ${Math.round(graceMs / 60_000)} min while the source works); this is not a recovery`;
}

function blamed(v: PoolVerdict): BackendStat | null {
  const up = v.backends.filter((b) => b.health === 'up');
  const name = v.hot[0] ?? v.forecast?.backend ?? null;
  const named = name === null ? undefined : v.backends.find((b) => b.backend === name);
  if (named) return named;
  let best: BackendStat | null = null;
  for (const b of up) if (best === null || b.ratio > best.ratio) best = b;
  return best;
}

export function focusOf(v: PoolVerdict): FiringFocus {
  const b = blamed(v);
  return {
    reasons: v.reasons,
    upCount: v.upCount,
    backend: b?.backend ?? v.hot[0] ?? null,
    share: b ? b.share : null,
    expectedShare: b ? b.expectedShare : null,
    utilisation: b ? b.utilisation : null,
    weight: b ? b.weight : null,
  };
}

/** Whole percent; one decimal below 10% (so 0.4% is not "0%"). */
function pct(share: number): string {
  const v = share * 100;
  return `${v < 10 && v > 0 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)}%`;
}

/**
 * What changed back, from the verdict at firing (`fired`) to the one at
 * resolve (`now`). Falls back to the resolve verdict's own explanation when
 * the firing side named no backend (or the state predates FiringFocus).
 */
export function whatChangedBack(fired: FiringFocus | null | undefined, now: PoolVerdict): string {
  const pool = now.pool;
  if (fired?.reasons.includes('no-healthy') && now.upCount > 0) {
    const total = now.backends.length || now.upCount + now.unavailable.length;
    return `${now.upCount} of ${total} backends of ${pool} up again, ${now.totalRate.toFixed(1)} req/s served`;
  }
  if (fired?.reasons.includes('capacity-loss') && !now.reasons.includes('capacity-loss')) {
    // Capacity loss: what changed back is the number of backends in service.
    const total = now.backends.length || now.upCount + now.unavailable.length;
    const back = now.upCount > fired.upCount ? `${now.upCount} of ${total} backends of ${pool} in service again (${fired.upCount} when it fired)` : `${now.upCount} of ${total} backends of ${pool} in service`;
    return `${back}; now: ${now.explanation}`;
  }
  const name = fired?.backend ?? null;
  const b = name === null ? undefined : now.backends.find((x) => x.backend === name);
  if (!fired || name === null || !b) return `now: ${now.explanation}`;
  if (b.health !== 'up') return `${name} no longer serving (${b.health}); now: ${now.explanation}`;
  const parts: string[] = [];
  if (fired.weight !== null && b.weight !== null && fired.weight !== b.weight) parts.push(`${name} weight ${fired.weight} → ${b.weight}`);
  const was = fired.share !== null ? `; ${pct(fired.share)} when it fired` : '';
  parts.push(`${parts.length ? '' : `${name} `}back to ${pct(b.share)} of ${pool}'s traffic (expected ${pct(b.expectedShare)}${was})`);
  if (fired.utilisation !== null && b.utilisation !== null) parts.push(`CPU ${b.utilisation.toFixed(2)} (was ${fired.utilisation.toFixed(2)})`);
  return parts.join(', ');
}
