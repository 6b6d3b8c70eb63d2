// What the alert lifecycle hands to the delivery pipeline. Plain data
// (JSON-serialisable) because it is persisted inside the outbox.

import type { PoolVerdict } from '../types.js';
import type { Resolution } from './resolution.js';

export type NotificationKind = 'trigger' | 'resolve' | 'repeat';
export type NotificationSeverity = 'info' | 'warning' | 'critical';

export interface Notification {
  /** Unique and stable: the outbox uses (id, sink) to deliver at most once per sink. */
  readonly id: string;
  /** Stable per rule + pool: PagerDuty dedup_key, Alertmanager label, ordering key. */
  readonly dedupKey: string;
  readonly kind: NotificationKind;
  readonly ruleId: string;
  readonly ruleName?: string;
  readonly severity: NotificationSeverity;
  readonly pool: string;
  readonly poolLabels: Readonly<Record<string, string>>;
  /** When the alert started firing, epoch ms. */
  readonly startsAt: number;
  /** When the alert resolved, epoch ms (resolve notifications). */
  readonly endsAt?: number;
  /**
   * Why a resolve was sent: 'recovered' (the data shows the problem gone),
   * or the alert was closed as an orphan ('pool-vanished', 'rule-removed'),
   * which sinks must never word as a recovery. Absent on older entries.
   */
  readonly resolution?: Resolution;
  /** When the lifecycle created this notification, epoch ms. */
  readonly createdAt: number;
  /** One line a person can act on. */
  readonly summary: string;
  /** runbook_url, description, ... */
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** The verdict that caused it; null for meta-alerts ("skewwatch is blind"). */
  readonly verdict: PoolVerdict | null;
  readonly generatorUrl?: string;
}

const KINDS: readonly string[] = ['trigger', 'resolve', 'repeat'];
const SEVERITIES: readonly string[] = ['info', 'warning', 'critical'];
const RESOLUTIONS: readonly string[] = ['recovered', 'pool-vanished', 'rule-removed'];

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/**
 * Why a value is not a Notification, or null when it is one. Used when the
 * outbox is restored from the state file: a hand-edited or truncated file must
 * fail loudly instead of sending half an alert.
 */
export function notificationProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const n = v as Record<string, unknown>;
  for (const k of ['id', 'dedupKey', 'ruleId', 'pool', 'summary'] as const) {
    if (typeof n[k] !== 'string' || n[k] === '') return `${k} must be a non-empty string`;
  }
  if (typeof n.kind !== 'string' || !KINDS.includes(n.kind)) return 'kind must be trigger, resolve or repeat';
  if (typeof n.severity !== 'string' || !SEVERITIES.includes(n.severity)) return 'severity must be info, warning or critical';
  for (const k of ['startsAt', 'createdAt'] as const) {
    if (typeof n[k] !== 'number' || !Number.isFinite(n[k])) return `${k} must be a finite number`;
  }
  if (n.endsAt !== undefined && (typeof n.endsAt !== 'number' || !Number.isFinite(n.endsAt))) return 'endsAt must be a finite number';
  if (n.resolution !== undefined && (typeof n.resolution !== 'string' || !RESOLUTIONS.includes(n.resolution))) return 'resolution must be recovered, pool-vanished or rule-removed';
  for (const k of ['poolLabels', 'annotations', 'labels'] as const) {
    if (!isStringRecord(n[k])) return `${k} must be an object of strings`;
  }
  if (n.ruleName !== undefined && typeof n.ruleName !== 'string') return 'ruleName must be a string';
  if (n.generatorUrl !== undefined && typeof n.generatorUrl !== 'string') return 'generatorUrl must be a string';
  if (n.verdict !== null && (typeof n.verdict !== 'object' || n.verdict === undefined)) return 'verdict must be an object or null';
  return null;
}

/** The name people see: ruleName, else ruleId. */
export function ruleTitle(n: Notification): string {
  return n.ruleName && n.ruleName.trim() !== '' ? n.ruleName : n.ruleId;
}
