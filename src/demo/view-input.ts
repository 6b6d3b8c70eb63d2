// The live view's input, assembled from the fleet, the daemon's latest
// verdict and alert states, and the events so far.

import type { PoolVerdict } from '../core/types.js';
import type { FleetState } from './fleet-model.js';
import type { DemoEvent, ViewAlert, ViewBackend, ViewInput } from './view-types.js';

export interface StatusShape {
  alerts: Array<{ rule: string; state: ViewAlert['state']; severity: string }>;
}

export function demoViewInput(
  state: FleetState,
  verdict: PoolVerdict | null,
  status: StatusShape,
  events: DemoEvent[],
  elapsed: number,
  opts: { durationSeconds: number; scenario: string; width: number },
): ViewInput {
  const byName = new Map((verdict?.backends ?? []).map((b) => [b.backend, b]));
  const backends: ViewBackend[] = state.backends.map((b) => {
    const v = byName.get(b.name);
    return {
      name: b.name,
      status: b.status,
      share: v?.share ?? 0,
      expectedShare: v?.expectedShare ?? 0,
      cpu: v?.utilisation ?? null,
      queue: v?.queue ?? null,
      // The balancer's 503s for requests that timed out in this server's queue,
      // from the fleet itself: they count from the first one on.
      errors5xx: b.timedOutTotal,
    };
  });
  const alerts: ViewAlert[] = ['TrafficSkew', 'TrafficSkewCritical'].map((rule) => {
    const a = status.alerts.find((x) => x.rule === rule);
    return { rule, state: a?.state ?? 'inactive', severity: rule === 'TrafficSkew' ? 'warning' : 'critical' };
  });
  return {
    elapsedSeconds: elapsed,
    durationSeconds: opts.durationSeconds,
    scenario: opts.scenario,
    offeredRps: state.offeredRate,
    backends,
    alerts,
    verdict: verdict ? { severity: verdict.severity, explanation: verdict.explanation } : null,
    events,
    width: opts.width,
  };
}
