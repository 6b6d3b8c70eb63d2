// One contract, every integration: the retry table, redaction of secrets in
// every message and log line, and prompt return on abort.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Notifier, SendResult } from '../../src/notify/notifier.js';
import { SlackNotifier } from '../../src/notify/slack.js';
import { PagerDutyNotifier } from '../../src/notify/pagerduty.js';
import { AlertmanagerNotifier } from '../../src/notify/alertmanager.js';
import { WebhookNotifier } from '../../src/notify/webhook.js';
import { Outbox } from '../../src/notify/outbox.js';
import { refusedUrl, type ReceiverBase } from '../fakes/receivers/common.js';
import { startSlackReceiver, SLACK_WEBHOOK_PATH } from '../fakes/receivers/slack.js';
import { startPagerDutyReceiver, PAGERDUTY_ENQUEUE_PATH } from '../fakes/receivers/pagerduty.js';
import { startAlertmanagerReceiver } from '../fakes/receivers/alertmanager.js';
import { startWebhookReceiver } from '../fakes/receivers/webhook.js';
import { captureLogs, FakeClock, notification, SECRETS } from './helpers.js';

interface Harness {
  readonly receiver: ReceiverBase;
  /** Notifier against the receiver (or `base` instead of the receiver's address). */
  make(opts: { timeoutMs?: number; base?: string }): Notifier;
  /** Strings that must never show up in a message or log line. */
  readonly secrets: readonly string[];
  /** Secret cores: not even a 10-character piece of them may show up (catches truncated leaks). */
  readonly tokens: readonly string[];
}

interface Subject {
  readonly name: string;
  start(clock: FakeClock): Promise<Harness>;
}

const WEBHOOK_PATH = '/hook/wh-s3cr3t-path-token';

const subjects: Subject[] = [
  {
    name: 'slack',
    async start(clock) {
      const receiver = await startSlackReceiver();
      return {
        receiver,
        secrets: [receiver.url, SLACK_WEBHOOK_PATH],
        tokens: ['XXXXXXXXXXXXXXXXXXXXXXXX'],
        make: ({ timeoutMs, base }) =>
          new SlackNotifier({ webhookUrl: base ? `${base}${SLACK_WEBHOOK_PATH}` : receiver.url, clock, ...(timeoutMs ? { timeoutMs } : {}) }),
      };
    },
  },
  {
    name: 'pagerduty',
    async start(clock) {
      const receiver = await startPagerDutyReceiver({ routingKeys: [SECRETS.routingKey] });
      return {
        receiver,
        secrets: [SECRETS.routingKey],
        tokens: [SECRETS.routingKey],
        make: ({ timeoutMs, base }) =>
          new PagerDutyNotifier({
            routingKey: SECRETS.routingKey,
            url: base ? `${base}${PAGERDUTY_ENQUEUE_PATH}` : receiver.url,
            clock,
            ...(timeoutMs ? { timeoutMs } : {}),
          }),
      };
    },
  },
  {
    name: 'alertmanager',
    async start(clock) {
      const receiver = await startAlertmanagerReceiver();
      return {
        receiver,
        secrets: [SECRETS.bearer],
        tokens: [SECRETS.bearer],
        make: ({ timeoutMs, base }) =>
          new AlertmanagerNotifier({ url: base ?? receiver.url, clock, bearerToken: SECRETS.bearer, ...(timeoutMs ? { timeoutMs } : {}) }),
      };
    },
  },
  {
    name: 'webhook',
    async start(clock) {
      const receiver = await startWebhookReceiver({ path: WEBHOOK_PATH });
      return {
        receiver,
        secrets: [SECRETS.webhookToken, WEBHOOK_PATH, receiver.url],
        tokens: [SECRETS.webhookToken, 'wh-s3cr3t-path-token'],
        make: ({ timeoutMs, base }) =>
          new WebhookNotifier({
            url: base ? `${base}${WEBHOOK_PATH}` : receiver.url,
            clock,
            headers: { 'X-Auth-Token': SECRETS.webhookToken },
            ...(timeoutMs ? { timeoutMs } : {}),
          }),
      };
    },
  },
];

