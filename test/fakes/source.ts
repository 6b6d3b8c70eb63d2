// A scripted Source: returns a snapshot from a function of time, or throws.
import type { Source } from '../../src/sources/source.js';
import type { BackendSample, PoolSample, Snapshot } from '../../src/core/types.js';
import { SkewwatchError } from '../../src/util/errors.js';

export type Script = (now: number) => PoolSample[] | 'down';

export class ScriptedSource implements Source {
  readonly name = 'scripted';
  calls = 0;
  constructor(public script: Script) {}
  async collect(now: number): Promise<Snapshot> {
    this.calls++;
    const pools = this.script(now);
    if (pools === 'down') throw new SkewwatchError('source-unreachable', 'Prometheus http://127.0.0.1:1 is unreachable: ECONNREFUSED');
    return { at: now, pools };
  }
}

/** A pool of n backends with the given shares of `total` req/s and CPU proportional to load. */
export function pool(name: string, shares: number[], total = 400, capacityRps = 200): PoolSample {
  const backends: BackendSample[] = shares.map((s, i) => ({
    backend: `s${i + 1}`,
    rate: total * s,
    count: total * s * 60,
    cpu: Math.min(1, (total * s) / capacityRps),
    cpuCapacity: 1,
    weight: 1,
    health: 'up',
  }));
  return { pool: name, labels: { proxy: name }, backends, windowSeconds: 60 };
}

export const BALANCED = [0.25, 0.25, 0.25, 0.25];
export const SKEWED = [0.7, 0.1, 0.1, 0.1];
