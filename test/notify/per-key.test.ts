// Issue 11 items 9 and 10: one notification that keeps failing must not hold
// up the other alerts on its sink, and a delivery loop restored while a key
// backs off must sleep until it is due instead of spinning. Real local
// receivers, fake clock (the receivers answer at once; time is simulated).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../../src/notify/outbox.js';
import { DeliveryLoop } from '../../src/notify/dispatcher.js';
import { PagerDutyNotifier } from '../../src/notify/pagerduty.js';
import { WebhookNotifier } from '../../src/notify/webhook.js';
import type { Notifier, SendResult } from '../../src/notify/notifier.js';
import type { Notification } from '../../src/core/alerting/notification.js';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '../fakes/receivers/pagerduty.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/receivers/webhook.js';
import { FakeClock, notification, SECRETS, T0 } from './helpers.js';

const HOUR = 60 * 60_000;

/** Rounds on the fake clock: deliver what is due, then jump to the next due time. */
async function drive(outbox: Outbox, clock: FakeClock, untilMs: number, maxRounds = 2000): Promise<number> {
  let rounds = 0;
  while (rounds < maxRounds && clock.now() < untilMs) {
    await outbox.deliverDue();
    rounds++;
    const next = outbox.nextDueAt();
    if (next === undefined || next >= untilMs) break;
    clock.advance(Math.max(1, next - clock.now()));
  }
  return rounds;
}

describe('per-key retries: no head-of-line blocking', () => {
  let pd: PagerDutyReceiver;
  let hook: WebhookReceiver;
  before(async () => {
    pd = await startPagerDutyReceiver({ routingKeys: [SECRETS.routingKey] });
    hook = await startWebhookReceiver();
  });
  after(async () => {
    await pd.close();
    await hook.close();
  });

  it('PagerDuty 500s on one alert only: the other pool is paged at once and the poisoned one backs off alone', async () => {
    pd.clear();
    const clock = new FakeClock();
    pd.failWhen((c) => (c.body as { dedup_key?: string } | undefined)?.dedup_key === 'skew/pool-a', { status: 500, body: { status: 'error', message: 'Internal server error' } });
    const outbox = new Outbox({ notifiers: [new PagerDutyNotifier({ routingKey: SECRETS.routingKey, url: pd.url, clock })], clock, random: () => 1 });
    outbox.enqueue(notification({ dedupKey: 'skew/pool-a', pool: 'pool-a' }), ['pagerduty']);
    outbox.enqueue(notification({ dedupKey: 'skew/pool-b', pool: 'pool-b' }), ['pagerduty']);
    const first = await outbox.deliverDue();
    assert.equal(first.sent, 1, 'pool-b is delivered in the very first round');
    assert.equal(pd.alertsFor('skew/pool-b').length, 1);
    // A later page for a third pool is not held up either.
    clock.advance(90_000);
    outbox.enqueue(notification({ dedupKey: 'skew/pool-c', pool: 'pool-c' }), ['pagerduty']);
    await drive(outbox, clock, T0 + 2 * HOUR);
    const attempts = (k: string) => pd.received.filter((r) => (r.body as { dedup_key?: string }).dedup_key === k).length;
    assert.equal(attempts('skew/pool-b'), 1);
    assert.equal(attempts('skew/pool-c'), 1);
    assert.equal(pd.alertsFor('skew/pool-c').length, 1);
    // Exponential back-off (1 s doubling, 5 min cap) over 2 h: about 30 attempts, not one per round.
    assert.ok(attempts('skew/pool-a') >= 20 && attempts('skew/pool-a') <= 40, `poisoned attempts ${attempts('skew/pool-a')}`);
    assert.deepEqual(outbox.list().map((e) => e.notification.dedupKey), ['skew/pool-a']);
    // The receiver recovers: the poisoned alert is delivered once.
    pd.clearRules();
    await drive(outbox, clock, T0 + 3 * HOUR);
    assert.equal(pd.alertsFor('skew/pool-a').length, 1);
    assert.equal(outbox.size, 0);
  });

  it('a resolve waits for its own failing trigger, never for another alert', async () => {
    pd.clear();
    const e0 = pd.events.length;
    const events = () => pd.events.slice(e0);
    const clock = new FakeClock();
    pd.failWhen((c) => (c.body as { dedup_key?: string } | undefined)?.dedup_key === 'skew/pool-x', { status: 503, body: 'unavailable' });
    const outbox = new Outbox({ notifiers: [new PagerDutyNotifier({ routingKey: SECRETS.routingKey, url: pd.url, clock })], clock, random: () => 1 });
    outbox.enqueue(notification({ dedupKey: 'skew/pool-x' }), ['pagerduty']);
    outbox.enqueue(notification({ dedupKey: 'skew/pool-x', kind: 'resolve', endsAt: T0 + 1 }), ['pagerduty']);
    outbox.enqueue(notification({ dedupKey: 'skew/pool-y' }), ['pagerduty']);
    outbox.enqueue(notification({ dedupKey: 'skew/pool-y', kind: 'resolve', endsAt: T0 + 1 }), ['pagerduty']);
    await drive(outbox, clock, T0 + 10 * 60_000);
    assert.deepEqual(events().map((e) => `${e.dedup_key} ${e.event_action}`), ['skew/pool-y trigger', 'skew/pool-y resolve']);
    pd.clearRules();
    await drive(outbox, clock, T0 + HOUR);
    assert.deepEqual(
      events().filter((e) => e.dedup_key === 'skew/pool-x').map((e) => e.event_action),
      ['trigger', 'resolve'],
      'trigger first, then its resolve',
    );
    assert.equal(pd.openAlerts().filter((a) => a.dedupKey === 'skew/pool-x' || a.dedupKey === 'skew/pool-y').length, 0);
  });

  it('a timeout on one payload (the receiver hangs on it) does not stop the other alerts', async () => {
    hook.clear();
    const clock = new FakeClock();
    hook.failWhen((c) => (c.body as { notification?: { pool?: string } } | undefined)?.notification?.pool === 'slow-pool', { hang: true });
    const outbox = new Outbox({ notifiers: [new WebhookNotifier({ url: hook.url, clock, timeoutMs: 200 })], clock, random: () => 1 });
    outbox.enqueue(notification({ dedupKey: 'k/slow', pool: 'slow-pool' }), ['webhook']);
    for (let i = 0; i < 5; i++) outbox.enqueue(notification({ dedupKey: `k/${i}`, pool: `p${i}` }), ['webhook']);
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 5);
    assert.equal(s.retry, 1);
    assert.match(s.results.find((r) => r.outcome === 'retry')!.message!, /timeout after 200ms/);
    assert.deepEqual(outbox.list().map((e) => e.notification.pool), ['slow-pool']);
  });
});

