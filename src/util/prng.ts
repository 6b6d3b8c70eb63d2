// mulberry32 (Tommy Ettinger's 32-bit mixing generator, public domain): a
// seeded PRNG whose whole state is one uint32. Used where runs must be
// reproducible: the demo's simulated fleet, the benchmark's data, test data.

export interface Draw {
  /** Uniform in [0, 1). */
  readonly value: number;
  /** The generator state to use for the next draw. */
  readonly next: number;
}

/** One pure step: the state stays a plain number (the demo keeps it in its model state). */
export function draw(state: number): Draw {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return { value, next };
}

/** A stateful generator of uniform values in [0, 1) from a seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const d = draw(state);
    state = d.next;
    return d.value;
  };
}
