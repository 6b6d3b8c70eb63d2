// Opt-in restore: when a pool pages (a firing critical alert) while one of
// its servers runs a weight other than the declared one, set the declared
// weight back. Pure decision; the daemon executes it through HAProxy's
// runtime API. Conservative on purpose: at most once per drift (the same
// server, the same wrong live weight), never while a silence covers the
// pool, at most `maxPerHour` actions in total, and a dry run by default.
// "Once per drift": a server is acted on once while its weight drift lasts;
// after the drift ends (restored, or fixed by hand) a new one can be.

import type { PoolDrift } from './drift.js';

export interface RestoreOptions {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  /** Actions (real or dry) allowed per rolling hour, over all pools. */
  readonly maxPerHour: number;
}

export interface RestoreAction {
  readonly pool: string;
  /** HAProxy backend name (the exporter's `proxy`). */
  readonly backend: string;
  readonly server: string;
  readonly from: string;
  readonly to: number;
  readonly dryRun: boolean;
  readonly at: number;
}

/** Plain JSON, persisted with the alert state. */
export interface RestoreMemory {
  /** "pool/server" of weight drifts already acted on, kept while the drift lasts. */
  readonly handled: readonly string[];
  /** Times of recent actions, for the hourly limit. */
  readonly recent: readonly number[];
}

export const EMPTY_RESTORE_MEMORY: RestoreMemory = Object.freeze({ handled: Object.freeze([]), recent: Object.freeze([]) });

export interface RestoreInput {
  readonly drift: PoolDrift;
  /** The HAProxy backend the pool is (labels.proxy). */
  readonly backend: string;
  /** A critical alert is firing for the pool now. */
  readonly paging: boolean;
  readonly silenced: boolean;
  /** Declared weight per server (the drift carries it as text). */
  readonly declaredWeights: ReadonlyMap<string, number>;
}

export function planRestore(inputs: readonly RestoreInput[], memory: RestoreMemory, now: number, opts: RestoreOptions): { actions: RestoreAction[]; memory: RestoreMemory } {
  const recent = memory.recent.filter((t) => now - t < 3_600_000);
  const live = new Set<string>();
  const handled = new Set(memory.handled);
  const actions: RestoreAction[] = [];
  for (const input of inputs) {
    for (const item of input.drift.items) {
      if (item.kind !== 'weight') continue;
      // Per server, not per live value: in query mode the averaged live weight
      // moves every cycle of one drift, and one drift gets one action.
      const key = `${input.drift.pool}/${item.backend}`;
      live.add(key);
      if (!opts.enabled || !input.paging || input.silenced || handled.has(key)) continue;
      const to = input.declaredWeights.get(item.backend);
      if (to === undefined) continue;
      if (recent.length >= opts.maxPerHour) continue;
      actions.push({ pool: input.drift.pool, backend: input.backend, server: item.backend, from: item.live, to, dryRun: opts.dryRun, at: now });
      handled.add(key);
      recent.push(now);
    }
  }
  // A drift that is gone (restored, or corrected by hand) may be acted on again if it comes back.
  return { actions, memory: { handled: [...handled].filter((k) => live.has(k)), recent } };
}

export function describeRestore(a: RestoreAction): string {
  return a.dryRun
    ? `dry run: would set ${a.backend}/${a.server} weight ${a.from} → ${a.to} (the declared weight)`
    : `restored ${a.backend}/${a.server} weight ${a.from} → ${a.to} (the declared weight) through HAProxy's runtime API`;
}
