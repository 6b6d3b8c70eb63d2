// When the daemon writes its state file (daemon.ts persist/flush): at once
// when alert state, outbox or balancer memory changed; otherwise, with only
// the histories moving on, at most every historyFlushMs; always on flush().
// And the streamed file (store.ts stateParts through atomic.ts) is the same
// JSON as one JSON.stringify of the state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { Daemon, HISTORY_FLUSH_MS } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext } from '../../src/app/build.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { FileStateStore, MemoryStateStore, stateParts, STATE_VERSION, type PersistedState } from '../../src/state/store.js';
import { INITIAL_EVALUATOR_STATE } from '../../src/core/alerting/evaluator.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeClock } from '../fakes/clock.js';
import { ScriptedSource, pool, BALANCED, SKEWED, type Script } from '../fakes/source.js';

const dir = mkdtempSync(join(tmpdir(), 'skewwatch-state-write-'));
const configFile = join(dir, 'skewwatch.yaml');
writeFileSync(configFile, 'interval: 15s\nsource: { mode: prometheus, prometheus: { url: http://127.0.0.1:1 } }\n');
const loaded = loadConfig({ file: configFile, env: {} });

function daemon(script: Script, clock: FakeClock, store: MemoryStateStore | FileStateStore, historyFlushMs?: number) {
  return new Daemon({
    loaded, source: new ScriptedSource(script), notifiers: [], analysis: buildAnalysisOptions(loaded.config), context: buildEvaluatorContext(loaded, []),
    store, clock, log: silentLogger(), metrics: new SkewwatchMetrics(), random: () => 0.5,
    ...(historyFlushMs === undefined ? {} : { historyFlushMs }),
  });
}

/** Cycles every 15 s; returns the store's save count after each. */
async function savesPerCycle(d: Daemon, clock: FakeClock, store: MemoryStateStore, cycles: number): Promise<number[]> {
  const out: number[] = [];
  for (let c = 0; c < cycles; c++) {
    await d.cycle(clock.now());
    out.push(store.saves);
    await clock.advance(15_000);
  }
  return out;
}

test('with only histories changing, the state is written at most every historyFlushMs (default 60 s)', async () => {
  assert.equal(HISTORY_FLUSH_MS, 60_000);
  const clock = new FakeClock();
  const store = new MemoryStateStore();
  const d = daemon(() => [pool('be_app', BALANCED)], clock, store);
  // Cycles at 0, 15, 30, 45, 60, 75, 90, 105, 120 s: written at 0, 60, 120.
  assert.deepEqual(await savesPerCycle(d, clock, store, 9), [1, 1, 1, 1, 2, 2, 2, 2, 3]);
  const points = store.saved!.histories.be_app!.blocks.flat().length;
  assert.ok(points > 0, 'the histories are in the file');
});

test('a change of alert state is written in the same cycle, whatever the history timer says', async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const store = new MemoryStateStore();
  // Balanced, then skewed and hot from 30 s: the skew rules go pending.
  const d = daemon((now) => [pool('be_app', now - t0 < 30_000 ? BALANCED : SKEWED)], clock, store, 3_600_000);
  const saves = await savesPerCycle(d, clock, store, 3);
  assert.deepEqual(saves, [1, 1, 2], 'written when the alert state changed, not before');
  const alerts = Object.values(store.saved!.evaluator.alerts);
  assert.ok(alerts.length > 0 && alerts.every((a) => a.state.phase !== 'inactive'), JSON.stringify(alerts));
});

test('flush() writes even when nothing changed; a failed save is retried on the next cycle', async () => {
  const clock = new FakeClock();
  const store = new MemoryStateStore();
  const d = daemon(() => [pool('be_app', BALANCED)], clock, store, 3_600_000);
  await savesPerCycle(d, clock, store, 2);
  assert.equal(store.saves, 1);
  d.flush();
  assert.equal(store.saves, 2, 'flush writes');
  assert.equal(store.saved!.savedAt, clock.now());

  let fail = true;
  const failing = new MemoryStateStore();
  const save = failing.save.bind(failing);
  failing.save = (s) => { if (fail) throw new Error('disk full'); save(s); };
  const e = daemon(() => [pool('be_app', BALANCED)], clock, failing, 3_600_000);
  await e.cycle(clock.now());
  assert.equal(failing.saves, 0);
  fail = false;
  await clock.advance(15_000);
  await e.cycle(clock.now());
  assert.equal(failing.saves, 1, 'retried although nothing changed since the failed attempt');
});

