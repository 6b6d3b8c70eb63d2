import { loadConfig } from '../config/load.js';
import { ConfigError, formatIssue } from '../config/errors.js';
import { buildProblems } from '../app/build-check.js';
import { endQuietlyOnClosedPipe } from '../util/pipes.js';
import { parse, CONFIG_OPTION, CONFIG_HELP, EXIT_OK, EXIT_ALERTING, type CommandIo } from './args.js';

const HELP = `Usage: skewwatch validate [--config FILE]

Checks a config and its rule files, printing every problem with its file,
line, key path and what is expected. Exit 0 when valid, 1 when not.

Options:
${CONFIG_HELP}
  -h, --help          show this help`;

export async function validateCommand(argv: string[], io: CommandIo): Promise<number> {
  endQuietlyOnClosedPipe(io.out);
  const args = parse(argv, CONFIG_OPTION, HELP, io);
  if (!args) return EXIT_OK;
  try {
    const loaded = loadConfig({ ...(args.values.config ? { file: args.values.config } : {}), env: io.env });
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
