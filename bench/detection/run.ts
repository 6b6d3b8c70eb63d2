// Jobs (family x size x seed) and running them in order.
import { FAMILIES, family, type FamilyDef } from './families/index.js';
import { INTERVAL_SECONDS, runScenario, type RunOptions } from './harness.js';
import { judge, type RunResult } from './judge.js';

export interface Job {
  readonly family: string;
  readonly size: number;
  readonly seed: number;
}

export interface Selection {
  /** Family names; all when empty. */
  readonly families?: readonly string[];
  /** Seeds 1..seeds per family and size. */
  readonly seeds: number;
  /** Only the two smallest sizes of each family. */
  readonly quick?: boolean;
}

export function selectFamilies(names: readonly string[] | undefined): FamilyDef[] {
  return names && names.length > 0 ? names.map(family) : [...FAMILIES];
}

export function jobs(sel: Selection): Job[] {
  const out: Job[] = [];
  for (const f of selectFamilies(sel.families)) {
    const sizes = sel.quick ? [...f.sizes].sort((a, b) => a - b).slice(0, 2) : f.sizes;
    for (const size of sizes) for (let seed = 1; seed <= sel.seeds; seed++) out.push({ family: f.name, size, seed });
  }
  return out;
}

/**
 * Expected CPU cost of a job, in arbitrary units, for scheduling only (the
 * longest first): daemon cycles x (a fixed part + a part per server),
 * roughly what the runs measured (about 0.3 ms + 0.07 ms per server per
 * cycle). A fault run stops 2 min after its first 5xx; its full duration is
 * the bound used here.
 */
export function jobCost(job: Job): number {
  const sc = family(job.family).build(job.size, job.seed);
  return (sc.duration / INTERVAL_SECONDS) * (4 + sc.pool.servers.length);
}

export async function runJob(job: Job, opts: RunOptions = {}): Promise<RunResult> {
  return judge(await runScenario(family(job.family).build(job.size, job.seed), opts));
}