describe('delivery loop after a restart while a key backs off (item 10)', () => {
  /** Fails the first send of each listed id, then accepts. */
  class FlakyNotifier implements Notifier {
    readonly name = 's';
    readonly calls: Notification[] = [];
    constructor(private readonly failFirst: Set<string>) {}
    async send(n: Notification): Promise<SendResult> {
      this.calls.push(n);
      if (this.failFirst.delete(n.id)) return { ok: false, retryable: true, status: 503, message: 's: HTTP 503' };
      return { ok: true };
    }
  }

  it('sleeps until the earliest due time: a handful of rounds, not one per clock tick', async () => {
    const clock = new FakeClock();
    const retry = { baseDelayMs: 60_000, maxDelayMs: 60_000 };
    const first = new Outbox({ notifiers: [new FlakyNotifier(new Set(['trig']))], clock, random: () => 1, retry });
    first.enqueue(notification({ id: 'trig', dedupKey: 'k' }), ['s']);
    await first.deliverDue();
    first.enqueue(notification({ id: 'res', dedupKey: 'k', kind: 'resolve', endsAt: T0 + 1 }), ['s']);
    // Restart (or SIGHUP): a new outbox from the persisted state.
    const notifier = new FlakyNotifier(new Set());
    const outbox = Outbox.fromJSON(JSON.parse(JSON.stringify(first.toJSON())), { notifiers: [notifier], clock, random: () => 1, retry });
    assert.equal(outbox.nextDueAt(), T0 + 60_000, 'the resolve waits for its trigger, not for the clock');
    let rounds = 0;
    const loop = new DeliveryLoop({ outbox, clock, afterRound: () => void rounds++ });
    const ac = new AbortController();
    const running = loop.run(ac.signal);
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    // 3 s of simulated time in 10 ms steps: a spinning loop would run a round per step.
    for (let i = 0; i < 300; i++) {
      clock.advance(10);
      await tick();
    }
    assert.ok(rounds <= 2, `rounds before the retry was due: ${rounds}`);
    assert.equal(notifier.calls.length, 0);
    clock.advance(60_000 - 3000);
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(notifier.calls.map((n) => n.id), ['trig', 'res']);
    ac.abort();
    await running;
    assert.ok(rounds <= 4, `rounds in total: ${rounds}`);
  });
});
