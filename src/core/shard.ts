// Splitting the pools between replicas: replica i of n owns the pools whose
// stable hash falls in its shard. The hash is of the pool identity only
// (FNV-1a, 32 bit: Fowler–Noll–Vo, IETF draft-eastlake-fnv), so a pool's
// owner never depends on which other pools exist: pools coming and going
// never move the others, and every replica computes the same split without
// talking to the others.

export interface Shard {
  /** 0-based index of this replica. */
  readonly index: number;
  /** Number of replicas. */
  readonly count: number;
}

/** FNV-1a over the UTF-16 code units of the identity. */
export function poolHash(pool: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pool.length; i++) {
    h ^= pool.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function ownsPool(shard: Shard, pool: string): boolean {
  return shard.count <= 1 || poolHash(pool) % shard.count === shard.index;
}

/** "i/n" with 0 ≤ i < n, as SKEWWATCH_SHARD and `shard:` take it; null when malformed. */
export function parseShard(text: string): Shard | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index < count ? { index, count } : null;
}
