// Writes the live view. On a TTY it redraws the whole frame in place (cursor
// up + clear to end of screen); otherwise (a pipe, a CI log) it prints one
// compact line every `compactEverySeconds` of demo time plus one line per
// new event, so logs stay readable and grep-able.
//
// Colour only on a TTY and only when NO_COLOR is unset (https://no-color.org).

import { EVENT_LABELS, type DemoEvent, type ViewInput } from './view-types.js';
import { formatSeconds, renderView, VIEW_TITLE } from './view-render.js';

export interface ViewWriterOptions {
  readonly stream: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };
  /** Redraw in place. Default: the stream's isTTY. */
  readonly tty?: boolean;
  /** Default: tty and NO_COLOR unset in `env`. */
  readonly color?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Non-TTY: demo seconds between compact lines. Default 5. */
  readonly compactEverySeconds?: number;
}

export interface ViewWriter {
  readonly tty: boolean;
  readonly color: boolean;
  update(input: ViewInput): void;
  /** Leave the last frame on screen and print `text` (e.g. the timeline) below it. */
  finish(text?: string): void;
}

/** One line summarising a frame, for logs. */
export function compactLine(input: ViewInput): string {
  // Hottest by CPU when known (a wrong weight keeps the share "as expected"
  // while the CPU runs away), else by share against expected.
  const hottest = [...input.backends]
    .filter((b) => b.status === 'UP')
    .sort((a, b) => (b.cpu ?? -1) - (a.cpu ?? -1) || ratio(b) - ratio(a))[0];
  const parts = [`[${formatSeconds(input.elapsedSeconds).padStart(6)}] SIMULATED load ${Math.round(input.offeredRps)} req/s`];
  if (hottest) {
    parts.push(
      `hottest ${hottest.name} share ${(hottest.share * 100).toFixed(0)}% (exp ${(hottest.expectedShare * 100).toFixed(0)}%)` +
        ` cpu ${hottest.cpu === null ? '—' : `${(hottest.cpu * 100).toFixed(0)}%`} queue ${hottest.queue === null ? '—' : Math.round(hottest.queue)}`,
    );
  }
  if (input.alerts.length) parts.push(`alerts ${input.alerts.map((a) => `${a.rule}=${a.state}`).join(',')}`);
  if (input.verdict) parts.push(`${input.verdict.severity}: ${input.verdict.explanation}`);
  return parts.join(' | ');
}

function ratio(b: { share: number; expectedShare: number }): number {
  return b.expectedShare > 0 ? b.share / b.expectedShare : b.share;
}

function eventKey(e: DemoEvent): string {
  return `${e.kind}@${e.at}`;
}

export function createViewWriter(opts: ViewWriterOptions): ViewWriter {
  const stream = opts.stream;
  const tty = opts.tty ?? stream.isTTY === true;
  const env = opts.env ?? process.env;
  const color = opts.color ?? (tty && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === ''));
  const every = Math.max(0.1, opts.compactEverySeconds ?? 5);
  let previousLines = 0;
  let nextCompactAt = 0;
  let headerPrinted = false;
  const seenEvents = new Set<string>();

  function updateTty(input: ViewInput): void {
    const frame = renderView({ ...input, color, width: input.width ?? stream.columns ?? 80 });
    const up = previousLines > 0 ? `\u001b[${previousLines}A\r\u001b[J` : '';
    stream.write(up + frame);
    previousLines = frame.split('\n').length - 1;
  }

  function updatePlain(input: ViewInput): void {
    if (!headerPrinted) {
      stream.write(`${VIEW_TITLE}\n`);
      headerPrinted = true;
    }
    for (const e of [...input.events].sort((a, b) => a.at - b.at)) {
      const key = eventKey(e);
      if (seenEvents.has(key)) continue;
      seenEvents.add(key);
      stream.write(`[${formatSeconds(e.at).padStart(6)}] event: ${EVENT_LABELS[e.kind]}${e.detail ? `: ${e.detail}` : ''}\n`);
    }
    if (input.elapsedSeconds + 1e-9 >= nextCompactAt) {
      stream.write(compactLine(input) + '\n');
      nextCompactAt = (Math.floor(input.elapsedSeconds / every) + 1) * every;
    }
  }

  return {
    tty,
    color,
    update: (input) => (tty ? updateTty(input) : updatePlain(input)),
    finish: (text) => {
      previousLines = 0;
      if (text) stream.write((tty ? '\n' : '') + text);
    },
  };
}
