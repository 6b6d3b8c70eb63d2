import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateCycle, INITIAL_EVALUATOR_STATE, type EvaluatorState, type EvaluatorContext, type PlannedNotification } from '../../../src/core/alerting/evaluator.js';
import { ruleFileSchema, type RuleConfig } from '../../../src/config/rules.js';
import { dedupKey } from '../../../src/core/alerting/dedup.js';
import type { Silence } from '../../../src/core/alerting/rule-match.js';
import type { Severity } from '../../../src/core/types.js';
import { verdict } from '../../fakes/verdict.js';

const rules: RuleConfig[] = ruleFileSchema.parse({
  rules: [
    { id: 'Skew', when: { stat: 'severity', above: 0.5, resolve_below: 0.5 }, for: '30s', severity: 'warning', sinks: ['slack', 'alertmanager'], repeat_interval: '10m' },
    { id: 'Page', when: { stat: 'severity', above: 1.5, resolve_below: 0.5 }, for: '15s', severity: 'critical', sinks: ['pagerduty', 'slack'] },
    { id: 'Blind', when: { stat: 'blind_cycles', above: 2.5, resolve_below: 0.5 }, severity: 'warning', sinks: ['slack'] },
  ],
}).rules;

const ctx: EvaluatorContext = {
  namespace: 'test',
  rules,
  alertmanagerResendMs: 60_000,
  availableSinks: new Set(['slack', 'pagerduty', 'alertmanager']),
};

type Step = [t: number, severity: Severity | 'down', expect: string[]];

/** Runs a timeline; `expect` lists "kind:rule->sinks" for what is enqueued at each step. */
function timeline(steps: Step[], silences: Silence[] = [], start: EvaluatorState = INITIAL_EVALUATOR_STATE) {
  let state = start;
  const all: PlannedNotification[] = [];
  for (const [t, sev, expected] of steps) {
    const input = sev === 'down'
      ? { now: t * 1000, verdicts: null, error: 'connect ECONNREFUSED', silences }
      : { now: t * 1000, verdicts: [verdict('be_app', sev)], silences };
    const r = evaluateCycle(state, input, ctx);
    const got = r.notifications.map((p) => `${p.notification.kind}:${p.notification.ruleId}->${p.sinks.join('+')}`);
    assert.deepEqual(got, expected, `t=${t}s (${sev})`);
    all.push(...r.notifications);
    state = r.state;
  }
  return { state, all };
}

test('one trigger and one resolve per incident, with hysteresis on the page', () => {
  timeline([
    [0, 'ok', []],                                                  // balanced
    [15, 'warning', []],                                            // skew: Skew pending
    [30, 'critical', []],                                           // hot: Page pending (for 15s)
    [45, 'critical', ['trigger:Skew->slack+alertmanager', 'trigger:Page->pagerduty+slack']], // both fire
    [60, 'warning', []],                                            // dip to warning: Page holds (resolve_below 0.5)
    [75, 'critical', []],                                           // still the same incident
    [90, 'ok', ['resolve:Skew->slack+alertmanager', 'resolve:Page->pagerduty+slack']], // balanced: one resolve each
    [105, 'ok', []],                                                // nothing more
  ]);
});

test('no resolve while the source is down; the blind meta-alert speaks instead', () => {
  timeline([
    [0, 'critical', []],
    [15, 'critical', ['trigger:Page->pagerduty+slack']],
    [30, 'critical', ['trigger:Skew->slack+alertmanager']],
    [45, 'down', []],                                     // 1 failed cycle
    [60, 'down', []],                                     // 2
    [75, 'down', ['trigger:Blind->slack']],               // 3: blind fires; Page and Skew hold
    [300, 'down', ['repeat:Skew->alertmanager']],         // long outage: no resolve; Alertmanager re-send keeps it open
    [315, 'critical', ['resolve:Blind->slack']],          // data back: blind resolves, skew alerts still firing
    [330, 'ok', ['resolve:Skew->slack+alertmanager', 'resolve:Page->pagerduty+slack']],
  ]);
});

