// The runtime in-process: a SIGHUP-style reload while a notification is in
// flight must neither lose it nor send it twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '../../src/app/runtime.js';
import { MemoryStateStore } from '../../src/state/store.js';
import { silentLogger } from '../../src/util/logger.js';
import { startServer, json } from '../fakes/http-server.js';
import { startSlackReceiver } from '../fakes/receivers/index.js';

const vector = (rates: number[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: rates.map((r, i) => ({ metric: { proxy: 'be_app', server: `s${i + 1}` }, value: [0, String(r)] })) },
});

test('reload during an in-flight delivery: the message arrives exactly once', async () => {
  const prom = await startServer((req, _b, res) => {
    const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
    json(res, 200, /weight/.test(q) ? vector([1, 1, 1, 1]) : vector([300, 30, 30, 30]));
  });
  const slack = await startSlackReceiver();
  // The first delivery hangs for a while: the reload happens in the middle of it.
  slack.script({ status: 200, body: 'ok', delayMs: 1500 });
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-runtime-'));
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, 'rules:\n  - { id: Page, when: { stat: severity, above: 0.5 }, for: 0s, severity: critical, sinks: [slack] }\n');
  const config = join(dir, 'c.yaml');
  const write = (interval: string) => writeFileSync(config, `interval: ${interval}\nlisten: 127.0.0.1:0\nrule_files: [rules.yaml]\nsource: { prometheus: { url: "${prom.url}" } }\nsinks: { slack: { webhook_url: "\${SLACK}" } }\n`);
  write('1s');
  const rt = await startRuntime({ configFile: config, env: { SLACK: slack.url }, log: silentLogger(), store: new MemoryStateStore() });
  try {
    await slack.waitFor(1, 10_000); // the first POST arrived and is being held
    write('2s');
    assert.equal(await rt.reload(), true);
    await new Promise((r) => setTimeout(r, 3000));
    // Slack acts on a request it received even if the client gave up on the
    // answer: count requests, not only answered ones.
    assert.equal(slack.received.length, 1, slack.summary());
    assert.equal(slack.received[0]!.status, 200);
    assert.equal(rt.daemon.outbox.size, 0, 'nothing left queued');
    // An invalid config is refused and the running one stays.
    writeFileSync(config, 'intervall: 1s\n');
    assert.equal(await rt.reload(), false);
    assert.match(await rt.metrics.registry.getSingleMetricAsString('skewwatch_config_reloads_total'), /outcome="failure"} 1/);
  } finally {
    await rt.stop(2000);
    await slack.close();
    await prom.close();
  }
});

test('stop writes the state even when the 60 s history bound would skip it (Daemon.flush)', async () => {
  const prom = await startServer((req, _b, res) => {
    const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
    json(res, 200, /weight/.test(q) ? vector([1, 1, 1, 1]) : vector([30, 30, 30, 30]));
  });
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-runtime-flush-'));
  const config = join(dir, 'c.yaml');
  writeFileSync(config, `interval: 1s\nlisten: 127.0.0.1:0\nsource: { prometheus: { url: "${prom.url}" } }\n`);
  const store = new MemoryStateStore();
  const rt = await startRuntime({ configFile: config, env: {}, log: silentLogger(), store });
  try {
    for (let i = 0; i < 100 && store.saves === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(store.saves, 1, 'the first cycle wrote the state');
  } finally {
    const before = store.saves;
    const savedAt = store.saved!.savedAt;
    await rt.stop(2000);
    await prom.close();
    assert.equal(store.saves, before + 1, 'stop wrote it once more');
    assert.ok(store.saved!.savedAt >= savedAt);
  }
});
