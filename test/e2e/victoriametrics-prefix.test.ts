// Query mode against a real VictoriaMetrics served under a path prefix
// (-http.pathPrefix=/prometheus) with a tenant header in
// source.prometheus.headers, as Mimir and Thanos users configure it. A tiny
// recording proxy between skewwatch and VictoriaMetrics proves the header is
// sent on every query (VM single-node ignores tenant headers, which is fine)
// and every query goes under the prefix; `skewwatch check` proves the query
// path works: the pool, its backends and their rates come through.
//
// Run: npm run build && node --import tsx --test test/e2e/victoriametrics-prefix.test.ts (~25 s)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { freePort, makeTempDir, removeTempDir, requireBinaries, startProcess, waitFor, httpOk, type ProcessHandle } from './harness/index.js';
import { startServer, type TestServer } from '../fakes/http-server.js';
import { cleanEnv, runCli, writeFile } from './support/skewwatch.js';
import type { PoolVerdict } from '../../src/core/types.js';

const SKIP = requireBinaries(['victoria-metrics']);
const RATES = [30, 20, 10];
const TENANT = 'tenant-a';

describe('query mode: VictoriaMetrics under /prometheus with a tenant header', { timeout: 90_000, skip: SKIP ?? false }, () => {
  let dir = '';
  let exporter: TestServer | undefined;
  let proxy: TestServer | undefined;
  let vm: ProcessHandle | undefined;
  let vmUrl = '';

  before(async () => {
    dir = makeTempDir('skewwatch-e2e-vm-');
    const started = Date.now();
    exporter = await startServer((_req, _body, res: ServerResponse) => {
      const t = (Date.now() - started) / 1000 + 100;
      const lines = ['# TYPE haproxy_server_http_responses_total counter'];
      RATES.forEach((r, i) => lines.push(`haproxy_server_http_responses_total{proxy="be_app",server="s${i + 1}",code="2xx"} ${Math.floor(r * t)}`));
      lines.push(...RATES.map((_r, i) => `haproxy_server_weight{proxy="be_app",server="s${i + 1}"} ${3 - i}`));
      lines.push(...RATES.map((_r, i) => `haproxy_server_status{proxy="be_app",server="s${i + 1}",state="UP"} 1`));
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(lines.join('\n') + '\n');
    });
    const port = await freePort();
    vmUrl = `http://127.0.0.1:${port}`;
    const scrape = writeFile(path.join(dir, 'scrape.yml'), JSON.stringify({
      global: { scrape_interval: '1s' },
      scrape_configs: [{ job_name: 'haproxy', static_configs: [{ targets: [exporter.url.replace('http://', '')] }] }],
    }));
    fs.mkdirSync(path.join(dir, 'vm-data'));
    vm = await startProcess('victoria-metrics', [
      `-storageDataPath=${path.join(dir, 'vm-data')}`, `-httpListenAddr=127.0.0.1:${port}`, '-http.pathPrefix=/prometheus',
      `-promscrape.config=${scrape}`, '-search.latencyOffset=1s', '-loggerLevel=ERROR', '-retentionPeriod=1d',
    ], { cwd: dir, logFile: path.join(dir, 'vm.log'), readyCheck: () => httpOk(`${vmUrl}/prometheus/health`), readyTimeoutMs: 20_000 });
    // The recording proxy: forwards as is, remembers path and headers.
    proxy = await startServer(async (req, body, res) => {
      const upstream = await fetch(`${vmUrl}${req.url}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/x-www-form-urlencoded') },
        ...(req.method === 'POST' ? { body } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
    // Enough scrapes for a 10 s rate window.
    await waitFor('VictoriaMetrics to rate the exporter', async () => {
      const r = await fetch(`${vmUrl}/prometheus/api/v1/query?query=${encodeURIComponent('count(rate(haproxy_server_http_responses_total[10s]))')}`);
      const j = (await r.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return j.data.result[0]?.value[1] === '3';
    }, 30_000);
  });

  after(async () => {
    await vm?.stop();
    await Promise.allSettled([exporter?.close(), proxy?.close()]);
    if (dir) removeTempDir(dir);
  });

  it('every query carries the tenant header and the prefix; the pool and its rates come through', async () => {
    const cfg = writeFile(path.join(dir, 'skewwatch.yaml'), [
      'source:',
      '  mode: prometheus',
      '  preset: haproxy',
      '  rate_window: 10s',
      '  prometheus:',
      `    url: ${proxy!.url}/prometheus`,
      `    headers: { X-Scope-OrgID: ${TENANT} }`,
      `state_dir: ${path.join(dir, 'state')}`,
      '',
    ].join('\n'));
    const r = await runCli(['check', '--json', '--config', cfg], cleanEnv());
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}; stderr: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { pools: PoolVerdict[] };
    const pool = out.pools.find((p) => p.pool === 'be_app');
    assert.ok(pool, `be_app in ${r.stdout}`);
    assert.deepEqual(pool.backends.map((b) => b.backend).sort(), ['s1', 's2', 's3']);
    for (const [i, want] of RATES.entries()) {
      const got: PoolVerdict['backends'][number] = pool.backends.find((b) => b.backend === `s${i + 1}`)!;
      assert.ok(Math.abs(got.rate - want) / want < 0.15, `s${i + 1}: ${got.rate} req/s, want ~${want}`);
      assert.equal(got.weight, 3 - i);
    }
    const queries = proxy!.requests.filter((q) => q.url.includes('/api/v1/'));
    assert.ok(queries.length >= 3, `queries seen: ${proxy!.requests.map((q) => q.url).join(' ')}`);
    for (const q of queries) {
      assert.ok(q.url.startsWith('/prometheus/api/v1/'), `under the prefix: ${q.url}`);
      assert.equal(q.headers['x-scope-orgid'], TENANT, `tenant header on ${q.url}`);
    }
  });
});
