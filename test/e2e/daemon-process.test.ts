// The daemon as an OS process (`node dist/cli.js run --config ...`) against a
// local fake Prometheus whose answers the test controls, with fake Slack and
// PagerDuty receivers. No real binaries: this file runs everywhere.
//
// Proves, in one process lifetime and one restart: /healthz and /readyz;
// a skew pages (PagerDuty trigger); a source outage is not recovery (no
// resolve, process keeps running, error logged once, counted in /metrics,
// /readyz 503) and leaks no secret; balance again resolves exactly once;
// SIGHUP with a bad config is rejected and the old one keeps serving; SIGHUP
// with a good one reloads; SIGTERM exits 0 within 10 s and leaves
// state.json; a restart on the same state dir does not page again.
//
// Run: npm run build && node --import tsx --test test/e2e/daemon-process.test.ts
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, makeTempDir, removeTempDir, sleep, waitFor, type ProcessHandle } from './harness/index.js';
import { startServer, json, type TestServer } from '../fakes/http-server.js';
import { startPagerDutyReceiver, startSlackReceiver, SLACK_WEBHOOK_PATH, type PagerDutyReceiver, type SlackReceiver } from '../fakes/receivers/index.js';
import { cleanEnv, getJson, httpGet, jsonLines, metricSum, startDaemon, writeFile } from './support/skewwatch.js';

type Mode = 'balanced' | 'skewed' | 'error';
const ROUTING_KEY = 'e2ed43c0b2a19f8e7d6c5b4a39281706';
const RATES: Record<Exclude<Mode, 'error'>, Record<string, number>> = {
  balanced: { s1: 30, s2: 30, s3: 30 },
  skewed: { s1: 80, s2: 10, s3: 10 },
};

interface Status {
  source: { blindCycles: number; lastError: string | null; lastSuccessAt: string | null };
  pools: Array<{ pool: string; severity: string; explanation: string }>;
  alerts: Array<{ rule: string; pool: string; state: string; dedupKey: string }>;
}

/** Answers /api/v1/query for the haproxy preset's queries from `mode`. */
function fakePrometheus(getMode: () => Mode) {
  return (req: { url?: string }, _body: string, res: Parameters<Parameters<typeof startServer>[0]>[2]) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/query') return json(res, 404, { status: 'error', errorType: 'not_found', error: 'not found' });
    const mode = getMode();
    if (mode === 'error') return json(res, 500, { status: 'error', errorType: 'internal', error: 'fake outage' });
    const q = url.searchParams.get('query') ?? '';
    const t = Number(url.searchParams.get('time') ?? Date.now() / 1000);
    let value: (server: string) => number;
    if (q.includes('code="5xx"')) value = () => 0;
    else if (q.includes('haproxy_server_http_responses_total')) value = (s) => RATES[mode][s]!;
    else if (q.includes('haproxy_server_weight')) value = () => 1;
    else if (q.includes('haproxy_server_status')) value = () => 1;
    // Seconds since each server's last state change: long ago (0 would mean
    // "just came up": every server warming up, nothing judged).
    else if (q.includes('last_change')) value = () => 3600;
    else value = () => 0; // queue
    json(res, 200, {
      status: 'success',
      data: { resultType: 'vector', result: ['s1', 's2', 's3'].map((s) => ({ metric: { proxy: 'be_app', server: s }, value: [t, String(value(s))] })) },
    });
  };
}

