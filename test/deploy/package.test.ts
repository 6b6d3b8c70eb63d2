// What `npm pack` ships: LICENSE (Apache-2.0 in full), README, alerts, the
// built dist and bin, the man page; no source maps pointing at sources that
// are not shipped; README links that resolve inside the package; no script
// that runs on install (npm warns about `prepare` on a global install).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { ROOT } from './tools.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  license: string; bin: Record<string, string>; man: string[]; files: string[]; scripts: Record<string, string>;
};

test('LICENSE is the full Apache License 2.0 text, as package.json says', () => {
  const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.equal(pkg.license, 'Apache-2.0');
  assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
  assert.match(text, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
  assert.match(text, /END OF TERMS AND CONDITIONS/);
  assert.ok(text.length > 10_000, 'the whole text, not a pointer to it');
});

test('no script runs on install; the build runs on prepack', () => {
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(pkg.scripts[hook], undefined, `no ${hook} script`);
  assert.match(pkg.scripts.prepack ?? '', /npm run build/);
  assert.match(pkg.scripts.build ?? '', /build-man/, 'the build writes the man page');
  assert.match(pkg.scripts.predemo ?? '', /ensure-built/, '`npm ci && npm run demo` builds first');
});

test('ensure-built builds when dist is missing, and only then', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-ensure-'));
  cpSync(join(ROOT, 'scripts/ensure-built.mjs'), join(dir, 'scripts/ensure-built.mjs'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', scripts: { build: 'node -e "require(\'fs\').mkdirSync(\'dist\',{recursive:true});require(\'fs\').appendFileSync(\'dist/cli.js\',\'built\\\\n\')"' } }));
  const ensure = () => spawnSync(process.execPath, [join(dir, 'scripts/ensure-built.mjs')], { cwd: dir, encoding: 'utf8' });
  assert.equal(ensure().status, 0);
  assert.equal(readFileSync(join(dir, 'dist/cli.js'), 'utf8'), 'built\n');
  assert.equal(ensure().status, 0);
  assert.equal(readFileSync(join(dir, 'dist/cli.js'), 'utf8'), 'built\n', 'not rebuilt when present');
});

test('npm pack ships LICENSE, README, alerts, dist, bin and the man page, and no source maps', (t) => {
  if (!existsSync(join(ROOT, 'dist/cli.js')) || !existsSync(join(ROOT, 'man/skewwatch.1'))) return t.skip('run `npm run build` first (npm test does)');
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
  for (const f of ['LICENSE', 'README.md', 'package.json', 'alerts/default.yaml', 'dist/cli.js', 'man/skewwatch.1', ...Object.values(pkg.bin), ...pkg.man]) {
    assert.ok(files.has(normalize(f)), `${f} is packed`);
  }
  const maps = [...files].filter((f) => f.endsWith('.map'));
  assert.deepEqual(maps, [], 'no .js.map files (their sources are not shipped)');
  for (const f of files) {
    if (!f.endsWith('.js')) continue;
    const js = readFileSync(join(ROOT, f), 'utf8');
    assert.doesNotMatch(js, /sourceMappingURL/, `${f} points at no map`);
  }
  // README links to files resolve inside the package (the registry page has no repository to resolve them against).
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const m of readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/.test(target)) continue;
    assert.ok(files.has(normalize(target)) || [...files].some((f) => f.startsWith(`${normalize(target).replace(/\/$/, '')}/`)), `README links to ${target}, which is in the package`);
  }
});

test('bin/skewwatch prints the version from package.json', (t) => {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) return t.skip('run `npm run build` first');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/skewwatch'), '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `skewwatch ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
});
