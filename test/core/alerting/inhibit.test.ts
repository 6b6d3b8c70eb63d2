// Inhibition with Alertmanager's inhibit_rules semantics (issue 10 item 12):
// a firing page mutes the warning of the same pool. One commented row per
// cycle; time injected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateCycle, INITIAL_EVALUATOR_STATE, type EvaluatorContext, type EvaluatorState } from '../../../src/core/alerting/evaluator.js';
import { inhibitions, type InhibitionCandidate } from '../../../src/core/alerting/inhibit.js';
import { ruleFileSchema, type RuleConfig } from '../../../src/config/rules.js';
import type { Severity } from '../../../src/core/types.js';
import { verdict } from '../../fakes/verdict.js';
import { DEFAULT_RULE_FILE, defaultContext } from './harness.js';

const file = ruleFileSchema.parse({
  rules: [
    { id: 'Warn', when: { stat: 'severity', above: 0.5, resolve_below: 0.5 }, for: '30s', keep_firing_for: '1m', severity: 'warning', sinks: ['slack', 'alertmanager'] },
    { id: 'Page', when: { stat: 'severity', above: 1.5, resolve_below: 0.5 }, for: '15s', severity: 'critical', sinks: ['pagerduty', 'slack', 'alertmanager'] },
  ],
  inhibit_rules: [{ source_match: { severity: 'critical' }, target_match: { severity: 'warning' }, equal: ['pool'] }],
});
const ctx: EvaluatorContext = {
  namespace: 'test', rules: file.rules, inhibitRules: file.inhibit_rules, alertmanagerResendMs: 60_000,
  availableSinks: new Set(['slack', 'pagerduty', 'alertmanager']),
};

type Row = [t: number, pools: Record<string, Severity>, expected: string[], why: string];

function play(rows: Row[], c: EvaluatorContext = ctx, start: EvaluatorState = INITIAL_EVALUATOR_STATE): EvaluatorState {
  let state = start;
  for (const [t, pools, expected, why] of rows) {
    const verdicts = Object.entries(pools).map(([p, sev]) => verdict(p, sev));
    const r = evaluateCycle(state, { now: t * 1000, verdicts, silences: [] }, c);
    const got = r.notifications.map((p) => `${p.notification.kind}:${p.notification.ruleId}:${p.notification.pool}->${p.sinks.join('+')}`);
    assert.deepEqual(got, expected, `t=${t}s ${why}`);
    state = r.state;
  }
  return state;
}

test('a firing page mutes the warning of the same pool, not of another pool', () => {
  const s = play([
    [0, { a: 'critical', b: 'warning' }, [], 'both pools pending'],
    [15, { a: 'critical', b: 'warning' }, ['trigger:Page:a->pagerduty+slack+alertmanager'], 'a pages'],
    [30, { a: 'critical', b: 'warning' }, ['trigger:Warn:b->slack+alertmanager'], 'a\'s warning fires, muted by a\'s page; b\'s warning is posted'],
    [45, { a: 'critical', b: 'warning' }, [], 'nothing new'],
  ]);
  const warnA = Object.values(s.alerts).find((x) => x.ruleId === 'Warn' && x.pool === 'a')!;
  assert.equal(warnA.state.phase, 'firing');
  assert.equal(warnA.inhibitedBy, 'Page', 'the status API says why it is quiet');
  assert.equal(warnA.notified, false);
});

test('a pending page does not inhibit; a warning posted before the page keeps only its Alertmanager re-sends and gets its resolve', () => {
  const warnFirst: RuleConfig = { ...file.rules[1]!, for: 45_000 };
  const c: EvaluatorContext = { ...ctx, rules: [file.rules[0]!, warnFirst] };
  play([
    [0, { a: 'critical' }, [], 'both pending'],
    [30, { a: 'critical' }, ['trigger:Warn:a->slack+alertmanager'], 'the page is still pending: the warning is posted'],
    [45, { a: 'critical' }, ['trigger:Page:a->pagerduty+slack+alertmanager'], 'the page fires'],
    [90, { a: 'critical' }, ['repeat:Warn:a->alertmanager'], 'muted for people, but Alertmanager re-sends continue, or its endsAt would resolve the warning there'],
    [105, { a: 'ok' }, ['resolve:Page:a->pagerduty+slack+alertmanager'], 'balanced: the page resolves (keep_firing_for 0), the warning is kept firing'],
    [165, { a: 'ok' }, ['resolve:Warn:a->slack+alertmanager'], 'the posted warning gets its resolve'],
  ], c);
});

