// Benchmark: analyse 10,000 pools × 10 backends (100,000 backends) and
// compare with JSON.parse of the equivalent Prometheus instant-query
// response (one series per backend). The target is analyseMs ≤ parseMs: the
// analysis must never cost more than merely reading the data it analyses.
//
// Run: npm run bench  (scripts/build-bench.mjs compiles it with tsc into
// .bench-build/, then node .bench-build/bench/analyse.bench.js). Compiled, not
// through tsx: the product ships as tsc output, and tsx's __name() wrapper on
// every function creation cost ~10% of the per-cycle paths.
// stdout: exactly one JSON line
//   {"backends","pools","analyseMs","parseMs","ratio","steadyAnalyseMs","steadyRatio"}.
// stderr: details.
//
// analyseMs is analyseSnapshot over the snapshot with empty histories (the
// first cycle, as the task defines the benchmark). steadyAnalyseMs is the
// running state: every pool carries a full forecast history
// (historySeconds / 15 s scrape = 40 points) and the Theil–Sen fit runs for
// each pool. Its cycles are chained like the daemon's (each cycle gets the
// previous cycle's histories, 15 s later), so the cost of the histories that
// survive (allocation, promotion, GC) is measured, not only the scan.
// All three figures are medians of RUNS runs after WARMUP runs.

import { analyseSnapshot, appendHistory, DEFAULT_ANALYSIS_OPTIONS, EMPTY_HISTORY } from '../src/core/analysis/analyse.js';
import { historyPoints } from '../src/core/analysis/history.js';
import type { BackendSample, PoolHistory, PoolSample, PoolVerdict, Snapshot } from '../src/core/types.js';
import { prng } from '../src/util/prng.js';

const POOLS = 10_000;
const PER_POOL = 10;
const WARMUP = 2;
const RUNS = 7;
const AT = 1_700_000_000_123;
const STEP_MS = 15_000;


const rnd = prng(20240601);
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Mostly healthy pools; 5% skewed (one backend 3–6×), 3% with a backend down, some weighted. */
function buildPools(): PoolSample[] {
  const pools: PoolSample[] = [];
  for (let p = 0; p < POOLS; p++) {
    const name = `be_${pad(p + 1, 5)}`;
    const base = 1 + rnd() * 200;
    const skewed = rnd() < 0.05;
    const weighted = rnd() < 0.2;
    const down = rnd() < 0.03 ? Math.floor(rnd() * PER_POOL) : -1;
    const backends: BackendSample[] = [];
    for (let b = 0; b < PER_POOL; b++) {
      const weight = weighted ? (b === 0 ? 2 : 1) : 1;
      const factor = skewed && b === 0 ? 3 + rnd() * 3 : 1;
      const rate = base * weight * factor * (0.95 + 0.1 * rnd());
      backends.push({
        backend: `s${pad(b + 1, 2)}`,
        rate,
        weight,
        cpu: Math.min(2, (rate / base) * 0.3 * (0.9 + 0.2 * rnd())),
        cpuCapacity: 1,
        queue: skewed && b === 0 ? Math.floor(rnd() * 5) : 0,
        health: b === down ? 'down' : 'up',
      });
    }
    pools.push({ pool: name, labels: { proxy: name }, backends, windowSeconds: 60, cpuCapacityHint: 1 });
  }
  return pools;
}

/** The same rates as a Prometheus /api/v1/query vector response. */
function buildPromJson(pools: readonly PoolSample[]): string {
  const result: unknown[] = [];
  for (const pool of pools) {
    for (const b of pool.backends) {
      result.push({
        metric: {
          __name__: 'haproxy_server_http_responses_total',
          instance: `lb-${pad(Number(pool.pool.slice(3)) % 16, 2)}.prod.example.net:8405`,
          job: 'haproxy',
          proxy: pool.pool,
          server: b.backend,
          code: '2xx',
        },
        value: [AT / 1000, b.rate.toFixed(3)],
      });
    }
  }
  return JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });
}

