// Loads and validates a config: YAML -> ${ENV} interpolation -> SKEWWATCH_*
// overrides -> strict schema -> secret files -> rule files -> cross-checks.
// Every problem is collected (not just the first) and reported with the file
// (or env var), the key path and what is expected.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, isMap, isScalar, isSeq, LineCounter, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema, type RawConfig } from './schema.js';
import { httpUrl } from './fields.js';
import { ruleFileSchema, type InhibitRule, type RuleConfig } from './rules.js';
import { applyEnvOverrides, interpolateEnv } from './env.js';
import { ConfigError, formatPath, type ConfigIssue } from './errors.js';
import { crossCheck, type RuleOrigin } from './cross-check.js';
import { registerSecret } from '../util/redact.js';

export interface LoadedConfig {
  readonly config: RawConfig;
  readonly rules: readonly RuleConfig[];
  /** Inhibit rules of the rule files, then the inline ones (config `inhibit_rules`). */
  readonly inhibitRules: readonly InhibitRule[];
  /** Non-fatal remarks (e.g. a rule names a sink that is not configured). */
  readonly warnings: readonly string[];
  /** Every file read, for reload and for `validate` output. */
  readonly files: readonly string[];
}

export interface LoadOptions {
  /** Path to the YAML config; undefined means "env only". */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** The shipped default rule set (alerts/default.yaml), found relative to this module. */
export const DEFAULT_RULES_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../alerts/default.yaml');

interface ParsedYaml {
  readonly value: unknown;
  readonly lineOf: (path: readonly PropertyKey[]) => number | undefined;
}

function readYaml(file: string, issues: ConfigIssue[]): ParsedYaml | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    issues.push({ file, path: '(file)', message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first YAML error is the real one; the rest are usually its echo.
    for (const err of doc.errors.slice(0, 1)) {
      const line = err.linePos?.[0]?.line;
      issues.push({ file: line ? `${file}:${line}` : file, path: '(yaml)', message: err.message.split('\n')[0]!.replace(/:$/, '') });
    }
    return undefined;
  }
  // The line of the deepest existing node on the path; for a mapping entry,
  // the line of its key (a nested mapping's value starts on the next line).
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 1; n--) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1) as unknown[], true);
      const last = path[n - 1];
      let node: unknown;
      if (isMap(parent)) node = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key;
      else if (isSeq(parent) && typeof last === 'number') node = parent.items[last];
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    const range = (doc.contents as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  return { value: doc.toJS() ?? {}, lineOf };
}

function zodIssues(error: z.ZodError, where: (path: readonly PropertyKey[]) => string): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // One issue per unknown key, at the key's own path and line.
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return { file: where(path), path: formatPath(path), message: `unknown key ${JSON.stringify(key)} (typos are errors so that they never silently disable alerting)` };
      });
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
      message = `required: expected ${issue.expected}`;
    }
    return [{ file: where(issue.path), path: formatPath(issue.path), message }];
  });
}

/** "source.scrape.targets[1].labels" -> ['source', 'scrape', 'targets', 1, 'labels']. */
function parsePath(dotted: string): (string | number)[] {
  return dotted.split('.').flatMap((seg) => {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(seg);
    if (!m) return [seg];
    const indexes = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [...(m[1] ? [m[1]] : []), ...indexes];
  });
}

function readSecretFile(file: string, baseDir: string): string {
  return readFileSync(resolve(baseDir, file), 'utf8').trim();
}

/** Resolves every `<name>_file` secret into `<name>`, reporting unreadable files by key path. */
function resolveSecretFiles(config: RawConfig, baseDir: string, where: (path: readonly PropertyKey[]) => string, issues: ConfigIssue[]): void {
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, [...path, i]));
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const value = obj[key];
      if (key.endsWith('_file') && typeof value === 'string' && /^(webhook_url|routing_key|bearer_token|password|url)_file$/.test(key)) {
        const target = key.slice(0, -'_file'.length);
        if (obj[target] !== undefined) {
          issues.push({ file: where([...path, key]), path: formatPath([...path, key]), message: `set only one of ${target} or ${key}` });
          continue;
        }
        try {
          obj[target] = readSecretFile(value, baseDir);
          // The schema checked the inline URLs; a URL read from a file is checked here (without echoing it).
          if ((target === 'url' || target === 'webhook_url') && !httpUrl.safeParse(obj[target]).success) {
            issues.push({ file: where([...path, key]), path: formatPath([...path, key]), message: `secret file ${value} does not hold an http:// or https:// URL` });
          }
        } catch (e) {
          issues.push({ file: where([...path, key]), path: formatPath([...path, key]), message: `cannot read secret file ${value}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` });
        }
      } else {
        visit(value, [...path, key]);
      }
    }
  };
  visit(config, []);
}

