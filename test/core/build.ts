// Builders for core tests: compact pool samples, histories and a verdict walker.
import type { BackendSample, PoolHistory, PoolSample, Health } from '../../src/core/types.js';
import { buildHistory, historyPoints, UNKNOWN } from '../../src/core/analysis/history.js';
import { prng } from '../../src/util/prng.js';

export { prng };

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

/** A history point written the readable way: utilisation and rate keyed by backend name. */
export interface NamedPoint {
  readonly at: number;
  readonly utilisation?: Readonly<Record<string, number>>;
  readonly rate?: Readonly<Record<string, number>>;
}

/**
 * Builds a PoolHistory from name-keyed points, unchecked: values are copied as given
 * (even NaN or negative, to exercise the readers); traffic = some rate > 0.
 */
export function historyOf(points: readonly NamedPoint[]): PoolHistory {
  const names: string[] = [];
  for (const p of points) for (const name of Object.keys(p.utilisation ?? {})) if (!names.includes(name)) names.push(name);
  const built = buildHistory(names, points.map((p) => ({
    at: p.at,
    util: names.map((name) => (Object.hasOwn(p.utilisation ?? {}, name) ? p.utilisation![name]! : UNKNOWN)),
    traffic: Object.values(p.rate ?? {}).some((r) => r > 0 && r !== Infinity),
  })));
  // A fresh plain object, like one restored from JSON: the core validates it on first use.
  return { names: built.names, blocks: built.blocks.map((b) => b.slice()), skip: built.skip };
}

/** Point k's usable utilisations keyed by backend name, as the forecast reads them (for assertions). */
export function utilisationOf(h: PoolHistory, k: number): Record<string, number> {
  const out: Record<string, number> = {};
  const point = historyPoints(h)[k]!;
  h.names.forEach((name, j) => {
    const u = point.util[j]!;
    if (u >= 0) Object.defineProperty(out, name, { value: u, enumerable: true, writable: true, configurable: true });
  });
  return out;
}
