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

/**
 * `--from -2h`: node's parseArgs reads a value that starts with '-' as an
 * option and rejects it as ambiguous. A string option followed by a negative
 * number or duration takes it as its value (written `--from=-2h` for parseArgs).
 */
export function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : null;
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function parse<O extends Options>(argv: string[], options: O, help: string, io: CommandIo, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${help}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.out.write(`${help}\n`);
    return null;
  }
  // SKEWWATCH_CONFIG is the environment form of --config (the flag wins).
  const values = parsed.values as { config?: unknown };
  if ('config' in options && values.config === undefined && io.env.SKEWWATCH_CONFIG) values.config = io.env.SKEWWATCH_CONFIG;
  return parsed as { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string }; positionals: string[] };
}

export const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;
export const CONFIG_HELP = `  -c, --config FILE   YAML config (default $SKEWWATCH_CONFIG; optional: SKEWWATCH_* environment variables alone are enough)`;
