import { test } from 'node:test';
import assert from 'node:assert/strict';
import { step, hysteresisApplies, INITIAL_ALERT_STATE, type AlertState, type AlertPhase, type LifecycleEvent, type LifecycleTiming } from '../../../src/core/alerting/lifecycle.js';

type Row = [t: number, input: boolean | null, phase: AlertPhase, event: LifecycleEvent, why: string];

function run(rows: Row[], timing: LifecycleTiming = { forMs: 30_000, keepFiringForMs: 0 }, start: AlertState = INITIAL_ALERT_STATE) {
  let state: AlertState = start;
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
    [45, true, 'pending', null, 'data back, still skewed: 25 s blind do not count, held 20 s of 30'],
    [60, null, 'pending', null, 'down again'],
    [70, true, 'firing', 'fire', 'held 20 + 10 s with data (10 s blind again)'],
    [80, null, 'firing', null, 'source down while firing: holds'],
    [600, null, 'firing', null, 'down for 10 minutes: still holds, no resolve'],
    [610, false, 'resolved', 'resolve', 'data back and balanced: now resolves'],
  ]);
});

// Issue 10 item 9: Prometheus' `for` counts evaluations that saw the
// condition; an outage in between is not evidence that it held.
test('time without data does not count toward for', () => {
  run([
    [0, true, 'pending', null, 'skew seen'],
    [15, null, 'pending', null, 'source fails'],
    [30, null, 'pending', null, 'still failing: 30 s since t=0 would have fired'],
    [45, true, 'pending', null, 'data back: 30 s blind, held 15 s'],
    [60, true, 'firing', 'fire', 'held 30 s with data'],
  ]);
});

// Issue 10 item 9: the daemon was down 2 h with a pending alert in its state
// file. Restored, that alert must not fire on the first evaluation: beyond
// the outage tolerance (1 h, Prometheus' --rules.alert.for-outage-tolerance)
// the pending state is discarded and `for` starts again.
test('a pending state restored after 2 h down starts over (outage tolerance)', () => {
  const H = 3600;
  run(
    [
      [0, true, 'pending', null, 'skew seen'],
      [15, true, 'pending', null, 'held 15 s; the daemon stops after this cycle'],
      [15 + 2 * H, true, 'pending', null, 'restarted 2 h later: pending again from now, no fire'],
      [30 + 2 * H, true, 'pending', null, 'held 15 s since the restart'],
      [45 + 2 * H, true, 'firing', 'fire', 'held 30 s since the restart'],
    ],
    { forMs: 30_000, keepFiringForMs: 0, intervalMs: 15_000 },
  );
});

test('a pending state restored after a short restart keeps its progress, not the downtime', () => {
  run(
    [
      [0, true, 'pending', null, 'skew seen'],
      [15, true, 'pending', null, 'held 15 s; the daemon stops'],
      [615, true, 'pending', null, 'back after 10 min (< 1 h tolerance): all but one interval blind, held 30 s of 45'],
      [630, true, 'firing', 'fire', 'held 45 s with data'],
    ],
    { forMs: 45_000, keepFiringForMs: 0, intervalMs: 15_000 },
  );
});

test('the outage tolerance is configurable and counts cycles without data too', () => {
  run(
    [
      [0, true, 'pending', null, 'skew seen'],
      [15, true, 'pending', null, 'held 15 s'],
      [30, null, 'pending', null, 'source fails'],
      [100, null, 'pending', null, '70 s without data'],
      [105, true, 'pending', null, 'back after 75 s blind > 60 s tolerance: pending starts over'],
      [120, true, 'pending', null, 'held 15 s since'],
      [135, true, 'firing', 'fire', 'held 30 s since'],
    ],
    { forMs: 30_000, keepFiringForMs: 0, intervalMs: 15_000, outageToleranceMs: 60_000 },
  );
});