test('Slack reminders at repeat_interval and Alertmanager re-sends at resend_interval', () => {
  const steps: Step[] = [
    [0, 'warning', []],
    [30, 'warning', ['trigger:Skew->slack+alertmanager']],
    [60, 'warning', []],
    [90, 'warning', ['repeat:Skew->alertmanager']],       // 60s after the trigger
    [150, 'warning', ['repeat:Skew->alertmanager']],
    [630, 'warning', ['repeat:Skew->slack', 'repeat:Skew->alertmanager']], // 10 min after trigger
  ];
  timeline(steps);
});

test('a silence suppresses the trigger; when it ends a firing alert is announced', () => {
  const silence: Silence = { id: 'maint-1', pool: 'be_.*', startsAt: 0, endsAt: 105_000, comment: 'planned', createdBy: 'test' };
  timeline(
    [
      [0, 'warning', []],
      [30, 'warning', []],        // would fire: silenced
      [60, 'ok', []],              // resolves silently: no resolve for an unannounced alert
      [70, 'warning', []],
      [100, 'warning', []],        // fires, still silenced until 105s
      [110, 'warning', ['trigger:Skew->slack+alertmanager']], // silence over: announced now
    ],
    [silence],
  );
});

test('rules sending to unconfigured sinks skip them', () => {
  const r = evaluateCycle(INITIAL_EVALUATOR_STATE, { now: 0, verdicts: [verdict('p', 'critical')], silences: [] }, { ...ctx, availableSinks: new Set(['slack']), rules: [{ ...rules[1]!, for: 0 }] });
  assert.deepEqual(r.notifications.map((n) => n.sinks), [['slack']]);
});

test('dedup keys are stable across restarts and replicas, distinct across rules, pools and namespaces', () => {
  const r = evaluateCycle(INITIAL_EVALUATOR_STATE, { now: 0, verdicts: [verdict('be_app', 'critical')], silences: [] }, { ...ctx, rules: [{ ...rules[1]!, for: 0 }] });
  const key = r.notifications[0]!.notification.dedupKey;
  assert.equal(key, dedupKey('test', 'Page', 'be_app'));
  assert.match(key, /^[0-9a-f]{32}$/);
  assert.notEqual(key, dedupKey('test', 'Skew', 'be_app'));
  assert.notEqual(key, dedupKey('test', 'Page', 'be_api'));
  assert.notEqual(key, dedupKey('prod', 'Page', 'be_app'));
});

test('state survives a JSON round trip mid-incident (restart) without a second trigger', () => {
  const { state } = timeline([
    [0, 'critical', []],
    [15, 'critical', ['trigger:Page->pagerduty+slack']],
  ]);
  const restored = JSON.parse(JSON.stringify(state)) as EvaluatorState;
  timeline([
    [30, 'critical', ['trigger:Skew->slack+alertmanager']], // Skew's own for: 30s elapses now
    [45, 'critical', []],                                   // Page: no second trigger after the restart
    [60, 'ok', ['resolve:Skew->slack+alertmanager', 'resolve:Page->pagerduty+slack']],
  ], [], restored);
});

test('pool matchers and overrides', () => {
  const [rule] = ruleFileSchema.parse({
    rules: [{
      id: 'R', when: { stat: 'severity', above: 0.5 }, severity: 'warning', sinks: ['slack'], for: '1m',
      match: { pool: 'be_.*' },
      overrides: [{ match: { pool: 'be_fast' }, for: '0s', sinks: ['pagerduty'] }],
    }],
  }).rules;
  const r = evaluateCycle(INITIAL_EVALUATOR_STATE, {
    now: 0, silences: [],
    verdicts: [verdict('be_fast', 'warning'), verdict('be_slow', 'warning'), verdict('other', 'warning')],
  }, { ...ctx, rules: [rule!] });
  assert.deepEqual(r.notifications.map((n) => [n.notification.pool, n.sinks]), [['be_fast', ['pagerduty']]]);
  assert.deepEqual(Object.values(r.state.alerts).map((a) => `${a.pool}:${a.state.phase}`).sort(), ['be_fast:firing', 'be_slow:pending']);
});
