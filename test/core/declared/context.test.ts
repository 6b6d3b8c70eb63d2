import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addBalancerContext, likelyCause, type BalancerContext } from '../../../src/core/declared/context.js';
import { EMPTY_CHANGE_LOG, trackChanges, type BalancerChange } from '../../../src/core/changes/changes.js';
import { DEFAULT_DRIFT_OPTIONS } from '../../../src/core/declared/drift.js';
import { analyseSnapshot } from '../../../src/core/analysis/analyse.js';
import type { DeclaredPool } from '../../../src/core/declared/types.js';
import type { BackendSample, Snapshot } from '../../../src/core/types.js';

const T0 = Date.UTC(2026, 11, 1, 12, 3, 4);
const DECLARED: DeclaredPool = {
  pool: 'be_app', balance: 'roundrobin', hashType: 'map-based', timeoutQueueMs: null, at: { file: 'h.cfg', line: 9 },
  servers: ['s1', 's2', 's3', 's4'].map((name, i) => ({ name, address: name, weight: 1, backup: false, disabled: false, maxconn: null, slowstartMs: null, check: true, at: { file: 'h.cfg', line: 10 + i } })),
};
function snap(at: number, over: Partial<BackendSample>[]): Snapshot {
  return { at, pools: [{ pool: 'be_app', labels: { proxy: 'be_app' }, windowSeconds: 60, backends: over.map((b, i) => ({ backend: `s${i + 1}`, rate: 50, count: 3000, health: 'up', weight: 1, ...b })) }] };
}
function ctx(changeLog = EMPTY_CHANGE_LOG, declared = new Map([['be_app', DECLARED]])): BalancerContext {
  return { declared, overrides: [], changeLog, lookbackMs: 600_000, drift: DEFAULT_DRIFT_OPTIONS };
}

test('a skewed pool names the weight change before it as the likely cause; drift rides along', () => {
  const before = snap(T0, [{}, {}, {}, {}]);
  // s1 has weight 256 and takes 99% (as configured): with CPU it is overweighted.
  const after = snap(T0 + 41_000, [{ weight: 256, rate: 198, count: 11880, cpu: 0.95 }, { rate: 0.7, count: 42, cpu: 0.01 }, { rate: 0.7, count: 42, cpu: 0.01 }, { rate: 0.7, count: 42, cpu: 0.01 }]);
  const log = trackChanges(trackChanges(EMPTY_CHANGE_LOG, before).log, { ...after, at: T0 + 1_000 }).log;
  const { verdicts } = analyseSnapshot(after, new Map());
  assert.notEqual(verdicts[0]!.severity, 'ok');
  const [v] = addBalancerContext(verdicts, after, ctx(log));
  assert.match(v!.explanation, /likely cause: s1's weight changed 1 → 256 at 12:03:05 UTC \(40 s before\)$/);
  assert.equal(v!.changes!.length, 1);
  assert.equal(v!.drift!.level, 2);
});

test('an ok pool carries its changes but no "likely cause" text; no declaration, no drift', () => {
  const a = snap(T0, [{}, {}, {}, {}]);
  const b = snap(T0 + 15_000, [{}, {}, {}, { health: 'maint', rate: 0, count: 0 }]);
  const log = trackChanges(trackChanges(EMPTY_CHANGE_LOG, a).log, b).log;
  const { verdicts } = analyseSnapshot(b, new Map());
  const [v] = addBalancerContext(verdicts, b, ctx(log, new Map()));
  assert.equal(v!.severity, 'ok');
  assert.equal(v!.explanation, verdicts[0]!.explanation);
  assert.equal(v!.changes![0]!.kind, 'state');
  assert.equal(v!.drift, undefined);
});

test('nothing changed and nothing declared: the verdict is returned as is', () => {
  const a = snap(T0, [{}, {}, {}, {}]);
  const { verdicts } = analyseSnapshot(a, new Map());
  assert.equal(addBalancerContext(verdicts, a, ctx(EMPTY_CHANGE_LOG, new Map()))[0], verdicts[0]);
});

test('an unexpired override (a deliberate canary weight) is not a drift; once expired it is', () => {
  const s = snap(T0, [{ weight: 10 }, {}, {}, {}]);
  const { verdicts } = analyseSnapshot(s, new Map());
  const c = { ...ctx(), overrides: [{ pool: 'be_app', server: 's1', weight: 10, expiresAt: T0 + 1 }] };
  assert.equal(addBalancerContext(verdicts, s, c)[0]!.drift!.level, 0);
  assert.equal(addBalancerContext(verdicts, { ...s, at: T0 + 1 }, c)[0]!.drift!.level, 2);
});

test('likely cause: the hot backend\'s change beats a newer one elsewhere; weights beat states', () => {
  const c = (backend: string, kind: BalancerChange['kind'], at: number): BalancerChange => ({ at, pool: 'p', backend, kind, from: 'a', to: 'b', signal: kind, poolSize: 4 });
  assert.equal(likelyCause([c('s1', 'weight', 1), c('s2', 'weight', 5)], ['s1'])!.backend, 's1');
  assert.equal(likelyCause([c('s2', 'state', 9), c('s3', 'weight', 1)], [])!.backend, 's3');
  assert.equal(likelyCause([], ['s1']), null);
});
