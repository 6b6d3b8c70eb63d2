// What changed, in every sink: PagerDuty change events (POST /v2/change/enqueue
// against the local receiver that answers as PagerDuty documents), the
// changes and the declared-vs-running diff in PagerDuty's custom_details,
// Slack's "What changed" section and Alertmanager's annotations.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changeEventUrl, PagerDutyNotifier, renderPagerDutyEvent } from '../../src/notify/pagerduty.js';
import { renderSlackMessage } from '../../src/notify/slack-message.js';
import { renderAlertmanagerAlerts } from '../../src/notify/alertmanager.js';
import { notificationProblem, type Notification } from '../../src/core/alerting/notification.js';
import type { BalancerChange } from '../../src/core/changes/changes.js';
import type { PoolDrift } from '../../src/core/declared/drift.js';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '../fakes/receivers/pagerduty.js';
import { FakeClock, notification, SECRETS, T0, verdict } from './helpers.js';

const CHANGE: BalancerChange = { at: T0 - 41_000, pool: 'be_app', backend: 's1', kind: 'weight', from: '1', to: '256', signal: 'weight', poolSize: 4 };
const DRIFT: PoolDrift = {
  pool: 'be_app', level: 2, concentration: { backend: 's1', liveShare: 0.99, declaredShare: 0.25 },
  items: [{ backend: 's1', kind: 'weight', declared: '1', live: '256' }],
  explanation: "be_app runs something other than declared: s1's weight is 256 live, 1 declared (99% of be_app's weight instead of 25%)",
};
const withContext = (): Notification => notification({ verdict: { ...verdict(), changes: [CHANGE], drift: DRIFT } });

describe('balancer changes in notifications', () => {
  let pd: PagerDutyReceiver;
  before(async () => { pd = await startPagerDutyReceiver({ routingKeys: [SECRETS.routingKey] }); });
  after(async () => { await pd.close(); });

  it('a change notification is a PagerDuty change event on /v2/change/enqueue, accepted with 202', async () => {
    const n = notification({ kind: 'change', ruleId: 'BalancerChange', ruleName: 'BalancerChange', severity: 'info', verdict: null, summary: "s1's weight changed 1 → 256 at 08:59:19 UTC", dedupKey: 'change/be_app/s1' });
    assert.equal(notificationProblem(n), null);
    const sink = new PagerDutyNotifier({ routingKey: SECRETS.routingKey, clock: new FakeClock(), url: pd.url });
    const r = await sink.send(n, new AbortController().signal);
    assert.deepEqual(r, { ok: true });
    assert.equal(pd.events.length, 0, 'not an alert event');
    const [ev] = pd.changeEvents;
    assert.equal(ev!.payload.summary, "be_app: s1's weight changed 1 → 256 at 08:59:19 UTC");
    assert.equal(ev!.payload.timestamp, new Date(T0).toISOString());
    assert.equal(ev!.payload.source, 'be_app');
  });

  it('the change URL sits beside the enqueue URL, for the US and EU endpoints and proxies', () => {
    assert.equal(changeEventUrl('https://events.pagerduty.com/v2/enqueue'), 'https://events.pagerduty.com/v2/change/enqueue');
    assert.equal(changeEventUrl('https://events.eu.pagerduty.com/v2/enqueue'), 'https://events.eu.pagerduty.com/v2/change/enqueue');
    assert.equal(changeEventUrl('http://proxy:8080/pd/v2/enqueue/'), 'http://proxy:8080/pd/v2/change/enqueue');
  });

  it('a trigger carries the changes and the declared-vs-running diff in custom_details', () => {
    const ev = renderPagerDutyEvent(withContext(), SECRETS.routingKey);
    const d = ev.payload!.custom_details!;
    assert.deepEqual(d['changes'], ["s1's weight changed 1 → 256 at 08:59:19 UTC (41 s before)"]);
    assert.deepEqual((d['declared_vs_running'] as { items: unknown[] }).items, DRIFT.items);
  });

  it('Slack shows a "What changed" section with the change and declared vs live; resolves do not', () => {
    const msg = renderSlackMessage(withContext());
    const text = JSON.stringify(msg);
    assert.match(text, /What changed/);
    assert.match(text, /s1's weight changed 1 → 256 at 08:59:19 UTC \(41 s before\)/);
    assert.match(text, /`s1` weight: declared 1, live 256/);
    assert.doesNotMatch(JSON.stringify(renderSlackMessage({ ...withContext(), kind: 'resolve', endsAt: T0 })), /What changed/);
    assert.doesNotMatch(JSON.stringify(renderSlackMessage(notification())), /What changed/);
  });

  it('Slack renders a change notification (a restore report) as a plain message', () => {
    const msg = renderSlackMessage(notification({ kind: 'change', severity: 'info', verdict: null, summary: 'restored be_app/s1 weight 256 → 1 (the declared weight)' }));
    assert.match(msg.text, /^\[CHANGE\] be_app: restored be_app\/s1 weight 256 → 1/);
  });

  it('Alertmanager gets the changes and the drift as annotations', () => {
    const [a] = renderAlertmanagerAlerts(withContext(), T0);
    assert.equal(a!.annotations['changes'], "s1's weight changed 1 → 256 at 08:59:19 UTC (41 s before)");
    assert.match(a!.annotations['declared_vs_running']!, /256 live, 1 declared/);
  });
});
