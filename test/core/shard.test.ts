import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ownsPool, parseShard, poolHash } from '../../src/core/shard.js';

test('every pool has exactly one owner among n replicas, for any n and any pool names', () => {
  fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 16 }), (pools, n) => {
    for (const p of pools) {
      const owners = Array.from({ length: n }, (_, i) => i).filter((i) => ownsPool({ index: i, count: n }, p));
      assert.equal(owners.length, 1);
    }
  }));
});

test('stable when pools come and go: an owner depends on the pool alone', () => {
  const before = ['be_app', 'be_api', 'be_static', 'web/a', 'web/b'];
  const owner = (p: string) => [0, 1, 2].find((i) => ownsPool({ index: i, count: 3 }, p));
  const first = new Map(before.map((p) => [p, owner(p)]));
  // New pools appear and some vanish: the remaining ones keep their owner.
  for (const p of [...before.slice(2), 'new/1', 'new/2']) if (first.has(p)) assert.equal(owner(p), first.get(p));
  // Pinned values: the hash must not change between versions (replicas of different versions must agree).
  assert.equal(poolHash(''), 0x811c9dc5);
  assert.equal(poolHash('a'), 0xe40c292c);
  assert.equal(poolHash('be_app') % 3, owner('be_app'));
});

test('10,000 pools split roughly evenly over 4 replicas', () => {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 10_000; i++) counts[poolHash(`be_${i}`) % 4]!++;
  for (const c of counts) assert.ok(c > 2300 && c < 2700, String(counts));
});

test('shard syntax: i/n with 0 <= i < n', () => {
  assert.deepEqual(parseShard('0/2'), { index: 0, count: 2 });
  assert.deepEqual(parseShard(' 3/4 '), { index: 3, count: 4 });
  for (const bad of ['2/2', '1', 'a/b', '-1/2', '1/0']) assert.equal(parseShard(bad), null, bad);
  assert.equal(ownsPool({ index: 0, count: 1 }, 'anything'), true);
});
