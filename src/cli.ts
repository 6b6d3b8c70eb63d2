#!/usr/bin/env node
// skewwatch command line: run, check, validate, silence, replay, record, demo.
import { validateCommand } from './cli/validate.js';
import { EXIT_ERROR, UsageError, type CommandIo } from './cli/args.js';
import { ConfigError } from './config/errors.js';
import { redactText } from './util/redact.js';

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, { run: () => Promise<Command>; summary: string }> = {
  run: { run: async () => (await import('./cli/run.js')).runCommand, summary: 'run the daemon' },
  check: { run: async () => (await import('./cli/check.js')).checkCommand, summary: 'evaluate once now; exit 0 balanced, 1 alerting, 2 error' },
  validate: { run: async () => validateCommand, summary: 'check a config and its rule files' },
  replay: { run: async () => (await import('./cli/replay.js')).replayCommand, summary: 'backtest rules on Prometheus history or a recording' },
  record: { run: async () => (await import('./cli/record.js')).recordCommand, summary: 'record live samples to a file for replay' },
  demo: { run: async () => (await import('./cli/demo.js')).demoCommand, summary: 'watch a simulated incident get caught (no setup needed)' },
  audit: { run: async () => (await import('./cli/audit.js')).auditCommand, summary: 'lint a balancer config (and diff it against the live one); text, JSON or SARIF' },
  silence: { run: async () => (await import('./cli/silence.js')).silenceCommand, summary: 'add, list or expire silences (maintenance windows)' },
};

const HELP = `skewwatch: alerts when a load balancer piles traffic onto one backend, before it saturates.

Usage: skewwatch <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`).join('\n')}

Run 'skewwatch <command> --help' for a command's options.`;

export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out.write(`${HELP}\n`);
    return name ? 0 : EXIT_ERROR;
  }
  if (name === '--version') {
    io.out.write('skewwatch 0.1.0\n');
    return 0;
  }
  const cmd = COMMANDS[name];
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
