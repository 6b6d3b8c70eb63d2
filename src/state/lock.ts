// One daemon per state directory. Two instances writing one state file would
// each overwrite the other's alert states and outbox (pages lost or sent
// twice), so the second refuses to start with a clear error.
//
// The lock is a file created with O_EXCL holding pid, hostname and a random
// instance id; its mtime is a heartbeat the owner refreshes every cycle. A
// lock is stale (taken over) when it is unreadable, when it names this host
// and a pid that is not running (or our own pid: a restarted container is
// pid 1 again), or when its heartbeat is older than `staleMs` (the owner is
// on another host, where its pid cannot be checked).
import { openSync, writeSync, closeSync, readFileSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SkewwatchError } from '../util/errors.js';

export const LOCK_FILE = 'skewwatch.lock';

interface LockInfo {
  readonly pid: number;
  readonly hostname: string;
  readonly instance: string;
  readonly startedAt: string;
}

export interface LockOptions {
  /** A heartbeat older than this means the owner is gone. */
  readonly staleMs: number;
  readonly now?: () => number;
  /** Injected for tests. */
  readonly host?: string;
  readonly pid?: number;
}

function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StateLock {
  private constructor(readonly path: string, private readonly info: LockInfo) {}

  static acquire(dir: string, opts: LockOptions): StateLock {
    const path = join(dir, LOCK_FILE);
    const now = opts.now ?? Date.now;
    const info: LockInfo = {
      pid: opts.pid ?? process.pid,
      hostname: opts.host ?? hostname(),
      instance: randomBytes(8).toString('hex'),
      startedAt: new Date(now()).toISOString(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        try { writeSync(fd, `${JSON.stringify(info)}\n`); } finally { closeSync(fd); }
        return new StateLock(path, info);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new SkewwatchError('state', `cannot lock state directory ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
        }
      }
      const holder = StateLock.holder(path, info, opts.staleMs, now());
      if (holder) {
        throw new SkewwatchError('state', `state directory ${dir} is in use by another skewwatch (pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt}); give each instance its own state_dir, or remove ${path} if that instance is gone`);
      }
      try { unlinkSync(path); } catch { /* another instance took it over first: retry decides */ }
    }
    throw new SkewwatchError('state', `cannot lock state directory ${dir}: another instance keeps taking the lock`);
  }

  /** The live owner of an existing lock, or null when the lock is stale. */
  private static holder(path: string, self: LockInfo, staleMs: number, now: number): LockInfo | null {
    let other: LockInfo;
    let ageMs: number;
    try {
      ageMs = now - statSync(path).mtimeMs;
      other = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      if (typeof other.pid !== 'number' || typeof other.hostname !== 'string') return null;
    } catch {
      return null; // unreadable or half-written: nobody can be relying on it
    }
    if (ageMs > staleMs) return null;
    if (other.hostname === self.hostname) {
      if (other.pid === self.pid) return null; // our previous incarnation (pid 1 again after a restart)
      if (!pidRunning(other.pid)) return null;
    }
    return other;
  }

  /** Refreshes the heartbeat. Never throws: a failing disk is reported by the state saves. */
  heartbeat(now = Date.now()): void {
    try { utimesSync(this.path, now / 1000, now / 1000); } catch { /* reported elsewhere */ }
  }

  /** Removes the lock if it is still ours. */
  release(): void {
    try {
      const current = JSON.parse(readFileSync(this.path, 'utf8')) as LockInfo;
      if (current.instance === this.info.instance) unlinkSync(this.path);
    } catch { /* gone already */ }
  }
}
