import { test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { CronScheduler } from '../../src/app/cron-scheduler.js';
import { cronProblem } from '../../src/config/cron.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';

test('cron expressions are validated with a message naming the field', () => {
  assert.equal(cronProblem('*/15 * * * * *'), null);
  assert.match(cronProblem('*/15 * * * * * *') ?? '', /./);
  assert.match(cronProblem('61 * * * * *') ?? '', /second/i);
  assert.throws(() => new CronScheduler('not cron', async () => {}), /CronScheduler/);
});

test('a bad schedule in the config is refused with its key path', () => {
  const e = (() => {
    try {
      loadConfig({ env: { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090' }, file: writeTemp('schedule: "99 * * * * *"\n') });
    } catch (x) {
      return x;
    }
    return null;
  })();
  assert.ok(e instanceof ConfigError);
  assert.equal(e.issues[0]!.path, 'schedule');
  assert.match(e.issues[0]!.message, /cron expression/);
});

test('runs on the cron schedule and skips a tick while the previous run is still going', async () => {
  const ticks: number[] = [];
  const skipped: number[] = [];
  let release!: () => void;
  const blocker = new Promise<void>((r) => (release = r));
  const s = new CronScheduler('* * * * * *', async (at) => {
    ticks.push(at);
    if (ticks.length === 1) await blocker; // the first run outlives the next tick
  }, { onSkip: (at) => skipped.push(at) });
  s.start();
  // node-cron fires on wall-clock seconds: this test waits on real time by necessity (about 3 s).
  await new Promise((r) => setTimeout(r, 2600));
  assert.equal(ticks.length, 1, 'the second tick did not start a second run');
  assert.ok(skipped.length >= 1, 'the overlapping tick was reported');
  release();
  await new Promise((r) => setTimeout(r, 1200));
  assert.ok(ticks.length >= 2, 'runs resume once the slow one finished');
  assert.equal(await s.stop(1000), true);
  for (const t of ticks) assert.equal(t % 1000, 0, 'ticks are on whole seconds');
});

function writeTemp(content: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'skewwatch-cron-')), 'c.yaml');
  writeFileSync(f, content);
  return f;
}
