import { loadConfig } from '../config/load.js';
import { ConfigError, formatIssue } from '../config/errors.js';
import { buildProblems } from '../app/build-check.js';
import { endQuietlyOnClosedPipe } from '../util/pipes.js';
import { parse, CONFIG_OPTION, CONFIG_HELP, EXIT_OK, EXIT_ALERTING, type CommandIo } from './args.js';
import { loadConfigWithPlaceholders, validateRuleFiles, type Placeholder } from './validate-env.js';

const HELP = `Usage: skewwatch validate [--config FILE] [--allow-missing-env]
       skewwatch validate --rules FILE [--rules FILE ...]

Checks a config and its rule files, printing every problem with its file,
line, key path and what is expected. Exit 0 when valid, 1 when not.

Options:
${CONFIG_HELP}
      --rules FILE          check rule files alone (schema, duplicate ids), without a config (repeatable)
      --allow-missing-env   report an unset \${VAR} as a placeholder instead of an error (CI without secrets)
  -h, --help          show this help`;

const placeholderLines = (list: readonly Placeholder[]) => list.map((p) => `  placeholder: \${${p.variable}} is not set (${p.where}): checked with a stand-in value\n`).join('');

export async function validateCommand(argv: string[], io: CommandIo): Promise<number> {
  endQuietlyOnClosedPipe(io.out);
  const args = parse(argv, { ...CONFIG_OPTION, rules: { type: 'string', multiple: true }, 'allow-missing-env': { type: 'boolean' } }, HELP, io);
  if (!args) return EXIT_OK;
  const allowMissing = args.values['allow-missing-env'] === true;
  try {
    const ruleFiles = args.values.rules as string[] | undefined;
    if (ruleFiles?.length) {
      const r = validateRuleFiles(ruleFiles, io.env, allowMissing);
      io.out.write(`valid: ${r.files.join(', ')}\n  rules: ${r.ruleIds.join(', ') || '(none)'}\n  sinks named: ${r.sinks.join(', ') || '(none)'} (checked against a config's sinks when a config uses the file)\n${placeholderLines(r.placeholders)}`);
      return EXIT_OK;
    }
    const opts = { ...(args.values.config ? { file: args.values.config } : {}), env: io.env };
    const { loaded, placeholders } = allowMissing ? loadConfigWithPlaceholders(opts) : { loaded: loadConfig(opts), placeholders: [] };
    const { config, rules } = loaded;
    // What the daemon would reject when building (a missing CA file, a Slack
    // URL without a path) is invalid here too, so a SIGHUP never meets it first.
    const problems = buildProblems(loaded);
    if (problems.length > 0) {
      io.err.write(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n`);
      for (const p of problems) io.err.write(`  ${p}\n`);
      return EXIT_ALERTING;
    }
    const sinks = [
      config.sinks.slack && 'slack',
      config.sinks.pagerduty && 'pagerduty',
      config.sinks.alertmanager && 'alertmanager',
      ...config.sinks.webhooks.map((w) => `webhook:${w.name}`),
    ].filter(Boolean);
    io.out.write(`valid: ${loaded.files.join(', ') || '(environment only)'}\n`);
    io.out.write(`  source: ${config.source.mode} mode, preset ${config.source.preset}, every ${config.interval / 1000}s\n`);
    io.out.write(`  rules: ${rules.map((r) => r.id).join(', ') || '(none)'}\n`);
    io.out.write(`  sinks: ${sinks.join(', ') || '(none: alerts are only visible in /api/v1/status and /metrics)'}\n`);
    for (const w of loaded.warnings) io.out.write(`  warning: ${w}\n`);
    io.out.write(placeholderLines(placeholders));
    return EXIT_OK;
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err.write(`invalid configuration (${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}):\n`);
      for (const issue of e.issues) io.err.write(`  ${formatIssue(issue)}\n`);
      return EXIT_ALERTING;
    }
    throw e;
  }
}
