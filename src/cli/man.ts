// The man page, generated from the same help text as --help (so the two never
// disagree): `node scripts/build-man.mjs` writes man/skewwatch.1 at build
// time, and package.json's "man" installs it with a global install.
import type { CommandHelp } from './completion.js';

/** roff-escape one line of plain text: backslashes, and a leading . or ' (a request). */
function roffLine(line: string): string {
  const escaped = line.replace(/\\/g, '\\e').replace(/-/g, '\\-');
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

const block = (text: string) => ['.nf', ...text.split('\n').map(roffLine), '.fi'];

export interface ManPageInput {
  readonly version: string;
  /** The top-level --help text. */
  readonly help: string;
  readonly commands: readonly CommandHelp[];
  /** Date shown in the footer, YYYY-MM-DD (a fixed one keeps builds reproducible). */
  readonly date: string;
}

export function manPage(input: ManPageInput): string {
  const [tagline = ''] = input.help.split('\n');
  const lines = [
    `.TH SKEWWATCH 1 "${input.date}" "skewwatch ${input.version}" "User Commands"`,
    '.SH NAME',
    `skewwatch \\- ${roffLine(tagline.replace(/^skewwatch:\s*/, ''))}`,
    '.SH SYNOPSIS',
    '.B skewwatch',
    '.I command',
    '[\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    ...block(input.help),
    '.SH COMMANDS',
  ];
  for (const c of input.commands) {
    lines.push(`.SS ${c.name}`, roffLine(c.summary), '.PP', ...block(c.help));
  }
  lines.push(
    '.SH EXIT STATUS',
    '0 ok or balanced; 1 alerting, invalid, or an expected outcome not met; 2 usage, configuration or source error.',
    '.SH SEE ALSO',
    '.BR prometheus (1),',
    '.BR haproxy (1)',
  );
  return `${lines.join('\n')}\n`;
}
