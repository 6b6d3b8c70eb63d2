// Issue 11 items 1-3: never blind without saying so. A configured signal
// that fails or joins no backend is named (source.queries.cpu), logged once
// per change, counted and shown in the status; zero pools is unready and
// logged; what was found is logged at start and when it changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { PrometheusSource } from '../../src/sources/prometheus.js';
import type { PrometheusApi, VectorSample } from '../../src/sources/prometheus-api.js';
import { CompactVector } from '../../src/sources/sample-table.js';
import { SkewwatchError } from '../../src/util/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext } from '../../src/app/build.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { MemoryStateStore, type PersistedState, type StateStore } from '../../src/state/store.js';
import { createLogger } from '../../src/util/logger.js';
import type { Snapshot } from '../../src/core/types.js';
import type { Source } from '../../src/sources/source.js';
import { FakeClock } from '../fakes/clock.js';
import { pool, BALANCED } from '../fakes/source.js';

const series = (proxy: string, server: string, value: number, extra: Record<string, string> = {}): VectorSample => ({ metric: { proxy, server, ...extra }, value });
const RATE = [series('be_app', 's1', 10), series('be_app', 's2', 10)];

/** A PrometheusApi that answers each query from a table (or fails). */
function fakeApi(answers: Record<string, VectorSample[] | Error>): PrometheusApi {
  return {
    queryTable: async (promql: string, _time: number, labels: readonly string[]) => {
      const a = answers[promql];
      if (a === undefined) throw new Error(`unexpected query ${promql}`);
      if (a instanceof Error) throw a;
      return { data: CompactVector.from(a, labels), warnings: [] };
    },
  } as unknown as PrometheusApi;
}

function source(answers: Record<string, VectorSample[] | Error>, explicit: string[] = ['cpu']) {
  return new PrometheusSource({
    api: fakeApi(answers),
    queries: { rate: 'RATE', cpu: 'CPU', queue: 'QUEUE' },
    poolLabels: ['proxy'],
    backendLabel: 'server',
    windowMs: 60_000,
    explicit: new Set(explicit as never[]),
    signalOrigins: { queue: 'preset haproxy (queue)' },
  });
}

test('a CPU query that fails is a missing signal named by its config key', async () => {
  const s = await source({ RATE, CPU: new SkewwatchError('source-api', 'Prometheus: bad_data: parse error at char 4'), QUEUE: [] }).collect(0);
  assert.deepEqual(s.missingSignals?.map((m) => [m.signal, m.configKey]), [['cpu', 'source.queries.cpu']]);
  assert.match(s.missingSignals![0]!.reason, /query failed: .*parse error/);
  assert.equal(s.pools.length, 1, 'the rest of the snapshot is kept');
});

test('a CPU query whose series join no backend (wrong `by` labels) is missing; one that joins is not', async () => {
  const wrong = await source({ RATE, CPU: [series('be_app', 'app-1:9100', 0.5), series('be_app', 'app-2:9100', 0.5)], QUEUE: [] }).collect(0);
  assert.equal(wrong.missingSignals?.[0]?.configKey, 'source.queries.cpu');
  assert.match(wrong.missingSignals![0]!.reason, /none of its 2 series joins a backend of the rate query: its labels must include \[proxy, server\]/);
  const right = await source({ RATE, CPU: [series('be_app', 's1', 0.5)], QUEUE: [] }).collect(0);
  assert.equal(right.missingSignals, undefined);
});

test('an explicitly configured query that returns nothing is missing; a preset query that returns nothing is not', async () => {
  const s = await source({ RATE, CPU: [], QUEUE: [] }).collect(0);
  assert.deepEqual(s.missingSignals?.map((m) => m.configKey), ['source.queries.cpu']);
  const preset = await source({ RATE, CPU: [series('be_app', 's1', 0.5)], QUEUE: [series('other', 'x', 1)] }).collect(0);
  assert.deepEqual(preset.missingSignals?.map((m) => m.configKey), ['preset haproxy (queue)'], 'a preset query whose series join nothing is named by the preset');
});

test('no rate series: zero pools, not "every signal missing"', async () => {
  const s = await source({ RATE: [], CPU: [series('be_app', 's1', 0.5)], QUEUE: [] }).collect(0);
  assert.equal(s.missingSignals, undefined);
});

// ---- the daemon -------------------------------------------------------------

class Lines extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _e: string, cb: () => void) {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  }
  msgs(level?: string) { return this.lines.filter((l) => level === undefined || l.level === level).map((l) => String(l.msg)); }
}

class StepSource implements Source {
  readonly name = 'step';
  constructor(public next: (now: number) => Snapshot) {}
  async collect(now: number) { return this.next(now); }
}