function loadRuleFile(file: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[], origins: RuleOrigin[], inhibitRules: InhibitRule[]): RuleConfig[] {
  const yaml = readYaml(file, issues);
  if (!yaml) return [];
  const { value, missing } = interpolateEnv(yaml.value, env);
  for (const m of missing) {
    issues.push({ file: withLine(file, yaml.lineOf(m.path)), path: formatPath(m.path), message: `environment variable ${m.variable} is not set (use \${${m.variable}:-default} for a fallback)` });
  }
  const parsed = ruleFileSchema.safeParse(value);
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, (p) => withLine(file, yaml.lineOf(p))));
    return [];
  }
  parsed.data.rules.forEach((_, j) => origins.push({ path: `rules[${j}]`, where: (key) => withLine(file, yaml.lineOf(['rules', j, key])) }));
  inhibitRules.push(...parsed.data.inhibit_rules);
  return parsed.data.rules;
}

function withLine(file: string, line: number | undefined): string {
  return line ? `${file}:${line}` : file;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const file = opts.file ? resolve(opts.file) : undefined;
  const label = file ?? '(environment)';
  const files: string[] = file ? [file] : [];

  let raw: unknown = {};
  let lineOf: ParsedYaml['lineOf'] = () => undefined;
  if (file) {
    const yaml = readYaml(file, issues);
    if (!yaml) throw new ConfigError(issues);
    raw = yaml.value;
    lineOf = yaml.lineOf;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ file: label, path: '(top level)', message: 'expected a mapping of keys (namespace, source, sinks, ...)' }]);
  }

  const interpolated = interpolateEnv(raw, env);
  for (const m of interpolated.missing) {
    issues.push({ file: withLine(label, lineOf(m.path)), path: formatPath(m.path), message: `environment variable ${m.variable} is not set (use \${${m.variable}:-default} for a fallback)` });
  }
  const tree = interpolated.value as Record<string, unknown>;
  const fromEnvVar = applyEnvOverrides(tree, env);
  const where = (path: readonly PropertyKey[]): string => {
    const dotted = path.filter((p) => typeof p === 'string').join('.');
    for (const [prefix, variable] of fromEnvVar) if (dotted === prefix || dotted.startsWith(`${prefix}.`)) return `env ${variable}`;
    return withLine(label, lineOf(path));
  };

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    // An unset variable already has its issue; the empty string it left is no news.
    const unset = new Set(interpolated.missing.map((m) => formatPath(m.path)));
    issues.push(...zodIssues(parsed.error, where).filter((i) => !unset.has(i.path)));
    throw new ConfigError(issues);
  }
  const config = parsed.data;
  const baseDir = file ? dirname(file) : process.cwd();
  resolveSecretFiles(config, baseDir, where, issues);

  // Secrets written literally in a file work, but belong in env or files.
  for (const [path, literal, fromFile] of [
    ['sinks.slack.webhook_url', config.sinks.slack?.webhook_url, config.sinks.slack?.webhook_url_file],
    ['sinks.pagerduty.routing_key', config.sinks.pagerduty?.routing_key, config.sinks.pagerduty?.routing_key_file],
  ] as const) {
    if (literal && file && !interpolated.fromEnv.has(path) && !fromEnvVar.has(path) && !fromFile) {
      warnings.push(`${label}: ${path}: secret written in the file; prefer \${ENV} or ${path.split('.').pop()}_file`);
    }
  }

  const ruleFiles = config.rule_files ? config.rule_files.map((f) => resolve(baseDir, f)) : [DEFAULT_RULES_FILE];
  const rules: RuleConfig[] = [];
  const inhibitRules: InhibitRule[] = [];
  // Where each rule was written, so a cross-check names its own file, line and index.
  const origins: RuleOrigin[] = [];
  for (const rf of ruleFiles) {
    files.push(rf);
    rules.push(...loadRuleFile(rf, env, issues, origins, inhibitRules));
  }
  rules.push(...config.rules);
  inhibitRules.push(...config.inhibit_rules);
  config.rules.forEach((_, j) => origins.push({ path: `rules[${j}]`, where: (key) => where(['rules', j, key]) }));

  crossCheck(config, rules, (path) => where(parsePath(path)), issues, warnings, origins);
  if (issues.length > 0) throw new ConfigError(issues);

  for (const s of [
    config.sinks.slack?.webhook_url,
    config.sinks.pagerduty?.routing_key,
    config.source.prometheus?.bearer_token,
    config.source.prometheus?.basic_auth?.password,
    config.sinks.alertmanager?.bearer_token,
    config.sinks.alertmanager?.basic_auth?.password,
    ...config.sinks.webhooks.map((w) => w.url),
    ...(config.source.scrape?.targets ?? []).flatMap((t) => [t.bearer_token, t.basic_auth?.password]),
  ]) {
    registerSecret(s);
  }
  return { config, rules, inhibitRules, warnings, files };
}
