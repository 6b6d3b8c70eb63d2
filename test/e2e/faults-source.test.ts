// Fault injection, source side (issue 11): the daemon as an OS process
// (`node dist/cli.js run`) mid-incident, while its source misbehaves.
//
// 1. A fake Prometheus (test/e2e/support/fault-source.ts) answers 503, 422,
//    an HTML error page, truncated JSON, a body over the cap, slower than
//    the timeout; then NaN/Inf values, duplicate series, renamed backends.
// 2. A real Prometheus 2.42, scraping a fake exporter, SIGKILLed and
//    restarted on the same TSDB.
// Expected every time: the process keeps running, /readyz is 503 after the
// configured failures, SkewwatchBlind fires once and resolves once, the
// page is never resolved for lack of data, and all recovers by itself.
//
// Run: npm run build && node --import tsx --test test/e2e/faults-source.test.ts (~70 s)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, makeTempDir, removeTempDir, requireBinaries, sleep, startPrometheus, waitFor, type PrometheusHandle, type ProcessHandle } from './harness/index.js';
import { startPagerDutyReceiver, startSlackReceiver, type PagerDutyReceiver, type SlackReceiver } from '../fakes/receivers/index.js';
import { cleanEnv, httpGet, jsonLines, startDaemon, writeFile } from './support/skewwatch.js';
import { BALANCED, SKEWED, sourceYaml, startFaultSource, type Fault, type FaultSource } from './support/fault-source.js';

const ROUTING_KEY = 'fa0175c0b2a19f8e7d6c5b4a39281706';

const RULES = [
  'rules:',
  '  - id: Page',
  '    when: { stat: severity, above: 1.5, resolve_below: 0.5 }',
  '    for: 2s',
  '    severity: critical',
  '    sinks: [pagerduty]',
  '  - id: SkewwatchBlind',
  '    when: { stat: blind_cycles, above: 2.5, resolve_below: 0.5 }',
  '    severity: warning',
  '    sinks: [slack]',
  '    annotations: { summary: "skewwatch is blind" }',
  '',
].join('\n');

interface Rig {
  dir: string;
  slack: SlackReceiver;
  pd: PagerDutyReceiver;
  daemon: ProcessHandle;
  base: string;
}

async function startRig(prefix: string, source: string[]): Promise<Rig> {
  const dir = makeTempDir(prefix);
  const slack = await startSlackReceiver();
  const pd = await startPagerDutyReceiver({ routingKeys: [ROUTING_KEY] });
  const base = `http://127.0.0.1:${await freePort()}`;
  writeFile(path.join(dir, 'rules.yaml'), RULES);
  const cfg = writeFile(path.join(dir, 'skewwatch.yaml'), [
    'namespace: e2e-faults',
    'interval: 1s',
    `listen: ${base.replace('http://', '')}`,
    `state_dir: ${path.join(dir, 'state')}`,
    'ready_after_intervals: 3',
    'rule_files: [rules.yaml]',
    ...source,
    'delivery: { initial_backoff: 500ms }',
    '',
  ].join('\n'));
  const env = cleanEnv({ SKEWWATCH_SLACK_WEBHOOK_URL: slack.url, SKEWWATCH_PAGERDUTY_ROUTING_KEY: ROUTING_KEY, SKEWWATCH_PAGERDUTY_URL: pd.url });
  const daemon = await startDaemon({ args: ['--config', cfg], env, logFile: path.join(dir, 'skewwatch.log'), baseUrl: base });
  return { dir, slack, pd, daemon, base };
}

const count = (pd: PagerDutyReceiver, action: string) => pd.events.filter((e) => e.event_action === action).length;
const blindMessages = (slack: SlackReceiver) => slack.messages.filter((m) => JSON.stringify(m).includes('SkewwatchBlind')).length;
const ready = async (base: string) => (await httpGet(`${base}/readyz`)).status;

