import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalScheduler } from '../../src/app/scheduler.js';
import { FakeClock } from '../fakes/clock.js';

test('ticks at start + k*interval, without drift, even when runs take time', async () => {
  const clock = new FakeClock(0);
  const ticks: number[] = [];
  const s = new IntervalScheduler(1000, async (at) => { ticks.push(at); await clock.sleep(300); }, clock);
  s.start();
  await clock.advance(3500);
  assert.deepEqual(ticks, [0, 1000, 2000, 3000]);
  assert.equal(s.busy, false, "the run at 3000 finished at 3300");
  assert.equal(await s.stop(1000), true);
});

test('a slow run is never piled up: overlapping ticks are skipped and counted', async () => {
  const clock = new FakeClock(0);
  const ticks: number[] = [];
  const skipped: number[] = [];
  const s = new IntervalScheduler(1000, async (at) => { ticks.push(at); await clock.sleep(2500); }, clock, { onSkip: (at) => skipped.push(at) });
  s.start();
  await clock.advance(6000);
  assert.deepEqual(ticks, [0, 3000, 6000]);
  assert.deepEqual(skipped, [1000, 2000, 4000, 5000]);
  await s.stop(0);
});

test('errors in a run are reported and the schedule continues', async () => {
  const clock = new FakeClock(0);
  const errors: unknown[] = [];
  let n = 0;
  const s = new IntervalScheduler(1000, async () => { n++; if (n === 1) throw new Error('boom'); }, clock, { onError: (e) => errors.push(e) });
  s.start();
  await clock.advance(2000);
  assert.equal(n, 3);
  assert.equal(errors.length, 1);
  await s.stop(0);
});

test('stop waits for the run in flight up to the deadline', async () => {
  const clock = new FakeClock(0);
  let finished = false;
  const s = new IntervalScheduler(1000, async () => { await new Promise((r) => setTimeout(r, 20)); finished = true; }, clock);
  s.start();
  await clock.advance(0);
  assert.equal(await s.stop(5000), true);
  assert.equal(finished, true);
});
