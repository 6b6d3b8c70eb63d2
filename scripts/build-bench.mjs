#!/usr/bin/env node
// Compiles the detection benchmark, the pure-core analysis benchmark
// (bench/analyse.bench.ts, `npm run bench`) and the product code they drive
// into .bench-build/ (tsc, emit only: `npm run typecheck` checks types), with
// the two data files the compiled detection modules look for beside
// themselves: the bench's skewwatch.yaml and the shipped alerts/default.yaml
// (src/config/load.ts resolves it relative to its own module).
//
// Why compiled and not through tsx: the product ships as tsc output
// (node dist/cli.js), and that is what the bench should measure. tsx's
// esbuild transform keeps function names with a __name() call wherever a
// function is created, which in the per-cycle paths cost ~10% of the
// benchmark's CPU for the same results (and of the analysis bench's steady
// cycle).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.bench-build');
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.bench.json'), '--noCheck'], { stdio: 'inherit' });
for (const file of ['bench/detection/skewwatch.yaml', 'alerts/default.yaml']) {
  mkdirSync(dirname(join(out, file)), { recursive: true });
  copyFileSync(join(root, file), join(out, file));
}
