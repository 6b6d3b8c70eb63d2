// Builders for core tests: compact pool samples and a verdict walker.
import type { BackendSample, PoolSample, Health } from '../../src/core/types.js';

export type BackendOverrides = Partial<Omit<BackendSample, 'backend'>> & { backend?: string };

/** Pool "be_app" with backends s1..sN at the given rates (req/s), 60 s window. */
export function pool(rates: readonly number[], per: Record<number, BackendOverrides> = {}, extra: Partial<PoolSample> = {}): PoolSample {
  const width = String(rates.length).length;
  return {
    pool: 'be_app',
    labels: { proxy: 'be_app' },
    windowSeconds: 60,
    backends: rates.map((rate, i) => ({
      backend: `s${String(i + 1).padStart(width, '0')}`,
      rate,
      health: 'up' as Health,
      ...(per[i] ?? {}),
    })),
    ...extra,
  };
}

/** Deterministic small PRNG (mulberry32) so "noisy" fixtures never flake. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Multiplies each value by (1 ± amplitude) of deterministic noise. */
export function jitter(values: readonly number[], amplitude: number, seed = 1): number[] {
  const r = prng(seed);
  return values.map((v) => v * (1 + amplitude * (2 * r() - 1)));
}

/** Every number reachable from `value` (own enumerable properties), with its path. */
export function numbersIn(value: unknown, path = '$', out: [string, number][] = []): [string, number][] {
  if (typeof value === 'number') out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => numbersIn(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) numbersIn(v, `${path}.${k}`, out);
  return out;
}
