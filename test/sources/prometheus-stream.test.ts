// The query client reads answers as streams: the deadline covers the body
// (a server that drips bytes times out), compressed and chunked answers are
// read, a document cut short is refused, garbage stops the read, and the
// source keeps at most max_concurrent_queries queries in flight.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { PrometheusApi } from '../../src/sources/prometheus-api.js';
import { PrometheusSource, settledWithLimit } from '../../src/sources/prometheus.js';
import { StringTable } from '../../src/sources/prometheus-scan.js';
import { isSkewwatchError } from '../../src/util/errors.js';
import { startServer, type TestServer } from '../fakes/http-server.js';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
async function serve(h: Parameters<typeof startServer>[0]): Promise<string> {
  const s = await startServer(h);
  servers.push(s);
  return s.url;
}

const DOC = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { proxy: 'p', server: 's1' }, value: [1, '7'] }] } });

test('a server that drips a valid answer slower than the timeout times out (the deadline covers the body)', async () => {
  const url = await serve((_req, _b, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let i = 0;
    const t = setInterval(() => {
      if (res.destroyed || i >= DOC.length) { clearInterval(t); res.end(); return; }
      res.write(DOC.slice(i, i + 1));
      i += 1;
    }, 40); // the whole answer would take ~4.4 s
  });
  const started = Date.now();
  const e = await new PrometheusApi({ url, timeoutMs: 400 }).query('up', 0).catch((x: unknown) => x);
  assert.ok(isSkewwatchError(e, 'source-timeout'), String(e));
  assert.match((e as Error).message, /no complete answer within 400 ms/);
  // Well before the drip's end, with room for a loaded machine's timers.
  assert.ok(Date.now() - started < 3000, 'gave up at the deadline, not at the end of the drip');
});

test('the cycle deadline (the caller\'s signal) aborts a body in progress', async () => {
  const url = await serve((_req, _b, res) => { res.writeHead(200); res.write(DOC.slice(0, 20)); });
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 100);
  const e = await new PrometheusApi({ url, timeoutMs: 5000 }).query('up', 0, ctl.signal).catch((x: unknown) => x);
  assert.ok(isSkewwatchError(e, 'source-timeout'), String(e));
  assert.match((e as Error).message, /aborted/);
});

test('gzip and chunked answers are read; a scalar result is one sample', async () => {
  const url = await serve((req, _b, res) => {
    const q = new URL(req.url!, 'http://x').searchParams.get('query');
    if (q === 'scalar') { res.writeHead(200); res.end('{"status":"success","data":{"resultType":"scalar","result":[1,"3.5"]}}'); return; }
    if (q === 'gzip') { res.writeHead(200, { 'content-encoding': 'gzip' }); res.end(gzipSync(DOC)); return; }
    res.writeHead(200);
    for (let i = 0; i < DOC.length; i += 5) res.write(DOC.slice(i, i + 5));
    res.end();
  });
  const api = new PrometheusApi({ url, timeoutMs: 2000 });
  for (const q of ['gzip', 'chunked']) assert.deepEqual((await api.query(q, 0)).data, [{ metric: { proxy: 'p', server: 's1' }, value: 7 }], q);
  assert.deepEqual((await api.query('scalar', 0)).data, [{ metric: {}, value: 3.5 }]);
  const table = (await api.queryTable('chunked', 0, ['proxy', 'server'], new StringTable())).data;
  assert.deepEqual([table.size, table.labelAt(0, 0), table.labelAt(0, 1), table.valueAt(0)], [1, 'p', 's1', 7]);
});

