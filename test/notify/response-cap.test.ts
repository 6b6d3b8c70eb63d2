// Issue 11 item 11: the response size cap limits what is read, never what is
// delivered. A 2xx with a body over the cap is a delivery; an error with a
// huge body keeps the meaning of its status.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
// The cap (src/notify/http.ts MAX_RESPONSE_BYTES) is 256 KiB.
const MAX_RESPONSE_BYTES = 256 * 1024;
import { SlackNotifier } from '../../src/notify/slack.js';
import { WebhookNotifier } from '../../src/notify/webhook.js';
import { Outbox } from '../../src/notify/outbox.js';
import { startSlackReceiver, type SlackReceiver } from '../fakes/receivers/slack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/receivers/webhook.js';
import { FakeClock, notification } from './helpers.js';

const signal = () => new AbortController().signal;
const huge = 'x'.repeat(MAX_RESPONSE_BYTES + 64 * 1024);

describe('response size cap', () => {
  let slack: SlackReceiver;
  let hook: WebhookReceiver;
  before(async () => {
    slack = await startSlackReceiver();
    hook = await startWebhookReceiver();
  });
  after(async () => {
    await slack.close();
    await hook.close();
  });

  it('a 2xx whose body exceeds the cap is delivered (Slack)', async () => {
    const clock = new FakeClock();
    slack.script({ status: 200, body: huge });
    const r = await new SlackNotifier({ webhookUrl: slack.url, clock }).send(notification(), signal());
    assert.deepEqual(r, { ok: true });
  });

  it('through the outbox: sent once, never re-sent', async () => {
    const clock = new FakeClock();
    const outbox = new Outbox({ notifiers: [new WebhookNotifier({ url: hook.url, clock })], clock, random: () => 1 });
    outbox.enqueue(notification(), ['webhook']);
    const before = hook.received.length;
    hook.script({ status: 202, body: huge });
    const s = await outbox.deliverDue();
    assert.equal(s.sent, 1);
    clock.advance(60 * 60_000);
    await outbox.deliverDue();
    assert.equal(hook.received.length - before, 1);
    assert.equal(outbox.size, 0);
  });

  it('an error with a body over the cap keeps its status: 400 final, 500 retryable, message cut short', async () => {
    const clock = new FakeClock();
    const n = new WebhookNotifier({ url: hook.url, clock });
    hook.script({ status: 400, body: huge });
    const r400 = await n.send(notification(), signal());
    assert.ok(!r400.ok && r400.retryable === false && r400.status === 400, JSON.stringify(r400).slice(0, 200));
    assert.ok(r400.message.length < 400);
    hook.script({ status: 500, body: huge });
    const r500 = await n.send(notification(), signal());
    assert.ok(!r500.ok && r500.retryable === true && r500.status === 500);
  });
});
