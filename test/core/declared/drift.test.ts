import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDeclared } from '../../../src/core/declared/drift.js';
import type { DeclaredPool, DeclaredServer } from '../../../src/core/declared/types.js';
import type { BackendSample, PoolSample } from '../../../src/core/types.js';

function server(name: string, over: Partial<DeclaredServer> = {}): DeclaredServer {
  return { name, address: `127.0.0.1:${name}`, weight: 1, backup: false, disabled: false, maxconn: null, slowstartMs: null, check: true, at: { file: 'h.cfg', line: 1 }, ...over };
}
function declared(servers: DeclaredServer[]): DeclaredPool {
  return { pool: 'be_app', balance: 'roundrobin', hashType: 'map-based', timeoutQueueMs: null, servers, at: { file: 'h.cfg', line: 1 } };
}
function live(backends: Partial<BackendSample>[]): PoolSample {
  return { pool: 'be_app', labels: { proxy: 'be_app' }, windowSeconds: 60, backends: backends.map((b, i) => ({ backend: `s${i + 1}`, rate: 10, health: 'up', weight: 1, ...b })) };
}
const four = () => declared([server('s1'), server('s2'), server('s3'), server('s4')]);

test('running as declared: level 0, no explanation', () => {
  const d = compareDeclared(four(), live([{}, {}, {}, {}]));
  assert.equal(d.level, 0);
  assert.equal(d.explanation, null);
});

test('set weight be_app/s1 256: concentrating drift, declared and live side by side', () => {
  const d = compareDeclared(four(), live([{ weight: 256 }, {}, {}, {}]));
  assert.equal(d.level, 2);
  assert.deepEqual(d.items, [{ backend: 's1', kind: 'weight', declared: '1', live: '256' }]);
  assert.equal(d.concentration!.backend, 's1');
  assert.match(d.explanation!, /s1's weight is 256 live, 1 declared \(99% of be_app's weight instead of 25%\)/);
});

test('the averaged weight of the first cycle after the change is already concentrating', () => {
  // 1 m window, 15 s scrapes: (3·1 + 256) / 4 = 64.75
  const d = compareDeclared(four(), live([{ weight: 64.75 }, {}, {}, {}]));
  assert.equal(d.level, 2);
  assert.equal(d.items[0]!.live, '64.8');
});

test('a weight change that does not concentrate (2 → 3 of 10 servers) is a drift, not a critical one', () => {
  const ten = declared(Array.from({ length: 10 }, (_, i) => server(`s${i + 1}`, { weight: 2 })));
  const d = compareDeclared(ten, live(Array.from({ length: 10 }, (_, i) => ({ weight: i === 0 ? 3 : 2 }))));
  assert.equal(d.level, 1);
  // The concentration factor is what decides: 2 → 5 of 10 is 2.3× its declared share.
  const e = compareDeclared(ten, live(Array.from({ length: 10 }, (_, i) => ({ weight: i === 0 ? 5 : 2 }))));
  assert.equal(e.level, 2);
  assert.equal(compareDeclared(ten, live(Array.from({ length: 10 }, (_, i) => ({ weight: i === 0 ? 5 : 2 }))), { concentrationFactor: 3 }).level, 1);
});

test('half a weight unit is averaging noise, not drift', () => {
  assert.equal(compareDeclared(four(), live([{ weight: 1.4 }, {}, {}, {}])).level, 0);
  assert.equal(compareDeclared(four(), live([{ weight: 1.6 }, {}, {}, {}])).level, 1);
});

test('inside its declared slowstart a server ramps its weight on purpose: not a drift', () => {
  const pool = declared([server('s1', { slowstartMs: 30_000 }), server('s2'), server('s3')]);
  assert.equal(compareDeclared(pool, live([{ weight: 0.3, stateAgeSeconds: 10 }, {}, {}])).level, 0);
  assert.equal(compareDeclared(pool, live([{ weight: 0.3, stateAgeSeconds: 40 }, {}, {}])).level, 1);
});

test('MAINT at runtime while declared in service: drift; most servers out of service: concentrating', () => {
  const one = compareDeclared(four(), live([{}, { health: 'maint' }, {}, {}]));
  assert.equal(one.level, 1);
  assert.deepEqual(one.items, [{ backend: 's2', kind: 'state', declared: 'in service', live: 'MAINT/DRAIN' }]);
  const three = compareDeclared(four(), live([{}, { health: 'maint' }, { health: 'maint' }, { health: 'maint' }]));
  assert.equal(three.level, 2);
  assert.match(three.explanation!, /3 of 4 servers declared in service are in MAINT\/DRAIN/);
  // Exactly half is not "most".
  assert.equal(compareDeclared(four(), live([{}, {}, { health: 'maint' }, { health: 'maint' }])).level, 1);
});

test('health-check DOWN is health, not configuration', () => {
  assert.equal(compareDeclared(four(), live([{}, { health: 'down' }, {}, {}])).level, 0);
});

test('declared disabled but up live, backup flag flipped, missing and undeclared servers', () => {
  const pool = declared([server('s1'), server('s2', { disabled: true }), server('s3', { backup: true }), server('gone')]);
  const d = compareDeclared(pool, live([{}, {}, { backup: false }, {}]));
  assert.deepEqual(d.items.map((i) => `${i.backend}:${i.kind}`), ['s2:state', 's3:backup', 'gone:missing', 's4:undeclared']);
  assert.equal(d.level, 1);
});
