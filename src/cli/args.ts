// Small helpers shared by the commands: argument parsing with --help, and
// exit codes (0 ok/balanced, 1 alerting or invalid, 2 error).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_OK = 0;
export const EXIT_ALERTING = 1;
export const EXIT_ERROR = 2;

export interface CommandIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

import { UsageError } from '../util/errors.js';

export { UsageError };

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(argv: string[], options: O, help: string, io: CommandIo, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${help}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.out.write(`${help}\n`);
    return null;
  }
  return parsed as { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string }; positionals: string[] };
}

export const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;
export const CONFIG_HELP = `  -c, --config FILE   YAML config (optional: SKEWWATCH_* environment variables alone are enough)`;
