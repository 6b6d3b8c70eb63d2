// The daemon end to end in one process: scripted source, real analysis and
// lifecycle, real sink clients against local receivers that answer like
// Slack and PagerDuty, an injected clock, and a "restart" through the store.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext, buildNotifiers } from '../../src/app/build.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { MemoryStateStore } from '../../src/state/store.js';
import { silentLogger } from '../../src/util/logger.js';
import { FakeClock } from '../fakes/clock.js';
import { ScriptedSource, pool, BALANCED, SKEWED, type Script } from '../fakes/source.js';
import { startSlackReceiver, startPagerDutyReceiver, slackReplies, pagerDutyReplies } from '../fakes/receivers/index.js';

// Fresh receivers per test, so that each test's counts are its own.
let slack: Awaited<ReturnType<typeof startSlackReceiver>>;
let pd: Awaited<ReturnType<typeof startPagerDutyReceiver>>;
let loaded: ReturnType<typeof loadConfig>;
beforeEach(async () => {
  slack = await startSlackReceiver();
  pd = await startPagerDutyReceiver();
  loaded = loadConfig({ file: configFile, env: { SLACK_URL: slack.url, PD_KEY: ROUTING_KEY, PD_URL: pd.url } });
});
afterEach(async () => { await slack.close(); await pd.close(); });

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const dir = mkdtempSync(join(tmpdir(), 'skewwatch-daemon-'));
const configFile = join(dir, 'skewwatch.yaml');
writeFileSync(configFile, `
interval: 5s
source: { mode: prometheus, prometheus: { url: http://127.0.0.1:1 } }
sinks:
  slack: { webhook_url: "\${SLACK_URL}" }
  pagerduty: { routing_key: "\${PD_KEY}", url: "\${PD_URL}" }
delivery: { initial_backoff: 1s, max_backoff: 1m }
`);

function daemon(script: Script, clock: FakeClock, store: MemoryStateStore) {
  const metrics = new SkewwatchMetrics();
  const notifiers = buildNotifiers(loaded.config, clock);
  const source = new ScriptedSource(script);
  const d = new Daemon({
    loaded, source, notifiers, analysis: buildAnalysisOptions(loaded.config), context: buildEvaluatorContext(loaded, notifiers),
    store, clock, log: silentLogger(), metrics, random: () => 0.5,
  });
  return { d, metrics, source };
}

/** Runs cycles every 5 s from `from` to `to` (seconds since start), delivering after each. */
async function runCycles(d: Daemon, clock: FakeClock, seconds: number) {
  for (let t = 0; t < seconds; t += 5) {
    await d.cycle(clock.now());
    await d.deliver(AbortSignal.timeout(5000));
    await clock.advance(5000);
  }
}

test('one page and one resolve per incident; Slack hears both; nothing while balanced', async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  // balanced 60s, skewed and hot 120s, balanced again.
  const script: Script = (now) => [pool('be_app', now - t0 < 60_000 || now - t0 >= 180_000 ? BALANCED : SKEWED)];
  const { d, metrics } = daemon(script, clock, new MemoryStateStore());
  await runCycles(d, clock, 300);
  const key = Object.values((d.status(clock.now()) as { alerts: Array<{ rule: string; dedupKey: string }> }).alerts).find((a) => a.rule === 'TrafficSkewCritical')?.dedupKey;
  assert.ok(key, 'critical alert tracked');
  assert.equal(pd.alerts.length, 1, pd.summary());
  assert.equal(pd.alerts[0]!.triggers, 1);
  assert.equal(pd.alerts[0]!.status, 'resolved');
  assert.equal(pd.events.filter((e) => e.event_action === 'resolve').length, 1);
  // Slack: trigger + resolve for the critical rule; the warning rule fires
  // too but is inhibited by the page (default inhibit_rules), so it posts nothing.
  assert.equal(slack.messages.length, 2, slack.summary());
  const text = JSON.stringify(slack.messages);
  assert.match(text, /s1/);
  assert.doesNotMatch(text, new RegExp(ROUTING_KEY));
  const metricsText = await metrics.registry.metrics();
  assert.match(metricsText, /skewwatch_notifications_total\{sink="pagerduty",outcome="sent"\} 2/);
  assert.doesNotMatch(metricsText, /hooks|services\/T0/);
});

