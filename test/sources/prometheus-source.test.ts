import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusApi } from '../../src/sources/prometheus-api.js';
import { PrometheusSource } from '../../src/sources/prometheus.js';
import { isSkewwatchError } from '../../src/util/errors.js';
import { escapeLabelValue, equalityMatchers } from '../../src/signals/promql-text.js';
import { startServer, json } from '../fakes/http-server.js';

const vector = (rows: Array<[Record<string, string>, string]>) => ({
  status: 'success',
  data: { resultType: 'vector', result: rows.map(([metric, v]) => ({ metric, value: [1700000000.5, v] })) },
});

const QUERIES = { rate: 'Q_RATE', weight: 'Q_WEIGHT', health: 'Q_HEALTH', cpu: 'Q_CPU' };
const answers: Record<string, unknown> = {
  Q_RATE: vector([[{ proxy: 'be_app', server: 's1' }, '80'], [{ proxy: 'be_app', server: 's2' }, '10'], [{ proxy: 'be_api', server: 'a1' }, '5']]),
  Q_WEIGHT: vector([[{ proxy: 'be_app', server: 's1' }, '1'], [{ proxy: 'be_app', server: 's2' }, '1'], [{ proxy: 'be_app', server: 's3' }, '1'], [{ proxy: 'be_api', server: 'a1' }, '1']]),
  Q_HEALTH: vector([[{ proxy: 'be_app', server: 's1' }, '1'], [{ proxy: 'be_app', server: 's2' }, '1'], [{ proxy: 'be_app', server: 's3' }, '2'], [{ proxy: 'be_api', server: 'a1' }, '0']]),
  Q_CPU: vector([[{ proxy: 'be_app', server: 's1' }, '0.9']]),
};

const server = await startServer((req, body, res) => {
  const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? new URLSearchParams(body).get('query') ?? '';
  json(res, 200, answers[q] ?? vector([]));
});
after(() => server.close());

function source(url = server.url, extra: Partial<ConstructorParameters<typeof PrometheusApi>[0]> = {}, warnings: string[] = []) {
  return new PrometheusSource({
    api: new PrometheusApi({ url, timeoutMs: 500, ...extra }),
    queries: QUERIES,
    poolLabels: ['proxy'],
    backendLabel: 'server',
    windowMs: 60_000,
    onWarning: (m) => warnings.push(m),
  });
}

test('one query per signal assembles pools, backends, health, weights and CPU', async () => {
  server.requests.length = 0;
  const snap = await source().collect(1_700_000_000_500);
  assert.equal(server.requests.length, 4, 'one query per signal, not per backend');
  const app = snap.pools.find((p) => p.pool === 'be_app')!;
  assert.deepEqual(app.labels, { proxy: 'be_app' });
  assert.deepEqual(app.backends.map((b) => [b.backend, b.rate, b.health, b.weight]), [
    ['s1', 80, 'up', 1], ['s2', 10, 'up', 1], ['s3', 0, 'maint', 1],
  ]);
  assert.equal(app.backends[0]!.cpu, 0.9);
  assert.equal(app.backends[0]!.count, 80 * 60);
  assert.equal(snap.pools.find((p) => p.pool === 'be_api')!.backends[0]!.health, 'down');
  assert.match(server.requests[0]!.url, /time=1700000000\.500/);
});

test('POST, bearer auth and extra headers (X-Scope-OrgID) are sent', async () => {
  server.requests.length = 0;
  await source(server.url, { method: 'POST', bearerToken: 'tok-123456', headers: { 'X-Scope-OrgID': 'tenant-a' } }).collect(0);
  const r = server.requests[0]!;
  assert.equal(r.method, 'POST');
  assert.equal(r.headers.authorization, 'Bearer tok-123456');
  assert.equal(r.headers['x-scope-orgid'], 'tenant-a');
  assert.match(r.body, /query=Q_/);
});

async function failing(handler: Parameters<typeof startServer>[0], extra = {}) {
  const s = await startServer(handler);
  try {
    await source(s.url, extra).collect(0);
    assert.fail('expected an error');
  } catch (e) {
    return e;
  } finally {
    await s.close();
  }
}

