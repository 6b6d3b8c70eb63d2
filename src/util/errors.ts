// Typed errors with a `kind` and a `cause`, so callers branch on kind (and
// metrics label by it) instead of parsing messages.

export type SkewwatchErrorKind =
  | 'config'
  | 'source-unreachable'
  | 'source-timeout'
  | 'source-http'
  | 'source-api'
  | 'source-malformed'
  | 'source-too-large'
  | 'parse'
  | 'sink-retryable'
  | 'sink-final'
  | 'state';

export class SkewwatchError extends Error {
  readonly kind: SkewwatchErrorKind;
  constructor(kind: SkewwatchErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SkewwatchError';
    this.kind = kind;
  }
}

export function isSkewwatchError(e: unknown, kind?: SkewwatchErrorKind): e is SkewwatchError {
  return e instanceof SkewwatchError && (kind === undefined || e.kind === kind);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A command line the user got wrong: printed without a stack trace, exit 2. */
export class UsageError extends Error {}
