import { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join, basename } from 'node:path';
import { ensureDir } from './dir.js';

/** A temp name no other writer shares: two containers sharing a volume are both pid 1, so pid alone collides. */
function tempName(path: string): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${host}-${randomBytes(4).toString('hex')}`);
}

/** writeSync may write fewer bytes than asked (a disk or quota nearly full): loop until all are written or it throws. */
function writeAll(fd: number, bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) {
    const n = writeSync(fd, bytes, off, bytes.length - off);
    // 0 bytes with no error would loop for ever: treat it as a full disk.
    if (n <= 0) throw Object.assign(new Error(`short write: ${off} of ${bytes.length} bytes`), { code: 'ENOSPC' });
    off += n;
  }
}

/**
 * One reusable staging buffer for writeFileAtomicParts: the state file is
 * ~10 MiB at 100,000 backends, and encoding it as one string plus one Buffer
 * per save made ~20 MiB of short-lived heap and external memory per cycle
 * (RSS crept up over a soak while the JS heap did not). Safe to share: the
 * writers are synchronous and never re-entered.
 */
const STAGE = Buffer.allocUnsafe(256 * 1024);

/** Writes `parts` in order through STAGE: nothing larger than one part is ever held. */
function writeParts(fd: number, parts: Iterable<string>): void {
  let used = 0;
  for (const part of parts) {
    const size = Buffer.byteLength(part, 'utf8');
    if (used + size > STAGE.length) {
      writeAll(fd, STAGE.subarray(0, used));
      used = 0;
    }
    if (size > STAGE.length) writeAll(fd, Buffer.from(part, 'utf8'));
    else used += STAGE.write(part, used, 'utf8');
  }
  if (used > 0) writeAll(fd, STAGE.subarray(0, used));
}

/**
 * Writes a file so that a crash leaves either the old or the new content,
 * never a torn one: write a temp file completely, fsync it, rename over,
 * fsync the dir. On any error the temp file is removed and the old file is
 * left as it was.
 */
export function writeFileAtomic(path: string, content: string): void {
  writeFileAtomicParts(path, [content]);
}

/** writeFileAtomic for content given as consecutive parts (streamed, never joined in memory). */
export function writeFileAtomicParts(path: string, parts: Iterable<string>): void {
  const dir = dirname(path);
  ensureDir(dir);
  const tmp = tempName(path);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeParts(fd, parts);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    throw e;
  }
  try {
    const dfd = openSync(dir, 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}
