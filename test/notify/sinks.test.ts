// PagerDuty, Alertmanager and webhook payloads and their service-specific
// behaviour (the shared retry table lives in contract.test.ts).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PagerDutyNotifier, PAGERDUTY_LIMITS, PAGERDUTY_URLS, pagerDutyDedupKey, renderPagerDutyEvent } from '../../src/notify/pagerduty.js';
import { AlertmanagerNotifier, DEDUP_LABEL, renderAlertmanagerAlerts, sanitizeLabelName } from '../../src/notify/alertmanager.js';
import { WebhookNotifier, type WebhookEnvelope } from '../../src/notify/webhook.js';
import { isSkewwatchError } from '../../src/util/errors.js';
import { pagerDutyEventErrors, pagerDutyReplies, startPagerDutyReceiver, type PagerDutyReceiver } from '../fakes/receivers/pagerduty.js';
import { alertProblem, startAlertmanagerReceiver, type AlertmanagerReceiver } from '../fakes/receivers/alertmanager.js';
import { startWebhookReceiver } from '../fakes/receivers/webhook.js';
import { FakeClock, notification, SECRETS, T0, verdict } from './helpers.js';

const signal = () => new AbortController().signal;

describe('pagerduty payload', () => {
  it('trigger carries the documented fields and the backend table as data', () => {
    const ev = renderPagerDutyEvent(notification(), SECRETS.routingKey, { clientUrl: 'https://skewwatch.example.com', prometheusUrl: 'http://prom:9090', prometheusQuery: 'up' });
    assert.deepEqual(pagerDutyEventErrors(ev), []);
    assert.equal(ev.event_action, 'trigger');
    assert.equal(ev.dedup_key, 'rule-skew/be_app');
    assert.equal(ev.payload?.severity, 'critical');
    assert.equal(ev.payload?.source, 'be_app');
    assert.equal(ev.payload?.timestamp, new Date(T0).toISOString());
    assert.equal(ev.payload?.class, 'TrafficSkew');
    assert.equal(ev.client, 'skewwatch');
    assert.equal(ev.client_url, 'https://skewwatch.example.com');
    assert.deepEqual(ev.links?.map((l) => l.text), ['Runbook', 'Prometheus graph', 'Source']);
    const cd = ev.payload?.custom_details as { backends: Array<{ backend: string; outlier: string | null }>; forecast: string };
    assert.equal(cd.backends[0]!.backend, 'web-000');
    assert.equal(cd.backends[0]!.outlier, 'hot');
    assert.match(cd.forecast, /reaches 95% CPU/);
  });

  it('resolve is event_action resolve with the same dedup_key and no payload', () => {
    const ev = renderPagerDutyEvent(notification({ kind: 'resolve', endsAt: T0 + 60_000 }), SECRETS.routingKey);
    assert.deepEqual(ev, { routing_key: SECRETS.routingKey, event_action: 'resolve', dedup_key: 'rule-skew/be_app' });
  });

  it('repeat is a trigger on the same dedup_key, marked still firing', () => {
    const ev = renderPagerDutyEvent(notification({ kind: 'repeat', createdAt: T0 + 7_200_000 }), SECRETS.routingKey);
    assert.equal(ev.event_action, 'trigger');
    assert.match(ev.payload!.summary, /^\[still firing 2h\]/);
  });

  it('500 backends and huge strings stay within summary 1024, dedup_key 255 and 512 KB', () => {
    const huge = 'y'.repeat(3000);
    const n = notification({ verdict: verdict(500), summary: huge, dedupKey: `k-${huge}`, poolLabels: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`l${i}`, huge])) });
    const ev = renderPagerDutyEvent(n, SECRETS.routingKey, { maxBackendRows: 1000 });
    assert.deepEqual(pagerDutyEventErrors(ev), []);
    assert.ok(ev.payload!.summary.length <= PAGERDUTY_LIMITS.summary);
    assert.ok(ev.dedup_key.length <= PAGERDUTY_LIMITS.dedupKey);
    assert.equal(ev.dedup_key, pagerDutyDedupKey(`k-${huge}`), 'stable hash');
    assert.ok(Buffer.byteLength(JSON.stringify(ev)) <= PAGERDUTY_LIMITS.payloadBytes);
    const cd = ev.payload!.custom_details as { backends_total: number; backends_omitted: number; backends: unknown[] };
    assert.equal(cd.backends_total, 500);
    assert.equal(cd.backends.length + cd.backends_omitted, 499);
  });

  it('severity map', () => {
    const ev = renderPagerDutyEvent(notification({ severity: 'warning' }), SECRETS.routingKey, { severityMap: { warning: 'error' } });
    assert.equal(ev.payload?.severity, 'error');
  });
});

