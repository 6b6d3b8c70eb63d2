// The sink half of the fault-injection suite (issue 11): every integration,
// through the outbox, against its local receiver (a real HTTP server on
// loopback), on a fake clock. Faults: connection refused, 500 for minutes,
// 429 with Retry-After in seconds and as an HTTP-date, answers slower than
// the timeout, 400. Expected: retried per dedup key, delivered once when the
// sink recovers, final failures counted and logged without the secret.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type DeliveryResult } from '../../src/notify/outbox.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { SlackNotifier } from '../../src/notify/slack.js';
import { PagerDutyNotifier } from '../../src/notify/pagerduty.js';
import { AlertmanagerNotifier, DEDUP_LABEL } from '../../src/notify/alertmanager.js';
import { WebhookNotifier } from '../../src/notify/webhook.js';
import { refusedUrl, type ReceiverBase, type ReceivedRequest } from '../fakes/receivers/common.js';
import { startSlackReceiver, SLACK_WEBHOOK_PATH } from '../fakes/receivers/slack.js';
import { startPagerDutyReceiver, PAGERDUTY_ENQUEUE_PATH } from '../fakes/receivers/pagerduty.js';
import { startAlertmanagerReceiver } from '../fakes/receivers/alertmanager.js';
import { startWebhookReceiver } from '../fakes/receivers/webhook.js';
import { captureLogs, FakeClock, notification, SECRETS, T0 } from './helpers.js';

const WEBHOOK_PATH = '/hook/wh-s3cr3t-fault-token';
const KEYS = ['skew/pool-a', 'skew/pool-b'] as const;

interface Subject {
  readonly name: string;
  start(port?: number): Promise<ReceiverBase>;
  /** A notifier for the receiver at `base` (scheme://host:port). */
  make(base: string, clock: FakeClock, timeoutMs?: number): Notifier;
  /** The dedup key a request was about. */
  keyOf(r: ReceivedRequest): string | undefined;
  readonly secrets: readonly string[];
}

const subjects: Subject[] = [
  {
    name: 'slack',
    start: (port) => startSlackReceiver(port ? { port } : {}),
    make: (base, clock, timeoutMs) => new SlackNotifier({ webhookUrl: `${base}${SLACK_WEBHOOK_PATH}`, clock, ...(timeoutMs ? { timeoutMs } : {}) }),
    // The pool name is in the fallback text: "[FIRING:CRITICAL] pool-a: ...".
    keyOf: (r) => KEYS.find((k) => String((r.body as { text?: unknown } | undefined)?.text ?? '').includes(`${k.split('/')[1]}:`)),
    secrets: [SLACK_WEBHOOK_PATH, 'XXXXXXXXXXXXXXXXXXXXXXXX'],
  },
  {
    name: 'pagerduty',
    start: (port) => startPagerDutyReceiver({ routingKeys: [SECRETS.routingKey], ...(port ? { port } : {}) }),
    make: (base, clock, timeoutMs) =>
      new PagerDutyNotifier({ routingKey: SECRETS.routingKey, url: `${base}${PAGERDUTY_ENQUEUE_PATH}`, clock, ...(timeoutMs ? { timeoutMs } : {}) }),
    keyOf: (r) => (r.body as { dedup_key?: string } | undefined)?.dedup_key,
    secrets: [SECRETS.routingKey],
  },
  {
    name: 'alertmanager',
    start: (port) => startAlertmanagerReceiver(port ? { port } : {}),
    make: (base, clock, timeoutMs) => new AlertmanagerNotifier({ url: base, clock, bearerToken: SECRETS.bearer, ...(timeoutMs ? { timeoutMs } : {}) }),
    keyOf: (r) => (r.body as Array<{ labels?: Record<string, string> }> | undefined)?.[0]?.labels?.[DEDUP_LABEL],
    secrets: [SECRETS.bearer],
  },
  {
    name: 'webhook',
    start: (port) => startWebhookReceiver({ path: WEBHOOK_PATH, ...(port ? { port } : {}) }),
    make: (base, clock, timeoutMs) =>
      new WebhookNotifier({ url: `${base}${WEBHOOK_PATH}`, clock, headers: { 'X-Auth-Token': SECRETS.webhookToken }, ...(timeoutMs ? { timeoutMs } : {}) }),
    keyOf: (r) => (r.body as { notification?: { dedupKey?: string } } | undefined)?.notification?.dedupKey,
    secrets: [SECRETS.webhookToken, WEBHOOK_PATH],
  },
];

