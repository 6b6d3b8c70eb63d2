// The soak's fault-injecting fleet: a Source whose pools drift, skew, vanish,
// reappear and rename backends on a deterministic schedule (a seeded PRNG),
// and whose collection fails now and then; plus Notifiers that go down for a
// stretch of cycles. Everything is a pure function of the cycle number, so a
// run is reproducible and the short form in `npm test` sees the same faults.
import type { Notification } from '../../src/core/alerting/notification.js';
import type { BackendSample, PoolSample, Snapshot } from '../../src/core/types.js';
import type { Notifier, SendResult } from '../../src/notify/notifier.js';
import { SENT } from '../../src/notify/notifier.js';
import type { Source } from '../../src/sources/source.js';
import { SkewwatchError } from '../../src/util/errors.js';

export interface FleetShape {
  readonly pools: number;
  readonly backendsPerPool: number;
}

/** mulberry32: a tiny seeded PRNG (Tommy Ettinger's, public domain), deterministic per cycle and pool. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Faults, by cycle number c:
 * - every 17th cycle the source fails (unreachable), every 97th it fails 3 cycles in a row;
 * - 5% of pools are absent in each 50-cycle epoch (a different 5% each epoch): pools vanish and come back;
 * - each pool renames one backend every 200 cycles (a new generation suffix): backends vanish and appear;
 * - 3% of pools are skewed and hot in each 40-cycle epoch, so alerts fire and resolve all the time;
 * - each 50-cycle epoch brings ephemeralPools(shape) pools with names never seen before, which
 *   vanish for good at the end of the epoch (their histories must be forgotten, not kept).
 */
export class FaultySource implements Source {
  readonly name = 'soak';
  cycle = 0;
  constructor(private readonly shape: FleetShape) {}

  async collect(now: number): Promise<Snapshot> {
    const c = this.cycle++;
    if (c % 17 === 16 || c % 97 < 3) throw new SkewwatchError('source-unreachable', 'soak: injected source failure');
    const pools: PoolSample[] = [];
    const vanishEpoch = Math.floor(c / 50);
    const skewEpoch = Math.floor(c / 40);
    for (let p = 0; p < this.shape.pools; p++) {
      if (rng(vanishEpoch * 7919 + p)() < 0.05) continue;
      const skewed = rng(skewEpoch * 104729 + p)() < 0.03;
      pools.push(this.pool(p, c, skewed));
    }
    for (let k = 0; k < ephemeralPools(this.shape); k++) pools.push({ ...this.pool(k, c, false), pool: `eph_${vanishEpoch}_${k}`, labels: { proxy: `eph_${vanishEpoch}_${k}` } });
    return { at: now, pools };
  }

  private pool(p: number, c: number, skewed: boolean): PoolSample {
    const n = this.shape.backendsPerPool;
    const generation = Math.floor((c + p) / 200);
    const renamed = generation % n;
    const noise = rng(c * 31 + p);
    const backends: BackendSample[] = [];
    const total = 100 * n;
    for (let b = 0; b < n; b++) {
      const share = skewed ? (b === 0 ? 0.6 : 0.4 / (n - 1)) : (1 / n) * (0.97 + 0.06 * noise());
      const rate = total * share;
      backends.push({
        backend: b === renamed ? `srv${b}-g${generation}` : `srv${b}`,
        rate, count: rate * 60,
        cpu: Math.min(1, rate / 130), cpuCapacity: 1,
        weight: 1, health: 'up',
      });
    }
    return { pool: `be_${p}`, labels: { proxy: `be_${p}` }, backends, windowSeconds: 60 };
  }
}

/** Pools that live for one 50-cycle epoch only: 2% of the fleet, at least one. */
export function ephemeralPools(shape: FleetShape): number {
  return Math.max(1, Math.floor(shape.pools / 50));
}

/** A sink that is down (503) for `downCycles` out of every `period` delivery rounds, and counts what it got. */
export class FlakyNotifier implements Notifier {
  round = 0;
  delivered = 0;
  refused = 0;
  constructor(readonly name: string, private readonly period: number, private readonly downCycles: number) {}

  async send(_n: Notification): Promise<SendResult> {
    if (this.round % this.period < this.downCycles) {
      this.refused++;
      return { ok: false, retryable: true, status: 503, message: `${this.name}: injected outage` };
    }
    this.delivered++;
    return SENT;
  }
}
