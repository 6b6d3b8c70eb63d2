// Two validate modes for pipelines: a rule file alone (`validate --rules`,
// like `promtool check rules`), and a config whose secrets are absent
// (`--allow-missing-env`): an unset ${VAR} is reported as a placeholder, and
// everything else is still checked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, loadRuleFile, type LoadedConfig, type LoadOptions } from '../config/load.js';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import type { RuleOrigin } from '../config/cross-check.js';

export interface Placeholder {
  readonly variable: string;
  /** Where it is used: "file:line: key.path". */
  readonly where: string;
}

const UNSET = /^environment variable (\S+) is not set/;

/**
 * Values tried, in order, for an unset variable until the key it fills
 * accepts one: a URL, a 32-character PagerDuty key, a number, a duration,
 * a plain word, and for `*_file` keys a file holding a URL or a key. The
 * value is never printed; the key is reported as a placeholder.
 */
function candidates(dir: string): string[] {
  // A path like a Slack webhook's, so the sink checks that building runs (a
  // Slack URL needs .../services/...) accept the stand-in too.
  const url = 'https://placeholder.invalid/services/T0/B0/placeholder';
  const key = 'p'.repeat(32);
  writeFileSync(join(dir, 'url'), url);
  writeFileSync(join(dir, 'key'), key);
  return [url, key, '1', '15s', join(dir, 'url'), join(dir, 'key'), 'placeholder'];
}

function unsetIn(issues: readonly ConfigIssue[]): Map<string, ConfigIssue[]> {
  const out = new Map<string, ConfigIssue[]>();
  for (const i of issues) {
    const m = UNSET.exec(i.message);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), i]);
  }
  return out;
}

function tryLoad(opts: LoadOptions): { loaded?: LoadedConfig; issues: readonly ConfigIssue[] } {
  try {
    return { loaded: loadConfig(opts), issues: [] };
  } catch (e) {
    if (e instanceof ConfigError) return { issues: e.issues };
    throw e;
  }
}

/** Loads a config, standing in a placeholder for each unset ${VAR}. Throws ConfigError for every other problem. */
export function loadConfigWithPlaceholders(opts: LoadOptions): { loaded: LoadedConfig; placeholders: Placeholder[] } {
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  const first = tryLoad({ ...opts, env });
  if (first.loaded) return { loaded: first.loaded, placeholders: [] };
  const unset = unsetIn(first.issues);
  const placeholders: Placeholder[] = [...unset].flatMap(([variable, issues]) => issues.map((i) => ({ variable, where: `${i.file}: ${i.path}` })));
  if (unset.size === 0) throw new ConfigError(first.issues);
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-placeholders-'));
  try {
    const tries = candidates(dir);
    // Pick, per variable, the first candidate its keys accept (an issue at its
    // path means "not this one"). Two rounds: a key is only checked once the
    // others let the load get that far (secret files are read after the schema).
    for (const v of unset.keys()) env[v] = tries[0]!;
    for (let round = 0; round < 2; round++) {
      for (const [variable, issues] of unset) {
        // A `*_file` key's content is checked under the key it fills (routing_key_file -> routing_key).
        const paths = new Set(issues.flatMap((i) => [i.path, i.path.replace(/_file$/, '')]));
        env[variable] = tries.find((c) => !tryLoad({ ...opts, env: { ...env, [variable]: c } }).issues.some((i) => paths.has(i.path))) ?? tries[tries.length - 1]!;
      }
    }
    const last = tryLoad({ ...opts, env });
    if (!last.loaded) throw new ConfigError(last.issues);
    return { loaded: last.loaded, placeholders };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RuleFileReport {
  readonly files: readonly string[];
  readonly ruleIds: readonly string[];
  readonly sinks: readonly string[];
  readonly placeholders: readonly Placeholder[];
}

/** Checks rule files alone: YAML, the rule schema, duplicate ids across them. Throws ConfigError. */
export function validateRuleFiles(files: readonly string[], env: NodeJS.ProcessEnv, allowMissingEnv: boolean): RuleFileReport {
  const issues: ConfigIssue[] = [];
  const origins: RuleOrigin[] = [];
  const abs = files.map((f) => resolve(f));
  const rules = abs.flatMap((f) => loadRuleFile(f, env, issues, origins));
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.id)) issues.push({ file: origins[i]?.where('id') ?? abs.join(', '), path: `${origins[i]?.path ?? `rules[${i}]`} (${r.id}).id`, message: `duplicate rule id ${JSON.stringify(r.id)}` });
    seen.add(r.id);
  });
  const placeholders = allowMissingEnv ? [...unsetIn(issues)].flatMap(([variable, list]) => list.map((i) => ({ variable, where: `${i.file}: ${i.path}` }))) : [];
  // An unset variable leaves an empty string behind: the schema's complaint about it is no news.
  const unsetPaths = new Set(placeholders.length ? issues.filter((i) => UNSET.test(i.message)).map((i) => `${i.file.replace(/:\d+$/, '')}|${i.path}`) : []);
  const real = allowMissingEnv ? issues.filter((i) => !UNSET.test(i.message) && !unsetPaths.has(`${i.file.replace(/:\d+$/, '')}|${i.path}`)) : issues;
  if (real.length > 0) throw new ConfigError(real);
  const sinks = [...new Set(rules.flatMap((r) => [...r.sinks, ...r.overrides.flatMap((o) => o.sinks ?? [])]))].sort();
  return { files: abs, ruleIds: rules.map((r) => r.id), sinks, placeholders };
}