test('when the page resolves, a muted warning that still holds is announced; one kept only by keep_firing_for is not', () => {
  const pageUntilWarning: RuleConfig = { ...file.rules[1]!, when: { stat: 'severity', above: 1.5 } };
  const c: EvaluatorContext = { ...ctx, rules: [file.rules[0]!, pageUntilWarning], alertmanagerResendMs: null };
  play([
    [0, { a: 'critical', b: 'critical' }, [], 'pending'],
    [15, { a: 'critical', b: 'critical' }, ['trigger:Page:a->pagerduty+slack+alertmanager', 'trigger:Page:b->pagerduty+slack+alertmanager'], 'pages'],
    [30, { a: 'critical', b: 'critical' }, [], 'warnings fire, muted'],
    [45, { a: 'warning', b: 'ok' }, ['trigger:Warn:a->slack+alertmanager', 'resolve:Page:a->pagerduty+slack+alertmanager', 'resolve:Page:b->pagerduty+slack+alertmanager'],
      'no longer critical: pages resolve; a is still skewed, so its warning is announced now; b\'s is only kept firing: quiet'],
    [60, { a: 'warning', b: 'ok' }, [], 'nothing new'],
    [120, { a: 'warning', b: 'ok' }, [], 'b\'s warning resolves unannounced: no resolve'],
  ], c);
});

test('an alert cannot inhibit itself, nor be inhibited by one matching both sides', () => {
  const both = { source_match: { severity: 'critical' }, target_match: { severity: 'critical' }, equal: ['pool'] };
  const candidates = new Map<string, InhibitionCandidate>([
    ['x', { labels: { alertname: 'X', severity: 'critical', pool: 'a' }, firing: true }],
    ['y', { labels: { alertname: 'Y', severity: 'critical', pool: 'a' }, firing: true }],
  ]);
  assert.deepEqual([...inhibitions(candidates, [both])], [], 'both match both sides: neither is inhibited');
  const pendingSource = new Map<string, InhibitionCandidate>([
    ['p', { labels: { severity: 'critical', pool: 'a' }, firing: false }],
    ['w', { labels: { severity: 'warning', pool: 'a' }, firing: true }],
  ]);
  assert.deepEqual([...inhibitions(pendingSource, file.inhibit_rules)], [], 'a pending source does not inhibit');
});

test('equal labels absent on both sides count as equal; present on one side only, not', () => {
  const rule = { source_match: { severity: 'critical' }, target_match: { severity: 'warning' }, equal: ['cluster'] };
  const c = (labels: Record<string, string>, firing = true): InhibitionCandidate => ({ labels, firing });
  assert.deepEqual([...inhibitions(new Map([['s', c({ severity: 'critical' })], ['t', c({ severity: 'warning' })]]), [rule])], [['t', 's']]);
  assert.deepEqual([...inhibitions(new Map([['s', c({ severity: 'critical', cluster: 'eu' })], ['t', c({ severity: 'warning' })]]), [rule])], []);
  assert.deepEqual([...inhibitions(new Map([['s', c({ severity: 'critical', cluster: 'eu' })], ['t', c({ severity: 'warning', cluster: 'eu' })]]), [rule])], [['t', 's']]);
});

test('without inhibit rules nothing is muted (and no inhibitedBy is recorded)', () => {
  const s = play([
    [0, { a: 'critical' }, [], 'pending'],
    [15, { a: 'critical' }, ['trigger:Page:a->pagerduty+slack+alertmanager'], 'page'],
    [30, { a: 'critical' }, ['trigger:Warn:a->slack+alertmanager'], 'warning posted: no inhibit rules'],
  ], { ...ctx, inhibitRules: [] });
  assert.ok(Object.values(s.alerts).every((a) => (a.inhibitedBy ?? null) === null));
});

test('the default rule set mutes TrafficSkew while the pool pages', () => {
  assert.deepEqual(DEFAULT_RULE_FILE.inhibit_rules, [{ source_match: { severity: 'critical' }, target_match: { alertname: 'TrafficSkew' }, equal: ['pool'] }]);
  const c = defaultContext({ availableSinks: new Set(['slack', 'pagerduty']) });
  let state = INITIAL_EVALUATOR_STATE;
  const kinds: string[] = [];
  for (let t = 0; t <= 120; t += 15) {
    const r = evaluateCycle(state, { now: t * 1000, verdicts: [verdict('be_app', 'critical')], silences: [] }, c);
    kinds.push(...r.notifications.map((p) => `${t}:${p.notification.kind}:${p.notification.ruleId}`));
    state = r.state;
  }
  assert.deepEqual(kinds, ['15:trigger:TrafficSkewCritical'], 'TrafficSkew fires at 60 s, muted');
});
