// The Dockerfile, read (no engine here to build it): a maintained Node LTS
// base by exact tag, OCI labels, a non-root user, a healthcheck that follows
// SKEWWATCH_LISTEN, and every file it copies present and not excluded by
// .dockerignore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tools.js';

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/** .dockerignore patterns used here: a path or a directory prefix, `*` within a name. */
function ignored(path: string): boolean {
  return ignore.some((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    return re.test(path);
  });
}

test('the base is a maintained Node LTS (22 or 24) by exact tag', () => {
  const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
  assert.ok(arg, 'one NODE_IMAGE for both stages');
  assert.match(arg, /^node:(22|24)\.\d+\.\d+-[a-z]+(-slim)?$/);
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(froms, ['${NODE_IMAGE}', '${NODE_IMAGE}']);
});

test('OCI labels, a non-root user, and a healthcheck that honours SKEWWATCH_LISTEN', () => {
  for (const l of ['title', 'description', 'version', 'licenses', 'base.name']) assert.match(dockerfile, new RegExp(`org\\.opencontainers\\.image\\.${l.replace('.', '\\.')}=`), l);
  const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
  assert.equal(users.at(-1), 'node', 'the runtime stage runs as the image\'s unprivileged user');
  const hc = /^HEALTHCHECK .*CMD \["node", "([^"]+)"\]$/m.exec(dockerfile);
  assert.ok(hc, 'a healthcheck running a script');
  assert.doesNotMatch(hc[0], /9465/, 'no hard-coded port');
  assert.match(readFileSync(join(ROOT, 'deploy/docker/healthcheck.mjs'), 'utf8'), /process\.env\.SKEWWATCH_LISTEN/);
});

test('every file the Dockerfile copies exists and is in the build context', () => {
  const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1]!.split(/\s+/).slice(0, -1)).flat();
  assert.ok(copies.length >= 8);
  for (const src of copies) {
    assert.ok(existsSync(join(ROOT, src)), `${src} exists`);
    assert.equal(ignored(src), false, `${src} is not excluded by .dockerignore`);
  }
  for (const heavy of ['node_modules', '.git', 'test', 'dist']) assert.ok(ignored(heavy), `${heavy} stays out of the context`);
});
