// Issue 10, items 1, 8 and 12: the shipped default rules on the real
// analysis, driven cycle by cycle from samples (what a source collects).
// One commented row per cycle; time is injected, nothing sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Run, described, NOW0 } from './harness.js';
import { pool } from '../build.js';
import type { PoolSample } from '../../../src/core/types.js';

type Row = [t: number, pools: PoolSample[] | null, expected: string[], why: string];

function play(rows: Row[], run = new Run()): Run {
  for (const [t, pools, expected, why] of rows) {
    assert.deepEqual(described(run.step(t, pools)), expected, `t=${t}s ${why}`);
  }
  return run;
}

/** Quiet cycles every 15 s from `from` to `to` (the interval the context declares: a skipped cycle would be blind time). */
function quiet(from: number, to: number, pools: PoolSample[] | null, why: string): Row[] {
  const rows: Row[] = [];
  for (let t = from; t <= to; t += 15) rows.push([t, pools, [], why]);
  return rows;
}

const cpu = (utils: number[]) => Object.fromEntries(utils.map((u, i) => [i, { cpu: u, cpuCapacity: 1 }]));
const balanced = pool([25, 25, 25, 25], cpu([0.3, 0.3, 0.3, 0.3]));
const allMaint = pool([0, 0, 0, 0], { 0: { health: 'maint' }, 1: { health: 'maint' }, 2: { health: 'maint' }, 3: { health: 'maint' } });
const skewedHot = pool([80, 7, 7, 6], cpu([0.86, 0.08, 0.08, 0.07]));
const resetCounters = pool([Number.NaN, Number.NaN, Number.NaN, Number.NaN], cpu([0.86, 0.08, 0.08, 0.07]));

// Item 1: before, the verdict was critical `no-healthy` but no rule fired
// (min_rate was compared with the rate of up backends: 0), and a cycle
// later the verdict dropped to "pool idle".
test('total outage pages at once and stays firing until a backend is up again', () => {
  const run = play([
    [0, [balanced], [], 'serving 100 req/s'],
    [15, [balanced], [], 'serving'],
    [30, [allMaint], ['trigger:PoolDown'], 'every server put in MAINT under traffic: pages in the same cycle'],
    [45, [allMaint], [], 'still down: the verdict stays critical (traffic 30 s ago)'],
    [60, [allMaint], [], 'no second page'],
  ]);
  assert.equal(run.verdicts[0]!.severity, 'critical', 'had traffic 45 s ago: still critical');
  assert.match(run.verdicts[0]!.explanation, /requests are failing/);
  // A long outage: beyond the analysis history the verdict calls the pool
  // idle, but a firing PoolDown holds (hysteresis) while nothing is up.
  for (let t = 75; t <= 900; t += 15) assert.deepEqual(described(run.step(t, [allMaint])), [], `t=${t}s still down`);
  assert.equal(run.verdicts[0]!.severity, 'warning', 'no traffic seen for 10 min: the verdict itself says idle');
  assert.equal(Object.values(run.state.alerts).find((a) => a.ruleId === 'PoolDown')?.state.phase, 'firing');
  play([
    [915, [balanced], [], 'back in service, warming up (came up within the 60 s window): not judged, held'],
    ...quiet(930, 960, [balanced], 'still warming up: held'),
    [975, [balanced], [], 'warm: judged again, keep_firing_for (1m) starts'],
    ...quiet(990, 1020, [balanced], 'kept firing'),
    [1035, [balanced], ['resolve:PoolDown'], 'resolved 60 s after the first judged evaluation with backends up'],
  ], run);
  assert.match(run.all.at(-1)!.notification.summary, /4 of 4 backends of be_app up again/);
  assert.equal(run.all.at(-1)!.notification.resolution, 'recovered');
});

test('"recent" traffic is bounded in time: a history from yesterday does not make an idle pool an outage', () => {
  const run = new Run();
  run.step(0, [balanced]); // the state file's last point: traffic, a day ago
  assert.deepEqual(described(run.step(86_400, [allMaint])), [], 'restarted a day later on a pool that is all down: no page');
  assert.equal(run.verdicts[0]!.severity, 'warning');
  assert.match(run.verdicts[0]!.explanation, /pool idle/);
});

// Item 8: before, a cycle with every rate invalid read as "ok, no traffic":
// the page resolved after keep_firing_for and paged again when data returned.
test('a cycle where every rate is invalid (exporter restart) holds a firing page', () => {
  const rows: Row[] = [
    [0, [skewedHot], [], 'skewed and hot: TrafficSkewCritical pending'],
    [15, [skewedHot], ['trigger:TrafficSkewCritical'], 'pages'],
  ];
  for (let t = 30; t <= 120; t += 15) rows.push([t, [resetCounters], [], 'every counter reset: a data gap, not recovery']);
  rows.push([135, [skewedHot], [], 'data back, still skewed: no second page (the warning is inhibited)']);
  const run = play(rows);
  assert.equal(run.all.filter((p) => p.notification.kind === 'resolve').length, 0);
});

