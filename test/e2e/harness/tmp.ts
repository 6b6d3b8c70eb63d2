// Per-run temp directories under os.tmpdir(). Removed by stopAll and, if the
// run dies first, by an exit hook; kept when E2E_KEEP=1 so the logs and
// generated configs of a failed run can be read afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dirs = new Set<string>();
let hooked = false;

const keep = () => process.env.E2E_KEEP === '1';

export function makeTempDir(prefix = 'skewwatch-e2e-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(dir);
  if (!hooked) {
    hooked = true;
    // Synchronous: 'exit' also runs after an uncaught exception.
    process.on('exit', () => {
      if (!keep()) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  dirs.delete(dir);
  if (keep()) {
    process.stderr.write(`E2E_KEEP=1: kept ${dir}\n`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
