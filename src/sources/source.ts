import type { Snapshot } from '../core/types.js';

/**
 * A source collects one snapshot of every pool it can see. It throws a
 * SkewwatchError (kind source-*) when it cannot: the caller keeps running,
 * counts the failure and never treats missing data as recovery.
 */
export interface Source {
  readonly name: string;
  collect(now: number, signal?: AbortSignal): Promise<Snapshot>;
  close?(): Promise<void>;
}
