import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { PoolSample, Snapshot } from '../../src/core/types.js';
import { getPreset } from '../../src/presets/index.js';
import { parseExposition } from '../../src/sources/exposition.js';
import { readCpu, ScrapeSource, type ScrapeSourceOptions, type ScrapeTarget } from '../../src/sources/scrape.js';
import { isSkewwatchError, type SkewwatchErrorKind } from '../../src/util/errors.js';
import { manualClock, serve, text, type TestServer } from './serve.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/exposition/${name}`, import.meta.url), 'utf8');
const HAPROXY_1 = fixture('haproxy-2.6.txt');
const HAPROXY_2 = fixture('haproxy-2.6-second.txt');

function pool(snap: Snapshot, name: string): PoolSample {
  const p = snap.pools.find((x) => x.pool === name);
  assert.ok(p, `pool ${name} in ${snap.pools.map((x) => x.pool).join(',')}`);
  return p;
}
function backend(snap: Snapshot, poolName: string, b: string) {
  const found = pool(snap, poolName).backends.find((x) => x.backend === b);
  assert.ok(found, `backend ${b}`);
  return found;
}

async function rejectsWith(p: Promise<unknown>, kind: SkewwatchErrorKind, patterns: RegExp[] = [], forbidden: string[] = []) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSkewwatchError(e, kind), `expected ${kind}, got ${e instanceof Error ? `${(e as { kind?: string }).kind}: ${e.message}` : String(e)}`);
    for (const re of patterns) assert.match(e.message, re);
    for (const secret of forbidden) assert.ok(!e.message.includes(secret), `message leaks ${secret}: ${e.message}`);
    for (const secret of forbidden) assert.ok(!String((e.cause as Error | undefined)?.message ?? '').includes(secret), 'cause leaks');
    return true;
  });
}