test('an answer cut short, a vector item without a value, and a 2xx of garbage are malformed', async () => {
  const url = await serve((req, _b, res) => {
    const q = new URL(req.url!, 'http://x').searchParams.get('query');
    res.writeHead(200);
    if (q === 'cut') res.end(DOC.slice(0, DOC.length - 3));
    else if (q === 'novalue') res.end('{"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}}');
    else if (q === 'error200') res.end('{"status":"error","errorType":"timeout","error":"query timed out"}');
    else res.end('x'.repeat(4 * 1024 * 1024));
  });
  const api = new PrometheusApi({ url, timeoutMs: 2000 });
  const cut = await api.query('cut', 0).catch((x: unknown) => x);
  assert.ok(isSkewwatchError(cut, 'source-malformed'), String(cut));
  assert.match((cut as Error).message, /not Prometheus API JSON \(starts with "\{\\"status/);
  const novalue = await api.query('novalue', 0).catch((x: unknown) => x);
  assert.ok(isSkewwatchError(novalue, 'source-malformed'), String(novalue));
  assert.match((novalue as Error).message, /malformed vector item/);
  const e200 = await api.query('error200', 0).catch((x: unknown) => x);
  assert.ok(isSkewwatchError(e200, 'source-api'), String(e200));
  assert.match((e200 as Error).message, /200 timeout: query timed out/);
  const garbage = await api.query('garbage', 0).catch((x: unknown) => x);
  assert.ok(isSkewwatchError(garbage, 'source-malformed'), String(garbage));
  assert.match((garbage as Error).message, /starts with "xxxx/);
});

test('the source keeps at most max_concurrent_queries in flight, and keeps each answer with its signal', async () => {
  let inFlight = 0;
  let most = 0;
  const url = await serve((req, _b, res) => {
    const q = new URL(req.url!, 'http://x').searchParams.get('query')!;
    inFlight++;
    most = Math.max(most, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200);
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { proxy: 'p', server: 's1' }, value: [1, q.length.toString()] }] } }));
    }, 30);
  });
  const queries = { rate: 'r', weight: 'ww', health: 'hhh', cpu: 'cccc', queue: 'qqqqq', errors: 'eeeeee' };
  const make = (maxConcurrentQueries?: number) => new PrometheusSource({ api: new PrometheusApi({ url, timeoutMs: 2000 }), queries, poolLabels: ['proxy'], backendLabel: 'server', windowMs: 60_000, ...(maxConcurrentQueries ? { maxConcurrentQueries } : {}) });
  const snap = await make(2).collect(0);
  assert.equal(most, 2);
  const b = snap.pools[0]!.backends[0]!;
  assert.deepEqual([b.rate, b.weight, b.cpu, b.queue, b.errorRate], [1, 2, 4, 5, 6]);
  most = 0;
  await make().collect(0);
  assert.equal(most, 4, 'the documented default');
});

test('settledWithLimit: every item once, results in order, failures kept', async () => {
  let running = 0;
  let peak = 0;
  const out = await settledWithLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5 * (8 - n)));
    running--;
    if (n === 4) throw new Error('four');
    return n * 10;
  });
  assert.equal(peak, 3);
  assert.deepEqual(out.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [10, 20, 30, 'four', 50, 60, 70]);
  assert.deepEqual(await settledWithLimit([], 4, async () => 1), []);
});

test('a connection reset before any answer is retried once (a kept-alive socket closed as it was reused); a second reset is an error', async () => {
  let n = 0;
  const url = await serve((req, _b, res) => {
    n++;
    const q = new URL(req.url!, 'http://x').searchParams.get('query');
    if (q === 'always' || n === 1) { req.socket.destroy(); return; }
    res.writeHead(200);
    res.end(DOC);
  });
  const api = new PrometheusApi({ url, timeoutMs: 2000 });
  assert.deepEqual((await api.query('once', 0)).data, [{ metric: { proxy: 'p', server: 's1' }, value: 7 }]);
  assert.equal(n, 2);
  n = 0;
  const e = await api.query('always', 0).catch((x: unknown) => x);
  assert.ok(isSkewwatchError(e, 'source-unreachable'), String(e));
  assert.equal(n, 2, 'one retry, not a loop');
});
