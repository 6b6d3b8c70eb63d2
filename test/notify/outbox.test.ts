// The delivery pipeline on a fake clock: no real sleeps for back-off, the
// clock is advanced and deliverDue called again.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type DeliveryResult } from '../../src/notify/outbox.js';
import type { Notifier, SendResult } from '../../src/notify/notifier.js';
import type { Notification } from '../../src/core/alerting/notification.js';
import { SlackNotifier } from '../../src/notify/slack.js';
import { PagerDutyNotifier } from '../../src/notify/pagerduty.js';
import { isSkewwatchError } from '../../src/util/errors.js';
import { startSlackReceiver, slackReplies, type SlackReceiver } from '../fakes/receivers/slack.js';
import { pagerDutyReplies, startPagerDutyReceiver, type PagerDutyReceiver } from '../fakes/receivers/pagerduty.js';
import { captureLogs, FakeClock, notification, SECRETS, T0 } from './helpers.js';

/** An in-memory notifier answering from a script (then ok). */
class ScriptedNotifier implements Notifier {
  readonly sent: Notification[] = [];
  readonly calls: Notification[] = [];
  constructor(
    readonly name: string,
    private readonly script: SendResult[] = [],
  ) {}
  push(...r: SendResult[]): void {
    this.script.push(...r);
  }
  async send(n: Notification): Promise<SendResult> {
    this.calls.push(n);
    const r = this.script.shift() ?? { ok: true };
    if (r.ok) this.sent.push(n);
    return r;
  }
}

const fail500: SendResult = { ok: false, retryable: true, status: 500, message: 'x: HTTP 500' };

function setup(notifiers: Notifier[], extra: Partial<ConstructorParameters<typeof Outbox>[0]> = {}) {
  const clock = new FakeClock();
  const results: DeliveryResult[] = [];
  const logs = captureLogs();
  const outbox = new Outbox({ notifiers, clock, random: () => 1, logger: logs.logger, onResult: (r) => results.push(r), ...extra });
  return { clock, results, outbox, logs };
}

describe('outbox: exactly once', () => {
  it('delivers once; re-delivery rounds and re-enqueue of the same id send nothing more', async () => {
    const n1 = new ScriptedNotifier('pd');
    const { outbox, results } = setup([n1]);
    const n = notification();
    assert.deepEqual(outbox.enqueue(n, ['pd']), { queued: ['pd'], duplicate: [] });
    assert.deepEqual(outbox.enqueue(n, ['pd']), { queued: [], duplicate: ['pd'] }, 'already queued');
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 1);
    await outbox.deliverDue();
    assert.deepEqual(outbox.enqueue(n, ['pd']), { queued: [], duplicate: ['pd'] }, 'already delivered');
    await outbox.deliverDue();
    assert.equal(n1.calls.length, 1);
    assert.equal(outbox.size, 0);
    assert.deepEqual(results.map((r) => r.outcome), ['sent']);
  });

  it('fans out to several sinks independently', async () => {
    const a = new ScriptedNotifier('a', [fail500]);
    const b = new ScriptedNotifier('b');
    const { outbox, clock } = setup([a, b]);
    outbox.enqueue(notification(), ['a', 'b']);
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 1);
    assert.equal(s.retry, 1);
    clock.advance(1000);
    assert.equal((await outbox.deliverDue()).sent, 1);
    assert.equal(a.sent.length + b.sent.length, 2);
  });

  it('unknown sink is a config error', () => {
    const { outbox } = setup([new ScriptedNotifier('a')]);
    assert.throws(() => outbox.enqueue(notification(), ['nope']), (e: unknown) => isSkewwatchError(e, 'config'));
  });
});

