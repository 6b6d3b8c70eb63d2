// Scrape mode's assembly: per-backend accumulators (several balancer and CPU
// targets add into one backend) turned into the pools of a Snapshot.

import type { BackendSample, Health, PoolSample } from '../core/types.js';
import type { SeriesRate } from './rates.js';

/**
 * One backend's signals, summed over the targets that report it. Every field
 * is declared (undefined until a target sets it) so that all accumulators
 * share one shape: fields added in whatever order the signals arrived made
 * every read in buildPools a lookup through many shapes.
 */
export class BackendAcc {
  rate: number | undefined = undefined;
  count: number | undefined = undefined;
  seconds: number | undefined = undefined;
  errorRate: number | undefined = undefined;
  weight: number | undefined = undefined;
  health: Health | undefined = undefined;
  queue: number | undefined = undefined;
  cpu: number | undefined = undefined;
  cpuCapacity: number | undefined = undefined;
  sessions: number | undefined = undefined;
  sessionLimit: number | undefined = undefined;
  backup: boolean | undefined = undefined;
  stateAgeSeconds: number | undefined = undefined;
  responseTime: number | undefined = undefined;
  constructor(
    readonly pool: Readonly<Record<string, string>>,
    readonly backend: string,
  ) {}
}

/** The weight averaged over the window; the current one when unchanged (no float noise) or not yet known. */
export function windowWeight(avg: SeriesRate | undefined, current: number): number {
  if (avg === undefined || !(avg.seconds > 0)) return current;
  return Math.abs(avg.rate - current) <= 1e-9 * Math.max(1, Math.abs(current)) ? current : avg.rate;
}

export function poolKey(poolLabels: readonly string[], labels: Readonly<Record<string, string>>): string {
  if (poolLabels.length === 1) return labels[poolLabels[0]!] ?? ''; // the usual case, without an array per call
  return poolLabels.map((l) => labels[l] ?? '').join('/');
}

export function addRequests(acc: BackendAcc, r: SeriesRate): void {
  acc.rate = (acc.rate ?? 0) + r.rate;
  acc.count = (acc.count ?? 0) + r.increase;
  acc.seconds = Math.max(acc.seconds ?? 0, r.seconds);
}


export function buildPools(poolLabels: readonly string[], backends: ReadonlyMap<string, BackendAcc>, cpuCapacityHint: number | undefined): PoolSample[] {
  const pools = new Map<string, { labels: Readonly<Record<string, string>>; backends: BackendSample[]; seconds: number }>();
  for (const acc of backends.values()) {
    // No request rate yet (first scrape, new backend) or a CPU-only entry
    // for a backend the balancer does not report: leave it out.
    if (acc.rate === undefined) continue;
    const key = poolKey(poolLabels, acc.pool);
    let p = pools.get(key);
    if (p === undefined) pools.set(key, (p = { labels: acc.pool, backends: [], seconds: 0 }));
    const b: { -readonly [K in keyof BackendSample]: BackendSample[K] } = {
      backend: acc.backend,
      rate: acc.rate,
      health: acc.health ?? 'up',
    };
    if (acc.count !== undefined) b.count = acc.count;
    if (acc.cpu !== undefined) b.cpu = acc.cpu;
    if (acc.cpuCapacity !== undefined) b.cpuCapacity = acc.cpuCapacity;
    if (acc.weight !== undefined) b.weight = acc.weight;
    if (acc.queue !== undefined) b.queue = acc.queue;
    if (acc.errorRate !== undefined) b.errorRate = acc.errorRate;
    if (acc.sessions !== undefined) b.sessions = acc.sessions;
    if (acc.sessionLimit !== undefined) b.sessionLimit = acc.sessionLimit;
    if (acc.backup !== undefined) b.backup = acc.backup;
    if (acc.stateAgeSeconds !== undefined) b.stateAgeSeconds = acc.stateAgeSeconds;
    if (acc.responseTime !== undefined) b.responseTime = acc.responseTime;
    p.backends.push(b);
    p.seconds = Math.max(p.seconds, acc.seconds ?? 0);
  }
  const out: PoolSample[] = [];
  for (const [key, p] of pools) {
    const sample: { -readonly [K in keyof PoolSample]: PoolSample[K] } = {
      pool: key,
      labels: p.labels,
      backends: p.backends,
      windowSeconds: p.seconds,
    };
    if (cpuCapacityHint !== undefined) sample.cpuCapacityHint = cpuCapacityHint;
    out.push(sample);
  }
  return out;
}
