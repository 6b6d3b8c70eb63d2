// npm run bench:detection [-- --family a,b] [--seeds N] [--quick] [--json] [--workers N] [--runs]
// (compiles into .bench-build/ first, scripts/build-bench.mjs; the same runs
// through tsx: node --import tsx bench/detection/main.ts ...)
//
// Runs every labelled situation through the real daemon (harness.ts) and
// prints a table per family kind, then ONE JSON line with the totals (the
// last line of stdout). --json prints only the JSON line (the table goes to
// stderr). --runs lists every run that was not perfect. Work is split over
// --workers child processes (default 2: the machine's cores): each asks the
// parent for its next job, longest expected first (run.ts jobCost), so the
// workers finish together instead of one idling through the other's tail.
// stderr ends with the wall time, the workers' CPU time and the load average.
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { jobCost, jobs, runJob, selectFamilies, type Job } from './run.js';
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
    worker: { type: 'boolean', default: false },
  },
});

const seeds = values.quick && values.seeds === '20' ? 3 : Number(values.seeds);
if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);
const familyNames = values.family ? values.family.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
const all = jobs({ ...(familyNames ? { families: familyNames } : {}), seeds, quick: values.quick });

type ToWorker = { job: number } | { done: true };
type FromWorker = { ready: true } | { result: RunResult } | { cpuMs: number };

async function worker(): Promise<void> {
  const send = (m: FromWorker) => process.send!(m);
  process.on('message', (m: ToWorker) => {
    if ('done' in m) {
      const c = process.cpuUsage();
      send({ cpuMs: (c.user + c.system) / 1000 });
      process.disconnect();
      return;
    }
    void runJob(all[m.job]!).then((result) => send({ result }), (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    });
  });
  send({ ready: true });
}

async function parent(): Promise<void> {
  const started = Date.now();
  const n = Math.max(1, Math.min(Number(values.workers) || 1, all.length));
  const results: RunResult[] = [];
  const args = process.argv.slice(2).filter((a) => a !== '--worker');
  // Longest first; ties in job order (a deterministic schedule).
  const queue = all.map((j, k) => ({ k, cost: jobCost(j) })).sort((a, b) => b.cost - a.cost || a.k - b.k).map((x) => x.k);
  let next = 0;
  let done = 0;
  let cpuMs = 0;
  const finishedAt: number[] = [];
  await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [...args, '--worker'], {
      // The same runtime as the parent: compiled (.bench-build, npm run bench:detection) or through tsx.
      execArgv: import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const feed = () => child.send((next < queue.length ? { job: queue[next++]! } : { done: true }) satisfies ToWorker);
    child.on('message', (m: FromWorker) => {
      if ('cpuMs' in m) {
        cpuMs += m.cpuMs;
        finishedAt[i] = (Date.now() - started) / 1000;
        return;
      }
      if ('result' in m) {
        results.push(m.result);
        if (++done % 25 === 0) process.stderr.write(`  ${done}/${all.length} runs, ${Math.round((Date.now() - started) / 1000)} s\n`);
      }
      feed();
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${i} exited with ${code}`))));
  })));
  const order = new Map(all.map((j: Job, k) => [`${j.family}/${j.size}/${j.seed}`, k]));
  results.sort((a, b) => order.get(`${a.family}/${a.size}/${a.seed}`)! - order.get(`${b.family}/${b.size}/${b.seed}`)!);
  const rows = selectFamilies(familyNames).map((f) => familyRow(f.name, results.filter((r) => r.family === f.name))).filter((r) => r.runs > 0);
  const table = renderTable(rows);
  const wall = (Date.now() - started) / 1000;
  const line = JSON.stringify(totals(rows, results, wall));
  const out = values.json ? process.stderr : process.stdout;
  out.write(`${table}\n`);
  if (values.runs) {
    for (const r of results) if (r.note !== null || r.invalid !== null) out.write(`${r.family} size=${r.size} seed=${r.seed} (${r.label}): ${r.invalid ?? r.note}\n`);
    out.write('\n');
  }
  process.stderr.write(
    `wall ${wall.toFixed(1)} s, workers' CPU ${(cpuMs / 1000).toFixed(1)} s (user+sys), workers done at ${finishedAt.map((s) => `${s.toFixed(0)} s`).join(', ')}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  process.stdout.write(`${line}\n`);
}

await (values.worker ? worker() : parent());