test('evaluations jittering around the interval lose no pending time', () => {
  run(
    [
      [0, true, 'pending', null, 'skew seen'],
      [15.4, true, 'pending', null, '15.4 s later (late cycle)'],
      [30, true, 'firing', 'fire', 'held 30 s: no jitter counted as blind'],
    ],
    { forMs: 30_000, keepFiringForMs: 0, intervalMs: 15_000 },
  );
});

test('keep_firing_for holds a firing alert through short dips', () => {
  run(
    [
      [0, true, 'firing', 'fire', 'for: 0 fires at once'],
      [10, false, 'firing', null, 'dip: kept firing (keep_firing_for runs from t=10)'],
      [20, true, 'firing', null, 'back: still the same episode, the dip is forgotten'],
      [50, false, 'firing', null, 'dip again: keep_firing_for runs from t=50'],
      [109, false, 'firing', null, '59 s since the condition stopped holding'],
      [110, false, 'resolved', 'resolve', '60 s since the first non-holding evaluation: resolves'],
      [120, true, 'firing', 'fire', 'a new episode fires again'],
    ],
    { forMs: 0, keepFiringForMs: 60_000 },
  );
});

// Issue 10 item 9: Prometheus measures keep_firing_for from KeepFiringSince,
// the first evaluation at which the condition was absent (rules/alerting.go),
// not from the last evaluation at which it held.
test('keep_firing_for runs from the first non-holding evaluation, not the last holding one', () => {
  run(
    [
      [0, true, 'firing', 'fire', 'fires'],
      [15, true, 'firing', null, 'last evaluation that holds'],
      [30, false, 'firing', null, 'first that does not: keep_firing_for starts here'],
      [75, false, 'firing', null, '60 s after the last holding one, 45 s after the first non-holding: still firing'],
      [90, false, 'resolved', 'resolve', '60 s after the first non-holding evaluation'],
    ],
    { forMs: 0, keepFiringForMs: 60_000 },
  );
});

test('keep_firing_for does not run down without data', () => {
  run(
    [
      [0, true, 'firing', 'fire', 'fires'],
      [15, false, 'firing', null, 'stops holding: keep_firing_for starts'],
      [30, null, 'firing', null, 'source fails'],
      [300, null, 'firing', null, 'still failing'],
      [315, false, 'firing', null, 'data back: 285 s blind do not count, 15 s of 60 used'],
      [345, false, 'firing', null, '45 s used'],
      [360, false, 'resolved', 'resolve', '60 s of data without the condition'],
    ],
    { forMs: 0, keepFiringForMs: 60_000 },
  );
});

test('keep_firing_for 0 resolves at the first evaluation that does not hold', () => {
  run([
    [0, true, 'firing', 'fire', 'fires'],
    [15, false, 'resolved', 'resolve', 'resolves at once'],
  ], { forMs: 0, keepFiringForMs: 0 });
});

// Issue 10 item 3: hysteresis (the hold threshold) applies only once firing.
test('hysteresis applies only while firing, never while pending', () => {
  const pending = step(INITIAL_ALERT_STATE, true, 0, { forMs: 30_000, keepFiringForMs: 0 }).state;
  assert.equal(pending.phase, 'pending');
  assert.equal(hysteresisApplies(pending), false);
  const firing = step(pending, true, 30_000, { forMs: 30_000, keepFiringForMs: 0 }).state;
  assert.equal(firing.phase, 'firing');
  assert.equal(hysteresisApplies(firing), true);
  assert.equal(hysteresisApplies(INITIAL_ALERT_STATE), false);
});

test('a state restored from a file without keepFiringSince behaves as before it existed', () => {
  const old = { phase: 'firing', activeAt: 0, firedAt: 0, resolvedAt: null, lastHeldAt: 0, lastEvalAt: 0, missingSince: null } as AlertState;
  run([
    [15, false, 'firing', null, 'stops holding: keep_firing_for starts now'],
    [75, false, 'resolved', 'resolve', '60 s later'],
  ], { forMs: 0, keepFiringForMs: 60_000 }, old);
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