test('the streamed state file is the JSON of the state; larger than the staging buffer; restored as saved', () => {
  const histories: Record<string, { names: string[]; blocks: number[][]; skip: number }> = {};
  // ~1 MiB of histories (the staging buffer is 256 KiB) and one part larger than it.
  for (let p = 0; p < 2_000; p++) histories[`be_${p}"é`] = { names: ['s1', 's2'], blocks: [Array.from({ length: 32 }, (_, i) => p + i / 7)], skip: 0 };
  histories.huge = { names: ['s1'], blocks: [Array.from({ length: 30_000 }, (_, i) => i * 1.5)], skip: 0 };
  const state: PersistedState = {
    version: STATE_VERSION, savedAt: 5, evaluator: { ...INITIAL_EVALUATOR_STATE, blindCycles: 1 },
    outbox: { version: 1, seq: 0, entries: [], done: [] }, histories, balancer: { changes: [] },
  };
  assert.deepEqual(JSON.parse([...stateParts(state)].join('')), JSON.parse(JSON.stringify(state)));
  assert.deepEqual(JSON.parse([...stateParts({ ...state, histories: {} })].join('')), JSON.parse(JSON.stringify({ ...state, histories: {} })));
  const stateDir = mkdtempSync(join(tmpdir(), 'skewwatch-state-parts-'));
  const store = new FileStateStore(stateDir, silentLogger());
  store.save(state);
  assert.deepEqual(readdirSync(stateDir), ['state.json'], 'no temp file left');
  assert.deepEqual(JSON.parse(readFileSync(store.path, 'utf8')), JSON.parse(JSON.stringify(state)));
  assert.deepEqual(store.load(), JSON.parse(JSON.stringify(state)));
});

test('the cycle analyses in slices: the event loop turns during the analysis of a large fleet', async () => {
  const { ANALYSIS_SLICE } = await import('../../src/app/daemon.js');
  const clock = new FakeClock();
  const pools = Array.from({ length: ANALYSIS_SLICE * 3 }, (_, i) => pool(`be_${i}`, BALANCED));
  const d = daemon(() => pools, clock, new MemoryStateStore());
  let finished = false;
  let turns = 0;
  const tick = () => { if (!finished) { turns++; setImmediate(tick); } };
  setImmediate(tick);
  const report = await d.cycle(clock.now());
  finished = true;
  assert.equal(report.verdicts.length, pools.length);
  assert.ok(turns >= 2, `the loop turned ${turns} times during the cycle`);
});

test('history text cached per full block: every save of a growing, ageing history is its JSON', async () => {
  const { appendHistory, EMPTY_HISTORY, DEFAULT_ANALYSIS_OPTIONS: O } = await import('../../src/core/analysis/analyse.js');
  const opts = { ...O, historySeconds: 300 };
  let h = EMPTY_HISTORY;
  const t0 = 1_700_000_000_000;
  const save = (histories: PersistedState['histories']) => ({ version: STATE_VERSION, savedAt: 1, evaluator: INITIAL_EVALUATOR_STATE, outbox: null, histories } as PersistedState);
  for (let k = 0; k < 60; k++) {
    const names = k >= 30 ? ['a', 'c'] : ['a', 'b']; // a rename half way: new columns, new blocks
    // From cycle 10 the source reports weights (remembered in the history: PoolHistory.weights), changed at 45.
    h = appendHistory(h, { pool: 'p', labels: {}, windowSeconds: 60, backends: names.map((n, i) => ({ backend: n, rate: 10, cpu: 0.1 + k / 1000 + i / 7, cpuCapacity: 1, health: 'up' as const, ...(k >= 10 ? { weight: k >= 45 ? 2 : 1 } : {}) })) }, t0 + k * 15_000, opts);
    // Saved twice: the second save reads the cached text of the full blocks.
    for (let again = 0; again < 2; again++) {
      const text = [...stateParts(save({ p: h, q: JSON.parse(JSON.stringify(h)) as typeof h }))].join('');
      assert.equal(text.slice(text.indexOf('"histories"')), `"histories":${JSON.stringify({ p: h, q: h })},"outbox":null}`, `cycle ${k}`);
    }
  }
});

test('a firing alert whose condition stops holding is written in the same cycle (keep_firing_for runs from then)', async () => {
  const clock = new FakeClock();
  const store = new MemoryStateStore();
  let skewed = true;
  const d = daemon(() => [pool('be_app', skewed ? SKEWED : BALANCED)], clock, store, 3_600_000);
  const alerts = () => Object.values(store.saved?.evaluator.alerts ?? {});
  const firing = () => alerts().filter((a) => a.state.phase === 'firing');
  // Until every tracked alert fires (a pending one dropping out would change the file anyway).
  for (let c = 0; c < 60 && (firing().length === 0 || firing().length < alerts().length); c++) {
    await d.cycle(clock.now());
    await clock.advance(15_000);
  }
  assert.ok(firing().length > 0, 'a skew rule fired');
  skewed = false;
  const before = store.saves;
  await d.cycle(clock.now());
  // Still firing (keep_firing_for), with only its timer moved: that must reach the file at once.
  const kept = firing().filter((a) => a.state.keepFiringSince != null);
  assert.ok(kept.length > 0, JSON.stringify(firing().map((a) => a.state)));
  assert.equal(store.saves, before + 1);
});
