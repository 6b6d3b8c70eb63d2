import { pino, type Logger, type DestinationStream } from 'pino';
import { REDACT_PATHS, redactText } from './redact.js';
import { formatLogLine, type LogFormat } from './log-format.js';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Injected output stream (tests parse the lines). Defaults to stdout. */
  stream?: DestinationStream;
  /** json (default: pino's lines, epoch-ms time), logfmt or pretty (ISO times). See parseLogFormat. */
  format?: LogFormat;
}

/** Re-renders each JSON line pino writes; pino writes one whole line per call. */
function formatted(format: LogFormat, dest: DestinationStream): DestinationStream {
  return { write: (line: string) => dest.write(formatLogLine(line, format)) };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'skewwatch',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      // Error messages can embed URLs (axios puts the request URL in them):
      // pass every serialised error through the text redactor.
      serializers: {
        err: (e: unknown) => {
          if (!(e instanceof Error)) return e;
          const kind = (e as { kind?: unknown }).kind;
          return {
            type: e.name,
            message: redactText(e.message),
            ...(typeof kind === 'string' ? { kind } : {}),
          };
        },
      },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as typeof args;
          method.apply(this, redacted);
        },
      },
    },
    (() => {
      const dest = opts.stream ?? pino.destination({ dest: 1, sync: false });
      return opts.format && opts.format !== 'json' ? formatted(opts.format, dest) : dest;
    })(),
  );
}

/** A logger that writes nothing (tests that do not inspect logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