describe('source faults against a fake Prometheus, mid-incident', { timeout: 180_000 }, () => {
  let src: FaultSource;
  let rig: Rig;
  before(async () => {
    src = await startFaultSource();
    rig = await startRig('skewwatch-e2e-faults-src-', sourceYaml(src.url, { timeout: '1s', maxBytes: '1MiB' }));
  });
  after(async () => {
    await rig?.daemon.stop();
    await Promise.allSettled([rig?.slack.close(), rig?.pd.close(), src?.close()]);
    if (rig) removeTempDir(rig.dir);
  });

  it('pages once, survives every fault without a resolve, Blind once, recovers by itself, resolves once on balance', async (t) => {
    const { pd, slack, base, daemon } = rig;
    await waitFor('ready', async () => (await ready(base)) === 200, 10_000, 200);
    src.state.pools.be_app = { ...SKEWED };
    await waitFor('page', () => count(pd, 'trigger') === 1, 15_000, 200);

    // Failing answers, one after the other: the source stays failed throughout.
    const failing: Fault[] = ['503', '422', 'html', 'truncated', 'huge', 'slow'];
    for (const fault of failing) {
      src.state.fault = fault;
      await sleep(fault === 'slow' ? 5000 : 4000);
      assert.ok(daemon.running(), `still running during ${fault}`);
      assert.equal((await httpGet(`${base}/healthz`)).status, 200, `healthz during ${fault}`);
      assert.equal(await ready(base), 503, `unready during ${fault}`);
      assert.equal(count(pd, 'resolve'), 0, `no resolve during ${fault}`);
      t.diagnostic(`${fault}: unready, no resolve`);
    }
    await waitFor('Blind fired', () => blindMessages(slack) >= 1, 5000, 200);
    assert.equal(blindMessages(slack), 1, 'SkewwatchBlind fires once across all the failures');

    // Recovery by itself.
    src.state.fault = 'none';
    await waitFor('ready again', async () => (await ready(base)) === 200, 10_000, 200);
    await waitFor('Blind resolved', () => blindMessages(slack) === 2, 10_000, 200);

    // Garbage that parses: values, duplicates, renames. Data, not failures.
    for (const fault of ['nan', 'duplicate', 'renamed'] as const) {
      src.state.fault = fault;
      await sleep(3000);
      assert.ok(daemon.running(), `still running during ${fault}`);
      assert.equal(count(pd, 'resolve'), 0, `no resolve during ${fault}`);
      assert.equal(count(pd, 'trigger'), 1, `no second page during ${fault}`);
    }
    src.state.fault = 'none';
    src.state.pools.be_app = { ...BALANCED };
    await waitFor('resolve', () => count(pd, 'resolve') === 1, 20_000, 200);
    await sleep(2000);
    assert.equal(count(pd, 'trigger'), 1, pd.summary());
    assert.equal(count(pd, 'resolve'), 1, pd.summary());
    assert.equal(blindMessages(slack), 2);

    // Logged once per change of error kind, not once per failed cycle.
    const failures = jsonLines(daemon.logs()).filter((l) => l.msg === 'source failed: holding alert states until data returns');
    assert.ok(failures.length >= 3 && failures.length <= failing.length + 1, `error lines: ${failures.length}`);
    t.diagnostic(`source failure log lines: ${failures.length} for ${failing.length} faults over ~25 failed cycles`);
  });
});

/** A tiny exporter: fake_requests_total counters growing at the given rates. */
async function startExporter(rates: () => Record<string, number>) {
  const started = Date.now();
  const totals: Record<string, number> = {};
  let last = started;
  const server = createServer((_req, res) => {
    const now = Date.now();
    for (const [s, r] of Object.entries(rates())) totals[s] = (totals[s] ?? 0) + (r * (now - last)) / 1000;
    last = now;
    const lines = ['# TYPE fake_requests_total counter', ...Object.entries(totals).map(([s, v]) => `fake_requests_total{proxy="be_app",server="${s}"} ${v.toFixed(3)}`)];
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`${lines.join('\n')}\n`);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { port, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('a real Prometheus SIGKILLed and restarted mid-incident', { timeout: 180_000 }, () => {
  let exporter: Awaited<ReturnType<typeof startExporter>>;
  let prom: PrometheusHandle;
  let rig: Rig;
  let rates = { ...BALANCED };
  let promDir = '';
  let promPort = 0;
  before(async () => {
    requireBinaries(['prometheus']);
    exporter = await startExporter(() => rates);
    promDir = makeTempDir('skewwatch-e2e-faults-prom-');
    promPort = await freePort();
    prom = await startPrometheus({ dir: promDir, port: promPort, scrapeIntervalS: 1, haproxyExporterPort: exporter.port, backends: [] });
    await prom.waitTargetsUp();
    rig = await startRig('skewwatch-e2e-faults-real-', [
      'source:',
      '  mode: prometheus',
      '  preset: custom',
      '  rate_window: 10s',
      '  pool_labels: [proxy]',
      '  backend_label: server',
      "  queries: { rate: 'sum by (proxy, server) (rate(fake_requests_total[{{window}}]))' }",
      '  prometheus:',
      `    url: ${prom.url}`,
      '    timeout: 1s',
    ]);
  });
  after(async () => {
    await rig?.daemon.stop();
    await prom?.stop();
    await Promise.allSettled([rig?.slack.close(), rig?.pd.close(), exporter?.close()]);
    if (rig) removeTempDir(rig.dir);
    if (promDir) removeTempDir(promDir);
  });

  it('no resolve while Prometheus is dead, Blind once, back by itself after the restart', async (t) => {
    const { pd, slack, base, daemon } = rig;
    await waitFor('ready', async () => (await ready(base)) === 200, 20_000, 250);
    rates = { ...SKEWED };
    await waitFor('page', () => count(pd, 'trigger') === 1, 30_000, 250);
    process.kill(prom.proc.pid, 'SIGKILL');
    await prom.proc.exited;
    const killedAt = Date.now();
    await waitFor('unready', async () => (await ready(base)) === 503, 10_000, 250);
    await waitFor('Blind fired', () => blindMessages(slack) === 1, 10_000, 250);
    await sleep(2000);
    assert.ok(daemon.running());
    assert.equal(count(pd, 'resolve'), 0, 'no resolve for lack of data');
    prom = await startPrometheus({ dir: promDir, port: promPort, scrapeIntervalS: 1, haproxyExporterPort: exporter.port, backends: [] });
    await waitFor('ready again', async () => (await ready(base)) === 200, 30_000, 250);
    await waitFor('Blind resolved', () => blindMessages(slack) === 2, 10_000, 250);
    t.diagnostic(`Prometheus dead and back: ${Date.now() - killedAt} ms`);
    assert.equal(count(pd, 'resolve'), 0, 'still skewed: no resolve after the restart either');
    assert.equal(count(pd, 'trigger'), 1, 'no second page');
    rates = { ...BALANCED };
    await waitFor('resolve on balance', () => count(pd, 'resolve') === 1, 40_000, 250);
    assert.equal(count(pd, 'trigger'), 1, pd.summary());
  });
});
