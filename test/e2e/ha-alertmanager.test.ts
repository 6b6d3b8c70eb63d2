// HA through Alertmanager's own cluster: two skewwatch replicas (same
// namespace, `node dist/cli.js run`, scrape mode against a fake HAProxy
// exposition this test controls) send to two real Alertmanager 0.25
// instances clustered over loopback gossip; both deliver to one webhook.
// skewwatch's alertmanager sink takes one URL, so replica A sends to AM1 and
// replica B to AM2: both Alertmanagers hold the same alert (same labels from
// both replicas), and the cluster's notification log lets only one of them
// notify. Proves: the receiver gets the firing notification once; after
// killing replica A and AM1 it gets nothing twice, and the resolve (from
// replica B through AM2) exactly once.
//
// Run: npm run build && node --import tsx --test test/e2e/ha-alertmanager.test.ts (~40 s)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, makeTempDir, removeTempDir, requireBinaries, sleep, startAlertmanager, waitFor, type AlertmanagerHandle, type ProcessHandle } from './harness/index.js';
import { startServer, type TestServer } from '../fakes/http-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/receivers/index.js';
import { cleanEnv, startDaemon, writeFile } from './support/skewwatch.js';

const RATES = { balanced: [30, 30, 30], skewed: [80, 10, 10] };
const SERVERS = ['s1', 's2', 's3'];

interface AmWebhook { status: string; alerts: Array<{ status: string; labels: Record<string, string> }> }

/** A HAProxy exposition whose counters grow at the current mode's rates (monotonic across mode switches). */
function fakeHaproxy(getMode: () => keyof typeof RATES) {
  const counts = [0, 0, 0];
  let last = Date.now();
  return (_req: unknown, _body: string, res: import('node:http').ServerResponse) => {
    const now = Date.now();
    const rates = RATES[getMode()];
    for (let i = 0; i < 3; i++) counts[i] += (rates[i]! * (now - last)) / 1000;
    last = now;
    const lines = ['# TYPE haproxy_server_http_responses_total counter'];
    SERVERS.forEach((s, i) => lines.push(`haproxy_server_http_responses_total{proxy="be_app",server="${s}",code="2xx"} ${Math.floor(counts[i]!)}`));
    lines.push('# TYPE haproxy_server_weight gauge', ...SERVERS.map((s) => `haproxy_server_weight{proxy="be_app",server="${s}"} 1`));
    lines.push('# TYPE haproxy_server_status gauge', ...SERVERS.map((s) => `haproxy_server_status{proxy="be_app",server="${s}",state="UP"} 1`));
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(lines.join('\n') + '\n');
  };
}

const SKIP = requireBinaries(['prometheus-alertmanager']);

describe('two replicas, two clustered Alertmanagers, one webhook: each notification once', { timeout: 120_000, skip: SKIP ?? false }, () => {
  let dir = '';
  let mode: keyof typeof RATES = 'balanced';
  let haproxy: TestServer | undefined;
  let hook: WebhookReceiver | undefined;
  const ams: AlertmanagerHandle[] = [];
  const replicas: ProcessHandle[] = [];

  /** Webhook notifications carrying our alert in the given status. */
  const notified = (status: 'firing' | 'resolved') =>
    (hook!.bodies as AmWebhook[]).filter((b) => b.alerts.some((a) => a.status === status && a.labels.pool === 'be_app'));

  before(async () => {
    dir = makeTempDir('skewwatch-e2e-ha-');
    hook = await startWebhookReceiver();
    haproxy = await startServer(fakeHaproxy(() => mode));
    const [c1, c2] = [await freePort(), await freePort()];
    for (const d of ['am1', 'am2']) fs.mkdirSync(path.join(dir, d));
    ams.push(await startAlertmanager({ dir: path.join(dir, 'am1'), webhookUrl: hook.url, cluster: { listenPort: c1, peers: [`127.0.0.1:${c2}`] } }));
    ams.push(await startAlertmanager({ dir: path.join(dir, 'am2'), webhookUrl: hook.url, cluster: { listenPort: c2, peers: [`127.0.0.1:${c1}`] } }));
    writeFile(path.join(dir, 'rules.yaml'), [
      'rules:',
      '  - id: TrafficSkewCritical',
      '    when: { stat: severity, above: 1.5, resolve_below: 0.5 }',
      '    for: 2s',
      '    severity: critical',
      '    sinks: [alertmanager]',
      '    annotations: { summary: "Traffic skew in pool {{pool}}" }',
      '',
    ].join('\n'));
    for (const [i, am] of ams.entries()) {
      const port = await freePort();
      const cfg = writeFile(path.join(dir, `replica-${i}.yaml`), [
        'namespace: ha',
        'interval: 1s',
        `listen: 127.0.0.1:${port}`,
        `state_dir: ${path.join(dir, `state-${i}`)}`,
        'rule_files: [rules.yaml]',
        'source:',
        '  mode: scrape',
        '  preset: haproxy',
        '  rate_window: 4s',
        '  scrape:',
        `    targets: [{ url: "${haproxy.url}/metrics" }]`,
        'sinks:',
        `  alertmanager: { url: "${am.url}", resend_interval: 5s, resolve_timeout: 1m }`,
        'delivery: { initial_backoff: 1s, max_backoff: 2s }',
        '',
      ].join('\n'));
      replicas.push(await startDaemon({ args: ['--config', cfg], env: cleanEnv(), logFile: path.join(dir, `replica-${i}.log`), baseUrl: `http://127.0.0.1:${port}` }));
    }
    // The gossip cluster forms before any alert exists.
    await waitFor('Alertmanager cluster of 2', async () => {
      const s = (await (await fetch(`${ams[0]!.url}/api/v2/status`)).json()) as { cluster: { peers: unknown[] } };
      return s.cluster.peers.length === 2;
    }, 15_000);
  });

  after(async () => {
    await Promise.allSettled(replicas.map((r) => r.stop()));
    await Promise.allSettled(ams.map((a) => a.stop()));
    await Promise.allSettled([haproxy?.close(), hook?.close()]);
    if (dir) removeTempDir(dir);
  });

  it('fires once although two replicas send it to two Alertmanagers', async () => {
    await sleep(5000); // balanced first: nothing to say
    assert.equal(notified('firing').length, 0, hook!.summary());
    mode = 'skewed';
    await waitFor('a firing notification', async () => notified('firing').length > 0, 30_000);
    // Both Alertmanagers hold the alert ...
    for (const am of ams) assert.equal((await am.listAlerts({ pool: 'be_app' })).length, 1, `${am.url} holds the alert`);
    // ... and after the second one's peer timeout (3 s) and several resends, still one notification.
    await sleep(8000);
    assert.equal(notified('firing').length, 1, hook!.summary());
  });

  it('killing one replica and one Alertmanager loses nothing and duplicates nothing; the resolve arrives once', async () => {
    await replicas[0]!.stop();
    await ams[0]!.stop();
    await sleep(6000);
    assert.equal(notified('firing').length, 1, `no re-notification from the surviving Alertmanager: ${hook!.summary()}`);
    mode = 'balanced';
    await waitFor('the resolved notification', async () => notified('resolved').length > 0, 40_000);
    await sleep(4000);
    assert.equal(notified('resolved').length, 1, hook!.summary());
    assert.equal(notified('firing').length, 1);
  });
});
