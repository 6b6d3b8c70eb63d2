// The two shapes every incident scenario takes (shared by incidents.test.ts
// and balancer-signals.test.ts): a fault that must page before the first
// 5xx and resolve once after the repair, and a no-fault run that must stay
// quiet.
import assert from 'node:assert/strict';
import { secondsBetween, type Scene } from './scenario.js';

export type LeadTime = Record<string, unknown>;

/**
 * A fault scenario: quiet baseline, the fault while load ramps, a page before
 * the first 5xx, then the repair and exactly one resolve. Pushes the lead
 * times onto `leadTimes` for the README table.
 */
export async function runFault(
  scene: Scene, name: string, inject: () => Promise<void>, repair: () => Promise<void>, ramped: (from: number) => void,
  leadTimes: LeadTime[], baselineMs = 12_000,
) {
  const { timeline } = scene;
  // Baseline: balanced, quiet.
  await scene.watch(baselineMs);
  assert.equal(scene.pdTriggers(), 0, `${name}: no page while balanced`);
  const early = timeline.first('first-5xx');
  assert.equal(early, undefined, `${name}: a 5xx during the quiet baseline (${JSON.stringify(early?.detail)}): the machine is too busy for this scenario, re-run`);
  await inject();
  timeline.record('fault');
  // Traffic grows after the fault, as it did in the incident.
  ramped(Date.now());
  // Until users see 5xx (or the ramp is over).
  await scene.watch(110_000, () => timeline.first('first-5xx') !== undefined && Date.now() - timeline.first('first-5xx')!.t > 3000);
  const trigger = timeline.first('pagerduty-trigger');
  const first5xx = timeline.first('first-5xx');
  assert.ok(trigger, `${name}: PagerDuty trigger sent (slack: ${scene.sw.slack.summary()})`);
  assert.ok(first5xx, `${name}: the fault produced 5xx for users (otherwise the lead time is unmeasured)`);
  assert.ok(trigger.t < first5xx.t, `${name}: paged ${((trigger.t - first5xx.t) / 1000).toFixed(1)} s AFTER the first 5xx`);
  assert.ok(timeline.first('slack'), `${name}: a Slack message was sent`);
  assert.ok(timeline.first('alertmanager-listed'), `${name}: Alertmanager lists the alert while firing`);

  // Repair, back to a load the fleet carries, and wait for the resolve.
  await repair();
  timeline.record('repair');
  scene.load?.setRate(40);
  await scene.watch(90_000, () => timeline.first('pagerduty-resolve') !== undefined && timeline.first('alertmanager-gone') !== undefined);
  await scene.watch(6_000); // any duplicate would arrive within a few cycles
  assert.equal(scene.pdTriggers(), 1, `${name}: exactly one trigger (${scene.sw.pd.summary()})`);
  assert.equal(scene.pdResolves(), 1, `${name}: exactly one resolve after the repair`);
  assert.equal(scene.sw.pd.openAlerts().length, 0);
  assert.ok(timeline.first('alertmanager-gone'), `${name}: the alert is gone from Alertmanager after resolution`);
  leadTimes.push({
    scenario: name,
    leadTimeS: Math.round(timeline.leadTimeMs()! / 100) / 10,
    faultToPageS: secondsBetween(timeline, 'fault', 'pagerduty-trigger'),
    faultToFirst5xxS: secondsBetween(timeline, 'fault', 'first-5xx'),
    faultToSlackS: secondsBetween(timeline, 'fault', 'slack'),
    repairToResolveS: secondsBetween(timeline, 'repair', 'pagerduty-resolve'),
  });
}

/** A no-fault scenario: no page and no Slack message while it plays (and `during` runs). */
export async function quietScenario(scene: Scene, name: string, ms: number, during?: () => Promise<void>) {
  const p = scene.watch(ms);
  if (during) await during();
  await p;
  await scene.watch(1000);
  const status = await scene.sw.status();
  assert.equal(scene.pdTriggers(), 0, `${name}: no page; pools: ${JSON.stringify(status.pools.map((x) => [x.pool, x.severity, x.explanation]))}`);
  assert.equal(scene.sw.slack.messages.length, 0, `${name}: no Slack message (${scene.sw.slack.summary()})`);
  assert.ok(status.pools.some((x) => x.pool === 'be_app'), `${name}: skewwatch saw the pool`);
}