describe('ScrapeSource against loopback servers', () => {
  let srv: TestServer;
  const sources: ScrapeSource[] = [];
  const make = (opts: Omit<ScrapeSourceOptions, 'clock'> & { clock?: ScrapeSourceOptions['clock'] }) => {
    const s = new ScrapeSource({ clock: manualClock(), ...opts });
    sources.push(s);
    return s;
  };

  before(async () => {
    srv = await serve();
  });
  after(async () => {
    for (const s of sources) await s.close();
    await srv.close();
  });

  it('first scrape has no pools (not ready); the second gives rates from real HAProxy output', async () => {
    let body = HAPROXY_1;
    srv.route('/haproxy', text(() => body));
    const clock = manualClock(1_000_000);
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/haproxy`, role: 'balancer' }], clock });
    const first = await src.collect(1);
    assert.deepEqual(first, { at: 1, pools: [] });
    assert.equal(src.ready, false);

    body = HAPROXY_2;
    clock.advance(10_000);
    const snap = await src.collect(2);
    assert.equal(src.ready, true);
    assert.equal(snap.at, 2);
    const app = pool(snap, 'be_app');
    assert.deepEqual(app.labels, { proxy: 'be_app' });
    assert.equal(app.windowSeconds, 10);
    const s1 = backend(snap, 'be_app', 's1');
    assert.equal(s1.rate, 4.8);
    assert.equal(s1.count, 48);
    assert.equal(s1.weight, 100);
    assert.equal(s1.health, 'up');
    assert.equal(s1.queue, 0);
    assert.equal(s1.errorRate, 0);
    assert.equal(backend(snap, 'be_app', 's3').rate, 2.4);
    assert.equal(backend(snap, 'tcp_db', 'db1').rate, 0.3, 'TCP pool from sessions');
    assert.equal(backend(snap, 'be_static', 'st2').health, 'maint');
  });

  it('scrape time is the midpoint of request and response', async () => {
    let n = 0;
    srv.route('/mid', text(() => `haproxy_server_sessions_total{proxy="p",server="a"} ${(n++) * 100}\n`));
    // Each collect reads the clock twice: before and after the request.
    const times = [0, 2_000, 10_000, 10_000];
    let i = 0;
    const clock = { now: () => times[i++]!, sleep: async () => {} };
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/mid`, role: 'balancer' }], clock });
    await src.collect(0);
    const snap = await src.collect(1);
    // Midpoints 1 000 and 10 000: 9 s apart, not 8 or 10.
    assert.equal(pool(snap, 'p').windowSeconds, 9);
    assert.equal(backend(snap, 'p', 'a').rate, 100 / 9);
  });

  it('counter reset between scrapes counts the new value, a vanished backend is dropped', async () => {
    const bodies = [
      'haproxy_server_sessions_total{proxy="p",server="a"} 1000\nhaproxy_server_sessions_total{proxy="p",server="b"} 500\n',
      'haproxy_server_sessions_total{proxy="p",server="a"} 50\nhaproxy_server_sessions_total{proxy="p",server="b"} 600\n',
      'haproxy_server_sessions_total{proxy="p",server="a"} 150\n',
    ];
    let k = 0;
    srv.route('/reset', text(() => bodies[k++]!));
    const clock = manualClock();
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/reset`, role: 'balancer' }], clock });
    await src.collect(0);
    clock.advance(10_000);
    const s2 = await src.collect(0);
    assert.equal(backend(s2, 'p', 'a').rate, 5, 'reset: 50 over 10 s');
    assert.equal(backend(s2, 'p', 'b').rate, 10);
    clock.advance(10_000);
    const s3 = await src.collect(0);
    assert.deepEqual(pool(s3, 'p').backends.map((b) => b.backend), ['a']);
  });

  it('smoothingScrapes spans several scrapes', async () => {
    let v = 0;
    const incs = [0, 100, 0, 0];
    let k = 0;
    srv.route('/smooth', text(() => `haproxy_server_sessions_total{proxy="p",server="a"} ${(v += incs[k++]!)}\n`));
    const clock = manualClock();
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/smooth`, role: 'balancer' }], clock, smoothingScrapes: 3 });
    await src.collect(0);
    clock.advance(1_000);
    assert.equal(backend(await src.collect(0), 'p', 'a').rate, 100);
    clock.advance(1_000);
    const s = await src.collect(0);
    assert.equal(backend(s, 'p', 'a').rate, 50, '100 over the last 2 s');
    assert.equal(pool(s, 'p').windowSeconds, 2);
    clock.advance(1_000);
    assert.equal(backend(await src.collect(0), 'p', 'a').rate, 0);
  });

  it('weights are averaged over the same scrapes as the rates', async () => {
    // A deliberate weight change (1 -> 8) mid-window: the window still holds
    // traffic sent under weight 1, so the weight it is compared with must too.
    let reqs = 0;
    let weight = 1;
    srv.route('/weights', text(() => `haproxy_server_sessions_total{proxy="p",server="a"} ${(reqs += 10)}\nhaproxy_server_weight{proxy="p",server="a"} ${weight}\n`));
    const clock = manualClock();
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/weights`, role: 'balancer' }], clock, smoothingScrapes: 3 });
    await src.collect(0);
    clock.advance(1_000);
    assert.equal(backend(await src.collect(0), 'p', 'a').weight, 1);
    weight = 8; // changed right after that scrape
    clock.advance(1_000);
    assert.equal(backend(await src.collect(0), 'p', 'a').weight, 1, 'weight 1 held for the whole window so far');
    clock.advance(1_000);
    assert.equal(backend(await src.collect(0), 'p', 'a').weight, 4.5, 'half the window at 1, half at 8');
    clock.advance(2_000);
    assert.equal(backend(await src.collect(0), 'p', 'a').weight, 8, 'the window has moved past the change');
  });

  it('OpenMetrics responses are parsed by content type', async () => {
    let v = 10;
    srv.route(
      '/om',
      text(
        () => `# TYPE haproxy_server_sessions counter\nhaproxy_server_sessions_total{proxy="p",server="a"} ${(v += 10)}\nhaproxy_server_sessions_created{proxy="p",server="a"} 1.7e9\n# EOF\n`,
        'application/openmetrics-text; version=1.0.0; charset=utf-8',
      ),
    );
    const clock = manualClock();
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/om`, role: 'balancer' }], clock });
    await src.collect(0);
    clock.advance(2_000);
    assert.equal(backend(await src.collect(0), 'p', 'a').rate, 5);
    assert.match(String(srv.requests.at(-1)!.headers.accept), /application\/openmetrics-text/);
  });

  it('CPU targets: prom-client process CPU and node_exporter (capacity = CPUs)', async () => {
    let lb = 0;
    srv.route(
      '/lb',
      text(() => {
        lb += 100;
        return `haproxy_server_sessions_total{proxy="be",server="s1"} ${lb}\nhaproxy_server_sessions_total{proxy="be",server="s2"} ${lb}\n`;
      }),
    );
    let proc = 0;
    srv.route('/proc', text(() => fixture('prom-client.txt').replace(/^process_cpu_seconds_total .*$/m, `process_cpu_seconds_total ${(proc += 5)}`)));
    let nodeOffset = 0;
    const node = fixture('node-exporter.txt');
    srv.route(
      '/node',
      text(() => {
        const body = node.replace(/^(node_cpu_seconds_total\{cpu="0",mode="user"\}) (\S+)$/m, (_m, a: string, v: string) => `${a} ${Number(v) + nodeOffset}`);
        nodeOffset += 15;
        return body;
      }),
    );
    srv.route('/broken-cpu', (_req, res) => res.writeHead(500).end());
    const clock = manualClock();
    const targets: ScrapeTarget[] = [
      { url: `${srv.base}/lb`, role: 'balancer' },
      { url: `${srv.base}/proc`, role: 'cpu', labels: { proxy: 'be', server: 's1' } },
      { url: `${srv.base}/node`, role: 'cpu', labels: { proxy: 'be', server: 's2' } },
      { url: `${srv.base}/broken-cpu`, role: 'cpu', labels: { proxy: 'be', server: 's3' } },
    ];
    const src = make({ preset: getPreset('haproxy'), targets, clock, cpuCapacityHint: 4 });
    await src.collect(0);
    assert.equal(src.lastCpuErrors.length, 1);
    assert.equal(src.lastCpuErrors[0]!.kind, 'source-http');
    clock.advance(10_000);
    const snap = await src.collect(0);
    const s1 = backend(snap, 'be', 's1');
    assert.equal(s1.cpu, 0.5, 'process CPU: 5 s over 10 s');
    assert.equal(s1.cpuCapacity, undefined);
    const s2 = backend(snap, 'be', 's2');
    assert.ok(Math.abs(s2.cpu! - 1.5) < 1e-9, `node CPU: 15 s of user over 10 s, got ${s2.cpu}`);
    assert.equal(s2.cpuCapacity, 2);
    assert.equal(pool(snap, 'be').cpuCapacityHint, 4);
    assert.equal(src.lastCpuErrors.length, 1, 'CPU failures do not fail the collect');
  });

  it('several balancer targets add up per backend', async () => {
    let lbA = 0;
    let lbB = 0;
    srv.route('/lb-a', text(() => `haproxy_server_sessions_total{proxy="p",server="x"} ${lbA++ * 10}\n`));
    srv.route('/lb-b', text(() => `haproxy_server_sessions_total{proxy="p",server="x"} ${lbB++ * 30}\n`));
    const clock = manualClock();
    const src = make({
      preset: getPreset('haproxy'),
      targets: [
        { url: `${srv.base}/lb-a`, role: 'balancer' },
        { url: `${srv.base}/lb-b`, role: 'balancer' },
      ],
      clock,
    });
    await src.collect(0);
    clock.advance(1_000);
    const snap = await src.collect(0);
    assert.equal(backend(snap, 'p', 'x').rate, 40);
    assert.equal(backend(snap, 'p', 'x').count, 40);
  });

  it('carries backup, state age, response time, sessions and limit into the snapshot (real 2.6 capture)', async () => {
    srv.route('/hap-backup', text(() => fixture('haproxy-2.6-backup.txt')));
    const clock = manualClock();
    const src = make({
      preset: getPreset('haproxy', { backupServers: ['be_app/bk1'] }),
      targets: [{ url: `${srv.base}/hap-backup`, role: 'balancer' }],
      clock,
    });
    await src.collect(0);
    clock.advance(1_000);
    const snap = await src.collect(1);
    const s1 = backend(snap, 'be_app', 's1');
    assert.equal(s1.sessionLimit, 30);
    assert.equal(s1.sessions, 0);
    assert.equal(s1.stateAgeSeconds, 2);
    assert.equal(s1.responseTime, 0);
    assert.equal(s1.backup, undefined);
    assert.equal(backend(snap, 'be_app', 'bk1').backup, true);
    assert.equal(backend(snap, 'be_app', 's2').sessionLimit, undefined);
  });

  it('several balancers: sessions and limits add up, youngest state age and slowest response win', async () => {
    const lb = (sessions: number, limit: number, age: number, rt: number, backup: number) => () =>
      [
        `haproxy_server_sessions_total{proxy="p",server="x"} 5`,
        `haproxy_server_current_sessions{proxy="p",server="x"} ${sessions}`,
        `haproxy_server_limit_sessions{proxy="p",server="x"} ${limit}`,
        `haproxy_server_check_last_change_seconds{proxy="p",server="x"} ${age}`,
        `haproxy_server_response_time_average_seconds{proxy="p",server="x"} ${rt}`,
        `haproxy_server_backup{proxy="p",server="x"} ${backup}`,
        '',
      ].join('\n');
    srv.route('/strain-a', text(lb(4, 10, 300, 0.1, 0)));
    srv.route('/strain-b', text(lb(6, 20, 30, 0.5, 1)));
    const clock = manualClock();
    const src = make({
      preset: getPreset('haproxy'),
      targets: [
        { url: `${srv.base}/strain-a`, role: 'balancer' },
        { url: `${srv.base}/strain-b`, role: 'balancer' },
      ],
      clock,
    });
    await src.collect(0);
    clock.advance(1_000);
    const x = backend(await src.collect(0), 'p', 'x');
    assert.deepEqual(
      { s: x.sessions, l: x.sessionLimit, a: x.stateAgeSeconds, r: x.responseTime, b: x.backup },
      { s: 10, l: 30, a: 30, r: 0.5, b: true },
    );
  });

  it('a series repeated in one scrape counts once (the first) and is warned about once', async () => {
    let n = 0;
    srv.route('/dup', text(() => {
      n++;
      return `haproxy_server_sessions_total{proxy="p",server="x"} ${n * 10}\nhaproxy_server_sessions_total{proxy="p",server="x"} ${n * 10}\n`;
    }));
    const warnings: string[] = [];
    const clock = manualClock();
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/dup`, role: 'balancer' }], clock, onWarning: (m) => warnings.push(m) });
    await src.collect(0);
    clock.advance(1_000);
    assert.equal(backend(await src.collect(0), 'p', 'x').rate, 10, 'not 20: the repeat is not added');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /haproxy_server_sessions_total\{proxy="p",server="x"\} appears more than once/);
  });

  it('HTTP 500 -> source-http naming the target without credentials', async () => {
    srv.route('/500', (_req, res) => res.writeHead(500).end('boom'));
    const src = make({
      preset: getPreset('haproxy'),
      targets: [{ url: `http://scraper:hunter2secret@127.0.0.1:${new URL(srv.base).port}/500?token=abcdef123456`, role: 'balancer', bearerToken: 'tok-very-secret-123' }],
    });
    await rejectsWith(src.collect(0), 'source-http', [/HTTP 500/, /127\.0\.0\.1:\d+\/500/], ['hunter2secret', 'tok-very-secret-123', 'abcdef123456', 'scraper:']);
  });

  it('garbage -> source-malformed with the line number', async () => {
    srv.route('/garbage', text('<html>\n<body>oops</body>\n', 'text/html'));
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/garbage`, role: 'balancer' }] });
    await rejectsWith(src.collect(0), 'source-malformed', [/\/garbage/, /line 1, column 1/]);
  });

  it('a valid exposition without the preset metrics -> source-malformed', async () => {
    srv.route('/other', text(fixture('prom-client.txt')));
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/other`, role: 'balancer' }] });
    await rejectsWith(src.collect(0), 'source-malformed', [/none of the haproxy preset's metrics/]);
  });

  it('slow -> source-timeout', async () => {
    srv.route('/slow', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('haproxy_server_sessions_total{proxy="p",server="a"} 1\n');
      const t = setTimeout(() => res.end(), 2_000);
      res.on('close', () => clearTimeout(t));
    });
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/slow`, role: 'balancer', timeoutMs: 100 }] });
    const t0 = Date.now();
    await rejectsWith(src.collect(0), 'source-timeout', [/within 100 ms/, /\/slow/]);
    assert.ok(Date.now() - t0 < 1_500, 'the deadline covers the whole body, not only the first byte');
  });

  it('huge -> source-too-large', async () => {
    const line = 'haproxy_server_sessions_total{proxy="p",server="a"} 1\n';
    srv.route('/huge', text(line.repeat(2_000)));
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/huge`, role: 'balancer' }], maxBytes: 10_000 });
    await rejectsWith(src.collect(0), 'source-too-large', [/larger than 10000 bytes/]);
  });

  it('nothing listening -> source-unreachable', async () => {
    const closed = await serve();
    const url = `${closed.base}/metrics`;
    await closed.close();
    const src = make({ preset: getPreset('haproxy'), targets: [{ url, role: 'balancer' }] });
    await rejectsWith(src.collect(0), 'source-unreachable', [/ECONNREFUSED/]);
  });

  it('an aborted collect rejects with source-timeout', async () => {
    srv.route('/hang', () => {});
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/hang`, role: 'balancer' }] });
    const ac = new AbortController();
    const p = src.collect(0, ac.signal);
    setTimeout(() => ac.abort(new Error('shutdown')), 50);
    await rejectsWith(p, 'source-timeout', [/aborted/]);
  });

  it('sends bearer, basic and custom headers', async () => {
    srv.route('/auth', text('haproxy_server_sessions_total{proxy="p",server="a"} 1\n'));
    const src = make({
      preset: getPreset('haproxy'),
      targets: [
        { url: `${srv.base}/auth`, role: 'balancer', bearerToken: 'abc.def', headers: { 'X-Scope': 'lb' } },
        { url: `${srv.base}/auth`, role: 'balancer', basicAuth: { username: 'u', password: 'p w' } },
        { url: `http://u2:s%40cret@127.0.0.1:${new URL(srv.base).port}/auth`, role: 'balancer' },
      ],
      concurrency: 1,
    });
    const before = srv.requests.length;
    await src.collect(0);
    const got = srv.requests.slice(before).map((r) => [r.headers.authorization, r.headers['x-scope']]);
    assert.deepEqual(got, [
      ['Bearer abc.def', 'lb'],
      [`Basic ${Buffer.from('u:p w').toString('base64')}`, undefined],
      [`Basic ${Buffer.from('u2:s@cret').toString('base64')}`, undefined],
    ]);
  });

  it('forgets a backend gone from the scrape: series keys and weight integral (renames and scale-in stay bounded)', async () => {
    let names: string[] = [];
    let n = 0;
    const body = () =>
      names.map((s) => `haproxy_server_http_responses_total{proxy="be_x",server="${s}",code="2xx"} ${++n}\nhaproxy_server_weight{proxy="be_x",server="${s}"} 1\n`).join('');
    srv.route('/renames', text(body));
    const clock = manualClock(1_000_000);
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: `${srv.base}/renames`, role: 'balancer' }], clock });
    // 200 scrapes, each with 3 backends of new names (a pod churn), then 3 stable ones.
    for (let i = 0; i < 200; i++) {
      names = [`a${i}`, `b${i}`, `c${i}`];
      clock.advance(10_000);
      await src.collect(i);
    }
    names = ['s1', 's2', 's3'];
    for (let i = 0; i < 2; i++) {
      clock.advance(10_000);
      await src.collect(200 + i);
    }
    const state = (src as unknown as { states: Array<{ weightSeconds: Map<string, unknown>; seriesKeys: Map<string, Map<string, unknown>> }> }).states[0]!;
    assert.equal(state.weightSeconds.size, 3, 'one weight integral per backend in the last scrape');
    assert.deepEqual([...state.seriesKeys.keys()], ['be_x']);
    assert.equal(state.seriesKeys.get('be_x')!.size, 3);
  });

  it('respects the concurrency limit', async () => {
    let inFlight = 0;
    let peak = 0;
    srv.route('/conc', (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('haproxy_server_sessions_total{proxy="p",server="a"} 1\n');
      }, 30);
    });
    const targets: ScrapeTarget[] = Array.from({ length: 6 }, (_, i) => ({ url: `${srv.base}/conc?i=${i}`, role: 'balancer' as const }));
    const src = make({ preset: getPreset('haproxy'), targets, concurrency: 2 });
    await src.collect(0);
    assert.equal(peak, 2);
  });

  it('rejects bad configuration up front', () => {
    const preset = getPreset('haproxy');
    const cases: Array<[Partial<ScrapeSourceOptions>, RegExp]> = [
      [{ targets: [] }, /at least one target/],
      [{ targets: [{ url: 'http://x/', role: 'cpu', labels: { proxy: 'p', server: 's' } }] }, /role "balancer"/],
      [{ targets: [{ url: 'http://x/', role: 'balancer' }, { url: 'http://user:pw123456@y/', role: 'cpu', labels: { proxy: 'p' } }] }, /labels must name the backend \(missing server\)/],
      [{ targets: [{ url: 'http://x/', role: 'balancer' }], concurrency: 0 }, /concurrency/],
      [{ targets: [{ url: 'http://x/', role: 'balancer' }], smoothingScrapes: 1 }, /smoothingScrapes/],
      [{ targets: [{ url: 'http://x/', role: 'balancer' }], maxBytes: 0 }, /maxBytes/],
    ];
    for (const [opts, re] of cases) {
      assert.throws(
        () => new ScrapeSource({ preset, targets: [], ...opts } as ScrapeSourceOptions),
        (e: unknown) => isSkewwatchError(e, 'config') && re.test(e.message) && !e.message.includes('pw123456'),
      );
    }
    const queryOnly = getPreset('custom', { poolLabels: ['a'], backendLabel: 'b', queries: { rate: 'x' } });
    assert.throws(() => new ScrapeSource({ preset: queryOnly, targets: [{ url: 'http://x/', role: 'balancer' }] }), /cannot scrape/);
  });

  it('an invalid URL is a config error at collect time', async () => {
    const src = make({ preset: getPreset('haproxy'), targets: [{ url: 'ftp://x/metrics', role: 'balancer' }] });
    await rejectsWith(src.collect(0), 'config', [/not a valid http\(s\) URL/]);
  });
});

describe('readCpu', () => {
  it('prefers node_exporter over its own process_cpu_seconds_total', () => {
    const fams = parseExposition(fixture('node-exporter.txt'));
    const r = readCpu(fams)!;
    assert.equal(r.source, 'node');
    assert.equal(r.capacity, 2);
    const expected = fams
      .flatMap((f) => f.samples)
      .filter((s) => s.name === 'node_cpu_seconds_total' && s.labels.mode !== 'idle')
      .reduce((a, s) => a + s.value, 0);
    assert.equal(r.seconds, expected);
    assert.equal(readCpu(fams, 'process')!.source, 'process');
  });

  it('reads prom-client and returns undefined without CPU metrics', () => {
    assert.equal(readCpu(parseExposition(fixture('prom-client.txt')))!.source, 'process');
    assert.equal(readCpu(parseExposition('x 1\n')), undefined);
    assert.equal(readCpu(parseExposition(fixture('prom-client.txt')), 'node'), undefined);
  });
});
