#!/usr/bin/env node
// Writes man/skewwatch.1 from the built CLI's help text (run after tsc).
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { HELP, commandHelps } = await import(join(root, 'dist/cli.js'));
const { manPage } = await import(join(root, 'dist/cli/man.js'));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// SOURCE_DATE_EPOCH (reproducible builds) or today.
const epoch = process.env.SOURCE_DATE_EPOCH;
const date = epoch ? new Date(Number(epoch) * 1000).toISOString().slice(0, 10) : new Date().toISOString().slice(0, 10);
mkdirSync(join(root, 'man'), { recursive: true });
writeFileSync(join(root, 'man', 'skewwatch.1'), manPage({ version, help: HELP, commands: await commandHelps(), date }));
