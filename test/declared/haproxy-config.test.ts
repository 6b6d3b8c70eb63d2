import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseHaproxyConfig, parseHaproxyTime, splitWords } from '../../src/declared/haproxy-config.js';

test('words: quotes group, backslash escapes, unquoted # starts a comment', () => {
  assert.deepEqual(splitWords('  server s1 10.0.0.1:80 weight 3 # primary').words, ['server', 's1', '10.0.0.1:80', 'weight', '3']);
  assert.deepEqual(splitWords('http-request set-header X "a b#c"').words, ['http-request', 'set-header', 'X', 'a b#c']);
  assert.deepEqual(splitWords("acl x path_beg '/a b'").words, ['acl', 'x', 'path_beg', '/a b']);
  assert.deepEqual(splitWords('log-format a\\ b').words, ['log-format', 'a b']);
  assert.equal(splitWords('server s1 "open').error, 'unterminated double quote');
});

test('times default to milliseconds and take HAProxy units', () => {
  assert.equal(parseHaproxyTime('500'), 500);
  assert.equal(parseHaproxyTime('30s'), 30_000);
  assert.equal(parseHaproxyTime('1m'), 60_000);
  assert.equal(parseHaproxyTime('2h'), 7_200_000);
  assert.equal(parseHaproxyTime('10us'), 0.01);
  assert.equal(parseHaproxyTime('soon'), null);
});

test('servers inherit default-server from the defaults before them; server words override', () => {
  const c = parseHaproxyConfig(`
defaults
  default-server check maxconn 50 slowstart 30s weight 2
backend be
  balance source
  hash-type consistent
  timeout queue 5s
  server a 127.0.0.1:1
  server b 127.0.0.1:2 weight 5 no-check maxconn 0 backup
  server c 127.0.0.1:3 disabled cookie backup
`, 'x.cfg');
  assert.deepEqual(c.problems, []);
  const [be] = c.pools;
  assert.equal(be!.balance, 'source');
  assert.equal(be!.hashType, 'consistent');
  assert.equal(be!.timeoutQueueMs, 5000);
  const [a, b, s3] = be!.servers;
  assert.deepEqual({ w: a!.weight, chk: a!.check, mc: a!.maxconn, ss: a!.slowstartMs, bk: a!.backup, line: a!.at.line }, { w: 2, chk: true, mc: 50, ss: 30000, bk: false, line: 8 });
  assert.deepEqual({ w: b!.weight, chk: b!.check, mc: b!.maxconn, bk: b!.backup }, { w: 5, chk: false, mc: null, bk: true });
  // "cookie backup": backup is cookie's value here, not the backup flag.
  assert.deepEqual({ dis: s3!.disabled, bk: s3!.backup }, { dis: true, bk: false });
});

test('named defaults (backend x from NAME) and listen sections become pools; frontends do not', () => {
  const c = parseHaproxyConfig(readFileSync('test/fixtures/haproxy-configs/named-defaults.cfg', 'utf8'), 'n.cfg');
  assert.deepEqual(c.problems, []);
  assert.deepEqual(c.pools.map((p) => [p.pool, p.balance, p.timeoutQueueMs, p.servers.map((s) => `${s.name}:${s.weight}:${s.maxconn}:${s.backup}`)]), [
    ['be_from_base', 'leastconn', 3000, ['a1:2:10:false', 'a2:1:10:true']],
    ['li_tcp', 'roundrobin', null, ['t1:1:5:false', 't2:1:5:false']],
  ]);
  assert.equal(c.pools[1]!.servers[0]!.slowstartMs, 500);
});

test('what cannot be read is reported with file and line, and the rest still loads', () => {
  const c = parseHaproxyConfig(`backend be
  server a 127.0.0.1:1 weight 300
  server b
  server c 127.0.0.1:3 slowstart later
  balance
backend other from nowhere
  server d 127.0.0.1:4
frontend fe
  server e 127.0.0.1:5
`, 'bad.cfg');
  assert.deepEqual(c.problems.map((p) => `${p.at.file}:${p.at.line} ${p.message}`), [
    'bad.cfg:2 server a: weight must be an integer from 0 to 256, got "300"',
    'bad.cfg:3 server needs a name and an address',
    'bad.cfg:4 server c: slowstart must be a time such as 30s, got "later"',
    'bad.cfg:5 balance needs an algorithm',
    'bad.cfg:6 backend other: defaults section "nowhere" not found',
    'bad.cfg:9 server lines belong in a backend or listen section, not a frontend',
  ]);
  assert.deepEqual(c.pools.map((p) => [p.pool, p.servers.map((s) => s.name)]), [['be', ['a', 'c']], ['other', ['d']]]);
  // The bad weight keeps the default rather than a guess.
  assert.equal(c.pools[0]!.servers[0]!.weight, 1);
});

test('global and other sections are skipped, not parsed as proxies', () => {
  const c = parseHaproxyConfig(`global
  maxconn 100
  server notaproxy 1.2.3.4:5
resolvers dns
  nameserver a 127.0.0.1:53
backend be
  server a 127.0.0.1:1`, 'g.cfg');
  assert.deepEqual(c.problems, []);
  assert.deepEqual(c.pools.map((p) => p.pool), ['be']);
});
