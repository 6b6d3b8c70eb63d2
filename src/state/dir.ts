// The state directory: created one level at a time and probed for writing.
// Node's mkdirSync({ recursive: true }) loops for ever on some paths (under
// /proc it spins a core and starves the event loop, so /healthz and SIGTERM
// stop working); creating each level ourselves turns that into an error.
import { mkdirSync, statSync, openSync, writeSync, fsyncSync, closeSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { SkewwatchError } from '../util/errors.js';

/** mkdir -p, without the recursive flag. Throws the underlying errno error. */
export function ensureDir(dir: string): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (let depth = 0; depth < 256; depth++) {
    try {
      if (statSync(p).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, '${p}'`), { code: 'ENOTDIR' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
    }
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * Start-up check: the directory exists or can be created, and a file can be
 * written, synced and removed in it. Throws a SkewwatchError('state') that
 * says what to fix.
 */
export function checkStateDir(dir: string): void {
  try {
    ensureDir(dir);
    const probe = join(dir, `.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'ok');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      try { unlinkSync(probe); } catch { /* best effort */ }
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new SkewwatchError('state', `state directory ${dir} is not usable (${code}): skewwatch keeps its alert state and outbox there; set state_dir / SKEWWATCH_STATE_DIR to a writable directory`, { cause: e });
  }
}
