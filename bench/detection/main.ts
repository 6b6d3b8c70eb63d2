// npm run bench:detection [-- --family a,b] [--seeds N] [--quick] [--json] [--workers N] [--runs]
//
// Runs every labelled situation through the real daemon (harness.ts) and
// prints a table per family kind, then ONE JSON line with the totals (the
// last line of stdout). --json prints only the JSON line (the table goes to
// stderr). --runs lists every run that was not perfect. Work is split over
// --workers child processes (default 2: the machine's cores).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { jobs, runJob, selectFamilies, type Job } from './run.js';
import type { RunResult } from './judge.js';
import { familyRow, renderTable, totals } from './report.js';

const { values } = parseArgs({
  options: {
    family: { type: 'string' },
    seeds: { type: 'string', default: '20' },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    workers: { type: 'string', default: '2' },
    runs: { type: 'boolean', default: false },
    shard: { type: 'string' },
  },
});

const seeds = values.quick && values.seeds === '20' ? 3 : Number(values.seeds);
if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);
const familyNames = values.family ? values.family.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
const all = jobs({ ...(familyNames ? { families: familyNames } : {}), seeds, quick: values.quick });

async function worker(shard: string): Promise<void> {
  const [i, n] = shard.split('/').map(Number) as [number, number];
  for (let j = i; j < all.length; j += n) process.send!(await runJob(all[j]!));
}

async function parent(): Promise<void> {
  const started = Date.now();
  const n = Math.max(1, Math.min(Number(values.workers) || 1, all.length));
  const results: RunResult[] = [];
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--shard'));
  let done = 0;
  await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [...args, `--shard=${i}/${n}`], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m) => {
      results.push(m as RunResult);
      if (++done % 25 === 0) process.stderr.write(`  ${done}/${all.length} runs, ${Math.round((Date.now() - started) / 1000)} s\n`);
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${i} exited with ${code}`))));
  })));
  const order = new Map(all.map((j: Job, k) => [`${j.family}/${j.size}/${j.seed}`, k]));
  results.sort((a, b) => order.get(`${a.family}/${a.size}/${a.seed}`)! - order.get(`${b.family}/${b.size}/${b.seed}`)!);
  const rows = selectFamilies(familyNames).map((f) => familyRow(f.name, results.filter((r) => r.family === f.name))).filter((r) => r.runs > 0);
  const table = renderTable(rows);
  const line = JSON.stringify(totals(rows, results, (Date.now() - started) / 1000));
  const out = values.json ? process.stderr : process.stdout;
  out.write(`${table}\n`);
  if (values.runs) {
    for (const r of results) if (r.note !== null || r.invalid !== null) out.write(`${r.family} size=${r.size} seed=${r.seed} (${r.label}): ${r.invalid ?? r.note}\n`);
    out.write('\n');
  }
  process.stdout.write(`${line}\n`);
}

await (values.shard ? worker(values.shard) : parent());