describe('outbox: retries', () => {
  it('grows the delay exponentially (full jitter ceiling with random=1) and is not early', async () => {
    const n1 = new ScriptedNotifier('pd', [fail500, fail500, fail500, fail500]);
    const { outbox, clock, results } = setup([n1]);
    outbox.enqueue(notification(), ['pd']);
    const delays: number[] = [];
    await outbox.deliverDue();
    for (let i = 0; i < 4; i++) {
      const r = results.at(-1)!;
      if (r.outcome !== 'retry') break;
      delays.push(r.retryInMs!);
      clock.advance(r.retryInMs! - 1);
      assert.equal((await outbox.deliverDue()).sent + (await outbox.deliverDue()).retry, 0, 'nothing before the delay');
      clock.advance(1);
      await outbox.deliverDue();
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
    assert.equal(n1.sent.length, 1);
    assert.equal(n1.calls.length, 5);
    assert.equal(results.at(-1)!.outcome, 'sent');
  });

  it('full jitter draws below the ceiling and caps at maxDelayMs', async () => {
    const n1 = new ScriptedNotifier('pd', Array.from({ length: 12 }, () => fail500));
    const { outbox, clock, results } = setup([n1], { random: () => 0.25, retry: { baseDelayMs: 1000, maxDelayMs: 10_000 } });
    outbox.enqueue(notification(), ['pd']);
    for (let i = 0; i < 8; i++) {
      await outbox.deliverDue();
      clock.advance(10_000);
    }
    const d = results.filter((r) => r.outcome === 'retry').map((r) => r.retryInMs);
    assert.deepEqual(d.slice(0, 6), [250, 500, 1000, 2000, 2500, 2500]);
  });

  it('honours Retry-After (429) as a floor, for the whole sink', async () => {
    const r429: SendResult = { ok: false, retryable: true, status: 429, retryAfterMs: 30_000, message: 'x: HTTP 429' };
    const n1 = new ScriptedNotifier('s', [r429]);
    const { outbox, clock } = setup([n1], { random: () => 0 });
    outbox.enqueue(notification({ dedupKey: 'a' }), ['s']);
    await outbox.deliverDue();
    outbox.enqueue(notification({ dedupKey: 'b' }), ['s']);
    clock.advance(1000);
    const s0 = await outbox.deliverDue();
    assert.equal(n1.calls.length, 1, 'sink paused after 429: another alert waits too');
    assert.equal(s0.deferred, 1);
    clock.advance(28_999);
    await outbox.deliverDue();
    assert.equal(n1.calls.length, 1);
    assert.equal(outbox.nextDueAt(), T0 + 30_000);
    clock.advance(1);
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 2);
  });

  it('with a real Slack receiver: 429 Retry-After: 3 then ok', async () => {
    const r = await startSlackReceiver();
    try {
      const clock = new FakeClock();
      const slack = new SlackNotifier({ webhookUrl: r.url, clock });
      const outbox = new Outbox({ notifiers: [slack], clock, random: () => 0 });
      outbox.enqueue(notification(), ['slack']);
      r.script(slackReplies.rateLimited(3));
      assert.equal((await outbox.deliverDue()).retry, 1);
      assert.equal(outbox.list()[0]!.nextAttemptAt, T0 + 3000);
      clock.advance(2000);
      assert.equal((await outbox.deliverDue()).sent, 0);
      clock.advance(1000);
      assert.equal((await outbox.deliverDue()).sent, 1);
      assert.equal(r.messages.length, 1);
    } finally {
      await r.close();
    }
  });

  it('a retryable failure backs off its own dedup key only; the other keys go out', async () => {
    const n1 = new ScriptedNotifier('s', [fail500]);
    const { outbox, clock } = setup([n1], { concurrency: { s: 1 } });
    for (const k of ['a', 'b', 'c']) outbox.enqueue(notification({ dedupKey: k }), ['s']);
    const s1 = await outbox.deliverDue();
    assert.deepEqual(n1.calls.map((n) => n.dedupKey), ['a', 'b', 'c']);
    assert.deepEqual([s1.retry, s1.sent, s1.deferred], [1, 2, 0]);
    assert.equal(outbox.nextDueAt(), T0 + 1000, 'the loop sleeps until the failed key is due');
    clock.advance(1000);
    assert.equal((await outbox.deliverDue()).sent, 1);
    assert.equal(outbox.size, 0);
  });

  it('per-sink concurrency limit: never more sends in flight than allowed', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow: Notifier = {
      name: 's',
      concurrency: 3,
      send: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { ok: true };
      },
    };
    const { outbox } = setup([slow]);
    for (let i = 0; i < 10; i++) outbox.enqueue(notification({ dedupKey: `k${i}` }), ['s']);
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 10);
    assert.equal(peak, 3);
  });

  it('final failure: dropped, reported once, logged once', async () => {
    const n1 = new ScriptedNotifier('s', [{ ok: false, retryable: false, status: 404, message: 's: HTTP 404 no_service' }]);
    const { outbox, results, logs } = setup([n1]);
    outbox.enqueue(notification(), ['s']);
    const s = await outbox.deliverDue();
    assert.equal(s.failed_final, 1);
    await outbox.deliverDue();
    assert.equal(outbox.size, 0);
    assert.deepEqual(results.map((r) => [r.outcome, r.status, r.message]), [['failed_final', 404, 's: HTTP 404 no_service']]);
    const errs = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'error');
    assert.equal(errs.length, 1);
    assert.equal(errs[0].msg, 'notification dropped: final failure');
  });

  it('gives up after maxAge (dropped_expired), with a last attempt at the deadline', async () => {
    const n1 = new ScriptedNotifier('s', Array.from({ length: 100 }, () => fail500));
    const { outbox, clock, results } = setup([n1], { retry: { maxAgeMs: 60_000, maxDelayMs: 40_000 } });
    outbox.enqueue(notification(), ['s']);
    for (let i = 0; i < 20 && outbox.size > 0; i++) {
      await outbox.deliverDue();
      const next = outbox.nextDueAt();
      if (next !== undefined) clock.advance(Math.max(0, next - clock.now()));
    }
    assert.equal(outbox.size, 0);
    const last = results.at(-1)!;
    assert.equal(last.outcome, 'dropped_expired');
    assert.match(last.message!, /gave up after \d+ attempts: x: HTTP 500/);
    assert.ok(clock.now() - T0 >= 60_000);
    assert.ok(n1.calls.length >= 5);
  });

  it('logs when the error changes, not on every retry; logs recovery', async () => {
    const timeout: SendResult = { ok: false, retryable: true, message: 's: timeout after 10000ms' };
    const n1 = new ScriptedNotifier('s', [fail500, fail500, fail500, timeout, timeout]);
    const { outbox, clock, logs } = setup([n1]);
    outbox.enqueue(notification(), ['s']);
    for (let i = 0; i < 6; i++) {
      await outbox.deliverDue();
      clock.advance(60_000);
    }
    const msgs = logs.lines.map((l) => JSON.parse(l)).map((l) => `${l.level} ${l.msg} ${l.error ?? ''}`.trim());
    assert.deepEqual(msgs, [
      'warn notification delivery failing, will retry x: HTTP 500',
      'warn notification delivery failing, will retry s: timeout after 10000ms',
      'info notification delivery recovered',
    ]);
  });
});

