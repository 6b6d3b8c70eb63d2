// Where requests go: smooth weighted round-robin over the UP servers'
// weights, or source hashing of a few client groups pinned to servers.

import type { ResolvedFleetOptions } from './fleet-options.js';
import type { ClientGroup, FleetState } from './fleet-model.js';
import { fnv1a } from './prng.js';
import { swrrPick } from './swrr.js';

/**
 * Client groups for source-hash balancing: one heavy client pinned to the hot
 * server plus `stickyClients - 1` light ones placed by a hash of their
 * address. The heavy client's fraction is solved so the hot server's total
 * share (heavy client plus light ones that hash onto it) equals stickyShare.
 */
export function stickyGroups(o: ResolvedFleetOptions): ClientGroup[] {
  const light = o.stickyClients - 1;
  const lightBackends: number[] = [];
  for (let i = 0; i < light; i++) lightBackends.push(fnv1a(`10.0.${i >> 8}.${(i & 255) + 10}`) % o.backends);
  const onHot = lightBackends.filter((b) => b === o.hotBackend).length / light;
  const heavy = onHot >= o.stickyShare ? 0 : (o.stickyShare - onHot) / (1 - onHot);
  const groups: ClientGroup[] = [{ id: '10.0.9.9', fraction: heavy, backend: o.hotBackend, swrrCurrent: 0 }];
  lightBackends.forEach((backend, i) =>
    groups.push({ id: `10.0.${i >> 8}.${(i & 255) + 10}`, fraction: (1 - heavy) / light, backend, swrrCurrent: 0 }),
  );
  return groups;
}

export interface Routed {
  readonly arrivals: number[];
  readonly swrr: number[];
  readonly groups: readonly ClientGroup[];
  readonly noServer: number;
}

/** Split `offered` requests over the servers for one substep. */
export function routeRequests(s: FleetState, offered: number): Routed {
  const n = s.backends.length;
  const up = s.backends.map((b) => b.status === 'UP');
  const arrivals = new Array<number>(n).fill(0);
  if (!up.some(Boolean)) {
    return { arrivals, swrr: s.backends.map((b) => b.swrrCurrent), groups: s.clientGroups, noServer: offered };
  }
  if (s.balancing === 'weights') {
    const weights = s.backends.map((b, i) => (up[i] ? b.weight : 0));
    const r = swrrPick(weights, s.backends.map((b) => b.swrrCurrent), offered);
    return { arrivals: r.counts, swrr: r.current, groups: s.clientGroups, noServer: 0 };
  }
  // Source hash: requests come from client groups; a group whose server is
  // not UP is remapped to the next UP server (a consistent-hash-like fallback).
  const r = swrrPick(s.clientGroups.map((g) => g.fraction), s.clientGroups.map((g) => g.swrrCurrent), offered);
  s.clientGroups.forEach((g, gi) => {
    let target = g.backend;
    while (!up[target]) target = (target + 1) % n;
    arrivals[target]! += r.counts[gi] ?? 0;
  });
  const groups = s.clientGroups.map((g, gi) => ({ ...g, swrrCurrent: r.current[gi] ?? 0 }));
  return { arrivals, swrr: s.backends.map((b) => b.swrrCurrent), groups, noServer: 0 };
}
