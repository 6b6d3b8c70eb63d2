// `replay --set` overrides, to tune rules and analysis side by side:
//   --set TrafficSkewCritical.for=30s
//   --set TrafficSkew.when.above=1
//   --set analysis.skew_ratio=2
import { parse as parseYaml } from 'yaml';
import type { LoadedConfig } from '../config/load.js';
import { parseDuration } from '../config/units.js';
import { configSchema } from '../config/schema.js';
import { UsageError } from '../util/errors.js';

const DURATION_KEYS = new Set(['for', 'keep_firing_for', 'repeat_interval']);

export function applyOverrides(loaded: LoadedConfig, sets: readonly string[]): LoadedConfig {
  let config = loaded.config;
  const rules = loaded.rules.map((r) => structuredClone(r));
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${set}: expected PATH=VALUE, e.g. TrafficSkew.for=30s or analysis.skew_ratio=2`);
    const path = set.slice(0, eq).split('.');
    const raw = set.slice(eq + 1);
    const value: unknown = parseYaml(raw);
    if (path[0] === 'analysis') {
      const next = configSchema.shape.analysis.safeParse({ ...loaded.config.analysis, ...config.analysis, [path[1]!]: value });
      if (!next.success || path.length !== 2) throw new UsageError(`--set ${set}: ${next.success ? 'expected analysis.<key>' : next.error.issues[0]!.message}`);
      config = { ...config, analysis: next.data };
      continue;
    }
    const rule = rules.find((r) => r.id === path[0]);
    if (!rule) throw new UsageError(`--set ${set}: no rule ${path[0]} (rules: ${rules.map((r) => r.id).join(', ')})`);
    if (path.length < 2) throw new UsageError(`--set ${set}: expected <rule>.<key>=VALUE`);
    let node = rule as unknown as Record<string, unknown>;
    for (const key of path.slice(1, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) throw new UsageError(`--set ${set}: ${key} is not a section of rule ${rule.id}`);
      node = node[key] as Record<string, unknown>;
    }
    const last = path[path.length - 1]!;
    if (DURATION_KEYS.has(last)) {
      const ms = parseDuration(raw);
      if (ms === null) throw new UsageError(`--set ${set}: expected a duration such as 30s or 2m`);
      node[last] = ms;
    } else {
      if (!(last in node) && !['above', 'below', 'resolve_below', 'resolve_above', 'min_rate', 'require_significant'].includes(last)) {
        throw new UsageError(`--set ${set}: rule ${rule.id} has no key ${last}`);
      }
      node[last] = value;
    }
  }
  return { ...loaded, config, rules };
}
