import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changesBefore, describeChange, EMPTY_CHANGE_LOG, restoreChangeLog, trackChanges, type ChangeLog } from '../../../src/core/changes/changes.js';
import type { BackendSample, Snapshot } from '../../../src/core/types.js';

const T0 = Date.UTC(2026, 11, 1, 12, 3, 4);
function snap(at: number, backends: Partial<BackendSample>[], pool = 'be_app'): Snapshot {
  return { at, pools: [{ pool, labels: { proxy: pool }, windowSeconds: 60, backends: backends.map((b, i) => ({ backend: `s${i + 1}`, rate: 1, health: 'up', weight: 1, ...b })) }] };
}
function run(snaps: Snapshot[], log: ChangeLog = EMPTY_CHANGE_LOG) {
  const fresh = [];
  for (const s of snaps) {
    const r = trackChanges(log, s);
    log = r.log;
    fresh.push(...r.fresh);
  }
  return { log, fresh };
}

test('first sight of a pool is not a change; a weight step is, with its time and signal', () => {
  const { log, fresh } = run([snap(T0 - 15_000, [{}, {}, {}, {}]), snap(T0, [{ weight: 256 }, {}, {}, {}])]);
  assert.equal(fresh.length, 1);
  assert.deepEqual(log.changes.map((c) => [c.backend, c.kind, c.from, c.to, c.signal, c.at]), [['s1', 'weight', '1', '256', 'weight', T0]]);
  assert.equal(describeChange(log.changes[0]!, T0 + 41_000), "s1's weight changed 1 → 256 at 12:03:04 UTC (41 s before)");
});

test('an averaged weight ramp over the rate window is one change, first value to last', () => {
  const ramp = [1, 64.75, 128.5, 192.25, 256, 256];
  const { log, fresh } = run(ramp.map((w, i) => snap(T0 + i * 15_000, [{ weight: w }, {}, {}])));
  assert.equal(fresh.length, 1);
  assert.deepEqual(log.changes.map((c) => [c.from, c.to, c.at]), [['1', '256', T0 + 15_000]]);
});

test('a step back within the window is a change of its own (someone reverted)', () => {
  const { log } = run([snap(T0, [{}, {}]), snap(T0 + 15_000, [{ weight: 256 }, {}]), snap(T0 + 30_000, [{ weight: 1 }, {}])]);
  assert.deepEqual(log.changes.map((c) => `${c.from}->${c.to}`), ['1->256', '256->1']);
});

test('state changes, joins and leaves, with the pool size after', () => {
  const { log } = run([
    snap(T0, [{}, {}, {}]),
    snap(T0 + 15_000, [{}, { health: 'maint' }, {}]),
    snap(T0 + 30_000, [{}, { health: 'maint' }, {}, {}]),
    snap(T0 + 45_000, [{}, { health: 'maint' }]),
  ]);
  assert.deepEqual(log.changes.map((c) => describeChange(c)), [
    's2 went UP → MAINT at 12:03:19 UTC',
    's4 joined the pool (UP, now 4 backends) at 12:03:34 UTC',
    's3 left the pool (now 2 backends) at 12:03:49 UTC',
    's4 left the pool (now 2 backends) at 12:03:49 UTC',
  ]);
});

test('a pool missing for a cycle (source hiccup) is not "everyone left"', () => {
  const { log, fresh } = run([snap(T0, [{}, {}]), { at: T0 + 15_000, pools: [] }, snap(T0 + 30_000, [{}, {}])]);
  assert.deepEqual(fresh, []);
  assert.equal(log.changes.length, 0);
});

test('bounded: old changes age out and each pool keeps at most maxPerPool', () => {
  let log = EMPTY_CHANGE_LOG;
  for (let i = 0; i < 40; i++) log = trackChanges(log, snap(T0 + i * 15_000, [{ health: i % 2 ? 'maint' : 'up' }, {}]), { retainMs: 3_600_000, maxPerPool: 10, mergeWindowMs: 60_000 }).log;
  assert.equal(log.changes.length, 10);
  assert.equal(log.changes.at(-1)!.at, T0 + 39 * 15_000);
  const later = trackChanges(log, snap(T0 + 39 * 15_000 + 3_700_000, [{ health: 'maint' }, {}])).log;
  assert.ok(later.changes.every((c) => c.at > T0 + 39 * 15_000));
});

test('changesBefore: only this pool, only within the look-back, not after the alert', () => {
  const { log } = run([snap(T0, [{}, {}]), snap(T0 + 15_000, [{ weight: 5 }, {}]), snap(T0 + 600_000, [{ weight: 5 }, { health: 'maint' }])]);
  assert.deepEqual(changesBefore(log, 'be_app', T0 + 60_000, 300_000).map((c) => c.backend), ['s1']);
  assert.deepEqual(changesBefore(log, 'be_app', T0 + 700_000, 300_000).map((c) => c.backend), ['s2']);
  assert.deepEqual(changesBefore(log, 'other', T0 + 60_000, 300_000), []);
});

test('restore: a persisted log round-trips; garbage reads as empty', () => {
  const { log } = run([snap(T0, [{}, {}]), snap(T0 + 15_000, [{ weight: 3 }, {}])]);
  assert.deepEqual(restoreChangeLog(JSON.parse(JSON.stringify(log))), log);
  assert.deepEqual(restoreChangeLog('nope'), EMPTY_CHANGE_LOG);
  assert.deepEqual(restoreChangeLog({ memory: {}, changes: [{ at: 'x' }] }).changes, []);
});
