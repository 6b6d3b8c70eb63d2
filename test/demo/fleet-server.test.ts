import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFleet, step } from '../../src/demo/fleet-model.js';
import { renderHaproxyMetrics } from '../../src/demo/exposition.js';
import { startFleetServer, type ControlState } from '../../src/demo/fleet-server.js';
import { ManualClock } from './manual-clock.js';

interface Parsed {
  readonly help: Map<string, string>;
  readonly type: Map<string, string>;
  /** `name{labels}` -> value */
  readonly samples: Map<string, number>;
  readonly names: string[];
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN)$/;

/** A deliberately simple line-by-line check of the text format (0.0.4). */
function parse(text: string): Parsed {
  assert.ok(text.endsWith('\n'), 'exposition ends with a newline');
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples = new Map<string, number>();
  const names: string[] = [];
  for (const line of text.split('\n').slice(0, -1)) {
    if (line === '') continue;
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) {
      assert.ok(!help.has(m[1]!), `one HELP per metric: ${m[1]}`);
      help.set(m[1]!, m[2]!);
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/.exec(line);
    if (m) {
      assert.ok(help.has(m[1]!), `HELP before TYPE: ${m[1]}`);
      type.set(m[1]!, m[2]!);
      continue;
    }
    m = SAMPLE_RE.exec(line);
    assert.ok(m, `sample line: ${JSON.stringify(line)}`);
    const name = m[1]!;
    assert.ok(help.has(name) && type.has(name), `HELP and TYPE precede ${name}`);
    const key = name + (m[2] ?? '');
    assert.ok(!samples.has(key), `series written once: ${key}`);
    samples.set(key, Number(m[3]));
    if (!names.includes(name)) names.push(name);
  }
  return { help, type, samples, names };
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

test('/metrics: HAProxy 2.6 exporter shape, parseable, counters monotonic across scrapes', async () => {
  const clock = new ManualClock();
  const server = await startFleetServer({ clock, autoTick: false, fleet: { scenario: 'weight-misconfig', backends: 3 } });
  try {
    clock.advance(20_000);
    server.tick();
    const first = await get(server.metricsUrl);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-type'), 'text/plain; version=0.0.4');
    const a = parse(first.body);

    for (const name of [
      'haproxy_backend_http_responses_total',
      'haproxy_server_http_responses_total',
      'haproxy_server_sessions_total',
      'haproxy_server_weight',
      'haproxy_server_status',
      'haproxy_server_current_queue',
      'haproxy_server_current_sessions',
    ]) {
      assert.ok(a.names.includes(name), `has ${name}`);
    }
    // Backend metrics come before server metrics, as HAProxy writes them.
    assert.ok(a.names.indexOf('haproxy_backend_http_responses_total') < a.names.indexOf('haproxy_server_current_queue'));
    assert.equal(a.type.get('haproxy_server_http_responses_total'), 'counter');
    assert.equal(a.type.get('haproxy_server_weight'), 'gauge');
    assert.equal(
      a.help.get('haproxy_server_http_responses_total'),
      'Total number of HTTP responses with status 100-199 returned by this object since the worker process started',
    );
    assert.equal(a.help.get('haproxy_server_status'), 'Current status of the service, per state label value.');
    for (const code of ['1xx', '2xx', '3xx', '4xx', '5xx', 'other']) {
      assert.ok(a.samples.has(`haproxy_server_http_responses_total{proxy="be_app",server="s1",code="${code}"}`));
    }
    // One status series per state, exactly one of them 1.
    for (const server of ['s1', 's2', 's3']) {
      const states = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'].map(
        (st) => a.samples.get(`haproxy_server_status{proxy="be_app",server="${server}",state="${st}"}`),
      );
      assert.deepEqual(states, [0, 1, 0, 0, 0]);
    }

    clock.advance(80_000);
    server.tick();
    const b = parse((await get(server.metricsUrl)).body);
    let increased = 0;
    for (const [key, v1] of a.samples) {
      const name = key.replace(/\{.*$/, '');
      if (a.type.get(name) !== 'counter') continue;
      const v2 = b.samples.get(key);
      assert.ok(v2 !== undefined && v2 >= v1, `${key} monotonic: ${v1} -> ${v2}`);
      if (v2 > v1) increased++;
    }
    assert.ok(increased > 5, 'counters moved');
    assert.equal(b.samples.get('haproxy_server_weight{proxy="be_app",server="s2"}'), 8);
  } finally {
    await server.close();
  }
});

test('queue-timeout 503s show at the backend level, not as server 5xx', () => {
  let s = createFleet({ scenario: 'weight-misconfig', backends: 4 });
  s = step(s, 115);
  const p = parse(renderHaproxyMetrics(s));
  assert.ok(p.samples.get('haproxy_backend_http_responses_total{proxy="be_app",code="5xx"}')! > 0);
  for (const name of ['s1', 's2', 's3', 's4']) {
    assert.equal(p.samples.get(`haproxy_server_http_responses_total{proxy="be_app",server="${name}",code="5xx"}`), 0);
  }
  assert.ok(p.samples.get('haproxy_server_current_queue{proxy="be_app",server="s2"}')! > 0);
  assert.equal(p.samples.get('haproxy_backend_current_queue{proxy="be_app"}'), 0);
  assert.ok(p.samples.get('haproxy_server_connection_errors_total{proxy="be_app",server="s2"}')! > 0);
});

test('/backends/<name>/metrics: process_cpu_seconds_total counter, monotonic', async () => {
  const clock = new ManualClock();
  const server = await startFleetServer({ clock, autoTick: false });
  try {
    clock.advance(10_000);
    server.tick();
    const r1 = await get(server.backendMetricsUrl('s1'));
    assert.equal(r1.status, 200);
    const p1 = parse(r1.body);
    assert.equal(p1.type.get('process_cpu_seconds_total'), 'counter');
    assert.equal(p1.help.get('process_cpu_seconds_total'), 'Total user and system CPU time spent in seconds.');
    const v1 = p1.samples.get('process_cpu_seconds_total')!;
    assert.ok(v1 > 0 && v1 < 10);
    clock.advance(10_000);
    server.tick();
    const v2 = parse((await get(server.backendMetricsUrl('s1'))).body).samples.get('process_cpu_seconds_total')!;
    assert.ok(v2 > v1);
    assert.equal((await get(server.backendMetricsUrl('nope'))).status, 404);
  } finally {
    await server.close();
  }
});

test('control API: state JSON and repair', async () => {
  const clock = new ManualClock();
  const server = await startFleetServer({ clock, autoTick: false, fleet: { scenario: 'weight-misconfig' } });
  try {
    clock.advance(50_000);
    server.tick();
    const st = JSON.parse((await get(`${server.url}/control/state`)).body) as ControlState;
    assert.equal(st.scenario, 'weight-misconfig');
    assert.equal(st.backends.length, 4);
    assert.ok(st.faultAt !== null && st.repairedAt === null && st.first5xxAt === null);
    assert.ok(st.backends[1]!.share > 0.6, `hot share ${st.backends[1]!.share}`);
    for (const key of ['share', 'cpu', 'queue', 'errors5xx'] as const) assert.equal(typeof st.backends[0]![key], 'number');

    assert.equal((await get(`${server.url}/control/repair`)).status, 405);
    const repaired = await get(`${server.url}/control/repair`, { method: 'POST' });
    assert.equal(repaired.status, 200);
    const after = JSON.parse(repaired.body) as ControlState;
    assert.equal(after.repairedAt, 50);
    assert.deepEqual(
      after.backends.map((b) => b.weight),
      [1, 1, 1, 1],
    );
    assert.equal((await get(`${server.url}/nope`)).status, 404);
  } finally {
    await server.close();
  }
});

test('the timer advances the model from the injected clock (no real sleeps)', async () => {
  const clock = new ManualClock();
  const seen: number[] = [];
  const server = await startFleetServer({ clock, tickMs: 100, speed: 2, onTick: (s) => seen.push(s.t) });
  try {
    for (let i = 0; i < 5; i++) {
      await flush();
      clock.advance(100);
      await flush();
    }
    assert.equal(seen.length, 5);
    assert.ok(Math.abs(server.state().t - 1.0) < 1e-9, `model time ${server.state().t}`);
  } finally {
    await server.close();
  }
  assert.equal(clock.pending, 0, 'close() stops the timer');
});
