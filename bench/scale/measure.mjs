// One skewwatch process measuring its real query-mode cycle (the Daemon as
// `skewwatch run` builds it: buildParts -> real source, analysis, rules,
// self-metrics, FileStateStore) against the recording proxy. Prints one JSON line.
// Plain JS on the built dist/ (npm run build), as `skewwatch run` runs: no
// TypeScript loader in the measured process's memory.
// Usage: node --expose-gc measure.mjs <db> <proxyUrl> <rateWindow> <cycles>
//
// queryMs: per cycle against the live database (proxy in record mode), the
//   wall time from the first query's arrival at the proxy to the last
//   response's last byte from the database (the queries run in parallel).
// ownMs / ownCpuMs: per cycle against the proxy in replay mode (the same
//   responses, served from memory by the child proxy): wall time and
//   process.cpuUsage() (user + system) of Daemon.cycle(), which covers
//   receiving the bytes over loopback, JSON parse, pool assembly, analysis,
//   rules, self-metrics and the state file write. Medians over the cycles.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { Daemon } from '../../dist/app/daemon.js';
import { buildParts } from '../../dist/app/runtime.js';
import { loadConfig } from '../../dist/config/load.js';
import { SkewwatchMetrics } from '../../dist/http/metrics.js';
import { FileStateStore } from '../../dist/state/store.js';
import { systemClock } from '../../dist/util/clock.js';
import { silentLogger } from '../../dist/util/logger.js';

const [db, proxyUrl, rateWindow, cyclesText] = process.argv.slice(2) ;
const cycles = Number(cyclesText);
const dir = mkdtempSync(join(tmpdir(), 'skewwatch-scale-'));
const configFile = join(dir, 'skewwatch.yaml');
writeFileSync(configFile, `
interval: 30s
state_dir: ${dir}
source:
  mode: prometheus
  preset: haproxy
  rate_window: ${rateWindow}
  queries:
    cpu: 'sum by (proxy, server) (rate(process_cpu_seconds_total[{{window}}]))'
  prometheus: { url: "${proxyUrl}", timeout: 120s }
`);
const loaded = loadConfig({ file: configFile, env: {} });
const metrics = new SkewwatchMetrics();
const log = silentLogger();
const store = new FileStateStore(dir, log);
const parts = buildParts(loaded, systemClock, metrics);
// Where the time and memory go: the source's collect (queries, receiving,
// parsing, assembly) and the state write are timed on their own, and the
// process's memory is sampled right after each collect (the parsed
// responses are then at their largest) and after each cycle.
const phase = { collectMs: [], saveMs: [], heapAfterCollectMiB: [], rssAfterCollectMiB: [] };
const MiB = (b) => Math.round(b / 1048576);
const collect = parts.source.collect.bind(parts.source);
parts.source.collect = async (...args) => {
  const t0 = performance.now();
  const snap = await collect(...args);
  phase.collectMs.push(performance.now() - t0);
  const m = process.memoryUsage();
  phase.heapAfterCollectMiB.push(MiB(m.heapUsed));
  phase.rssAfterCollectMiB.push(MiB(m.rss));
  return snap;
};
const save = store.save.bind(store);
store.save = (state) => {
  const t0 = performance.now();
  save(state);
  phase.saveMs.push(performance.now() - t0);
};
const daemon = new Daemon({ ...parts, store, clock: systemClock, log, metrics });

