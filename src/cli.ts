#!/usr/bin/env node
// skewwatch command line: run, check, validate, silence, replay, record, demo,
// completion. The help text is the one source for --help, the shell
// completions and the man page (src/cli/man.ts).
import { Writable } from 'node:stream';
import { validateCommand } from './cli/validate.js';
import { EXIT_ERROR, UsageError, type CommandIo } from './cli/args.js';
import { ConfigError } from './config/errors.js';
import { redactText } from './util/redact.js';
import { packageVersion } from './util/version.js';

type Command = (argv: string[], io: CommandIo) => Promise<number>;

export const COMMANDS: Record<string, { run: () => Promise<Command>; summary: string }> = {
  run: { run: async () => (await import('./cli/run.js')).runCommand, summary: 'run the daemon' },
  check: { run: async () => (await import('./cli/check.js')).checkCommand, summary: 'evaluate once now; exit 0 balanced, 1 alerting, 2 error' },
  validate: { run: async () => validateCommand, summary: 'check a config and its rule files (or a rule file alone)' },
  replay: { run: async () => (await import('./cli/replay.js')).replayCommand, summary: 'backtest rules on Prometheus history or a recording' },
  record: { run: async () => (await import('./cli/record.js')).recordCommand, summary: 'record live samples to a file for replay' },
  demo: { run: async () => (await import('./cli/demo.js')).demoCommand, summary: 'watch a simulated incident get caught (no setup needed)' },
  audit: { run: async () => (await import('./cli/audit.js')).auditCommand, summary: 'lint a balancer config (and diff it against the live one); text, JSON or SARIF' },
  silence: { run: async () => (await import('./cli/silence.js')).silenceCommand, summary: 'add, list or expire silences (maintenance windows)' },
  'print-receiver': { run: async () => (await import('./cli/receiver.js')).printReceiverCommand, summary: 'print what Slack and PagerDuty would receive (a local stand-in)' },
  completion: {
    run: async () => {
      const { completionCommand } = await import('./cli/completion.js');
      return async (argv, io) => completionCommand(argv, io, commandHelps);
    },
    summary: 'print a shell completion script: bash, zsh or fish',
  },
};

export const HELP = `skewwatch: alerts when a load balancer piles traffic onto one backend, before it saturates.

Usage: skewwatch <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`).join('\n')}

Options:
  -h, --help     show this help
  -v, --version  print the version

Environment: SKEWWATCH_CONFIG (the config file, like --config), SKEWWATCH_LOG_FORMAT
(json, logfmt or pretty), and the SKEWWATCH_* settings listed by 'skewwatch run --help'.

Run 'skewwatch <command> --help' for a command's options.`;

/** Every command's --help text, by running it: the one source of truth. */
export async function commandHelps(): Promise<Array<{ name: string; summary: string; help: string }>> {
  const out: Array<{ name: string; summary: string; help: string }> = [];
  for (const [name, c] of Object.entries(COMMANDS)) {
    let text = '';
    const sink = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } });
    await main([name, '--help'], { out: sink, err: sink, env: {} });
    out.push({ name, summary: c.summary, help: text.trimEnd() });
  }
  return out;
}

export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out.write(`${HELP}\n`);
    return name ? 0 : EXIT_ERROR;
  }
  if (name === '--version' || name === '-v') {
    io.out.write(`skewwatch ${packageVersion()}\n`);
    return 0;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    io.err.write(`unknown command ${JSON.stringify(name)}\n\n${HELP}\n`);
    return EXIT_ERROR;
  }
  try {
    return await (await cmd.run())(rest, io);
  } catch (e) {
    if (e instanceof UsageError) io.err.write(`${e.message}\n`);
    else if (e instanceof ConfigError) io.err.write(`${e.message}\n`);
    else io.err.write(`skewwatch ${name}: ${redactText(e instanceof Error ? e.message : String(e))}\n`);
    return EXIT_ERROR;
  }
}

const invokedDirectly = process.argv[1] && /(?:cli\.(?:js|ts)|skewwatch)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exitCode = EXIT_ERROR; },
  );
}