describe('outbox: ordering and collapsing per sink', () => {
  let pd: PagerDutyReceiver;
  before(async () => {
    pd = await startPagerDutyReceiver({ routingKeys: [SECRETS.routingKey] });
  });
  after(async () => {
    await pd.close();
  });

  it('a resolve is never sent before its trigger; PagerDuty sees one incident, resolved', async () => {
    const clock = new FakeClock();
    const notifier = new PagerDutyNotifier({ routingKey: SECRETS.routingKey, url: pd.url, clock });
    const outbox = new Outbox({ notifiers: [notifier], clock, random: () => 1 });
    const dedupKey = 'order/be_x';
    pd.script(pagerDutyReplies.serverError());
    outbox.enqueue(notification({ dedupKey }), ['pagerduty']);
    await outbox.deliverDue();
    outbox.enqueue(notification({ dedupKey, kind: 'resolve', endsAt: T0 + 500 }), ['pagerduty']);
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 0, 'resolve waits behind the failed trigger');
    clock.advance(1000);
    const s2 = await outbox.deliverDue();
    assert.equal(s2.sent, 2);
    const actions = pd.events.filter((e) => e.dedup_key === dedupKey).map((e) => e.event_action);
    assert.deepEqual(actions, ['trigger', 'resolve']);
    assert.equal(pd.alertsFor(dedupKey).length, 1);
    assert.equal(pd.alertsFor(dedupKey)[0]!.status, 'resolved');
    assert.equal(pd.droppedResolves(), 0);
  });

  it('other alerts on the same sink are not held up by a failing one... unless the sink is paused', async () => {
    const n1 = new ScriptedNotifier('s', [{ ok: false, retryable: false, status: 400, message: 'bad' }]);
    const { outbox } = setup([n1]);
    outbox.enqueue(notification({ dedupKey: 'a' }), ['s']);
    outbox.enqueue(notification({ dedupKey: 'b' }), ['s']);
    const s = await outbox.deliverDue();
    assert.equal(s.failed_final, 1);
    assert.equal(s.sent, 1, 'a final failure does not pause the sink');
  });

  it('a newer repeat or a resolve supersedes queued repeats; triggers are never collapsed', async () => {
    const n1 = new ScriptedNotifier('s', [fail500]);
    const { outbox, clock, results } = setup([n1]);
    const dedupKey = 'k';
    outbox.enqueue(notification({ dedupKey, id: 't' }), ['s']);
    await outbox.deliverDue(); // trigger fails once
    outbox.enqueue(notification({ dedupKey, id: 'r1', kind: 'repeat' }), ['s']);
    outbox.enqueue(notification({ dedupKey, id: 'r2', kind: 'repeat' }), ['s']);
    outbox.enqueue(notification({ dedupKey, id: 'z', kind: 'resolve', endsAt: T0 + 1 }), ['s']);
    assert.deepEqual(outbox.list().map((e) => e.notification.id), ['t', 'z']);
    clock.advance(1000);
    await outbox.deliverDue();
    assert.deepEqual(n1.sent.map((n) => n.id), ['t', 'z']);
    assert.deepEqual(results.filter((r) => r.outcome === 'superseded').map((r) => r.notificationId), ['r1', 'r2']);
  });
});

