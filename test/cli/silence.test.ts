import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../fakes/cli-io.js';
import { main } from '../../src/cli.js';
import { readSilenceFile } from '../../src/state/silences.js';
import { isSilenced } from '../../src/core/alerting/rule-match.js';

const io = (env: NodeJS.ProcessEnv = {}) => captureIo(env);

test('silence add, list and expire through the state dir the daemon reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-silence-'));
  const a = io();
  assert.equal(await main(['silence', 'add', '--state-dir', dir, '--pool', 'be_batch', '--duration', '2h', '--comment', 'migration', '--author', 'ana'], a.io), 0);
  const id = /silence (\S+) until/.exec(a.out())![1]!;
  const [s] = readSilenceFile(dir);
  assert.equal(s!.id, id);
  assert.equal(s!.endsAt - s!.startsAt, 2 * 3_600_000);
  assert.ok(isSilenced([s!], 'TrafficSkewCritical', 'be_batch', Date.now()), 'the daemon treats be_batch as silenced');
  assert.equal(isSilenced([s!], 'TrafficSkewCritical', 'be_app', Date.now()), null, 'other pools are not');

  const l = io();
  assert.equal(await main(['silence', 'list', '--state-dir', dir], l.io), 0);
  assert.match(l.out(), new RegExp(`${id}.*be_batch.*ana.*migration`));

  const x = io();
  assert.equal(await main(['silence', 'expire', id, '--state-dir', dir], x.io), 0);
  assert.equal(isSilenced(readSilenceFile(dir), 'TrafficSkewCritical', 'be_batch', Date.now() + 1), null);
  const again = io();
  assert.equal(await main(['silence', 'expire', id, '--state-dir', dir], again.io), 1);
  assert.match(again.err(), /no active silence/);
});

test('silence add refuses what would confuse the next person on call', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-silence-'));
  for (const [args, message] of [
    [['--duration', '2h'], /--comment is required/],
    [['--comment', 'x'], /--duration is required/],
    [['--duration', 'soon', '--comment', 'x'], /--duration: expected a duration such as 30m or 2h, or forever; got "soon"/],
    [['--duration', '1h', '--comment', 'x', '--pool', '('], /--pool: invalid regex/],
    [['--duration', '1h', '--comment', 'x', '--start', 'tomorrow'], /--start: expected an ISO 8601 time/],
  ] as const) {
    const r = io();
    assert.equal(await main(['silence', 'add', '--state-dir', dir, ...args], r.io), 2, args.join(' '));
    assert.match(r.err(), message);
  }
  assert.deepEqual(readSilenceFile(dir), []);
});
