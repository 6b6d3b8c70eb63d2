// docs/demo.md says what `skewwatch demo --help` says: the defaults and ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { ROOT } from '../deploy/tools.js';

test('docs/demo.md gives --duration and --backends the defaults and ranges the code has', async () => {
  let help = '';
  await main(['demo', '--help'], { out: new Writable({ write(c, _e, cb) { help += String(c); cb(); } }), err: process.stderr, env: {} });
  const duration = /--duration S\s.*\(default (\d+), at least (\d+)\)/.exec(help);
  const backends = /--backends N\s.*\(default (\d+), (\d+)\.\.(\d+)\)/.exec(help);
  assert.ok(duration && backends, 'the help states them');
  const doc = readFileSync(join(ROOT, 'docs/demo.md'), 'utf8');
  const row = (flag: string) => doc.split('\n').find((l) => l.startsWith(`| \`${flag}`))!;
  assert.match(row('--duration'), new RegExp(`\\| \`${duration[1]}\` \\|`));
  assert.match(row('--duration'), new RegExp(`${duration[2]} to 3600`));
  assert.match(row('--backends'), new RegExp(`\\| \`${backends[1]}\` \\|`));
  assert.match(row('--backends'), new RegExp(`${backends[2]} to ${backends[3]}`));
  assert.match(doc, new RegExp(`default ${duration[1]} s run`));
});
