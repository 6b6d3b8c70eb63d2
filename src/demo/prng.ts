// Seeded pseudo-random numbers for the simulated fleet. The generator state is
// a plain number kept inside the model state, so `step` stays pure and a run is
// reproducible from its seed.
//
// Algorithm: mulberry32 (src/util/prng.ts), chosen because its whole state
// is one uint32.

import { draw, type Draw } from '../util/prng.js';

export { draw, type Draw };

export function seedState(seed: number): number {
  // Spread small integer seeds (1, 2, 3...) over the 32-bit space.
  return (Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0) || 0x6d2b79f5;
}

/** Uniform noise in [-amplitude, +amplitude]. */
export function noise(state: number, amplitude: number): Draw {
  const d = draw(state);
  return { value: (d.value * 2 - 1) * amplitude, next: d.next };
}

/** FNV-1a 32-bit hash of a string: stands in for the balancer's source hash. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
