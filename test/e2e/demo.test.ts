// The README's first command, as a newcomer runs it: `skewwatch demo --json`
// on the built CLI, with nothing else installed. The JSON must show a page
// before the first simulated 5xx (or no 5xx at all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';

const CLI = join(resolve(import.meta.dirname, '../..'), 'dist', 'cli.js');

test('demo --json: the simulated weight misconfiguration is paged before users see 5xx', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'demo', '--duration', '40', '--json'], { timeout: 90_000, env: { PATH: process.env.PATH } });
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  assert.equal(summary.simulated, true);
  assert.equal(summary.scenario, 'weight-misconfig');
  assert.equal(typeof summary.faultAt, 'number');
  assert.equal(typeof summary.firstPageAt, 'number', JSON.stringify(summary));
  assert.ok((summary.firstPageAt as number) > (summary.faultAt as number), 'the page follows the fault');
  assert.equal(summary.pagedBeforeFirst5xx, true, JSON.stringify(summary));
  assert.equal(summary.pages, 1);
  assert.equal(summary.ok, true);
});