test('the analysis marks an all-invalid cycle as a data gap, and only that one', () => {
  const run = new Run();
  run.step(0, [resetCounters]);
  assert.equal(run.verdicts[0]!.dataGap, true);
  run.step(15, [pool([Number.NaN, 25, 25, 25])]);
  assert.equal(run.verdicts[0]!.dataGap, undefined, 'one backend excluded: the others can be judged');
});

// Item 12: the rig's wrong-weight incident: s1 set to weight 256 of 259, so
// traffic follows the (wrong) weights while s1 has a quarter of the pool's
// capacity. Before: the warning rule fired 45 s after the page and posted
// again, and the resolve said nothing about what changed back.
test('wrong-weight incident: one page, no warning after it, and the resolve says what changed back', () => {
  const wrong = pool([198, 0.7, 0.7, 0.6], {
    0: { weight: 256, cpu: 0.92, cpuCapacity: 1 }, 1: { weight: 1, cpu: 0.01, cpuCapacity: 1 },
    2: { weight: 1, cpu: 0.01, cpuCapacity: 1 }, 3: { weight: 1, cpu: 0.01, cpuCapacity: 1 },
  });
  const fixed = pool([52, 49, 50, 49], {
    0: { weight: 1, cpu: 0.26, cpuCapacity: 1 }, 1: { weight: 1, cpu: 0.25, cpuCapacity: 1 },
    2: { weight: 1, cpu: 0.25, cpuCapacity: 1 }, 3: { weight: 1, cpu: 0.25, cpuCapacity: 1 },
  });
  const rows: Row[] = [[0, [wrong], [], 'wrong weight, s1 hot: both rules pending']];
  rows.push([15, [wrong], ['trigger:TrafficSkewCritical'], 'the page']);
  for (let t = 30; t <= 180; t += 15) rows.push([t, [wrong], [], t === 60 ? 'TrafficSkew fires here, inhibited by the page' : 'still firing']);
  rows.push([195, [fixed], [], 'weight set back to 1: keep_firing_for starts']);
  rows.push(...quiet(210, 240, [fixed], 'kept firing'));
  rows.push([255, [fixed], ['resolve:TrafficSkewCritical'], 'resolved once; the inhibited warning resolves unannounced']);
  const run = play(rows);
  const skew = run.state.alerts[Object.keys(run.state.alerts).find((k) => k.startsWith('TrafficSkew\0'))!];
  assert.equal(skew?.state.phase, 'resolved');
  const resolve = run.all.at(-1)!.notification;
  assert.match(resolve.summary, /s1 weight 256 → 1, back to 26% of be_app's traffic \(expected 25%; 99% when it fired\), CPU 0\.26 \(was 0\.92\)/);
  assert.equal(run.all.at(-1)!.notification.createdAt, NOW0 + 255_000);
});

// Capacity loss without skew (docs/statistics.md §8b): three of four servers
// go to MAINT under traffic and the survivor takes everything. The survivor
// is alone, so nothing is skewed; the page must be PoolCapacityLoss (a title
// that says what happened), once: the inhibit rule keeps TrafficSkewCritical,
// which reads the same critical severity, from paging the same incident.
test('most of a pool to MAINT under traffic pages once, as PoolCapacityLoss', () => {
  const weights = { weight: 1, cpuCapacity: 1 };
  const before = (t: number) => pool([20, 20, 20, 20], Object.fromEntries([0, 1, 2, 3].map((i) => [i, { ...weights, cpu: 0.2, stateAgeSeconds: t + 3600 }])));
  // The step at t = 60; windowed (60 s) readings fill in over the next minute.
  const after = (t: number) => {
    const f = Math.min(1, (t - 60) / 60);
    const out = { health: 'maint' as const, weight: 0, cpuCapacity: 1, stateAgeSeconds: t - 60 };
    return pool([20 * (1 - f), 20 * (1 - f), 20 * (1 - f), 20 + 60 * f], {
      0: { ...out, cpu: 0.2 * (1 - f) }, 1: { ...out, cpu: 0.2 * (1 - f) }, 2: { ...out, cpu: 0.2 * (1 - f) },
      3: { ...weights, cpu: 0.2 + 0.6 * f, stateAgeSeconds: t + 3600 },
    });
  };
  const run = new Run();
  const seen: string[] = [];
  for (let t = 0; t <= 300; t += 15) seen.push(...described(run.step(t, [t <= 60 ? before(t) : after(t)])));
  assert.deepEqual(seen, ['trigger:PoolCapacityLoss'], run.verdicts[0]?.explanation);
  assert.ok(run.verdicts[0]!.reasons.includes('capacity-loss'));
  const skewPage = Object.values(run.state.alerts).find((a) => a.ruleId === 'TrafficSkewCritical');
  assert.equal(skewPage?.state.phase, 'firing', 'the skew page holds too, muted: one incident, one page');
  assert.equal(skewPage?.inhibitedBy, 'PoolCapacityLoss');
});
