import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext } from '../../src/app/build.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { MemoryStateStore } from '../../src/state/store.js';
import { silentLogger } from '../../src/util/logger.js';
import { RecordingWriter, readRecording } from '../../src/replay/recording.js';
import { replayCycles } from '../../src/replay/engine.js';
import { applyOverrides } from '../../src/replay/overrides.js';
import { loadRange } from '../../src/replay/range-loader.js';
import { PrometheusApi } from '../../src/sources/prometheus-api.js';
import { FakeClock } from '../fakes/clock.js';
import { ScriptedSource, pool, BALANCED, SKEWED } from '../fakes/source.js';
import { startServer, json } from '../fakes/http-server.js';

const loaded = loadConfig({ env: { SKEWWATCH_PROMETHEUS_URL: 'http://127.0.0.1:1', SKEWWATCH_INTERVAL: '5s' } });

test('replaying a recording reproduces the live daemon\'s alert transitions exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-replay-'));
  const file = join(dir, 'rec.jsonl');
  const clock = new FakeClock();
  const t0 = clock.now();
  const script = (now: number) => {
    const s = (now - t0) / 1000;
    if (s >= 100 && s < 130) return 'down' as const;         // a source outage mid-incident
    return [pool('be_app', s < 30 || s >= 250 ? BALANCED : SKEWED), pool('be_api', BALANCED)];
  };
  const writer = new RecordingWriter(file, { interval: 5000, namespace: 'default' });
  const live: Array<{ at: number; rule: string; pool: string; phase: string }> = [];
  const ctx = buildEvaluatorContext(loaded, []);
  const daemon = new Daemon({
    loaded, source: new ScriptedSource(script), notifiers: [], analysis: buildAnalysisOptions(loaded.config), context: ctx,
    store: new MemoryStateStore(), clock, log: silentLogger(), metrics: new SkewwatchMetrics(),
    onCycle: (r) => writer.write(r.at, r.snapshot, r.error),
  });
  let prev = new Map<string, string>();
  for (let i = 0; i < 80; i++) {
    await daemon.cycle(clock.now());
    const status = daemon.status(clock.now()) as { alerts: Array<{ rule: string; pool: string; state: string }> };
    const now = new Map(status.alerts.map((a) => [`${a.rule}|${a.pool}`, a.state]));
    for (const key of new Set([...prev.keys(), ...now.keys()])) {
      const from = prev.get(key) ?? 'inactive';
      const to = now.get(key) ?? 'inactive';
      if (from !== to) live.push({ at: clock.now(), rule: key.split('|')[0]!, pool: key.split('|')[1]!, phase: to });
    }
    prev = now;
    await clock.advance(5000);
  }
  const rec = readRecording(file);
  assert.equal(rec.cycles.length, 80);
  assert.equal(rec.cycles.filter((c) => 'error' in c).length, 6);
  const replay = replayCycles(rec.cycles, ctx, buildAnalysisOptions(loaded.config));
  const replayed = replay.transitions.map((t) => ({ at: t.at, rule: t.rule, pool: t.pool, phase: t.to }));
  assert.ok(live.some((t) => t.phase === 'firing'), 'the scenario fires');
  assert.ok(live.some((t) => t.phase === 'resolved'), 'and resolves');
  assert.deepEqual(replayed, live);
});

test('--set overrides change the outcome side by side', () => {
  const cycles = Array.from({ length: 30 }, (_, i) => ({ at: i * 5000, snapshot: { at: i * 5000, pools: [pool('be_app', i >= 2 && i < 10 ? SKEWED : BALANCED)] } }));
  const ctx = (l: typeof loaded) => buildEvaluatorContext(l, []);
  const base = replayCycles(cycles, ctx(loaded), buildAnalysisOptions(loaded.config));
  // A 40 s skew: the page (for: 15s) fires, the warning (for: 1m) does not.
  assert.deepEqual(base.transitions.filter((t) => t.to === 'firing').map((t) => t.rule), ['TrafficSkewCritical']);
  const slower = applyOverrides(loaded, ['TrafficSkewCritical.for=1m']);
  const tuned = replayCycles(cycles, ctx(slower), buildAnalysisOptions(slower.config));
  assert.equal(tuned.transitions.filter((t) => t.to === 'firing').length, 0, 'with for: 1m the 40 s skew never pages');
  const quicker = applyOverrides(loaded, ['TrafficSkew.for=10s']);
  const warned = replayCycles(cycles, ctx(quicker), buildAnalysisOptions(quicker.config));
  assert.ok(warned.transitions.some((t) => t.rule === 'TrafficSkew' && t.to === 'firing'), 'with for: 10s the warning fires too');
  assert.throws(() => applyOverrides(loaded, ['NoSuchRule.for=1m']), /no rule NoSuchRule/);
  assert.throws(() => applyOverrides(loaded, ['TrafficSkew.for=soon']), /duration/);
  assert.throws(() => applyOverrides(loaded, ['analysis.skew_ratio=0.5']), /./);
});

test('query_range history is chunked under the points limit and regrouped per step', async () => {
  const queries: Array<{ query: string; start: number; end: number; step: number }> = [];
  const server = await startServer((req, _b, res) => {
    const u = new URL(req.url!, 'http://x');
    const start = Number(u.searchParams.get('start'));
    const end = Number(u.searchParams.get('end'));
    const step = Number(u.searchParams.get('step'));
    const query = u.searchParams.get('query')!;
    queries.push({ query, start, end, step });
    const values: Array<[number, string]> = [];
    for (let t = start; t <= end + 1e-9; t += step) values.push([t, query === 'RATE' ? '10' : '1']);
    json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [
      { metric: { proxy: 'be_app', server: 's1' }, values },
      { metric: { proxy: 'be_app', server: 's2' }, values },
    ] } });
  });
  const cycles = [];
  for await (const c of loadRange({
    api: new PrometheusApi({ url: server.url, timeoutMs: 2000 }), queries: { rate: 'RATE', weight: 'WEIGHT' },
    fromMs: 1_000_000_000, toMs: 1_000_000_000 + 249 * 15_000, stepMs: 15_000, pointsPerChunk: 100,
    poolLabels: ['proxy'], backendLabel: 'server', windowMs: 60_000,
  })) cycles.push(c);
  await server.close();
  assert.equal(cycles.length, 250);
  assert.equal(queries.length, 6, '3 chunks x 2 signals');
  for (const q of queries) assert.ok((q.end - q.start) / q.step + 1 <= 100, 'each chunk within the points limit');
  const first = cycles[0]!;
  assert.ok('snapshot' in first);
  assert.deepEqual(first.snapshot.pools[0]!.backends.map((b) => [b.backend, b.rate, b.weight]), [['s1', 10, 1], ['s2', 10, 1]]);
  assert.deepEqual(cycles.map((c) => c.at).slice(0, 3), [1_000_000_000, 1_000_015_000, 1_000_030_000]);
});
