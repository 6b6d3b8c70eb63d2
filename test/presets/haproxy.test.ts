// HAProxy preset: the per-server signals beyond requests (backup, state age,
// response time, sessions and their limit) in query and scrape mode, on real
// 2.6 output and a 3.0-shaped fixture.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { getPreset } from '../../src/presets/index.js';
import type { BackendReading, Preset } from '../../src/presets/preset.js';
import { parseExposition } from '../../src/sources/exposition.js';
import { SnapshotAssembler } from '../../src/sources/prometheus.js';
import { isSkewwatchError } from '../../src/util/errors.js';

const read = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

function extract(preset: Preset, path: string): Map<string, BackendReading> {
  const fams = parseExposition(read(path), { keepNames: new Set(preset.scrape!.metricNames) });
  return new Map(preset.scrape!.extract(fams).map((r) => [`${r.pool.proxy}/${r.backend}`, r]));
}

describe('haproxy: health in both status forms (scrape mode)', () => {
  it('2.3 numeric status: one up and six MAINT do not come out all up', () => {
    const r = extract(getPreset('haproxy'), 'presets/haproxy-2.3.txt');
    assert.equal(r.size, 7);
    assert.equal(r.get('be/srv001')!.health, 'up');
    for (let i = 2; i <= 7; i++) assert.equal(r.get(`be/srv00${i}`)!.health, 'maint', `srv00${i}`);
  });

  it('numeric values 0..4 and the state-label form decode alike', () => {
    const fams = parseExposition(
      [0, 1, 2, 3, 4].map((v) => `haproxy_server_status{proxy="p",server="n${v}"} ${v}`).join('\n') +
        '\nhaproxy_server_status{proxy="p",server="l",state="DRAIN"} 1\nhaproxy_server_status{proxy="p",server="l",state="UP"} 0' +
        '\nhaproxy_server_sessions_total{proxy="p",server="l"} 1\n' +
        [0, 1, 2, 3, 4].map((v) => `haproxy_server_sessions_total{proxy="p",server="n${v}"} 1`).join('\n') + '\n',
    );
    const got = Object.fromEntries(getPreset('haproxy').scrape!.extract(fams).map((x) => [x.backend, x.health]));
    assert.deepEqual(got, { n0: 'down', n1: 'up', n2: 'maint', n3: 'maint', n4: 'maint', l: 'maint' });
  });
});

describe('haproxy: backup, state age, response time, sessions (scrape mode)', () => {
  it('real 2.6 capture: limit from maxconn, NaN limit dropped, state age and response time read', () => {
    const r = extract(getPreset('haproxy'), 'exposition/haproxy-2.6-backup.txt');
    const s1 = r.get('be_app/s1')!;
    assert.equal(s1.sessionLimit, 30, 'maxconn 30');
    assert.equal(s1.sessions, 0);
    assert.equal(s1.stateAgeSeconds, 2);
    assert.equal(s1.responseTime, 0);
    assert.equal(r.get('be_app/s2')!.sessionLimit, undefined, 'NaN = no maxconn');
    assert.ok(!('sessionLimit' in r.get('be_app/s2')!));
    // 2.6 exports no per-server backup flag: without the config list bk1 looks like a primary.
    assert.equal(r.get('be_app/bk1')!.backup, undefined);
    assert.equal(r.get('be_app/m1')!.health, 'maint');
  });

  it('2.6 with backup_servers: the named server is a backup, the others are not flagged', () => {
    const r = extract(getPreset('haproxy', { backupServers: ['be_app/bk1'] }), 'exposition/haproxy-2.6-backup.txt');
    assert.equal(r.get('be_app/bk1')!.backup, true);
    assert.equal(r.get('be_app/s1')!.backup, undefined);
  });

  it('3.0: haproxy_server_backup marks the backup and clears the primaries', () => {
    const r = extract(getPreset('haproxy'), 'presets/haproxy-3.0.txt');
    assert.equal(r.get('be_app/bk1')!.backup, true);
    assert.equal(r.get('be_app/s1')!.backup, false);
    assert.equal(r.get('be_app/s2')!.backup, false);
  });

  it('3.0 with a config list: the list wins over a 0 from the metric', () => {
    const r = extract(getPreset('haproxy', { backupServers: ['be_app/s2'] }), 'presets/haproxy-3.0.txt');
    assert.equal(r.get('be_app/s2')!.backup, true);
    assert.equal(r.get('be_app/bk1')!.backup, true);
  });

  it('a malformed backup_servers entry is a config error naming it', () => {
    assert.throws(
      () => getPreset('haproxy', { backupServers: ['bk1'] }),
      (e: unknown) => isSkewwatchError(e, 'config') && /backup_servers: "bk1"/.test(e.message),
    );
  });
});

describe('haproxy: the same signals in query mode', () => {
  const ctx = { window: '1m', matchers: '' };
  it('queries for backup, state age, response time, sessions and limit', () => {
    const q = getPreset('haproxy').queries(ctx);
    assert.equal(q.backup, 'max by (proxy, server) (haproxy_server_backup)');
    assert.equal(q.stateAge, 'min by (proxy, server) (haproxy_server_check_last_change_seconds)');
    assert.equal(q.responseTime, 'max by (proxy, server) (haproxy_server_response_time_average_seconds)');
    assert.equal(q.sessions, 'sum by (proxy, server) (haproxy_server_current_sessions)');
    assert.equal(q.sessionLimit, 'sum by (proxy, server) (haproxy_server_limit_sessions > 0)');
  });

  it('configured backups come first in the backup query, escaped', () => {
    const q = getPreset('haproxy', { backupServers: ['be_app/bk1', 'be"x/b'] }).queries({ window: '1m', matchers: 'job="lb"' });
    assert.equal(
      q.backup,
      'max by (proxy, server) (haproxy_server_weight{proxy="be_app",server="bk1",job="lb"} * 0 + 1) or ' +
        'max by (proxy, server) (haproxy_server_weight{proxy="be\\"x",server="b",job="lb"} * 0 + 1) or ' +
        'max by (proxy, server) (haproxy_server_backup{job="lb"})',
    );
  });

  it('the assembler turns the vectors into BackendSample fields (0/NaN limit = none)', () => {
    const asm = new SnapshotAssembler({ poolLabels: ['proxy'], backendLabel: 'server', windowMs: 60_000 });
    const v = (server: string, value: number) => ({ metric: { proxy: 'be', server }, value });
    const snap = asm.assemble(0, [
      ['rate', [v('s1', 5), v('s2', 5), v('bk', 0)]],
      ['backup', [v('s1', 0), v('s2', 0), v('bk', 1)]],
      ['stateAge', [v('s1', 3600), v('s2', 12), v('bk', 3600)]],
      ['responseTime', [v('s1', 0.02), v('s2', 0.4)]],
      ['sessions', [v('s1', 3), v('s2', 29)]],
      ['sessionLimit', [v('s1', NaN), v('s2', 30), v('bk', 0)]],
    ]);
    const [bk, s1, s2] = snap.pools[0]!.backends;
    assert.deepEqual(
      { backup: s1!.backup, age: s1!.stateAgeSeconds, rt: s1!.responseTime, sessions: s1!.sessions, limit: s1!.sessionLimit },
      { backup: false, age: 3600, rt: 0.02, sessions: 3, limit: undefined },
    );
    assert.equal(s2!.sessionLimit, 30);
    assert.equal(s2!.stateAgeSeconds, 12);
    assert.equal(bk!.backup, true);
    assert.equal(bk!.sessionLimit, undefined, 'limit 0 = none');
    assert.equal(bk!.responseTime, undefined);
  });
});