describe('outbox: rate limit', () => {
  let r: SlackReceiver;
  before(async () => {
    r = await startSlackReceiver();
  });
  after(async () => {
    await r.close();
  });

  it('Slack: about one message per second per webhook; entries not yet allowed stay due', async () => {
    const clock = new FakeClock();
    const slack = new SlackNotifier({ webhookUrl: r.url, clock });
    const outbox = new Outbox({ notifiers: [slack], clock });
    for (const k of ['a', 'b', 'c']) outbox.enqueue(notification({ dedupKey: k }), ['slack']);
    const s1 = await outbox.deliverDue();
    assert.deepEqual([s1.sent, s1.deferred], [1, 2]);
    assert.equal(outbox.nextDueAt(), T0 + 1000);
    clock.advance(500);
    assert.equal((await outbox.deliverDue()).sent, 0);
    clock.advance(500);
    assert.equal((await outbox.deliverDue()).sent, 1);
    clock.advance(1000);
    assert.equal((await outbox.deliverDue()).sent, 1);
    assert.equal(r.messages.length, 3);
    assert.equal(outbox.list()[0]?.attempts ?? 0, 0, 'rate limiting is not a failed attempt');
  });

  it('configurable burst', async () => {
    const n1 = new ScriptedNotifier('s');
    const { outbox, clock } = setup([n1], { rateLimits: { s: { perSecond: 2, burst: 3 } } });
    for (let i = 0; i < 6; i++) outbox.enqueue(notification({ dedupKey: `k${i}` }), ['s']);
    assert.equal((await outbox.deliverDue()).sent, 3);
    clock.advance(500);
    assert.equal((await outbox.deliverDue()).sent, 1);
    clock.advance(1000);
    assert.equal((await outbox.deliverDue()).sent, 2);
  });
});