describe('skewwatch daemon process (fake Prometheus, fake Slack and PagerDuty)', { timeout: 150_000 }, () => {
  let dir = '';
  let mode: Mode = 'balanced';
  let prom: TestServer | undefined;
  let slack: SlackReceiver | undefined;
  let pd: PagerDutyReceiver | undefined;
  let daemon: ProcessHandle | undefined;
  let daemon2: ProcessHandle | undefined;
  let base = '';
  let cfgFile = '';
  let env: NodeJS.ProcessEnv = {};
  const stateDir = () => path.join(dir, 'state');

  const config = (extra: string[] = []) =>
    [
      'namespace: e2e-daemon',
      'interval: 1s',
      `listen: ${base.replace('http://', '')}`,
      `state_dir: ${stateDir()}`,
      'log_level: info',
      'ready_after_intervals: 3',
      'rule_files: [rules.yaml]',
      'source:',
      '  mode: prometheus',
      '  preset: haproxy',
      '  rate_window: 10s',
      '  prometheus:',
      `    url: ${prom!.url}`,
      'delivery:',
      '  initial_backoff: 1s',
      ...extra,
      '',
    ].join('\n');

  const status = () => getJson<Status>(`${base}/api/v1/status`);
  const triggers = () => pd!.events.filter((e) => e.event_action === 'trigger');
  const resolves = () => pd!.events.filter((e) => e.event_action === 'resolve');
  const metricsText = async () => (await httpGet(`${base}/metrics`)).body;
  const allLogs = () => (daemon?.logs() ?? '') + (daemon2?.logs() ?? '');

  before(async () => {
    dir = makeTempDir('skewwatch-e2e-daemon-');
    prom = await startServer(fakePrometheus(() => mode));
    slack = await startSlackReceiver();
    pd = await startPagerDutyReceiver({ routingKeys: [ROUTING_KEY] });
    base = `http://127.0.0.1:${await freePort()}`;
    writeFile(
      path.join(dir, 'rules.yaml'),
      [
        'rules:',
        '  - id: TrafficSkewCritical',
        '    when: { stat: severity, above: 1.5, resolve_below: 0.5 }',
        '    for: 2s',
        '    severity: critical',
        '    sinks: [pagerduty, slack]',
        '    repeat_interval: 1h',
        '    annotations: { summary: "Backend overload from traffic skew in pool {{pool}}" }',
        '  - id: SkewwatchBlind',
        '    when: { stat: blind_cycles, above: 2.5, resolve_below: 0.5 }',
        '    severity: warning',
        '    sinks: [slack]',
        '    annotations: { summary: "skewwatch is blind" }',
        '',
      ].join('\n'),
    );
    cfgFile = writeFile(path.join(dir, 'skewwatch.yaml'), config());
    env = cleanEnv({
      SKEWWATCH_SLACK_WEBHOOK_URL: slack.url,
      SKEWWATCH_PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
      SKEWWATCH_PAGERDUTY_URL: pd.url,
    });
    daemon = await startDaemon({ args: ['--config', cfgFile], env, logFile: path.join(dir, 'skewwatch-1.log'), baseUrl: base });
  });

  after(async () => {
    await Promise.allSettled([daemon?.stop(), daemon2?.stop()]);
    await Promise.allSettled([prom?.close(), slack?.close(), pd?.close()]);
    if (dir) removeTempDir(dir);
  });

  it('/healthz 200 and /readyz 200 once data flows', async () => {
    assert.equal((await httpGet(`${base}/healthz`)).status, 200);
    await waitFor('/readyz 200', async () => (await httpGet(`${base}/readyz`)).status === 200, 10_000);
    const s = await status();
    assert.equal(s.pools[0]?.pool, 'be_app');
    assert.equal(s.pools[0]?.severity, 'ok', s.pools[0]?.explanation);
  });

  it('skewed data pages: one PagerDuty trigger', async (t) => {
    const t0 = Date.now();
    mode = 'skewed';
    await waitFor('PagerDuty trigger', () => triggers().length >= 1, 15_000, 100);
    t.diagnostic(`PagerDuty trigger ${Date.now() - t0} ms after the skew (for: 2s, interval 1s): ${String(triggers()[0]!.payload?.summary)}`);
    assert.equal(triggers().length, 1);
    assert.equal(triggers()[0]!.routing_key, ROUTING_KEY);
    await waitFor('Slack message', () => slack!.messages.length >= 1, 5000, 100);
  });

  it('source answering HTTP 500 for 10 s: no resolve, keeps running, logs and counts the error, /readyz 503', async (t) => {
    const errorsBefore = metricSum(await metricsText(), 'skewwatch_source_errors_total');
    const t0 = Date.now();
    mode = 'error';
    await sleep(2500);
    const errorsEarly = metricSum(await metricsText(), 'skewwatch_source_errors_total');
    // ready_after_intervals (3) x interval (1 s): not ready after > 3 s without data.
    await waitFor('/readyz 503', async () => (await httpGet(`${base}/readyz`)).status === 503, 6000, 100);
    const notReadyAt = Date.now();
    const notReadyAfter = notReadyAt - t0;
    // Measured from the last successful collection, which may precede the switch by up to one interval.
    const lastSuccessAt = Date.parse((await status()).source.lastSuccessAt!);
    const sinceSuccess = notReadyAt - lastSuccessAt;
    await sleep(Math.max(0, t0 + 10_000 - Date.now()));
    const errorsLate = metricSum(await metricsText(), 'skewwatch_source_errors_total');
    t.diagnostic(`/readyz 503 ${notReadyAfter} ms after the outage began, ${sinceSuccess} ms after the last successful collection; skewwatch_source_errors_total ${errorsBefore} -> ${errorsEarly} -> ${errorsLate}`);
    assert.ok(sinceSuccess > 3000 && sinceSuccess <= 4500, `readyz turned 503 ${sinceSuccess} ms after the last success (limit 3 x 1 s)`);
    assert.ok(errorsEarly > errorsBefore && errorsLate > errorsEarly, `errors ${errorsBefore} -> ${errorsEarly} -> ${errorsLate}`);
    assert.ok(errorsLate - errorsBefore >= 8, `about one error per cycle over 10 s, got ${errorsLate - errorsBefore}`);

    assert.equal(resolves().length, 0, 'missing data is never recovery');
    assert.ok(daemon!.running(), 'still running');
    assert.equal((await httpGet(`${base}/healthz`)).status, 200);
    const s = await status();
    assert.ok(s.source.blindCycles >= 8, `blind cycles ${s.source.blindCycles}`);
    assert.equal(s.alerts.find((a) => a.rule === 'TrafficSkewCritical')?.state, 'firing');

    const failed = jsonLines(daemon!.logs()).filter((l) => String(l.msg).includes('source failed'));
    assert.equal(failed.length, 1, 'logged once when the error starts, not every cycle');
    assert.equal(failed[0]!.level, 'error');
    assert.match(String(failed[0]!.error), /HTTP 500|500/);
  });

  it('balanced again: exactly one resolve', async (t) => {
    const t0 = Date.now();
    mode = 'balanced';
    await waitFor('PagerDuty resolve', () => resolves().length >= 1, 10_000, 100);
    t.diagnostic(`resolve ${Date.now() - t0} ms after balance returned`);
    await sleep(3000);
    assert.equal(resolves().length, 1);
    assert.equal(triggers().length, 1);
    assert.equal(resolves()[0]!.dedup_key, triggers()[0]!.dedup_key);
    assert.equal(pd!.alerts[0]!.status, 'resolved');
    assert.ok(jsonLines(daemon!.logs()).some((l) => l.msg === 'source recovered'));
  });

  it('SIGHUP with an invalid config: rejected, keeps running and serving', async () => {
    writeFile(cfgFile, config(['intervall: 5s']));
    process.kill(daemon!.pid, 'SIGHUP');
    const line = await waitFor('"config reload rejected" log line', () => jsonLines(daemon!.logs()).find((l) => String(l.msg).includes('config reload rejected')), 5000, 100);
    assert.match(JSON.stringify(line), /intervall/, 'the rejection names the bad key');
    await sleep(1500);
    assert.ok(daemon!.running());
    assert.equal((await httpGet(`${base}/healthz`)).status, 200);
    assert.equal((await httpGet(`${base}/readyz`)).status, 200, 'the old config keeps collecting');
    assert.match(await metricsText(), /skewwatch_config_reloads_total\{outcome="failure"\} 1/);
  });

  it('SIGHUP with a valid changed config: reloaded', async () => {
    writeFile(cfgFile, config(['analysis:', '  min_requests: 100']));
    process.kill(daemon!.pid, 'SIGHUP');
    await waitFor('"config reloaded" log line', () => jsonLines(daemon!.logs()).find((l) => l.msg === 'config reloaded'), 5000, 100);
    assert.match(await metricsText(), /skewwatch_config_reloads_total\{outcome="success"\} 1/);
    assert.equal((await httpGet(`${base}/readyz`)).status, 200);
  });

  it('SIGTERM while skewed and paged: exit 0 within 10 s, state.json written', async (t) => {
    mode = 'skewed';
    await waitFor('second incident paged', () => triggers().length >= 2, 15_000, 100);
    await sleep(1500); // the Slack copy too (1/s rate limit)
    const t0 = Date.now();
    const info = await daemon!.stop(15_000);
    const took = Date.now() - t0;
    t.diagnostic(`SIGTERM -> exit ${JSON.stringify(info)} in ${took} ms`);
    assert.deepEqual(info, { code: 0, signal: null }, daemon!.tail(20));
    assert.ok(took < 10_000, `took ${took} ms`);
    const stateFile = path.join(stateDir(), 'state.json');
    assert.ok(fs.existsSync(stateFile), `${stateFile} exists`);
    assert.match(fs.readFileSync(stateFile, 'utf8'), /TrafficSkewCritical/);
    assert.ok(jsonLines(daemon!.logs()).some((l) => l.msg === 'stopped'));
  });

  it('restart on the same state dir while still skewed: no second trigger', async (t) => {
    const before = triggers().length;
    daemon2 = await startDaemon({ args: ['--config', cfgFile], env, logFile: path.join(dir, 'skewwatch-2.log'), baseUrl: base });
    const restored = await waitFor('"state restored" log line', () => jsonLines(daemon2!.logs()).find((l) => l.msg === 'state restored'), 5000, 100);
    t.diagnostic(`restored: ${JSON.stringify(restored)}`);
    assert.equal(restored.firing, 1);
    // Several cycles, well beyond `for: 2s`.
    await sleep(6000);
    const s = await getJson<Status>(`${base}/api/v1/status`);
    assert.equal(s.pools[0]?.severity, 'critical', 'the data is still skewed');
    assert.equal(s.alerts.find((a) => a.rule === 'TrafficSkewCritical')?.state, 'firing');
    assert.equal(triggers().length, before, `PagerDuty events: ${pd!.summary()}`);
    assert.equal(pd!.openAlerts().length, 1);
    const info = await daemon2.stop(15_000);
    assert.equal(info.code, 0);
  });

  it('no secret in stdout or stderr of either process', () => {
    const logs = allLogs();
    assert.ok(logs.length > 0);
    for (const secret of [ROUTING_KEY, slack!.url, SLACK_WEBHOOK_PATH, SLACK_WEBHOOK_PATH.split('/').pop()!]) {
      assert.ok(!logs.includes(secret), `secret ${secret.slice(0, 6)}... found in the logs`);
    }
  });
});
