import { SkewwatchError } from '../util/errors.js';

/** One problem in one place: which file (or env var), which key, what is expected. */
export interface ConfigIssue {
  readonly file: string;
  /** Dotted key path, e.g. "sinks.slack.webhook_url" or "rules[2].when.above". */
  readonly path: string;
  readonly message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(top level)' : out;
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.file}: ${i.path}: ${i.message}`;
}

export class ConfigError extends SkewwatchError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super('config', `invalid configuration:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
