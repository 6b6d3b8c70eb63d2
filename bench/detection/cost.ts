// CPU cost per job, for finding where the benchmark's time goes:
//   node --import tsx bench/detection/cost.ts [--family a,b] [--seeds N] [--out file.jsonl]
// Runs the jobs in this process, one after the other, and prints one line per
// job (family, size, seed, CPU ms, cycles) plus the judged result, so that two
// versions of the code can be compared run by run (same results, less CPU).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { jobs, runJob } from './run.js';

const { values } = parseArgs({
  options: { family: { type: 'string' }, seeds: { type: 'string', default: '1' }, first: { type: 'string', default: '1' }, out: { type: 'string' } },
});
const names = values.family ? values.family.split(',') : undefined;
const first = Number(values.first);
const all = jobs({ ...(names ? { families: names } : {}), seeds: Number(values.seeds) + first - 1 }).filter((j) => j.seed >= first);
const lines: string[] = [];
for (const job of all) {
  const c0 = process.cpuUsage();
  const r = await runJob(job);
  const c = process.cpuUsage(c0);
  const cpuMs = Math.round((c.user + c.system) / 1000);
  lines.push(JSON.stringify({ ...r, cpuMs }));
  process.stderr.write(`${job.family}\t${job.size}\t${job.seed}\t${cpuMs}\t${r.cycles}\n`);
}
if (values.out) writeFileSync(values.out, `${lines.join('\n')}\n`);