describe('pagerduty against the receiver: one trigger and one resolve per incident', () => {
  let r: PagerDutyReceiver;
  const clock = new FakeClock();
  before(async () => {
    r = await startPagerDutyReceiver({ routingKeys: [SECRETS.routingKey] });
  });
  after(async () => {
    await r.close();
  });

  it('trigger, repeat, resolve on one dedup key make one incident, then a new trigger opens another', async () => {
    const pd = new PagerDutyNotifier({ routingKey: SECRETS.routingKey, url: r.url, clock });
    const dedupKey = 'skew/be_pd';
    for (const n of [
      notification({ dedupKey }),
      notification({ dedupKey, kind: 'repeat', createdAt: T0 + 3600_000 }),
      notification({ dedupKey, kind: 'resolve', endsAt: T0 + 4000_000 }),
    ]) {
      assert.deepEqual(await pd.send(n, signal()), { ok: true });
    }
    const [a] = r.alertsFor(dedupKey);
    assert.equal(r.alertsFor(dedupKey).length, 1);
    assert.equal(a!.status, 'resolved');
    assert.equal(a!.triggers, 2);
    assert.equal(a!.resolves, 1);
    assert.deepEqual(await pd.send(notification({ dedupKey }), signal()), { ok: true });
    assert.equal(r.alertsFor(dedupKey).length, 2);
    assert.equal(r.openAlerts().length, 1);
  });

  it('400 invalid event is final and names the errors', async () => {
    r.script(pagerDutyReplies.invalid("'payload.summary' is missing or blank"));
    const res = await new PagerDutyNotifier({ routingKey: SECRETS.routingKey, url: r.url, clock }).send(notification(), signal());
    assert.equal(res.ok, false);
    if (res.ok) return;
    assert.equal(res.retryable, false);
    assert.match(res.message, /HTTP 400 Event object is invalid: 'payload.summary' is missing/);
  });

  it('429 without Retry-After backs off at least 30 s (PagerDuty: "retry after some time")', async () => {
    r.script(pagerDutyReplies.throttled());
    const res = await new PagerDutyNotifier({ routingKey: SECRETS.routingKey, url: r.url, clock }).send(notification(), signal());
    assert.equal(res.ok, false);
    if (!res.ok) {
      assert.equal(res.retryable, true);
      assert.equal(res.retryAfterMs, 30_000);
    }
  });

  it('a real routing key of the wrong length is rejected by the receiver like PagerDuty', () => {
    assert.match(pagerDutyEventErrors({ routing_key: 'short', event_action: 'resolve', dedup_key: 'x' }).join(), /32 character/);
  });
});

describe('pagerduty options fail fast', () => {
  const clock = new FakeClock();
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['missing key', {}, /routingKey is required/],
    ['short key', { routingKey: 'abc123secret' }, /32-character .* \(got 12 characters\)/],
    ['region', { routingKey: SECRETS.routingKey, region: 'apac' }, /region/],
    ['url', { routingKey: SECRETS.routingKey, url: 'nope' }, /url is not a valid URL/],
    ['severity map', { routingKey: SECRETS.routingKey, severityMap: { warning: 'high' } }, /severityMap.warning/],
  ];
  for (const [name, opts, re] of cases) {
    it(name, () => {
      assert.throws(
        () => new PagerDutyNotifier({ clock, ...opts } as never),
        (e: unknown) => isSkewwatchError(e, 'config') && re.test(e.message) && !e.message.includes('abc123secret') && !e.message.includes(SECRETS.routingKey),
      );
    });
  }
  it('EU endpoint constant', () => {
    assert.equal(PAGERDUTY_URLS.eu, 'https://events.eu.pagerduty.com/v2/enqueue');
  });
});