describe('outbox: persistence', () => {
  it('toJSON/fromJSON round-trips exactly', async () => {
    const n1 = new ScriptedNotifier('s', [fail500]);
    const { outbox } = setup([n1]);
    outbox.enqueue(notification({ dedupKey: 'a' }), ['s']);
    outbox.enqueue(notification({ dedupKey: 'b', kind: 'resolve', endsAt: T0 + 5 }), ['s']);
    await outbox.deliverDue();
    const json = JSON.parse(JSON.stringify(outbox.toJSON()));
    const restored = Outbox.fromJSON(json, { notifiers: [n1], clock: new FakeClock() });
    assert.deepEqual(restored.toJSON(), json);
    const fromText = Outbox.fromJSON(JSON.stringify(json), { notifiers: [n1], clock: new FakeClock() });
    assert.deepEqual(fromText.toJSON(), json);
  });

  it('restart mid-delivery: failed, restored from JSON, then succeeds: exactly one delivery at the receiver', async () => {
    const r = await startSlackReceiver();
    try {
      const clock = new FakeClock();
      const n = notification();
      const first = new Outbox({ notifiers: [new SlackNotifier({ webhookUrl: r.url, clock })], clock, random: () => 1 });
      first.enqueue(n, ['slack']);
      r.script(slackReplies.serverError());
      assert.equal((await first.deliverDue()).retry, 1);
      const persisted = JSON.stringify(first.toJSON());
      // Process dies here; a new one starts from the state file.
      clock.advance(5000);
      const second = Outbox.fromJSON(JSON.parse(persisted), { notifiers: [new SlackNotifier({ webhookUrl: r.url, clock })], clock, random: () => 1 });
      assert.equal(second.list()[0]!.attempts, 1);
      assert.match(second.list()[0]!.lastError!, /HTTP 500 rollup_error/);
      second.enqueue(n, ['slack']); // the lifecycle replays its last notifications: no duplicate
      assert.equal((await second.deliverDue()).sent, 1);
      await second.deliverDue();
      // And a second restart after success remembers it was sent.
      const third = Outbox.fromJSON(second.toJSON(), { notifiers: [new SlackNotifier({ webhookUrl: r.url, clock })], clock });
      assert.deepEqual(third.enqueue(n, ['slack']).duplicate, ['slack']);
      await third.deliverDue();
      assert.equal(r.received.length, 2);
      assert.equal(r.messages.length, 1, 'exactly one accepted delivery');
    } finally {
      await r.close();
    }
  });

  it('a damaged state fails with a state error', () => {
    const opts = { notifiers: [new ScriptedNotifier('s')], clock: new FakeClock() };
    const bad: unknown[] = [
      'not json{',
      { version: 2, seq: 0, entries: [], done: [] },
      { version: 1, seq: 0, entries: [{ sink: 's' }], done: [] },
      { version: 1, seq: 0, entries: [{ notification: { ...notification(), kind: 'boom' }, sink: 's', attempts: 0, nextAttemptAt: 0, enqueuedAt: 0, seq: 0 }], done: [] },
      { version: 1, seq: 0, entries: [], done: [{ id: 'x' }] },
    ];
    for (const b of bad) assert.throws(() => Outbox.fromJSON(b, opts), (e: unknown) => isSkewwatchError(e, 'state'), JSON.stringify(b));
  });

  it('entries for a sink removed from the config are dropped as final', async () => {
    const n1 = new ScriptedNotifier('old');
    const { outbox } = setup([n1]);
    outbox.enqueue(notification(), ['old']);
    const results: DeliveryResult[] = [];
    const restored = Outbox.fromJSON(outbox.toJSON(), { notifiers: [new ScriptedNotifier('new')], clock: new FakeClock(), onResult: (r) => results.push(r) });
    await restored.deliverDue();
    assert.equal(restored.size, 0);
    assert.equal(results[0]!.outcome, 'failed_final');
  });
});