/** Rounds on the fake clock until `untilMs`: deliver what is due, jump to the next due time. */
async function drive(outbox: Outbox, clock: FakeClock, untilMs: number): Promise<void> {
  for (let i = 0; i < 5000 && clock.now() < untilMs; i++) {
    await outbox.deliverDue();
    const next = outbox.nextDueAt();
    if (next === undefined || next >= untilMs) {
      clock.advance(Math.max(0, untilMs - clock.now()));
      return;
    }
    clock.advance(Math.max(1, next - clock.now()));
  }
}

function harness(notifier: Notifier, clock: FakeClock) {
  const results: DeliveryResult[] = [];
  const logs = captureLogs();
  const outbox = new Outbox({ notifiers: [notifier], clock, random: () => 1, logger: logs.logger, onResult: (r) => results.push(r) });
  for (const k of KEYS) outbox.enqueue(notification({ dedupKey: k, pool: k.split('/')[1]!, summary: `${k.split('/')[1]} is skewed` }), [notifier.name]);
  return { outbox, results, logs };
}

const accepted = (s: Subject, rcv: ReceiverBase, key: string) => rcv.received.filter((r) => r.status >= 200 && r.status < 300 && s.keyOf(r) === key).length;
const attempts = (s: Subject, rcv: ReceiverBase, key: string) => rcv.received.filter((r) => s.keyOf(r) === key).length;

function assertNoSecret(s: Subject, text: string): void {
  for (const secret of s.secrets) assert.ok(!text.includes(secret), `leaks a secret: ${text.slice(0, 300)}`);
}