const signal = () => new AbortController().signal;

function assertNoSecret(h: Harness, text: string, where: string): void {
  for (const s of h.secrets) assert.ok(!text.includes(s), `${where} leaks a secret: ${text}`);
  for (const t of h.tokens) {
    for (let i = 0; i + 10 <= t.length; i++) {
      assert.ok(!text.includes(t.slice(i, i + 10)), `${where} leaks part of a secret: ${text}`);
    }
  }
}

function failure(r: SendResult): Extract<SendResult, { ok: false }> {
  assert.equal(r.ok, false, 'expected a failure');
  return r as Extract<SendResult, { ok: false }>;
}

for (const subject of subjects) {
  describe(`notifier contract: ${subject.name}`, () => {
    const clock = new FakeClock();
    let h: Harness;
    const messages: string[] = [];
    before(async () => {
      h = await subject.start(clock);
    });
    after(async () => {
      await h.receiver.close();
    });

    const statusRows: Array<{ status: number; retryable: boolean; comment: string }> = [
      { status: 400, retryable: false, comment: 'bad request: the same payload never succeeds' },
      { status: 401, retryable: false, comment: 'auth problem needs a person' },
      { status: 403, retryable: false, comment: 'forbidden / invalid token' },
      { status: 404, retryable: false, comment: 'no such webhook / endpoint' },
      { status: 408, retryable: true, comment: 'request timeout at the server' },
      { status: 410, retryable: false, comment: 'gone (Slack: channel_is_archived)' },
      { status: 500, retryable: true, comment: 'server error' },
      { status: 502, retryable: true, comment: 'bad gateway' },
      { status: 503, retryable: true, comment: 'unavailable' },
    ];

    it('2xx: delivers and the receiver accepts the payload', async () => {
      const before = h.receiver.received.length;
      const r = await h.make({}).send(notification(), signal());
      assert.deepEqual(r, { ok: true });
      assert.equal(h.receiver.received.length, before + 1);
      const last = h.receiver.received.at(-1)!;
      assert.ok(last.status >= 200 && last.status < 300, `receiver answered ${last.status}: ${last.responseBody}`);
    });

    it('2xx: resolve and repeat are accepted too', async () => {
      for (const kind of ['repeat', 'resolve'] as const) {
        const r = await h.make({}).send(notification({ kind, endsAt: notification().startsAt + 720_000 }), signal());
        assert.deepEqual(r, { ok: true }, kind);
      }
    });

    for (const row of statusRows) {
      it(`HTTP ${row.status} -> ${row.retryable ? 'retryable' : 'final'} (${row.comment})`, async () => {
        h.receiver.script({ status: row.status, body: `error ${row.status} for ${h.tokens[0]} at ${h.secrets[0]} ${'x'.repeat(300)}` });
        const f = failure(await h.make({}).send(notification(), signal()));
        assert.equal(f.retryable, row.retryable);
        assert.equal(f.status, row.status);
        assert.match(f.message, new RegExp(`HTTP ${row.status}`));
        messages.push(f.message);
      });
    }

    it('HTTP 429 with Retry-After seconds -> retryable with retryAfterMs', async () => {
      h.receiver.script({ status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' });
      const f = failure(await h.make({}).send(notification(), signal()));
      assert.equal(f.retryable, true);
      assert.equal(f.status, 429);
      assert.ok(f.retryAfterMs !== undefined && f.retryAfterMs >= 7000, `retryAfterMs ${f.retryAfterMs}`);
      if (subject.name !== 'pagerduty') assert.equal(f.retryAfterMs, 7000);
      messages.push(f.message);
    });

    it('HTTP 429 with Retry-After as an HTTP date, measured on the injected clock', async () => {
      const at = new Date(clock.now() + 20_000).toUTCString();
      h.receiver.script({ status: 429, headers: { 'retry-after': at } });
      const f = failure(await h.make({}).send(notification(), signal()));
      assert.equal(f.retryable, true);
      if (subject.name === 'pagerduty') assert.equal(f.retryAfterMs, 30_000);
      else assert.equal(f.retryAfterMs, 20_000);
    });

    it('timeout -> retryable', async () => {
      h.receiver.script({ hang: true });
      const t0 = Date.now();
      const f = failure(await h.make({ timeoutMs: 250 }).send(notification(), signal()));
      assert.equal(f.retryable, true);
      assert.equal(f.status, undefined);
      assert.match(f.message, /timeout/);
      assert.ok(Date.now() - t0 < 3000, 'returned near the deadline');
      messages.push(f.message);
    });

    it('connection refused -> retryable', async () => {
      const base = await refusedUrl();
      const f = failure(await h.make({ base }).send(notification(), signal()));
      assert.equal(f.retryable, true);
      assert.match(f.message, /refused|ECONNREFUSED/);
      messages.push(f.message);
    });

    it('connection closed without an answer -> retryable', async () => {
      h.receiver.script({ destroy: true });
      const f = failure(await h.make({}).send(notification(), signal()));
      assert.equal(f.retryable, true);
      messages.push(f.message);
    });

    it('stops promptly when aborted mid-request, and sends nothing when already aborted', async () => {
      h.receiver.script({ hang: true });
      const ac = new AbortController();
      const t0 = Date.now();
      const p = h.make({ timeoutMs: 30_000 }).send(notification(), ac.signal);
      setTimeout(() => ac.abort(new Error('shutdown')), 50);
      const f = failure(await p);
      assert.ok(Date.now() - t0 < 2000, 'abort honoured');
      assert.equal(f.aborted, true);
      assert.equal(f.retryable, true);

      const before = h.receiver.received.length;
      const ac2 = new AbortController();
      ac2.abort();
      const f2 = failure(await h.make({}).send(notification(), ac2.signal));
      assert.equal(f2.aborted, true);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(h.receiver.received.length, before);
    });

    it('no secret in any error message', () => {
      assert.ok(messages.length >= statusRows.length + 3);
      for (const m of messages) assertNoSecret(h, m, 'message');
    });

    it('no secret in any log line (through the outbox: retry, recovery, final failure)', async () => {
      const { logger, lines } = captureLogs();
      const notifier = h.make({ timeoutMs: 250 });
      const outbox = new Outbox({ notifiers: [notifier], clock, logger, random: () => 1, rateLimits: { [notifier.name]: null } });
      outbox.enqueue(notification(), [notifier.name]);
      h.receiver.script({ status: 500, body: `boom ${h.secrets[0]}${'!'.repeat(300)}` });
      await outbox.deliverDue(clock.now());
      clock.advance(60_000);
      h.receiver.script({ hang: true });
      await outbox.deliverDue(clock.now());
      clock.advance(60_000);
      await outbox.deliverDue(clock.now());
      outbox.enqueue(notification(), [notifier.name]);
      h.receiver.script({ status: 400, body: `bad ${h.secrets[0]}` });
      await outbox.deliverDue(clock.now());
      const state = JSON.stringify(outbox.toJSON());
      assert.ok(lines.length >= 3, `expected log lines, got ${lines.length}`);
      for (const l of lines) assertNoSecret(h, l, 'log line');
      const entriesText = JSON.stringify(outbox.list());
      assertNoSecret(h, entriesText, 'outbox lastError');
      // The state file carries notifications, never a secret of the sink.
      assertNoSecret(h, state, 'outbox state');
    });

    it('constructor rejects bad options without echoing secrets', () => {
      assert.throws(() => h.make({ timeoutMs: -1 }), /timeoutMs/);
    });
  });
}
