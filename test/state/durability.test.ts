// Issue 11 items 4 and 7: the state file survives a full disk, temp files
// never collide or linger, the directory is checked at start (never a
// spinning mkdir), and one instance owns a state directory at a time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../src/state/atomic.js';
import { checkStateDir, ensureDir } from '../../src/state/dir.js';
import { StateLock, LOCK_FILE } from '../../src/state/lock.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = () => mkdtempSync(join(tmpdir(), 'skewwatch-durable-'));

describe('writeFileAtomic', () => {
  it('near a full disk (ulimit -f 8 in a child) the save fails and the good file stays whole; no temp file is left', () => {
    const dir = tmp();
    try {
      const file = join(dir, 'state.json');
      const good = JSON.stringify({ good: true, pad: 'g'.repeat(1000) });
      writeFileSync(file, good);
      // 8 blocks of 512 bytes: a 10 KB write is cut short (writeSync returns 8192, then EFBIG).
      const script = `import { writeFileAtomic } from ${JSON.stringify(join(ROOT, 'src/state/atomic.ts'))};
        try { writeFileAtomic(${JSON.stringify(file)}, JSON.stringify({ big: 'b'.repeat(10000) })); console.log('saved'); }
        catch (e) { console.log('failed', e.code); }`;
      const r = spawnSync('bash', ['-c', `ulimit -f 8; exec "${process.execPath}" --import tsx --input-type=module -e "$0"`, script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.trim(), /^failed (EFBIG|ENOSPC)$/, r.stdout + r.stderr);
      assert.equal(readFileSync(file, 'utf8'), good, 'the good state file is untouched');
      assert.deepEqual(readdirSync(dir), ['state.json'], 'the temp file was removed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes the temp file when the rename fails', () => {
    const dir = tmp();
    try {
      const target = join(dir, 'state.json');
      ensureDir(join(target, 'occupied')); // a non-empty directory where the file should go: rename fails
      assert.throws(() => writeFileAtomic(target, '{}'));
      assert.deepEqual(readdirSync(dir), ['state.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('temp names are unique per write even for the same pid (two containers, both pid 1)', () => {
    const dir = tmp();
    try {
      // Two writers in one process stand for two pid-1 processes: their temp files must differ.
      const file = join(dir, 'state.json');
      for (let i = 0; i < 20; i++) writeFileAtomic(file, JSON.stringify({ i }));
      assert.deepEqual(readdirSync(dir), ['state.json']);
      const src = readFileSync(join(ROOT, 'src/state/atomic.ts'), 'utf8');
      assert.match(src, /randomBytes/, 'temp names carry a random part');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('state directory check', () => {
  it('a path under /proc fails at once (no spinning recursive mkdir)', () => {
    const started = Date.now();
    assert.throws(() => checkStateDir('/proc/skewwatch-test/state'), /state directory \/proc\/skewwatch-test\/state is not usable \(ENOENT\)/);
    assert.ok(Date.now() - started < 2000);
  });

  it('a path below a regular file is ENOTDIR', () => {
    const dir = tmp();
    try {
      writeFileSync(join(dir, 'file'), 'x');
      assert.throws(() => checkStateDir(join(dir, 'file', 'state')), /is not usable \(ENOTDIR\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates missing levels and leaves no probe file', () => {
    const dir = tmp();
    try {
      checkStateDir(join(dir, 'a', 'b'));
      assert.deepEqual(readdirSync(join(dir, 'a', 'b')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('state directory lock', () => {
  const write = (dir: string, info: object, ageMs = 0) => {
    const p = join(dir, LOCK_FILE);
    writeFileSync(p, JSON.stringify(info));
    const t = (Date.now() - ageMs) / 1000;
    utimesSync(p, t, t);
  };

  it('refuses while another live instance on this host holds it, and names it', () => {
    const dir = tmp();
    try {
      write(dir, { pid: process.ppid, hostname: hostname(), instance: 'x', startedAt: '2026-01-01T00:00:00Z' });
      assert.throws(() => StateLock.acquire(dir, { staleMs: 60_000 }), new RegExp(`state directory .* is in use by another skewwatch \\(pid ${process.ppid} on `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a fresh lock from another host (pid 1 in another container), takes over a stale one', () => {
    const dir = tmp();
    try {
      write(dir, { pid: 1, hostname: 'other-pod', instance: 'x', startedAt: 'then' });
      assert.throws(() => StateLock.acquire(dir, { staleMs: 60_000, pid: 1 }), /in use by another skewwatch \(pid 1 on other-pod/);
      write(dir, { pid: 1, hostname: 'other-pod', instance: 'x', startedAt: 'then' }, 120_000);
      const lock = StateLock.acquire(dir, { staleMs: 60_000, pid: 1 });
      assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).hostname, hostname());
      lock.release();
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a lock of a dead pid on this host, or of our own pid (a restarted pid 1)', () => {
    const dir = tmp();
    try {
      const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
      write(dir, { pid: Number(dead.stdout.trim()), hostname: hostname(), instance: 'x', startedAt: 'then' });
      StateLock.acquire(dir, { staleMs: 60_000 }).release();
      write(dir, { pid: process.pid, hostname: hostname(), instance: 'x', startedAt: 'then' });
      const lock = StateLock.acquire(dir, { staleMs: 60_000 });
      assert.throws(() => StateLock.acquire(dir, { staleMs: 60_000, pid: process.pid + 1_000_000 }), /in use by another skewwatch/, 'a second instance is refused');
      lock.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
