// Issue 11 item 13: orphaned alerts (the rule removed, the pool gone) are
// closed with a resolve that says why, never as "recovered"; a pool missing
// while the source fails (or reports nothing) is blindness and holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateCycle, INITIAL_EVALUATOR_STATE, type EvaluatorContext, type EvaluatorState, type PlannedNotification } from '../../../src/core/alerting/evaluator.js';
import { ruleFileSchema, type RuleConfig } from '../../../src/config/rules.js';
import type { Severity } from '../../../src/core/types.js';
import { verdict } from '../../fakes/verdict.js';

const rules: RuleConfig[] = ruleFileSchema.parse({
  rules: [
    { id: 'Page', when: { stat: 'severity', above: 1.5, resolve_below: 0.5 }, for: '15s', severity: 'critical', sinks: ['pagerduty', 'slack'] },
    { id: 'Blind', when: { stat: 'blind_cycles', above: 2.5, resolve_below: 0.5 }, severity: 'warning', sinks: ['slack'] },
  ],
}).rules;
const ctx: EvaluatorContext = { namespace: 'test', rules, alertmanagerResendMs: null, availableSinks: new Set(['slack', 'pagerduty']), vanishedPoolGraceMs: 15 * 60_000 };

/** Pools and their severity; null = the source failed. */
type Row = [t: number, pools: Record<string, Severity> | null, expected: string[], why: string];

function play(rows: Row[], c: EvaluatorContext = ctx, start: EvaluatorState = INITIAL_EVALUATOR_STATE) {
  let state = start;
  const all: PlannedNotification[] = [];
  for (const [t, pools, expected, why] of rows) {
    const verdicts = pools === null ? null : Object.entries(pools).map(([p, sev]) => verdict(p, sev));
    const r = evaluateCycle(state, { now: t * 1000, verdicts, ...(pools === null ? { error: 'timeout' } : {}), silences: [] }, c);
    const got = r.notifications.map((p) => `${p.notification.kind}:${p.notification.ruleId}:${p.notification.pool}`);
    assert.deepEqual(got, expected, `t=${t}s ${why}`);
    all.push(...r.notifications);
    state = r.state;
  }
  return { state, all };
}

const firingOnA = () => play([
  [0, { a: 'critical', b: 'ok' }, [], 'a pending'],
  [15, { a: 'critical', b: 'ok' }, ['trigger:Page:a'], 'a pages'],
]).state;

test('a rule removed from the config closes its firing alert at once, saying so', () => {
  const { state, all } = play([
    [30, { a: 'critical', b: 'ok' }, ['resolve:Page:a'], 'reloaded without the rule: closed on the first evaluation'],
    [45, { a: 'critical', b: 'ok' }, [], 'and forgotten'],
  ], { ...ctx, rules: [rules[1]!] }, firingOnA());
  const n = all[0]!.notification;
  assert.equal(n.resolution, 'rule-removed');
  assert.match(n.summary, /rule was removed from the configuration/);
  assert.match(n.summary, /not a recovery/);
  assert.deepEqual(all[0]!.sinks, ['pagerduty', 'slack'], 'to the sinks that got the trigger');
  assert.deepEqual(Object.keys(state.alerts), []);
});

test('a rule that no longer matches the pool closes its alert the same way', () => {
  const narrowed: RuleConfig = { ...rules[0]!, match: { pool: 'b' } };
  const { all } = play([[30, { a: 'critical', b: 'ok' }, ['resolve:Page:a'], 'match changed to pool b only']], { ...ctx, rules: [narrowed, rules[1]!] }, firingOnA());
  assert.equal(all[0]!.notification.resolution, 'rule-removed');
});

test('a removed rule on a pool that also vanished is closed, not silently forgotten', () => {
  const { all } = play([[30, { b: 'ok' }, ['resolve:Page:a'], 'rule and pool gone together']], { ...ctx, rules: [rules[1]!] }, firingOnA());
  assert.equal(all[0]!.notification.resolution, 'rule-removed');
});

test('a removed meta-alert rule closes its alert too', () => {
  let state = INITIAL_EVALUATOR_STATE;
  for (let t = 0; t <= 30; t += 15) state = evaluateCycle(state, { now: t * 1000, verdicts: null, silences: [] }, ctx).state;
  const r = evaluateCycle(state, { now: 45_000, verdicts: null, silences: [] }, { ...ctx, rules: [rules[0]!] });
  assert.deepEqual(r.notifications.map((p) => `${p.notification.kind}:${p.notification.ruleId}:${p.notification.resolution}`), ['resolve:Blind:rule-removed']);
});

test('a pool gone for the grace period (source working) is closed as "no longer reported", never as recovered', () => {
  const rows: Row[] = [];
  for (let t = 30; t < 30 + 900; t += 15) rows.push([t, { b: 'ok' }, [], 'a not reported, b is: holding within the grace period']);
  rows.push([930, { b: 'ok' }, ['resolve:Page:a'], '15 min without a: closed']);
  rows.push([945, { b: 'ok' }, [], 'forgotten']);
  const { state, all } = play(rows, ctx, firingOnA());
  const n = all[0]!.notification;
  assert.equal(n.resolution, 'pool-vanished');
  assert.match(n.summary, /pool a is no longer reported by the source/);
  assert.doesNotMatch(n.summary, /recovered|back to|balanced/);
  assert.deepEqual(Object.keys(state.alerts), []);
});

test('a pool missing while the source fails is blindness: it holds, and the grace starts when the source is back', () => {
  const rows: Row[] = [];
  for (let t = 30; t <= 1800; t += 15) rows.push([t, null, t === 60 ? ['trigger:Blind:(source)'] : [], 'source failing for 30 min: hold']);
  rows.push([1815, { b: 'ok' }, ['resolve:Blind:(source)'], 'source back without a: the grace starts now']);
  for (let t = 1830; t < 1815 + 900; t += 15) rows.push([t, { b: 'ok' }, [], 'within the grace']);
  rows.push([2715, { b: 'ok' }, ['resolve:Page:a'], '15 min of a working source without a']);
  play(rows, ctx, firingOnA());
});

test('a source that reports no pool at all is blindness, not every pool vanishing', () => {
  const rows: Row[] = [];
  for (let t = 30; t <= 3600; t += 15) rows.push([t, {}, [], 'zero pools (wrong matchers, broken exporter): hold']);
  const { state } = play(rows, ctx, firingOnA());
  assert.equal(Object.values(state.alerts).find((a) => a.ruleId === 'Page')?.state.phase, 'firing');
});

test('a pool back within the grace period continues its episode: no second page, no resolve', () => {
  play([
    [30, { b: 'ok' }, [], 'a gone'],
    [600, { b: 'ok' }, [], '9.5 min'],
    [615, { a: 'critical', b: 'ok' }, [], 'a back, still critical: same episode'],
    [630, { b: 'ok' }, [], 'gone again: the grace starts over'],
    [1515, { b: 'ok' }, [], '14.75 min since it left again'],
    [1530, { b: 'ok' }, ['resolve:Page:a'], '15 min'],
  ], ctx, firingOnA());
});

test('pending alerts of a vanished pool are forgotten after the grace period, without a word', () => {
  const { state } = play([
    [0, { a: 'critical', b: 'ok' }, [], 'a pending'],
    [15, { b: 'ok' }, [], 'a gone while pending'],
    [915, { b: 'ok' }, [], 'grace over: dropped silently (it was never announced)'],
  ]);
  assert.deepEqual(Object.keys(state.alerts), []);
});
