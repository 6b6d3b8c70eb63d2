#!/usr/bin/env node
// Runs the test suites on Node's built-in runner (Node 20 has no glob in
// `node --test`, so we list the files). Usage: run-tests.mjs unit|e2e ...
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, pred, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

const suites = process.argv.slice(2);
const files = [];
if (suites.includes('unit')) files.push(...find('test', (p) => p.endsWith('.test.ts') && !p.startsWith(join('test', 'e2e'))).sort());
if (suites.includes('e2e')) files.push(...find(join('test', 'e2e'), (p) => p.endsWith('.test.ts')).sort());
if (files.length === 0) {
  console.error(`no test files for ${suites.join(', ') || '(no suite named)'}; usage: run-tests.mjs unit|e2e`);
  process.exit(2);
}
// End-to-end files start real servers on loopback ports: run them one at a
// time so they do not compete for the 2 cores they are calibrated for.
const concurrency = suites.includes('e2e') ? '1' : String(Math.max(1, Math.min(4, Number(process.env.TEST_CONCURRENCY ?? 2))));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