describe('outbox: abort and bounds', () => {
  it('an aborted round sends nothing and leaves entries untouched', async () => {
    const n1 = new ScriptedNotifier('s');
    const { outbox } = setup([n1]);
    outbox.enqueue(notification(), ['s']);
    const ac = new AbortController();
    ac.abort();
    await outbox.deliverDue(undefined, ac.signal);
    assert.equal(n1.calls.length, 0);
    assert.equal(outbox.list()[0]!.attempts, 0);
  });

  it('abort during a send (real receiver hanging) does not count as an attempt', async () => {
    const r = await startSlackReceiver();
    try {
      const clock = new FakeClock();
      const outbox = new Outbox({ notifiers: [new SlackNotifier({ webhookUrl: r.url, clock })], clock });
      outbox.enqueue(notification(), ['slack']);
      r.script(slackReplies.hang());
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const t0 = Date.now();
      const s = await outbox.deliverDue(clock.now(), ac.signal);
      assert.ok(Date.now() - t0 < 2000);
      assert.equal(s.retry, 0);
      assert.equal(outbox.list()[0]!.attempts, 0);
      assert.equal(outbox.list()[0]!.nextAttemptAt, T0);
      assert.equal(outbox.list()[0]!.firstAttemptAt, undefined);
    } finally {
      await r.close();
    }
  });

  it('overflow drops the oldest repeat first and reports it', () => {
    const results: DeliveryResult[] = [];
    const { outbox } = setup([new ScriptedNotifier('s')], { maxEntries: 2, onResult: (r) => results.push(r) });
    outbox.enqueue(notification({ dedupKey: 'a' }), ['s']);
    outbox.enqueue(notification({ dedupKey: 'b', kind: 'repeat', id: 'rep' }), ['s']);
    outbox.enqueue(notification({ dedupKey: 'c' }), ['s']);
    assert.equal(outbox.size, 2);
    assert.deepEqual(results.map((r) => [r.outcome, r.notificationId]), [['dropped_overflow', 'rep']]);
  });

  it('a throwing onResult or notifier does not break delivery', async () => {
    const boom: Notifier = { name: 'boom', send: async () => { throw new Error('kaput'); } };
    const ok = new ScriptedNotifier('ok');
    const { outbox } = setup([boom, ok], { onResult: () => { throw new Error('metrics down'); } });
    outbox.enqueue(notification(), ['boom', 'ok']);
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 1);
    assert.equal(s.retry, 1);
    assert.match(s.results.find((r) => r.sink === 'boom')!.message!, /boom: kaput/);
  });

  it('rejects duplicate sink names and bad policies', () => {
    const clock = new FakeClock();
    assert.throws(() => new Outbox({ notifiers: [new ScriptedNotifier('a'), new ScriptedNotifier('a')], clock }), /duplicate sink name "a"/);
    assert.throws(() => new Outbox({ notifiers: [], clock, retry: { baseDelayMs: 0 } }), /retry policy/);
    assert.throws(() => new Outbox({ notifiers: [], clock, rateLimits: { x: null } }), /unknown sink "x"/);
  });
});

describe('outbox: round cap and persisted pauses', () => {
  it(`a round sends at most ${64} per sink; the rest stays due for the next round`, async () => {
    const n1 = new ScriptedNotifier('s');
    const { outbox, clock } = setup([n1]);
    for (let i = 0; i < 100; i++) outbox.enqueue(notification({ dedupKey: `k${i}` }), ['s']);
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 64);
    assert.equal(s.deferred, 36);
    assert.equal(outbox.nextDueAt(), clock.now());
    assert.equal((await outbox.deliverDue()).sent, 36);
  });

  it('a Retry-After pause survives a restart', async () => {
    const r429: SendResult = { ok: false, retryable: true, status: 429, retryAfterMs: 30_000, message: 'x: HTTP 429' };
    const n1 = new ScriptedNotifier('s', [r429]);
    const { outbox, clock } = setup([n1], { random: () => 0 });
    outbox.enqueue(notification({ dedupKey: 'a' }), ['s']);
    await outbox.deliverDue();
    const n2 = new ScriptedNotifier('s');
    const restored = Outbox.fromJSON(JSON.parse(outbox.toJSONText()), { notifiers: [n2], clock, random: () => 0 });
    restored.enqueue(notification({ dedupKey: 'b' }), ['s']);
    assert.equal(restored.nextDueAt(), T0 + 30_000);
    await restored.deliverDue();
    assert.equal(n2.calls.length, 0);
    clock.advance(30_000);
    assert.equal((await restored.deliverDue()).sent, 2);
  });
});
