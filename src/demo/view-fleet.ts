// View rows straight from the fleet model, for when no verdict is at hand.
// The expected share is the configured (pre-fault) weight's share: the
// distribution the operator intended, which is what the bar's marker shows.

import { summarize, type FleetState } from './fleet-model.js';
import type { DemoEvent, ViewBackend } from './view-types.js';

export function fleetViewBackends(state: FleetState): ViewBackend[] {
  const intended = state.backends.reduce((acc, b) => acc + (b.status === 'UP' ? b.configuredWeight : 0), 0);
  return summarize(state).map((s, i) => {
    const b = state.backends[i]!;
    return {
      name: s.name,
      status: s.status,
      share: s.share,
      expectedShare: b.status === 'UP' && intended > 0 ? b.configuredWeight / intended : 0,
      cpu: s.cpu,
      queue: s.queue,
      errors5xx: s.errors5xx,
    };
  });
}

/**
 * The model's own milestones as view events, in model seconds (the demo's
 * clock when speed is 1): fault, hot server saturated, first 503, repaired.
 * Warning and page events come from the print receiver's arrival times.
 */
export function modelEvents(state: FleetState): DemoEvent[] {
  const events: DemoEvent[] = [];
  const o = state.options;
  if (state.faultAt !== null) {
    const hot = state.backends[o.hotBackend]!;
    const detail =
      o.scenario === 'weight-misconfig'
        ? `${hot.name} weight ${hot.configuredWeight} -> ${o.hotWeight}`
        : o.scenario === 'sticky-clients'
          ? `balancing switched to source hash, ${o.stickyClients} clients, ${hot.name} takes ~${Math.round(o.stickyShare * 100)}%`
          : undefined;
    events.push({ kind: 'fault', at: state.faultAt, ...(detail ? { detail } : {}) });
  }
  const saturated = state.backends
    .filter((b) => b.saturatedAt !== null)
    .sort((a, b) => (a.saturatedAt ?? 0) - (b.saturatedAt ?? 0))[0];
  if (saturated?.saturatedAt != null) events.push({ kind: 'saturated', at: saturated.saturatedAt, detail: saturated.name });
  if (state.first5xxAt !== null) events.push({ kind: 'first-5xx', at: state.first5xxAt });
  if (state.repairedAt !== null) events.push({ kind: 'repaired', at: state.repairedAt, detail: 'weights and balancing restored' });
  return events;
}
