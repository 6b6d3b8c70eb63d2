// Slack rendering and the Slack-specific answers: limits for a pool of 500
// backends, resolved/repeat wording, documented error codes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allBlocks, renderSlackMessage, SLACK_LIMITS, SLACK_COLORS, type SlackBlock } from '../../src/notify/slack-message.js';
import { SlackNotifier } from '../../src/notify/slack.js';
import { isSkewwatchError } from '../../src/util/errors.js';
import { slackPayloadProblem, slackReplies, startSlackReceiver, type SlackReceiver } from '../fakes/receivers/slack.js';
import { FakeClock, notification, T0, verdict } from './helpers.js';

function blocksOf(m: ReturnType<typeof renderSlackMessage>): readonly SlackBlock[] {
  return allBlocks(m);
}

function allText(m: ReturnType<typeof renderSlackMessage>): string {
  return JSON.stringify(m);
}

const signal = () => new AbortController().signal;

describe('slack message rendering', () => {
  it('trigger: header, explanation, fields, backend table with bars, forecast, links', () => {
    const m = renderSlackMessage(notification(), { prometheusUrl: 'http://prom:9090', prometheusQuery: 'sum by (server) (rate(haproxy_server_http_responses_total{proxy="{{label:proxy}}"}[1m]))' });
    assert.equal(slackPayloadProblem(m), null);
    const b = blocksOf(m);
    assert.equal(b[0]!.type, 'header');
    assert.deepEqual(m.blocks.map((x) => x.type), ['header', 'section'], 'header and summary always visible');
    assert.equal(m.attachments[0].blocks[0]!.type, 'section');
    const header = (b[0] as { text: { text: string } }).text.text;
    assert.match(header, /FIRING CRITICAL · be_app: TrafficSkew/);
    assert.equal(m.attachments[0].color, SLACK_COLORS.critical);
    const text = allText(m);
    assert.match(text, /web-000/);
    assert.match(text, /▇/);
    assert.match(text, /┃/, 'marker at the expected share');
    assert.match(text, /HOT/);
    assert.match(text, /STARVED/);
    assert.match(text, /Not serving: web-005 \(down\)/);
    assert.match(text, /Forecast/);
    assert.match(text, /reaches 95% CPU in ~6m/);
    assert.match(text, /runbooks\.example\.com\/skew\|Runbook/);
    assert.match(text, /prom:9090\/graph\?g0\.expr=/);
    assert.match(text, /proxy%3D%22be_app%22/, 'pool label substituted into the query and URL-encoded');
    assert.match(m.text, /^\[FIRING:CRITICAL\] be_app: /);
  });

  it('resolve: green, "resolved after 12m", no forecast', () => {
    const m = renderSlackMessage(notification({ kind: 'resolve', endsAt: T0 + 12 * 60_000, createdAt: T0 + 12 * 60_000 }));
    assert.equal(slackPayloadProblem(m), null);
    assert.equal(m.attachments[0].color, SLACK_COLORS.resolved);
    const header = (blocksOf(m)[0] as { text: { text: string } }).text.text;
    assert.match(header, /✅ RESOLVED after 12m · be_app/);
    assert.match(allText(m), /Resolved after 12m/);
    assert.doesNotMatch(allText(m), /Forecast/);
    assert.match(m.text, /^\[RESOLVED\]/);
  });

  it('repeat: "still firing for 2h"', () => {
    const m = renderSlackMessage(notification({ kind: 'repeat', createdAt: T0 + 2 * 3600_000 }));
    const header = (blocksOf(m)[0] as { text: { text: string } }).text.text;
    assert.match(header, /STILL FIRING for 2h/);
    assert.match(m.text, /STILL FIRING/);
  });

  it('meta-alert without a verdict renders without a table', () => {
    const m = renderSlackMessage(notification({ verdict: null, summary: 'skewwatch is blind: Prometheus unreachable', ruleId: 'blind', ruleName: 'SkewwatchBlind' }));
    assert.equal(slackPayloadProblem(m), null);
    assert.doesNotMatch(allText(m), /```/);
  });

  it('500 backends: within every documented limit, top rows plus "… and N more backends"', () => {
    const n = notification({ verdict: verdict(500) });
    for (const rows of [1, 12, 35]) {
      const m = renderSlackMessage(n, { maxBackendRows: rows });
      assert.equal(slackPayloadProblem(m), null, `maxBackendRows ${rows}`);
      const blocks = blocksOf(m);
      assert.ok(blocks.length <= SLACK_LIMITS.blocks);
      for (const blk of blocks) {
        if (blk.type === 'header') assert.ok(blk.text.text.length <= SLACK_LIMITS.headerText);
        if (blk.type === 'section' && blk.text) assert.ok(blk.text.text.length <= SLACK_LIMITS.sectionText, `section ${blk.text.text.length}`);
        if (blk.type === 'section' && blk.fields) {
          assert.ok(blk.fields.length <= SLACK_LIMITS.fields);
          for (const f of blk.fields) assert.ok(f.text.length <= SLACK_LIMITS.fieldText);
        }
        if (blk.type === 'context') assert.ok(blk.elements.length <= SLACK_LIMITS.contextElements);
      }
      const text = allText(m);
      assert.match(text, /web-000/, 'the hot backend is shown');
      if (rows >= 2) assert.match(text, /web-001/, 'the starved backend is shown');
      const shownRows = (text.match(/web-\d{3} +[▇·┃]/g) ?? []).length;
      assert.ok(shownRows <= rows, `${shownRows} rows for max ${rows}`);
      assert.match(text, new RegExp(`… and ${499 - shownRows} more backends`));
    }
  });

  it('very long names and summaries are cut, never rejected', () => {
    const long = 'x'.repeat(5000);
    const m = renderSlackMessage(notification({ pool: long, summary: long, ruleName: long, annotations: { description: long } }));
    assert.equal(slackPayloadProblem(m), null);
    assert.ok(m.text.length <= SLACK_LIMITS.fallbackText);
  });

  it('escapes mrkdwn control characters from data', () => {
    const m = renderSlackMessage(notification({ summary: 'a <b> & c', pool: 'be<x>' }));
    assert.match(allText(m), /a &lt;b&gt; &amp; c/);
  });
});

describe('slack notifier against the receiver', () => {
  let r: SlackReceiver;
  const clock = new FakeClock();
  before(async () => {
    r = await startSlackReceiver();
  });
  after(async () => {
    await r.close();
  });

  it('the receiver accepts the 500-backend message', async () => {
    const s = new SlackNotifier({ webhookUrl: r.url, clock });
    const res = await s.send(notification({ verdict: verdict(500) }), signal());
    assert.deepEqual(res, { ok: true }, r.lastRejection());
    assert.equal(r.messages.length, 1);
  });

  it('the receiver rejects more than 50 blocks like Slack (400 invalid_blocks)', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    assert.deepEqual(slackPayloadProblem({ text: 'x', blocks })?.code, 'invalid_blocks');
    assert.deepEqual(slackPayloadProblem({ text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] })?.code, 'invalid_blocks');
    assert.deepEqual(slackPayloadProblem({})?.code, 'no_text');
  });

  const table: Array<[string, ReturnType<(typeof slackReplies)[keyof typeof slackReplies]>, boolean, RegExp]> = [
    ['400 invalid_payload', slackReplies.invalidPayload(), false, /400 invalid_payload/],
    ['400 no_text', slackReplies.noText(), false, /no_text/],
    ['403 invalid_token', slackReplies.invalidToken(), false, /403 invalid_token/],
    ['404 no_service', slackReplies.noService(), false, /404 no_service/],
    ['404 channel_not_found', slackReplies.channelNotFound(), false, /channel_not_found/],
    ['410 channel_is_archived', slackReplies.channelArchived(), false, /410 channel_is_archived/],
    ['429 with Retry-After', slackReplies.rateLimited(3), true, /429/],
    ['500 rollup_error', slackReplies.serverError(), true, /500 rollup_error/],
  ];
  for (const [name, reply, retryable, msg] of table) {
    it(`${name} -> ${retryable ? 'retryable' : 'final'}`, async () => {
      r.script(reply);
      const res = await new SlackNotifier({ webhookUrl: r.url, clock }).send(notification(), signal());
      assert.equal(res.ok, false);
      if (res.ok) return;
      assert.equal(res.retryable, retryable);
      assert.match(res.message, msg);
      if (name.startsWith('429')) assert.equal(res.retryAfterMs, 3000);
    });
  }

  it('an unknown webhook path answers 404 no_service (revoked webhook)', async () => {
    const res = await new SlackNotifier({ webhookUrl: `${r.baseUrl}/services/T1/B1/revokedtoken`, clock }).send(notification(), signal());
    assert.equal(res.ok, false);
    if (!res.ok) assert.match(res.message, /404 no_service/);
  });
});

describe('slack options fail fast', () => {
  const clock = new FakeClock();
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['missing url', {}, /webhookUrl is required/],
    ['not a url', { webhookUrl: 'hooks.slack.com/services/x' }, /webhookUrl is not a valid URL/],
    ['ftp url', { webhookUrl: 'ftp://hooks.slack.com/services/x' }, /must be an http\(s\) URL/],
    ['no path', { webhookUrl: 'https://hooks.slack.com/' }, /has no path/],
    ['rows', { webhookUrl: 'https://hooks.slack.com/services/T/B/secrettoken1', maxBackendRows: 0 }, /maxBackendRows/],
    ['prom pair', { webhookUrl: 'https://hooks.slack.com/services/T/B/secrettoken1', prometheusUrl: 'http://p:9090' }, /go together/],
    ['name', { webhookUrl: 'https://hooks.slack.com/services/T/B/secrettoken1', name: 'bad name!' }, /sink name/],
    ['rate', { webhookUrl: 'https://hooks.slack.com/services/T/B/secrettoken1', rateLimit: { perSecond: 0, burst: 1 } }, /rateLimit/],
  ];
  for (const [name, opts, re] of cases) {
    it(name, () => {
      assert.throws(
        () => new SlackNotifier({ clock, ...opts } as never),
        (e: unknown) => isSkewwatchError(e, 'config') && re.test(e.message) && !e.message.includes('secrettoken1'),
      );
    });
  }
});
