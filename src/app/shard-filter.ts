// Applies `shard: i/n` (SKEWWATCH_SHARD) to a collected snapshot before
// analysis: this replica analyses, alerts on and persists only the pools it
// owns (src/core/shard.ts decides ownership from the pool identity alone).
import { ownsPool, parseShard } from '../core/shard.js';
import type { Snapshot } from '../core/types.js';

export function ownedPart(snapshot: Snapshot, shard: string | undefined): Snapshot {
  const s = shard === undefined ? null : parseShard(shard);
  if (!s || s.count <= 1) return snapshot;
  return { ...snapshot, pools: snapshot.pools.filter((p) => ownsPool(s, p.pool)) };
}
