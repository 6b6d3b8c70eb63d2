import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDeclared } from '../../../src/core/declared/drift.js';
import { EMPTY_RESTORE_MEMORY, describeRestore, planRestore, type RestoreInput, type RestoreOptions } from '../../../src/core/declared/restore.js';
import type { DeclaredPool } from '../../../src/core/declared/types.js';
import type { PoolSample } from '../../../src/core/types.js';

const DECLARED: DeclaredPool = {
  pool: 'be_app', balance: 'roundrobin', hashType: 'map-based', timeoutQueueMs: null, at: { file: 'h.cfg', line: 1 },
  servers: ['s1', 's2', 's3', 's4'].map((name) => ({ name, address: name, weight: 1, backup: false, disabled: false, maxconn: null, slowstartMs: null, check: true, at: { file: 'h.cfg', line: 2 } })),
};
const sample = (w1: number): PoolSample => ({ pool: 'be_app', labels: { proxy: 'be_app' }, windowSeconds: 60, backends: ['s1', 's2', 's3', 's4'].map((b, i) => ({ backend: b, rate: 1, health: 'up', weight: i === 0 ? w1 : 1 })) });
const input = (w1: number, over: Partial<RestoreInput> = {}): RestoreInput => ({
  drift: compareDeclared(DECLARED, sample(w1)), backend: 'be_app', paging: true, silenced: false, declaredWeights: new Map(DECLARED.servers.map((s) => [s.name, s.weight])), ...over,
});
const ON: RestoreOptions = { enabled: true, dryRun: false, maxPerHour: 5 };

test('a paging pool with a weight drift gets the declared weight back, once per drift', () => {
  const a = planRestore([input(256)], EMPTY_RESTORE_MEMORY, 1000, ON);
  assert.deepEqual(a.actions.map((x) => [x.backend, x.server, x.from, x.to, x.dryRun]), [['be_app', 's1', '256', 1, false]]);
  assert.equal(describeRestore(a.actions[0]!), "restored be_app/s1 weight 256 → 1 (the declared weight) through HAProxy's runtime API");
  // The averaged live weight moves while the drift lasts: still the same drift.
  const b = planRestore([input(128)], a.memory, 2000, ON);
  assert.deepEqual(b.actions, []);
  // Drift gone, then back: a new drift, acted on again.
  const c = planRestore([input(1)], b.memory, 3000, ON);
  const d = planRestore([input(256)], c.memory, 4000, ON);
  assert.equal(d.actions.length, 1);
});

test('never without a page, never while silenced, never when disabled; dry run says what it would do', () => {
  assert.deepEqual(planRestore([input(256, { paging: false })], EMPTY_RESTORE_MEMORY, 0, ON).actions, []);
  assert.deepEqual(planRestore([input(256, { silenced: true })], EMPTY_RESTORE_MEMORY, 0, ON).actions, []);
  assert.deepEqual(planRestore([input(256)], EMPTY_RESTORE_MEMORY, 0, { ...ON, enabled: false }).actions, []);
  const dry = planRestore([input(256)], EMPTY_RESTORE_MEMORY, 0, { ...ON, dryRun: true }).actions[0]!;
  assert.equal(dry.dryRun, true);
  assert.match(describeRestore(dry), /^dry run: would set be_app\/s1 weight 256 → 1/);
});

test('rate-limited: at most maxPerHour actions in a rolling hour', () => {
  let memory = EMPTY_RESTORE_MEMORY;
  let total = 0;
  for (let i = 0; i < 10; i++) {
    // A new drift every time (drift gone in between).
    memory = planRestore([input(1)], memory, i * 60_000, ON).memory;
    const r = planRestore([input(256)], memory, i * 60_000 + 1, ON);
    total += r.actions.length;
    memory = r.memory;
  }
  assert.equal(total, 5);
  memory = planRestore([input(1)], memory, 3_700_000, ON).memory;
  assert.equal(planRestore([input(256)], memory, 3_700_001, ON).actions.length, 1);
});

test('state drifts (MAINT) are not restored: draining may be deliberate', () => {
  const drift = compareDeclared(DECLARED, { ...sample(1), backends: sample(1).backends.map((b, i) => (i === 1 ? { ...b, health: 'maint' as const } : b)) });
  assert.deepEqual(planRestore([input(1, { drift })], EMPTY_RESTORE_MEMORY, 0, ON).actions, []);
});
