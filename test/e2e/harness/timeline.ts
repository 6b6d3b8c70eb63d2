// Timeline of one e2e scenario: what happened when, written as JSON so a
// run can be inspected (and compared between runs) after the fact.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './backend-server.js';

export type EventKind =
  | 'start'
  | 'fault'
  | 'first-5xx'
  | 'slack'
  | 'pagerduty-trigger'
  | 'pagerduty-resolve'
  | 'alertmanager-listed'
  | 'alertmanager-gone'
  | 'repair'
  | 'note'
  | 'end';

export interface TimelineEvent {
  /** Epoch ms. */
  t: number;
  /** ms since the timeline started. */
  rel: number;
  kind: EventKind;
  detail?: unknown;
}

export class Timeline {
  readonly events: TimelineEvent[] = [];
  readonly startedAt: number;

  constructor(readonly scenario: string, now = Date.now()) {
    this.startedAt = now;
  }

  record(kind: EventKind, detail?: unknown, t = Date.now()): TimelineEvent {
    const e = { t, rel: t - this.startedAt, kind, detail };
    this.events.push(e);
    return e;
  }

  /** Record only the first occurrence of a kind (e.g. first-5xx). */
  recordOnce(kind: EventKind, detail?: unknown, t = Date.now()): TimelineEvent {
    return this.first(kind) ?? this.record(kind, detail, t);
  }

  first(kind: EventKind): TimelineEvent | undefined {
    return this.events.filter((e) => e.kind === kind).sort((a, b) => a.t - b.t)[0];
  }

  /**
   * Lead time in ms = first 5xx seen by clients minus the first PagerDuty
   * trigger. Positive: the page came before users saw errors (the goal).
   * Undefined when either event is missing (e.g. no 5xx ever happened).
   */
  leadTimeMs(): number | undefined {
    const f = this.first('first-5xx');
    const p = this.first('pagerduty-trigger');
    return f && p ? f.t - p.t : undefined;
  }

  toJSON() {
    return {
      scenario: this.scenario,
      startedAt: new Date(this.startedAt).toISOString(),
      leadTimeMs: this.leadTimeMs() ?? null,
      events: [...this.events].sort((a, b) => a.t - b.t),
    };
  }

  /** Writes test-results/e2e/<scenario>.json (under the repo root by default); returns the path. */
  write(dir = path.join(REPO_ROOT, 'test-results', 'e2e'), extra?: Record<string, unknown>): string {
    fs.mkdirSync(dir, { recursive: true });
    const safe = this.scenario.replace(/[^A-Za-z0-9._-]+/g, '_');
    const file = path.join(dir, `${safe}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...this.toJSON(), ...extra }, null, 2) + '\n');
    return file;
  }
}