test('no resolve while the source is down: alerts hold, the blind alert goes to Slack', async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const script: Script = (now) => (now - t0 < 60_000 ? [pool('be_app', SKEWED)] : now - t0 < 300_000 ? 'down' : [pool('be_app', BALANCED)]);
  const { d, metrics } = daemon(script, clock, new MemoryStateStore());
  await runCycles(d, clock, 295);
  assert.equal(pd.openAlerts().length, 1, 'page still open after 4 minutes without data');
  assert.equal(pd.events.filter((e) => e.event_action === 'resolve').length, 0);
  assert.ok(slack.messages.some((m) => /blind|cannot collect/i.test(JSON.stringify(m))), slack.summary());
  assert.match(await metrics.registry.metrics(), /skewwatch_source_errors_total\{kind="source-unreachable"\} 4\d/);
  await runCycles(d, clock, 30); // data returns, balanced: keep_firing_for (1m) runs from the first balanced cycle
  assert.equal(pd.openAlerts().length, 1, 'the outage did not run keep_firing_for down');
  await runCycles(d, clock, 40);
  assert.equal(pd.openAlerts().length, 0, 'resolves once data shows balance for keep_firing_for');
});

test('a page that fails with 500 survives a restart and is delivered exactly once', async () => {
  const clock = new FakeClock();
  const store = new MemoryStateStore();
  const script: Script = () => [pool('be_app', SKEWED)];
  pd.script(pagerDutyReplies.serverError(), pagerDutyReplies.serverError());
  const first = daemon(script, clock, store);
  await runCycles(first.d, clock, 20); // fires at 15s; first delivery attempt gets 500
  assert.equal(pd.events.length, 0);
  assert.ok(first.d.outbox.list('pagerduty').length >= 1, 'the page waits in the outbox');
  // "Restart": a new daemon from the persisted state, same clock and receivers.
  const second = daemon(script, clock, store);
  assert.ok(second.d.outbox.list('pagerduty').length >= 1, 'the outbox was restored');
  await clock.advance(60_000);
  await runCycles(second.d, clock, 60);
  assert.equal(pd.alerts.length, 1, pd.summary());
  assert.equal(pd.alerts[0]!.triggers, 1, 'exactly one trigger reached PagerDuty');
  assert.equal(pd.received.filter((r) => r.status === 500).length, 2);
});

test('no duplicate Slack message after a restart while firing', async () => {
  const clock = new FakeClock();
  const store = new MemoryStateStore();
  const script: Script = () => [pool('be_app', SKEWED)];
  const first = daemon(script, clock, store);
  await runCycles(first.d, clock, 90);
  const before = slack.messages.length;
  assert.equal(before, 1, slack.summary()); // the critical trigger (the warning is inhibited by it)
  const alerts = (first.d.status(clock.now()) as { alerts: Array<{ rule: string; state: string; inhibitedBy: string | null }> }).alerts;
  assert.deepEqual(alerts.find((a) => a.rule === 'TrafficSkew'), { ...alerts.find((a) => a.rule === 'TrafficSkew'), state: 'firing', inhibitedBy: 'TrafficSkewCritical' }, '/api/v1/status says why the warning is quiet');
  const second = daemon(script, clock, store);
  await runCycles(second.d, clock, 120);
  assert.equal(slack.messages.length, before, 'the restarted daemon does not announce the same alerts again');
});

test('Slack 429 with Retry-After is honoured, then delivered', async () => {
  const clock = new FakeClock();
  slack.script(slackReplies.rateLimited(30));
  const { d } = daemon(() => [pool('be_app', SKEWED)], clock, new MemoryStateStore());
  await runCycles(d, clock, 20); // trigger at 15s; Slack answers 429 Retry-After 30
  const at429 = slack.received.find((r) => r.status === 429)!.at;
  assert.ok(at429);
  await runCycles(d, clock, 20); // 20s later: still inside Retry-After
  assert.equal(slack.messages.length, 0, 'no retry before Retry-After');
  await runCycles(d, clock, 20);
  assert.ok(slack.messages.length >= 1, 'delivered after Retry-After');
});
