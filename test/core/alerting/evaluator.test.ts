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

// Issue 10 item 3: before, resolve_below kept the pending page alive through
// warnings, so one critical verdict followed by warnings fired it.
test('hysteresis does not apply while pending: one critical verdict then warnings never pages', () => {
  timeline([
    [0, 'critical', []],                          // Page pending (for 15s), Skew pending (for 30s)
    [15, 'warning', []],                          // not critical: Page back to inactive, not held by resolve_below
    [30, 'warning', ['trigger:Skew->slack+alertmanager']], // the warning rule fires on its own terms
    [45, 'warning', []],                          // still no page
    [60, 'critical', []],                         // critical again: Page pending from now
    [75, 'critical', ['trigger:Page->pagerduty+slack']], // 15 s of critical: pages
    [90, 'warning', ['repeat:Skew->alertmanager']], // firing now: hysteresis holds the page through a warning (Skew's Alertmanager re-send)
  ]);
});

// Issue 10 item 8 (rule side): a verdict marked dataGap is missing data.
test('a data-gap verdict holds every alert: no resolve, no new page when data returns', () => {
  const gap = (t: number) => ({ now: t * 1000, verdicts: [verdict('be_app', 'ok', { dataGap: true, explanation: 'no usable request rates' })], silences: [] });
  const { state } = timeline([
    [0, 'critical', []],
    [15, 'critical', ['trigger:Page->pagerduty+slack']],
  ]);
  let s = state;
  for (let t = 30; t <= 300; t += 15) {
    const r = evaluateCycle(s, gap(t), ctx);
    assert.deepEqual(r.notifications, [], `t=${t}s data gap`);
    s = r.state;
  }
  const page = Object.values(s.alerts).find((a) => a.ruleId === 'Page')!;
  assert.equal(page.state.phase, 'firing');
  assert.equal(page.lastVerdict?.dataGap, undefined, 'messages keep the last verdict with data');
  timeline([
    [315, 'critical', ['trigger:Skew->slack+alertmanager']], // Skew's for: 30s, blind time not counted
    [330, 'ok', ['resolve:Skew->slack+alertmanager', 'resolve:Page->pagerduty+slack']],
  ], [], s);
});

// Issue 10 item 9, through the evaluator: the state file of a daemon that was
// down 2 h holds a pending page; restored, it must not fire at once.
test('a pending page restored after 2 h down waits its for again (outage tolerance, interval known)', () => {
  const withInterval: EvaluatorContext = { ...ctx, intervalMs: 15_000 };
  let state = evaluateCycle(INITIAL_EVALUATOR_STATE, { now: 0, verdicts: [verdict('be_app', 'critical')], silences: [] }, withInterval).state;
  state = JSON.parse(JSON.stringify(state)) as EvaluatorState; // saved, daemon down for 2 h
  const rows: [number, string[]][] = [
    [7200, []],                        // first evaluation after the restart: pending again, no page
    [7215, ['trigger:Page']],          // 15 s of critical since the restart
  ];
  for (const [t, expected] of rows) {
    const r = evaluateCycle(state, { now: t * 1000, verdicts: [verdict('be_app', 'critical')], silences: [] }, withInterval);
    assert.deepEqual(r.notifications.map((p) => `${p.notification.kind}:${p.notification.ruleId}`), expected, `t=${t}s`);
    state = r.state;
  }
});

test('the outage tolerance comes from the context', () => {
  const tolerant: EvaluatorContext = { ...ctx, intervalMs: 15_000, forOutageToleranceMs: 3 * 3_600_000 };
  const s0 = evaluateCycle(INITIAL_EVALUATOR_STATE, { now: 0, verdicts: [verdict('be_app', 'critical')], silences: [] }, tolerant).state;
  const r = evaluateCycle(s0, { now: 7_215_000, verdicts: [verdict('be_app', 'critical')], silences: [] }, tolerant);
  // 2 h < 3 h tolerance: pending kept, the downtime not counted: 15 s held -> fires.
  assert.deepEqual(r.notifications.map((p) => p.notification.ruleId), ['Page']);
});

test('an alert whose silence ends during keep_firing_for is not announced late', () => {
  const [page] = ruleFileSchema.parse({ rules: [{ id: 'Page', when: { stat: 'severity', above: 1.5 }, for: '0s', keep_firing_for: '2m', severity: 'critical', sinks: ['pagerduty'] }] }).rules;
  const silence: Silence = { id: 's', startsAt: 0, endsAt: 40_000, comment: '', createdBy: 'test' };
  let state = INITIAL_EVALUATOR_STATE;
  const rows: [number, Severity, string[]][] = [
    [0, 'critical', []],   // fires, silenced
    [15, 'critical', []],  // silenced
    [30, 'ok', []],        // condition over: kept firing by keep_firing_for
    [45, 'ok', []],        // silence over, still kept firing: no late page about something over
    [150, 'ok', []],       // resolves unannounced: no resolve either
  ];
  for (const [t, sev, expected] of rows) {
    const r = evaluateCycle(state, { now: t * 1000, verdicts: [verdict('be_app', sev)], silences: [silence] }, { ...ctx, rules: [page!] });
    assert.deepEqual(r.notifications.map((p) => p.notification.kind), expected, `t=${t}s`);
    state = r.state;
  }
});

test('a resolve goes to the sinks that got the trigger, even after a reload changed the rule\'s sinks', () => {
  const { state } = timeline([
    [0, 'critical', []],
    [15, 'critical', ['trigger:Page->pagerduty+slack']],
  ]);
  const slackOnly: EvaluatorContext = { ...ctx, rules: ctx.rules.map((r) => (r.id === 'Page' ? { ...r, sinks: ['slack'] } : r)) };
  const r = evaluateCycle(state, { now: 30_000, verdicts: [verdict('be_app', 'ok')], silences: [] }, slackOnly);
  const resolve = r.notifications.find((p) => p.notification.ruleId === 'Page');
  assert.deepEqual(resolve?.sinks, ['pagerduty', 'slack'], 'the PagerDuty incident is closed, not left open');
});
