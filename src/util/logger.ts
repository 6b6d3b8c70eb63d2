import { pino, type Logger, type DestinationStream } from 'pino';
import { REDACT_PATHS, redactText } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Injected output stream (tests parse the lines). Defaults to stdout. */
  stream?: DestinationStream;
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
    opts.stream ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing (tests that do not inspect logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
