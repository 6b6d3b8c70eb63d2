// Environment overrides for the common sidecar settings, so that
// `skewwatch run` works with no file at all, and `${VAR}` interpolation.

type Obj = Record<string, unknown>;

/** Env var -> key path it sets. Applied after the file, so env wins. */
export const ENV_OVERRIDES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['SKEWWATCH_PROMETHEUS_URL', ['source', 'prometheus', 'url']],
  ['SKEWWATCH_PRESET', ['source', 'preset']],
  ['SKEWWATCH_MODE', ['source', 'mode']],
  ['SKEWWATCH_INTERVAL', ['interval']],
  ['SKEWWATCH_RATE_WINDOW', ['source', 'rate_window']],
  ['SKEWWATCH_CPU_QUERY', ['source', 'queries', 'cpu']],
  ['SKEWWATCH_SLACK_WEBHOOK_URL', ['sinks', 'slack', 'webhook_url']],
  ['SKEWWATCH_PAGERDUTY_ROUTING_KEY', ['sinks', 'pagerduty', 'routing_key']],
  ['SKEWWATCH_PAGERDUTY_URL', ['sinks', 'pagerduty', 'url']],
  ['SKEWWATCH_ALERTMANAGER_URL', ['sinks', 'alertmanager', 'url']],
  ['SKEWWATCH_STATE_DIR', ['state_dir']],
  ['SKEWWATCH_LISTEN', ['listen']],
  ['SKEWWATCH_LOG_LEVEL', ['log_level']],
  ['SKEWWATCH_HAPROXY_CONFIG', ['declared', 'haproxy_config']],
  ['SKEWWATCH_HAPROXY_RUNTIME_API', ['remediate', 'runtime_api']],
  ['SKEWWATCH_SHARD', ['shard']],
];

function setPath(root: Obj, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Obj;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Applies SKEWWATCH_* overrides. Returns which key paths came from which
 * variable, so a bad value is reported against the variable, not the file.
 */
export function applyEnvOverrides(raw: Obj, env: NodeJS.ProcessEnv): Map<string, string> {
  const origin = new Map<string, string>();
  for (const [name, path] of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    // A PagerDuty URL alone does not configure PagerDuty: it needs a key.
    if (name === 'SKEWWATCH_PAGERDUTY_URL' && !env.SKEWWATCH_PAGERDUTY_ROUTING_KEY && !hasPath(raw, ['sinks', 'pagerduty'])) continue;
    setPath(raw, path, value);
    origin.set(path.join('.'), name);
  }
  // A comma-separated list of scrape URLs switches to scrape mode with balancer targets.
  const scrapeUrls = env.SKEWWATCH_SCRAPE_URLS;
  if (scrapeUrls) {
    setPath(raw, ['source', 'scrape', 'targets'], scrapeUrls.split(',').map((url) => ({ url: url.trim() })));
    if (!env.SKEWWATCH_MODE) setPath(raw, ['source', 'mode'], 'scrape');
    origin.set('source.scrape', 'SKEWWATCH_SCRAPE_URLS');
  }
  return origin;
}

function hasPath(root: Obj, path: readonly string[]): boolean {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return false;
    node = (node as Obj)[key];
  }
  return node !== undefined;
}

export interface InterpolationProblem {
  readonly path: (string | number)[];
  readonly variable: string;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of the tree.
 * Returns the paths of strings that used a variable (they are secrets-safe:
 * their values came from the environment) and the variables that were unset.
 */
export function interpolateEnv(
  node: unknown,
  env: NodeJS.ProcessEnv,
  path: (string | number)[] = [],
  out: { fromEnv: Set<string>; missing: InterpolationProblem[] } = { fromEnv: new Set(), missing: [] },
): { value: unknown; fromEnv: Set<string>; missing: InterpolationProblem[] } {
  let value: unknown = node;
  if (typeof node === 'string' && node.includes('${')) {
    value = node.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      out.missing.push({ path, variable: name });
      return '';
    });
    out.fromEnv.add(path.join('.'));
  } else if (Array.isArray(node)) {
    value = node.map((item, i) => interpolateEnv(item, env, [...path, i], out).value);
  } else if (node !== null && typeof node === 'object') {
    const copy: Obj = {};
    for (const [k, v] of Object.entries(node)) copy[k] = interpolateEnv(v, env, [...path, k], out).value;
    value = copy;
  }
  return { value, fromEnv: out.fromEnv, missing: out.missing };
}
