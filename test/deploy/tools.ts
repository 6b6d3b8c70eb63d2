// The real tools the deploy checks run (haproxy, promtool, amtool,
// docker-compose). In CI a missing one fails the test; elsewhere it skips
// with the install hint, as the e2e suite does.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { findBinary, isCI } from '../e2e/harness/binaries.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The tool's path, or undefined after marking the test skipped (failing it in CI). */
export function tool(t: TestContext, name: string): string | undefined {
  const path = findBinary(name);
  if (path) return path;
  if (isCI()) throw new Error(`${name} is not installed (apt-get install -y haproxy prometheus prometheus-alertmanager docker-compose)`);
  t.skip(`${name} not installed`);
  return undefined;
}

export function run(bin: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(bin, args, { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: 60_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
}
