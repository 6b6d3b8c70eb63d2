import { test } from 'node:test';
import assert from 'node:assert/strict';
import { step, INITIAL_ALERT_STATE, type AlertState, type AlertPhase, type LifecycleEvent } from '../../../src/core/alerting/lifecycle.js';

type Row = [t: number, input: boolean | null, phase: AlertPhase, event: LifecycleEvent, why: string];

function run(rows: Row[], timing = { forMs: 30_000, keepFiringForMs: 0 }) {
  let state: AlertState = INITIAL_ALERT_STATE;
  for (const [t, input, phase, event, why] of rows) {
    const r = step(state, input, t * 1000, timing);
    assert.equal(r.state.phase, phase, `t=${t}s ${why}: phase`);
    assert.equal(r.event, event, `t=${t}s ${why}: event`);
    state = r.state;
  }
  return state;
}

test('inactive -> pending -> firing -> resolved with for: 30s', () => {
  run([
    [0, false, 'inactive', null, 'balanced'],
    [10, true, 'pending', null, 'skew starts: pending'],
    [20, true, 'pending', null, 'held 10s < for'],
    [40, true, 'firing', 'fire', 'held 30s = for: fires once'],
    [50, true, 'firing', null, 'still firing: no second fire'],
    [60, false, 'resolved', 'resolve', 'balanced again: resolves once'],
    [70, false, 'resolved', null, 'stays resolved, no second resolve'],
  ]);
});

test('a blip shorter than `for` never fires (flap damping)', () => {
  run([
    [0, true, 'pending', null, 'blip starts'],
    [15, false, 'inactive', null, 'blip over before for: back to inactive'],
    [20, true, 'pending', null, 'new blip restarts the for timer'],
    [45, true, 'pending', null, '25s since restart < 30s'],
    [50, true, 'firing', 'fire', '30s since restart'],
  ]);
});

test('missing data never resolves and never advances pending', () => {
  run([
    [0, true, 'pending', null, 'skew'],
    [20, null, 'pending', null, 'source down: pending holds'],
    [40, null, 'pending', null, 'still down: does not fire on no data'],
    [45, true, 'firing', 'fire', 'data back and still skewed: held since t=0'],
    [60, null, 'firing', null, 'source down while firing: holds'],
    [600, null, 'firing', null, 'down for 10 minutes: still holds, no resolve'],
    [610, false, 'resolved', 'resolve', 'data back and balanced: now resolves'],
  ]);
});

test('keep_firing_for holds a firing alert through short dips', () => {
  run(
    [
      [0, true, 'firing', 'fire', 'for: 0 fires at once'],
      [10, false, 'firing', null, 'dip: kept firing (10s < 60s)'],
      [20, true, 'firing', null, 'back: still the same episode'],
      [50, false, 'firing', null, 'dip again: 30s since last held'],
      [79, false, 'firing', null, '59s since last held'],
      [80, false, 'resolved', 'resolve', '60s since last held: resolves'],
      [90, true, 'firing', 'fire', 'a new episode fires again'],
    ],
    { forMs: 0, keepFiringForMs: 60_000 },
  );
});

test('missingSince is recorded and cleared', () => {
  let s = step(INITIAL_ALERT_STATE, true, 0, { forMs: 0, keepFiringForMs: 0 }).state;
  s = step(s, null, 5000, { forMs: 0, keepFiringForMs: 0 }).state;
  s = step(s, null, 9000, { forMs: 0, keepFiringForMs: 0 }).state;
  assert.equal(s.missingSince, 5000);
  s = step(s, true, 12000, { forMs: 0, keepFiringForMs: 0 }).state;
  assert.equal(s.missingSince, null);
  assert.equal(s.lastEvalAt, 12000);
});
