// The inhibition stage of a cycle, after every alert has stepped: which
// alerts a firing source inhibits (inhibit.ts), and what that does to the
// notifications planned this cycle. Like a silence, an inhibition mutes
// notifications, not the lifecycle:
//   - a trigger is dropped and the alert stays unannounced: it is announced
//     when the inhibition ends, if its condition still holds then;
//   - repeats go to Alertmanager only (an alert Alertmanager was told about
//     must be re-sent, or its endsAt passes and Alertmanager resolves it);
//   - a resolve is always sent: it closes what was announced.
import type { InhibitRule } from './rule.js';
import type { PlannedNotification, TrackedAlert } from './evaluator.js';
import { alertLabels, inhibitions, type InhibitionCandidate } from './inhibit.js';
import { alertKey } from './dedup.js';

export function applyInhibition(alerts: Record<string, TrackedAlert>, planned: readonly PlannedNotification[], rules: readonly InhibitRule[]): PlannedNotification[] {
  const candidates = new Map<string, InhibitionCandidate>();
  for (const [key, a] of Object.entries(alerts)) {
    candidates.set(key, { labels: alertLabels(a.ruleName, a.severity, a.pool, a.poolLabels), firing: a.state.phase === 'firing' });
  }
  const by = rules.length > 0 ? inhibitions(candidates, rules) : new Map<string, string>();
  for (const [key, a] of Object.entries(alerts)) {
    const source = by.get(key);
    const name = source === undefined ? null : alerts[source]!.ruleName;
    if ((a.inhibitedBy ?? null) !== name) alerts[key] = { ...a, inhibitedBy: name };
  }
  if (by.size === 0) return [...planned];
  const out: PlannedNotification[] = [];
  for (const p of planned) {
    const n = p.notification;
    const key = alertKey(n.ruleId, n.pool);
    if (!by.has(key) || n.kind === 'resolve') {
      out.push(p);
    } else if (n.kind === 'trigger') {
      const a = alerts[key];
      if (a) alerts[key] = { ...a, notified: false, lastNotifiedAt: null, lastResentAt: null, notifiedSinks: [] };
    } else if (p.sinks.includes('alertmanager')) {
      out.push({ ...p, sinks: ['alertmanager'] });
    }
  }
  return out;
}
