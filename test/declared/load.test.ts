import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeclaredLoader } from '../../src/declared/load.js';
import { configSchema } from '../../src/config/schema.js';

const declaredCfg = (d: unknown) => configSchema.parse({ declared: d }).declared;

test('the HAProxy file is re-read when it changes; an unreadable file keeps the last good pools and says why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-declared-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, 'backend be_app\n  server s1 127.0.0.1:1 weight 2\n');
  const loader = new DeclaredLoader(declaredCfg({ haproxy_config: 'haproxy.cfg' }), dir);
  const a = loader.load();
  assert.equal(a.changed, true);
  assert.equal(a.pools.get('be_app')!.servers[0]!.weight, 2);
  assert.equal(loader.load().changed, false);
  writeFileSync(file, 'backend be_app\n  server s1 127.0.0.1:1 weight 3\n  server s2 127.0.0.1:2\n');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const b = loader.load();
  assert.equal(b.changed, true);
  assert.deepEqual(b.pools.get('be_app')!.servers.map((s) => s.weight), [3, 1]);
  rmSync(file);
  const c = loader.load();
  assert.equal(c.changed, true);
  assert.match(c.problems[0]!.message, /cannot read the declared HAProxy config: ENOENT/);
  assert.deepEqual(c.pools.get('be_app')!.servers.map((s) => s.weight), [3, 1]);
});

test('declared.pools for other balancers: weights, members, backups, disabled; it wins over the file', () => {
  const loader = new DeclaredLoader(declaredCfg({ pools: { svc: { weights: { a: 2, b: 1 }, members: ['a', 'b', 'c'], backup: ['z'], disabled: ['c'], algorithm: 'least_request' } } }), '/');
  const p = loader.load().pools.get('svc')!;
  assert.equal(loader.enabled, true);
  assert.equal(p.balance, 'least_request');
  assert.deepEqual(p.servers.map((s) => `${s.name}:${s.weight}:${s.backup}:${s.disabled}`), ['a:2:false:false', 'b:1:false:false', 'c:1:false:true', 'z:1:true:false']);
  assert.equal(new DeclaredLoader(declaredCfg({}), '/').enabled, false);
});

test('declared and remediate config: defaults and what is rejected', () => {
  const c = configSchema.parse({});
  assert.deepEqual(c.remediate, { restore_declared_weights: false, dry_run: true, max_per_hour: 3 });
  assert.equal(c.declared.concentration_factor, 2);
  assert.equal(configSchema.safeParse({ remediate: { runtime_api: 'http://x' } }).success, false);
  assert.equal(configSchema.safeParse({ remediate: { runtime_api: 'tcp://127.0.0.1:9999' } }).success, true);
  assert.equal(configSchema.safeParse({ declared: { pools: { p: { weights: { a: 300 } } } } }).success, false);
  assert.equal(configSchema.safeParse({ declared: { overrides: [{ pool: 'p', server: 's', weight: 5 }] } }).success, false, 'an override needs expires_at');
});