for (const s of subjects) {
  describe(`sink faults: ${s.name}`, () => {
    let rcv: ReceiverBase;
    before(async () => {
      rcv = await s.start();
    });
    after(async () => {
      await rcv.close();
    });

    it('connection refused, then the receiver comes up: each key delivered once', async () => {
      const base = await refusedUrl();
      const clock = new FakeClock();
      const { outbox, results, logs } = harness(s.make(base, clock), clock);
      await drive(outbox, clock, T0 + 5 * 60_000);
      assert.ok(results.filter((r) => r.outcome === 'retry').length >= 4, 'retried');
      assert.deepEqual(new Set(results.map((r) => r.dedupKey)), new Set(KEYS), 'both keys retried on their own');
      const up = await s.start(Number(new URL(base).port));
      try {
        await drive(outbox, clock, T0 + 15 * 60_000);
        for (const k of KEYS) assert.equal(accepted(s, up, k), 1, `${k} delivered once`);
        assert.equal(outbox.size, 0);
        for (const l of logs.lines) assertNoSecret(s, l);
      } finally {
        await up.close();
      }
    });

    it('500 for ten minutes: retried with back-off per key, delivered once when it recovers', async () => {
      rcv.clear();
      const clock = new FakeClock();
      rcv.failWhen(() => true, { status: 500, body: `internal error ${s.secrets[0]}` });
      const { outbox, logs } = harness(s.make(rcv.baseUrl, clock), clock);
      await drive(outbox, clock, T0 + 10 * 60_000);
      for (const k of KEYS) {
        const n = attempts(s, rcv, k);
        // Back-off 1 s doubling to the 5 min cap (random = 1): 10 attempts in 10 min, not one per round.
        assert.ok(n >= 6 && n <= 12, `${k}: ${n} attempts`);
      }
      rcv.clearRules();
      await drive(outbox, clock, T0 + 20 * 60_000);
      for (const k of KEYS) assert.equal(accepted(s, rcv, k), 1);
      assert.equal(outbox.size, 0);
      const warn = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'notification delivery failing, will retry');
      assert.equal(warn.length, 1, 'logged when it starts failing, not per retry');
      for (const l of logs.lines) assertNoSecret(s, l);
    });

    for (const form of ['seconds', 'HTTP-date'] as const) {
      it(`429 with Retry-After as ${form}: the whole sink waits that long, then each key is delivered once`, async () => {
        rcv.clear();
        const clock = new FakeClock();
        const retryAfter = form === 'seconds' ? '40' : new Date(clock.now() + 40_000).toUTCString();
        rcv.script({ status: 429, headers: { 'retry-after': retryAfter }, body: 'rate_limited' });
        const { outbox } = harness(s.make(rcv.baseUrl, clock), clock);
        await outbox.deliverDue();
        // Both keys may be in flight when the 429 arrives (concurrency); none after it.
        const afterFirst = rcv.received.length;
        assert.equal(rcv.received[0]!.status, 429);
        clock.advance(39_999);
        await outbox.deliverDue();
        assert.equal(rcv.received.length, afterFirst, 'nothing is sent before Retry-After, for any key');
        await drive(outbox, clock, T0 + 5 * 60_000);
        for (const k of KEYS) assert.equal(accepted(s, rcv, k), 1, `${k} delivered once`);
        assert.equal(rcv.received.filter((r) => r.status === 429).length, 1);
        assert.equal(outbox.size, 0);
      });
    }

    it('answers slower than the timeout: retried per key, delivered once when the receiver is fast again', async () => {
      rcv.clear();
      const clock = new FakeClock();
      // A slow answer the client gives up on; the receiver does not count it as accepted (body "slow").
      rcv.failWhen(() => true, { status: 202, body: 'slow', delayMs: 600 });
      const { outbox, results } = harness(s.make(rcv.baseUrl, clock, 150), clock);
      await drive(outbox, clock, T0 + 5_000);
      for (const k of KEYS) {
        const timeouts = results.filter((r) => r.dedupKey === k && r.outcome === 'retry' && /timeout after 150ms/.test(r.message ?? ''));
        assert.ok(timeouts.length >= 1, `${k} timed out and is retried`);
      }
      rcv.clearRules();
      await drive(outbox, clock, T0 + 5 * 60_000);
      for (const k of KEYS) {
        const handled = rcv.received.filter((r) => s.keyOf(r) === k && r.status >= 200 && r.status < 300 && r.responseBody !== 'slow');
        assert.equal(handled.length, 1, `${k} delivered once after recovery`);
      }
      assert.equal(outbox.size, 0);
    });

    it('400: final at once, counted and logged once without the secret; the other key is delivered', async () => {
      rcv.clear();
      const clock = new FakeClock();
      rcv.failWhen((c) => s.keyOf({ ...c, at: 0, status: 0, responseBody: '' }) === KEYS[0], { status: 400, body: `invalid payload for ${s.secrets[0]}` });
      const { outbox, results, logs } = harness(s.make(rcv.baseUrl, clock), clock);
      await drive(outbox, clock, T0 + 60 * 60_000);
      assert.equal(attempts(s, rcv, KEYS[0]), 1, 'never retried');
      assert.equal(accepted(s, rcv, KEYS[1]), 1);
      const final = results.filter((r) => r.outcome === 'failed_final');
      assert.deepEqual(final.map((r) => [r.dedupKey, r.status]), [[KEYS[0], 400]]);
      const errs = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'notification dropped: final failure');
      assert.equal(errs.length, 1);
      for (const l of logs.lines) assertNoSecret(s, l);
      for (const r of final) assertNoSecret(s, r.message ?? '');
    });
  });
}