function setup(next: (now: number) => Snapshot, store: StateStore = new MemoryStateStore()) {
  const loaded = loadConfig({ env: { SKEWWATCH_PROMETHEUS_URL: 'http://127.0.0.1:1', SKEWWATCH_INTERVAL: '5s' } });
  const out = new Lines();
  const log = createLogger({ level: 'debug', stream: out });
  const metrics = new SkewwatchMetrics();
  const clock = new FakeClock();
  const d = new Daemon({ loaded, source: new StepSource(next), notifiers: [], analysis: buildAnalysisOptions(loaded.config), context: buildEvaluatorContext(loaded, []), store, clock, log, metrics });
  const cycles = async (n: number) => { for (let i = 0; i < n; i++) { await d.cycle(clock.now()); await clock.advance(5000); } };
  return { d, out, metrics, clock, cycles };
}

const CPU_MISSING = [{ signal: 'cpu', configKey: 'source.queries.cpu', reason: 'none of its 2 series joins a backend' }];

test('a missing signal is logged at warn once per change, counted, shown in the status, and its return logged', async () => {
  let missing = true;
  const { d, out, metrics, clock, cycles } = setup((now) => ({ at: now, pools: [pool('be_app', BALANCED)], ...(missing ? { missingSignals: CPU_MISSING } : {}) }));
  await cycles(6);
  assert.deepEqual(out.msgs('warn'), ['signal missing: source.queries.cpu (cpu) gives nothing usable; skewwatch is partially blind']);
  const status = d.status(clock.now()) as { source: { missingSignals: Array<{ configKey: string }> } };
  assert.deepEqual(status.source.missingSignals.map((m) => m.configKey), ['source.queries.cpu']);
  assert.match(await metrics.registry.metrics(), /^skewwatch_signals_missing 1$/m);
  missing = false;
  await cycles(3);
  assert.deepEqual(out.msgs('info').filter((m) => m.startsWith('signal')), ['signal back: source.queries.cpu']);
  assert.match(await metrics.registry.metrics(), /^skewwatch_signals_missing 0$/m);
});

test('zero pools from the start: logged once, /readyz unready with the reason', async () => {
  const { d, out, clock, cycles } = setup((now) => ({ at: now, pools: [] }));
  await cycles(4);
  assert.equal(out.msgs('warn').filter((m) => m.startsWith('no pools found')).length, 1);
  const r = d.readiness(clock.now());
  assert.equal(r.ready, false);
  assert.match(r.reason, /found no pools/);
});

test('pools that vanish after being seen: logged, unready; found pools logged at start and on change only', async () => {
  let pools = [pool('be_app', BALANCED), pool('be_api', [0.5, 0.5])];
  const { d, out, clock, cycles } = setup((now) => ({ at: now, pools }));
  await cycles(3);
  assert.equal(d.readiness(clock.now()).ready, true);
  const found = out.lines.filter((l) => l.msg === 'found pools');
  assert.equal(found.length, 1);
  assert.equal(found[0]!.pools, 2);
  assert.deepEqual((found[0]!.detail as Array<{ pool: string; signals: string[] }>).map((p) => [p.pool, p.signals.join(',')]), [['be_app', 'rate,health,weight,cpu,cpu_capacity'], ['be_api', 'rate,health,weight,cpu,cpu_capacity']]);
  pools = [pool('be_app', BALANCED)];
  await cycles(2);
  assert.equal(out.msgs('info').filter((m) => m === 'pools changed').length, 1);
  pools = [];
  await cycles(2);
  assert.deepEqual(out.msgs('warn'), ['all 1 pools disappeared from the source: skewwatch watches nothing now']);
  assert.equal(d.readiness(clock.now()).ready, false);
});

test('a failing state save: alerting goes on, counted every time, logged once per change, recovery logged', async () => {
  let broken = true;
  const store: StateStore = { load: () => null, save: (_s: PersistedState) => { if (broken) throw new Error('cannot write state to /x/state.json: EROFS'); } };
  const { out, metrics, cycles } = setup((now) => ({ at: now, pools: [pool('be_app', BALANCED)] }), store);
  await cycles(5);
  assert.equal(out.msgs('error').length, 1);
  let text = await metrics.registry.metrics();
  assert.match(text, /^skewwatch_state_save_errors_total 5$/m);
  assert.match(text, /^skewwatch_state_save_failing 1$/m);
  broken = false;
  await cycles(1);
  assert.ok(out.msgs('info').includes('state saved again'));
  text = await metrics.registry.metrics();
  assert.match(text, /^skewwatch_state_save_failing 0$/m);
});