test('errors: each failure mode is a typed error with a clear message', async (t) => {
  await t.test('Prometheus down', async () => {
    const s = await startServer(() => {});
    const url = s.url;
    await s.close();
    const e = await source(url).collect(0).catch((x: unknown) => x);
    assert.ok(isSkewwatchError(e, 'source-unreachable'), String(e));
    assert.match((e as Error).message, /unreachable.*ECONNREFUSED/);
  });
  await t.test('API error shape (400 bad_data) is passed on', async () => {
    const e = await failing((_q, _b, res) => json(res, 400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }));
    assert.ok(isSkewwatchError(e, 'source-api'));
    assert.match((e as Error).message, /400 bad_data: parse error at char 5/);
  });
  await t.test('HTTP 502 from a proxy with an HTML body', async () => {
    const e = await failing((_q, _b, res) => { res.writeHead(502); res.end('<html>Bad Gateway</html>'); });
    assert.ok(isSkewwatchError(e, 'source-http'));
    assert.match((e as Error).message, /HTTP 502/);
  });
  await t.test('malformed JSON', async () => {
    const e = await failing((_q, _b, res) => { res.writeHead(200); res.end('{"status":"succ'); });
    assert.ok(isSkewwatchError(e, 'source-malformed'));
    assert.match((e as Error).message, /not Prometheus API JSON/);
  });
  await t.test('wrong result type', async () => {
    const e = await failing((_q, _b, res) => json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [] } }));
    assert.ok(isSkewwatchError(e, 'source-malformed'));
  });
  await t.test('timeout', async () => {
    const e = await failing(() => { /* never answers */ });
    assert.ok(isSkewwatchError(e, 'source-timeout'), String(e));
  });
  await t.test('huge response is capped', async () => {
    const big = JSON.stringify(vector(Array.from({ length: 20_000 }, (_, i) => [{ proxy: 'p', server: `s${i}` }, '1'])));
    const e = await failing((_q, _b, res) => { res.writeHead(200); res.end(big); }, { maxResponseBytes: 100_000 });
    assert.ok(isSkewwatchError(e, 'source-too-large'), String(e));
  });
  await t.test('credentials in the URL never reach the message', async () => {
    const s = await startServer(() => {});
    const url = s.url.replace('http://', 'http://admin:hunter22@');
    await s.close();
    const e = await source(url).collect(0).catch((x: unknown) => x);
    assert.doesNotMatch((e as Error).message, /hunter22/);
  });
});

test('the warnings field and a failing optional signal are reported, not fatal', async () => {
  const s = await startServer((req, _b, res) => {
    const q = new URL(req.url!, 'http://x').searchParams.get('query');
    if (q === 'Q_CPU') return json(res, 422, { status: 'error', errorType: 'execution', error: 'too many samples' });
    json(res, 200, { ...(answers[q!] as object), warnings: ['partial response: store gateway down'] });
  });
  const warnings: string[] = [];
  const snap = await source(s.url, {}, warnings).collect(0);
  await s.close();
  assert.equal(snap.pools.length, 2);
  assert.equal(snap.pools[0]!.backends.some((b) => b.cpu !== undefined), false);
  assert.ok(warnings.some((w) => /signal cpu unavailable.*too many samples/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /partial response/.test(w)));
});

test('series without the pool or backend label are skipped with a warning', async () => {
  const s = await startServer((_r, _b, res) => json(res, 200, vector([[{ server: 's1' }, '3'], [{ proxy: 'p', server: 's1' }, '4']])));
  const warnings: string[] = [];
  const snap = await source(s.url, {}, warnings).collect(0);
  await s.close();
  assert.deepEqual(snap.pools.map((p) => p.pool), ['p']);
  assert.ok(warnings.some((w) => /lack the pool labels/.test(w)));
});

test('PromQL label values from user input are escaped', () => {
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(equalityMatchers({ job: 'ha"proxy', env: 'prod' }), 'job="ha\\"proxy",env="prod"');
});

test('source.labels become escaped equality matchers in every preset query', async () => {
  const { loadConfig } = await import('../../src/config/load.js');
  const { buildQueries, buildPreset } = await import('../../src/app/build.js');
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'skewwatch-labels-')), 'c.yaml');
  writeFileSync(file, 'source:\n  labels: { job: \'ha"proxy\\x\' }\n  matchers: \'env="prod"\'\n  prometheus: { url: "http://p:9090" }\n');
  const { config } = loadConfig({ file, env: {} });
  const q = buildQueries(config, buildPreset(config));
  assert.match(q.rate, /job="ha\\"proxy\\\\x",env="prod"/);
  assert.match(q.weight!, /job="ha\\"proxy\\\\x",env="prod"/);
});
