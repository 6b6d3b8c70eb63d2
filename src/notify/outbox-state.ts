// The outbox's persisted form and its validation. The lifecycle engineer
// stores `toJSON()` inside the state file and hands it back to `fromJSON()`
// after a restart; a damaged file fails with a 'state' error instead of
// sending half an alert.

import { SkewwatchError } from '../util/errors.js';
import { notificationProblem, type Notification } from '../core/alerting/notification.js';
import { listingProblem } from './compact-verdict.js';

export interface OutboxEntry {
  readonly notification: Notification;
  readonly sink: string;
  /** Failed attempts so far. */
  attempts: number;
  /** Not sent before this time (epoch ms). */
  nextAttemptAt: number;
  firstAttemptAt?: number;
  /** Redacted reason of the last failure. */
  lastError?: string;
  lastStatus?: number;
  /** When the entry entered the outbox; maxAge counts from here. */
  readonly enqueuedAt: number;
  /** Global enqueue order; per sink and dedup key (a lane), lower seq is sent first. */
  readonly seq: number;
}

export type DoneOutcome = 'sent' | 'failed_final' | 'dropped_expired' | 'dropped_overflow' | 'superseded';

/** A finished (notification, sink) pair, remembered so a re-enqueue is not sent twice. */
export interface DoneRecord {
  readonly id: string;
  readonly sink: string;
  readonly at: number;
  readonly outcome: DoneOutcome;
}

export interface OutboxState {
  readonly version: 1;
  readonly seq: number;
  readonly entries: readonly OutboxEntry[];
  readonly done: readonly DoneRecord[];
  /** Sinks that asked us to wait (Retry-After), so a restart keeps honouring it. */
  readonly sinks?: Readonly<Record<string, { readonly pausedUntil: number }>>;
}

const DONE_OUTCOMES: readonly string[] = ['sent', 'failed_final', 'dropped_expired', 'dropped_overflow', 'superseded'];

function fail(msg: string): never {
  throw new SkewwatchError('state', `outbox state: ${msg}`);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function parseOutboxState(json: unknown): OutboxState {
  const raw = typeof json === 'string' ? safeParse(json) : json;
  if (typeof raw !== 'object' || raw === null) fail('not an object');
  const s = raw as Record<string, unknown>;
  if (s.version !== 1) fail(`unsupported version ${JSON.stringify(s.version)}`);
  if (!finite(s.seq) || s.seq < 0) fail('seq must be a non-negative number');
  if (!Array.isArray(s.entries)) fail('entries must be an array');
  if (!Array.isArray(s.done)) fail('done must be an array');
  const entries = s.entries.map((e: unknown, i): OutboxEntry => {
    if (typeof e !== 'object' || e === null) fail(`entries[${i}] is not an object`);
    const x = e as Record<string, unknown>;
    const problem = notificationProblem(x.notification);
    if (problem) fail(`entries[${i}].notification: ${problem}`);
    const listing = listingProblem((x.notification as { verdict?: unknown }).verdict);
    if (listing) fail(`entries[${i}].notification: ${listing}`);
    if (typeof x.sink !== 'string' || x.sink === '') fail(`entries[${i}].sink must be a non-empty string`);
    for (const k of ['attempts', 'nextAttemptAt', 'enqueuedAt', 'seq'] as const) {
      if (!finite(x[k])) fail(`entries[${i}].${k} must be a number`);
    }
    if (x.firstAttemptAt !== undefined && !finite(x.firstAttemptAt)) fail(`entries[${i}].firstAttemptAt must be a number`);
    if (x.lastError !== undefined && typeof x.lastError !== 'string') fail(`entries[${i}].lastError must be a string`);
    if (x.lastStatus !== undefined && !finite(x.lastStatus)) fail(`entries[${i}].lastStatus must be a number`);
    return {
      notification: x.notification as Notification,
      sink: x.sink,
      attempts: x.attempts as number,
      nextAttemptAt: x.nextAttemptAt as number,
      enqueuedAt: x.enqueuedAt as number,
      seq: x.seq as number,
      ...(x.firstAttemptAt !== undefined ? { firstAttemptAt: x.firstAttemptAt as number } : {}),
      ...(x.lastError !== undefined ? { lastError: x.lastError as string } : {}),
      ...(x.lastStatus !== undefined ? { lastStatus: x.lastStatus as number } : {}),
    };
  });
  const done = s.done.map((d: unknown, i): DoneRecord => {
    const x = d as Record<string, unknown>;
    if (typeof x !== 'object' || x === null || typeof x.id !== 'string' || typeof x.sink !== 'string' || !finite(x.at)) {
      fail(`done[${i}] must have id, sink and at`);
    }
    if (typeof x.outcome !== 'string' || !DONE_OUTCOMES.includes(x.outcome)) fail(`done[${i}].outcome is invalid`);
    return { id: x.id, sink: x.sink, at: x.at, outcome: x.outcome as DoneOutcome };
  });
  let sinks: Record<string, { pausedUntil: number }> | undefined;
  if (s.sinks !== undefined) {
    if (typeof s.sinks !== 'object' || s.sinks === null || Array.isArray(s.sinks)) fail('sinks must be an object');
    sinks = {};
    for (const [name, p] of Object.entries(s.sinks as Record<string, unknown>)) {
      const x = p as Record<string, unknown> | null;
      if (typeof x !== 'object' || x === null || !finite(x.pausedUntil)) fail(`sinks.${name}.pausedUntil must be a number`);
      sinks[name] = { pausedUntil: x.pausedUntil };
    }
  }
  return { version: 1, seq: s.seq, entries, done, ...(sinks ? { sinks } : {}) };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail('not valid JSON');
  }
}

/** A copy that shares nothing mutable with the live outbox. */
export function cloneEntry(e: OutboxEntry): OutboxEntry {
  return { ...e };
}
