// Finding the real binaries the e2e suite drives, and deciding what to do
// when they are missing: in CI a missing binary is a broken environment and
// must fail loudly; on a developer machine the suite skips, printing how to
// install them, so `npm test` stays usable without root.
import fs from 'node:fs';
import path from 'node:path';

export const INSTALL_HINT = 'install with: apt-get install -y haproxy prometheus prometheus-alertmanager';

// Debian puts haproxy in /usr/sbin, which is not on a normal user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

/** Absolute path of an executable, or undefined. Absolute input is checked as is. */
export function findBinary(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : [...(process.env.PATH ?? '').split(':').filter(Boolean), ...EXTRA_DIRS].map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

export class MissingBinaryError extends Error {
  readonly kind = 'missing-binary';
  constructor(readonly missing: string[]) {
    super(`e2e: missing binaries: ${missing.join(', ')}; ${INSTALL_HINT}`);
    this.name = 'MissingBinaryError';
  }
}

/**
 * Returns undefined when every binary is present. Otherwise: throws a
 * MissingBinaryError in CI (CI=true), or prints the reason and returns it so
 * the caller can pass it to node:test's `skip` option.
 */
export function requireBinaries(
  names: string[],
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (m) => process.stderr.write(m),
): string | undefined {
  const missing = names.filter((n) => !findBinary(n));
  if (missing.length === 0) return undefined;
  const err = new MissingBinaryError(missing);
  if (isCI(env)) throw err;
  // A banner, because a silent skip is how e2e suites rot.
  warn(`\n*** SKIPPING e2e: ${err.message} ***\n\n`);
  return err.message;
}

/** Like findBinary but throws the actionable error. */
export function resolveBinary(name: string): string {
  const p = findBinary(name);
  if (!p) throw new MissingBinaryError([name]);
  return p;
}