describe('alertmanager payload', () => {
  it('firing: labels, annotations, endsAt = send time + resolveTimeout', () => {
    const sendTime = T0 + 30_000;
    const [a] = renderAlertmanagerAlerts(notification({ poolLabels: { proxy: 'be_app', 'k8s.io/app': 'web' } }), sendTime);
    assert.equal(alertProblem(a), null);
    assert.equal(a!.labels['alertname'], 'TrafficSkew');
    assert.equal(a!.labels['severity'], 'critical');
    assert.equal(a!.labels['pool'], 'be_app');
    assert.equal(a!.labels['proxy'], 'be_app');
    assert.equal(a!.labels['k8s_io_app'], 'web');
    assert.equal(a!.labels[DEDUP_LABEL], 'rule-skew/be_app');
    assert.equal(a!.labels['team'], 'edge');
    assert.equal(a!.annotations['runbook_url'], 'https://runbooks.example.com/skew');
    assert.match(a!.annotations['explanation']!, /web-000/);
    assert.equal(a!.startsAt, new Date(T0).toISOString());
    assert.equal(a!.endsAt, new Date(sendTime + 300_000).toISOString());
    assert.equal(a!.generatorURL, 'http://skewwatch.example.com/api/v1/status');
  });

  it('resolve: endsAt = resolve time, same labels as the trigger', () => {
    const trig = renderAlertmanagerAlerts(notification(), T0)[0]!;
    const res = renderAlertmanagerAlerts(notification({ kind: 'resolve', endsAt: T0 + 720_000 }), T0 + 900_000)[0]!;
    assert.deepEqual(res.labels, trig.labels);
    assert.equal(res.endsAt, new Date(T0 + 720_000).toISOString());
  });

  it('label names are made valid', () => {
    assert.equal(sanitizeLabelName('9lives'), '_9lives');
    assert.equal(sanitizeLabelName('a-b.c'), 'a_b_c');
  });
});

describe('alertmanager against the fake', () => {
  let r: AlertmanagerReceiver;
  const clock = new FakeClock();
  before(async () => {
    r = await startAlertmanagerReceiver();
  });
  after(async () => {
    await r.close();
  });

  it('posts to /api/v2/alerts with basic auth; trigger then resolve update one alert', async () => {
    const am = new AlertmanagerNotifier({ url: `${r.url}/`, clock, basicAuth: { username: 'sw', password: SECRETS.basicPassword }, headers: { 'X-Scope-OrgID': 'tenant-1' } });
    assert.deepEqual(await am.send(notification(), signal()), { ok: true });
    assert.deepEqual(await am.send(notification({ kind: 'resolve', endsAt: T0 + 60_000 }), signal()), { ok: true });
    assert.equal(r.alerts().length, 1);
    assert.equal(r.alerts()[0]!.posts, 2);
    assert.equal(r.alerts()[0]!.endsAt, new Date(T0 + 60_000).toISOString());
    const req = r.received.at(-1)!;
    assert.equal(req.path, '/api/v2/alerts');
    assert.equal(req.headers['authorization'], `Basic ${Buffer.from(`sw:${SECRETS.basicPassword}`).toString('base64')}`);
    assert.equal(req.headers['x-scope-orgid'], 'tenant-1');
  });

  it('400 from Alertmanager is final and shows its reason', async () => {
    r.script({ status: 400, body: JSON.stringify('start time must be before end time') });
    const res = await new AlertmanagerNotifier({ url: r.url, clock }).send(notification(), signal());
    assert.equal(res.ok, false);
    if (!res.ok) {
      assert.equal(res.retryable, false);
      assert.match(res.message, /HTTP 400 start time must be before end time/);
    }
  });

  it('options fail fast', () => {
    assert.throws(() => new AlertmanagerNotifier({ url: 'http://u:pw-s3cret@am:9093', clock }), (e: unknown) => isSkewwatchError(e, 'config') && /basicAuth/.test(e.message) && !e.message.includes('pw-s3cret'));
    assert.throws(() => new AlertmanagerNotifier({ url: 'http://am:9093', clock, bearerToken: 'x'.repeat(10), basicAuth: { username: 'a', password: 'b' } }), /not both/);
    assert.throws(() => new AlertmanagerNotifier({ url: 'http://am:9093', clock, resolveTimeoutMs: 1 }), /resolveTimeoutMs/);
    assert.throws(() => new AlertmanagerNotifier({ url: '', clock }), /url is required/);
  });
});

describe('webhook sink', () => {
  it('posts the notification with its verdict in a versioned envelope, with headers', async () => {
    const r = await startWebhookReceiver();
    try {
      const clock = new FakeClock();
      const n = notification();
      const res = await new WebhookNotifier({ url: r.url, clock, headers: { Authorization: 'Bearer wh-token-123456' } }).send(n, signal());
      assert.deepEqual(res, { ok: true });
      const body = r.bodies[0] as WebhookEnvelope;
      assert.equal(body.version, 1);
      assert.deepEqual(body.notification, JSON.parse(JSON.stringify(n)));
      assert.equal(body.notification.verdict?.backends.length, 6);
      assert.equal(r.received[0]!.headers['authorization'], 'Bearer wh-token-123456');
    } finally {
      await r.close();
    }
  });

  it('options fail fast', () => {
    const clock = new FakeClock();
    assert.throws(() => new WebhookNotifier({ url: 'mailto:x@y', clock }), /http\(s\)/);
    assert.throws(() => new WebhookNotifier({ url: 'http://x/y', clock, headers: { 'bad header': 'v' } }), /header name/);
  });
});
