// Smooth weighted round-robin (the nginx algorithm, described in nginx's
// ngx_http_upstream_round_robin.c commit "smooth weighted round-robin"): each
// pick adds every target's weight to its running score, picks the highest
// score and subtracts the total weight from it. Over a cycle each target is
// picked in proportion to its weight, spread evenly rather than in bursts.
//
// Pure: takes the running scores and returns the new ones.

export interface SwrrResult {
  /** Picks per target, same order as the weights. */
  readonly counts: number[];
  /** Running scores to pass to the next call. */
  readonly current: number[];
}

export function swrrPick(weights: readonly number[], current: readonly number[], picks: number): SwrrResult {
  const n = weights.length;
  const counts = new Array<number>(n).fill(0);
  const cur = current.length === n ? current.slice() : new Array<number>(n).fill(0);
  let total = 0;
  for (const w of weights) total += w > 0 ? w : 0;
  if (total <= 0 || picks <= 0) return { counts, current: cur };
  for (let p = 0; p < picks; p++) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (w <= 0) continue;
      cur[i]! += w;
      if (best < 0 || cur[i]! > cur[best]!) best = i;
    }
    cur[best]! -= total;
    counts[best]! += 1;
  }
  return { counts, current: cur };
}