const control = async (path) => (await fetch(`${proxyUrl}/__bench/${path}`, { signal: AbortSignal.timeout(10_000) })).json();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const queryMs = [];
let responseBytes = 0;
let queries = 0;
let pools = 0;
let backends = 0;
let verdictsBad = 0;
await control('mode?m=record');
// Each cycle's report (snapshot and verdicts, ~80 MiB at 100,000 backends)
// is dropped inside a function: a report kept in a variable of this
// top-level-await module stays on its stack and would be counted as the
// daemon's live heap (the daemon itself keeps neither).
async function recordedCycle(i) {
  await control('timings');
  const r = await daemon.cycle(Date.now());
  if (!r.ok) {
    // Which answers had arrived from the database (a slow database or a stalled client?).
    console.error(JSON.stringify({ failedCycle: i, proxyTimings: await control('timings').catch(() => 'unavailable') }));
    throw new Error(`cycle against ${db} failed: ${r.error}`);
  }
  const t = await control('timings');
  queryMs.push(Math.max(...t.map((x) => x.endMs)) - Math.min(...t.map((x) => x.startMs)));
  responseBytes = t.reduce((n, x) => n + x.bytes, 0);
  queries = t.length;
  pools = r.snapshot.pools.length;
  backends = r.snapshot.pools.reduce((n, p) => n + p.backends.length, 0);
  verdictsBad = r.verdicts.filter((v) => v.severity !== 'ok').length;
}
for (let i = 0; i < cycles; i++) await recordedCycle(i);
await control('mode?m=replay');
const recorded = { ...phase };
for (const k of Object.keys(phase)) phase[k] = [];
const ownMs = [];
const ownCpuMs = [];
async function replayedCycle() {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const r = await daemon.cycle(Date.now());
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  if (!r.ok) throw new Error(`replayed cycle failed: ${r.error}`);
  ownMs.push(wall);
  ownCpuMs.push((used.user + used.system) / 1000);
}
// SCALE_ALLOC_PROFILE=file: V8's sampling heap profiler over the replayed
// cycles, counting objects already collected too: where a cycle allocates
// (garbage included), by function (bench/scale/alloc-summary.mjs).
const allocProfile = process.env.SCALE_ALLOC_PROFILE;
let session;
if (allocProfile) {
  const { Session } = await import('node:inspector');
  session = new Session();
  session.connect();
  const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  session.postAsync = post;
  await post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
for (let i = 0; i < cycles; i++) await replayedCycle();
if (session) {
  const { profile } = await session.postAsync('HeapProfiler.stopSampling');
  writeFileSync(allocProfile, JSON.stringify(profile));
  session.disconnect();
}
// One more replayed cycle, not timed, with forced GCs (--expose-gc): the
// live heap before it, while the collected snapshot is held, and after it.
// The difference between these and rssMiB is garbage V8 let accumulate.
const live = {};
const liveHeap = () => { globalThis.gc?.(); globalThis.gc?.(); return MiB(process.memoryUsage().heapUsed); };
live.beforeCycleMiB = liveHeap();
// SCALE_HEAPSNAPSHOT=prefix: V8 heap snapshots at those two points, to attribute the live heap (bench/scale/heap-summary.mjs).
const heapSnapshot = (name) => { if (process.env.SCALE_HEAPSNAPSHOT) writeHeapSnapshot(`${process.env.SCALE_HEAPSNAPSHOT}-${name}.heapsnapshot`); };
heapSnapshot('before');
parts.source.collect = async (...args) => {
  const snap = await collect(...args);
  live.withSnapshotMiB = liveHeap();
  heapSnapshot('snapshot');
  return snap;
};
await (async () => { await daemon.cycle(Date.now()); })();
live.afterCycleMiB = liveHeap();
heapSnapshot('after');
const metricsText = await metrics.registry.metrics();
const round = (x) => Math.round(x);
const q = median(queryMs);
const own = median(ownMs);
console.log(JSON.stringify({
  bench: 'scale', db, backends, pools, queries, cycles,
  queryMs: round(q), ownMs: round(own), ownCpuMs: round(median(ownCpuMs)), ownShare: Math.round((own / q) * 100) / 100,
  rssMiB: round(process.resourceUsage().maxRSS / 1024),
  responseMiB: Math.round((responseBytes / 1048576) * 10) / 10,
  stateMiB: Math.round((statSync(store.path).size / 1048576) * 10) / 10,
  metricsKiB: round(Buffer.byteLength(metricsText) / 1024),
  flaggedPools: verdictsBad,
  queryMsAll: queryMs.map(round), ownMsAll: ownMs.map(round),
  // Replayed cycles: the collect's share of ownMs and the state write's.
  collectMs: round(median(phase.collectMs)), saveMs: round(median(phase.saveMs)),
  heapAfterCollectMiB: { recorded: recorded.heapAfterCollectMiB, replayed: phase.heapAfterCollectMiB },
  rssAfterCollectMiB: { recorded: recorded.rssAfterCollectMiB, replayed: phase.rssAfterCollectMiB },
  heapEndMiB: MiB(process.memoryUsage().heapUsed),
  liveHeap: live,
  nodeOptions: process.execArgv.filter((a) => a.startsWith('--max-old-space-size') || a.startsWith('--max-semi-space-size')).join(' ') || undefined,
}));
await daemon.close();
