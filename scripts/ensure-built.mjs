#!/usr/bin/env node
// `npm run demo` / `npm start` right after `npm ci`: builds dist/ first when it
// is missing (the build runs on prepack, not on install, so that a global
// install never runs a script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('dist/ is missing: building it first (npm run build)');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(r.status ?? 1);
}
