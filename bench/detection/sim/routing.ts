// Where one second's arrivals go, per HAProxy balance algorithm. Adds the
// requests each server is offered to its `want` (or `spill`) field, before
// maxconn: see fleet.ts for spill and queueing. A field per server rather
// than a Map of them: this runs for every simulated second. Pure apart from
// those fields, the servers' round-robin credit and the draws.
import type { Rng } from './random.js';
import type { SimServer } from './server.js';
import type { Balance, HashKey } from './types.js';

/** The per-server field a split adds its requests to. */
export type Offer = 'want' | 'spill';

/** Servers the balancer may pick now: usable primaries, or usable backups when no primary is. */
export function candidates(servers: readonly SimServer[], t: number): SimServer[] {
  const primaries: SimServer[] = [];
  let anyBackup = false;
  for (const s of servers) {
    if (s.backup) anyBackup = true;
    else if (s.effectiveWeight(t) > 0) primaries.push(s);
  }
  if (primaries.length > 0 || !anyBackup) return primaries;
  const backups: SimServer[] = [];
  for (const s of servers) if (s.backup && s.effectiveWeight(t) > 0) backups.push(s);
  return backups;
}

/**
 * Smooth weighted round robin over one second: each server is owed
 * arrivals * w / W plus what it was owed before; it gets the whole part.
 * Leftovers go to the servers owed most. Shares are exact to one request,
 * as HAProxy's roundrobin is (its counts are not Poisson).
 */
export function splitRoundRobin(arrivals: number, pool: readonly SimServer[], t: number, out: Offer): void {
  let total = 0;
  for (const s of pool) total += s.effectiveWeight(t);
  if (total <= 0 || arrivals <= 0) return;
  let given = 0;
  for (const s of pool) {
    const owed = s.rrCredit + (arrivals * s.effectiveWeight(t)) / total;
    const n = Math.max(0, Math.floor(owed));
    s.rrCredit = owed - n;
    given += n;
    s[out] += n;
  }
  let left = arrivals - given;
  while (left > 0) {
    let best: SimServer | null = null;
    for (const s of pool) if (best === null || s.rrCredit > best.rrCredit) best = s;
    best!.rrCredit -= 1;
    best![out] += 1;
    left--;
  }
}

/** balance random: Poisson thinning, each server independently Poisson(rate * w / W). */
export function splitRandom(rate: number, pool: readonly SimServer[], t: number, rng: Rng): void {
  let total = 0;
  for (const s of pool) total += s.effectiveWeight(t);
  if (total <= 0) return;
  for (const s of pool) s.want += rng.poisson((rate * s.effectiveWeight(t)) / total);
}

/** balance source (map-based, hash-type map-based): hash mod the weight slots of the usable servers. */
export function sourceServer(key: HashKey, pool: readonly SimServer[], t: number): SimServer | undefined {
  let slots = 0;
  for (const s of pool) slots += Math.max(1, Math.round(s.effectiveWeight(t)));
  if (slots === 0) return undefined;
  let slot = key.hash % slots;
  for (const s of pool) {
    slot -= Math.max(1, Math.round(s.effectiveWeight(t)));
    if (slot < 0) return s;
  }
  return pool[pool.length - 1];
}

const POINTS_PER_WEIGHT = 16;

/** A consistent-hash ring (hash-type consistent): POINTS_PER_WEIGHT points per unit of weight. */
export class Ring {
  private cacheKey = '';
  private points: Array<[number, SimServer]> = [];

  /** Brings the ring up to date with `pool` (once per second, not once per key). */
  update(pool: readonly SimServer[]): void {
    const k = pool.map((s) => `${s.name}:${s.weight}`).join(',');
    if (k !== this.cacheKey) this.rebuild(pool, k);
  }

  /** The key's server on the ring as last updated. */
  serverFor(key: HashKey): SimServer | undefined {
    if (this.points.length === 0) return undefined;
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid]![0] < key.hash) lo = mid + 1;
      else hi = mid;
    }
    return this.points[lo % this.points.length]![1];
  }

  private rebuild(pool: readonly SimServer[], key: string): void {
    this.cacheKey = key;
    this.points = [];
    for (const s of pool) {
      const n = Math.max(1, Math.round(s.weight)) * POINTS_PER_WEIGHT;
      for (let i = 0; i < n; i++) this.points.push([hash32(`${s.name}#${i}`), s]);
    }
    this.points.sort((a, b) => a[0] - b[0]);
  }
}

/** FNV-1a, 32 bit: a stable hash for ring points and key positions. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Offered requests per hashed key this second, added to their server. No spill: hashing ignores load. */
export function splitHashed(
  balance: Extract<Balance, 'source' | 'uri-consistent'>,
  rate: number,
  keys: readonly HashKey[],
  pool: readonly SimServer[],
  t: number,
  rng: Rng,
  ring: Ring,
): void {
  let total = 0;
  for (const k of keys) total += k.share;
  if (total <= 0) return;
  if (balance !== 'source') ring.update(pool);
  for (const k of keys) {
    const n = rng.poisson((rate * k.share) / total);
    if (n === 0) continue;
    const s = balance === 'source' ? sourceServer(k, pool, t) : ring.serverFor(k);
    if (s !== undefined) s.want += n;
  }
}