/**
 * A full steady-state history per pool: 40 points 15 s apart ending one
 * step before AT, utilisation drifting slightly. Built through appendHistory
 * so the bench does not depend on the history's layout.
 */
function buildHistories(pools: readonly PoolSample[]): Map<string, PoolHistory> {
  const histories = new Map<string, PoolHistory>();
  const points = Math.floor(DEFAULT_ANALYSIS_OPTIONS.historySeconds / (STEP_MS / 1000));
  for (const pool of pools) {
    let h = EMPTY_HISTORY;
    for (let k = points; k >= 1; k--) {
      const backends = pool.backends.map((b) => ({ ...b, cpu: (b.cpu ?? 0) * (1 - 0.002 * k) * (0.98 + 0.04 * rnd()) }));
      h = appendHistory(h, { ...pool, backends }, AT - k * STEP_MS, DEFAULT_ANALYSIS_OPTIONS);
    }
    histories.set(pool.pool, h);
  }
  return histories;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time(fn: () => unknown): { median: number; min: number; max: number } {
  const runs: number[] = [];
  let sink = 0;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = performance.now();
    const out = fn();
    const dt = performance.now() - t0;
    sink += out ? 1 : 0;
    if (i >= WARMUP) runs.push(dt);
  }
  if (sink < 0) console.error(sink); // keep results observable so nothing is optimised away
  return { median: medianOf(runs), min: Math.min(...runs), max: Math.max(...runs) };
}

const pools = buildPools();
const snapshot: Snapshot = { at: AT, pools };
const json = buildPromJson(pools);
const empty = new Map<string, PoolHistory>();
// Chained running state: cycle i analyses the same pools at AT + i·15 s with cycle i−1's histories.
let histories = buildHistories(pools);
let cycle = 0;
let last: PoolVerdict[] = [];
function steadyCycle(): number {
  const r = analyseSnapshot({ at: AT + cycle++ * STEP_MS, pools }, histories, DEFAULT_ANALYSIS_OPTIONS);
  histories = r.histories;
  last = r.verdicts;
  return r.verdicts.length;
}

const parse = time(() => JSON.parse(json));
const first = time(() => analyseSnapshot(snapshot, empty, DEFAULT_ANALYSIS_OPTIONS).verdicts.length);
const steady = time(steadyCycle);
const parseMs = parse.median;
const analyseMs = first.median;
const steadyMs = steady.median;

const bySeverity = { ok: 0, warning: 0, critical: 0 };
for (const v of last) bySeverity[v.severity]++;
const span = (t: { min: number; max: number }) => `${t.min.toFixed(1)}–${t.max.toFixed(1)}`;
let points = 0;
for (const h of histories.values()) points += historyPoints(h).length;
console.error(
  `json ${(json.length / 1e6).toFixed(1)} MB; medians of ${RUNS} runs (range): parse ${parseMs.toFixed(1)} ms (${span(parse)}); ` +
    `analyse, empty histories ${analyseMs.toFixed(1)} ms (${span(first)}); ` +
    `steady state, ${(points / pools.length).toFixed(0)}-point histories ${steadyMs.toFixed(1)} ms (${span(steady)}) = ${(steadyMs / parseMs).toFixed(2)}× parse; ` +
    `last steady verdicts ${JSON.stringify(bySeverity)}`,
);

const round = (x: number) => Math.round(x * 10) / 10;
const ratio = (x: number) => Math.round((x / parseMs) * 1000) / 1000;
process.stdout.write(
  JSON.stringify({
    backends: POOLS * PER_POOL,
    pools: POOLS,
    analyseMs: round(analyseMs),
    parseMs: round(parseMs),
    ratio: ratio(analyseMs),
    steadyAnalyseMs: round(steadyMs),
    steadyRatio: ratio(steadyMs),
  }) + '\n',
);
