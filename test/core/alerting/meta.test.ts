// Issue 11 items 1 and 2: source-level meta-alerts. Partially blind (a
// configured signal missing) and zero pools alert once, hold while the
// source is down (no data is not recovery), and resolve when seen again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateCycle, INITIAL_EVALUATOR_STATE, type EvaluatorContext, type EvaluatorState, type PlannedNotification } from '../../../src/core/alerting/evaluator.js';
import { ruleFileSchema } from '../../../src/config/rules.js';
import { sourceStatValue, sourceSummary } from '../../../src/core/alerting/meta.js';
import { verdict } from '../../fakes/verdict.js';

const ctx: EvaluatorContext = {
  namespace: 'test',
  rules: ruleFileSchema.parse({
    rules: [
      { id: 'SignalMissing', when: { stat: 'signals_missing', above: 0.5, resolve_below: 0.5 }, for: '30s', severity: 'warning', sinks: ['slack'] },
      { id: 'NoPools', when: { stat: 'pool_count', below: 0.5, resolve_above: 0.5 }, for: '15s', severity: 'warning', sinks: ['slack'] },
    ],
  }).rules,
  alertmanagerResendMs: null,
  availableSinks: new Set(['slack']),
};

type Seen = 'ok' | 'cpu-missing' | 'no-pools' | 'down';
function run(steps: Array<[t: number, seen: Seen, expect: string[]]>) {
  let state: EvaluatorState = INITIAL_EVALUATOR_STATE;
  const all: PlannedNotification[] = [];
  for (const [t, seen, expected] of steps) {
    const input = seen === 'down'
      ? { now: t * 1000, verdicts: null, error: 'ECONNREFUSED', silences: [] }
      : { now: t * 1000, verdicts: seen === 'no-pools' ? [] : [verdict('be_app', 'ok')], silences: [], missingSignals: seen === 'cpu-missing' ? ['source.queries.cpu'] : [] };
    const r = evaluateCycle(state, input, ctx);
    assert.deepEqual(r.notifications.map((p) => `${p.notification.kind}:${p.notification.ruleId}`), expected, `t=${t}s (${seen})`);
    all.push(...r.notifications);
    state = r.state;
  }
  return all;
}

test('a missing signal pages once after `for`, holds while the source is down, resolves when it is back', () => {
  const sent = run([
    [0, 'cpu-missing', []],
    [15, 'cpu-missing', []],
    [30, 'cpu-missing', ['trigger:SignalMissing']],
    [45, 'down', []],           // no data: hold, never resolve
    [60, 'down', []],
    [75, 'cpu-missing', []],
    [90, 'ok', ['resolve:SignalMissing']],
    [105, 'ok', []],
  ]);
  assert.match(sent[0]!.notification.summary, /partially blind: source\.queries\.cpu returned nothing usable/);
});

test('zero pools alerts (from the start or after pools were seen); a failing source is not zero pools', () => {
  run([
    [0, 'no-pools', []],
    [15, 'no-pools', ['trigger:NoPools']],
    [30, 'ok', ['resolve:NoPools']],
    [45, 'down', []],            // blind is not "no pools": the blind rule speaks for that
    [60, 'down', []],
    [75, 'no-pools', []],
    [90, 'no-pools', ['trigger:NoPools']],
    [105, 'down', []],           // hold
    [120, 'ok', ['resolve:NoPools']],
  ]);
});

test('source statistic values: null (no data) while blind', () => {
  const blind = { blindCycles: 3, poolCount: null, missingSignals: null, lastError: 'x' };
  assert.equal(sourceStatValue('blind_cycles', blind), 3);
  assert.equal(sourceStatValue('pool_count', blind), null);
  assert.equal(sourceStatValue('signals_missing', blind), null);
  const seen = { blindCycles: 0, poolCount: 4, missingSignals: ['source.queries.cpu', 'preset haproxy (weight)'], lastError: null };
  assert.equal(sourceStatValue('pool_count', seen), 4);
  assert.equal(sourceStatValue('signals_missing', seen), 2);
  assert.match(sourceSummary('pool_count', 'NoPools', { ...seen, poolCount: 0 }), /finds no pools: check source\.matchers/);
});

test('a verdict with backends whose rates are unusable (NaN/Inf) can fire but never resolve', () => {
  const rules = ruleFileSchema.parse({ rules: [{ id: 'Page', when: { stat: 'severity', above: 1.5, resolve_below: 0.5 }, for: '0s', severity: 'critical', sinks: ['slack'] }] }).rules;
  const c = { ...ctx, rules };
  let state: EvaluatorState = INITIAL_EVALUATOR_STATE;
  const step = (t: number, v: ReturnType<typeof verdict>) => {
    const r = evaluateCycle(state, { now: t * 1000, verdicts: [v], silences: [] }, c);
    state = r.state;
    return r.notifications.map((p) => p.notification.kind);
  };
  assert.deepEqual(step(0, verdict('be_app', 'critical')), ['trigger']);
  // The hot backend's rate turned NaN: the rest looks balanced. Not a recovery.
  assert.deepEqual(step(15, { ...verdict('be_app', 'ok'), missing: ['s1'] }), []);
  assert.deepEqual(step(30, { ...verdict('be_app', 'ok'), dataGap: true }), []);
  assert.equal(Object.values(state.alerts)[0]!.state.phase, 'firing');
  assert.deepEqual(step(45, verdict('be_app', 'ok')), ['resolve']);
  // And a gap does not stop a real skew among the valid backends from paging.
  assert.deepEqual(step(60, { ...verdict('be_app', 'critical'), missing: ['s3'] }), ['trigger']);
});
