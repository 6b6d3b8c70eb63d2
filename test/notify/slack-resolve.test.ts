// What a Slack resolve says (issue 10 item 12, issue 11 item 13): a recovery
// says what changed back; an orphan closed without recovery is never worded
// as one (grey, "CLOSED", no "Now:" line, no backend table).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderSlackMessage, SLACK_COLORS } from '../../src/notify/slack-message.js';
import { slackPayloadProblem } from '../fakes/receivers/slack.js';
import { notification, T0 } from './helpers.js';

const header = (m: ReturnType<typeof renderSlackMessage>) => (m.blocks[0] as { text: { text: string } }).text.text;

describe('slack resolve wording', () => {
  it('a recovery shows the summary that says what changed back', () => {
    const summary = "Backend overload from traffic skew in pool be_app: s1 weight 256 → 1, back to 26% of be_app's traffic (expected 25%; 99% when it fired)";
    const m = renderSlackMessage(notification({ kind: 'resolve', resolution: 'recovered', summary, endsAt: T0 + 600_000, createdAt: T0 + 600_000 }));
    assert.equal(slackPayloadProblem(m), null);
    assert.match(header(m), /✅ RESOLVED after 10m/);
    assert.match(JSON.stringify(m.blocks), /s1 weight 256 → 1, back to 26% of be_app's traffic/);
    assert.equal(m.attachments[0].color, SLACK_COLORS.resolved);
  });

  for (const [resolution, why] of [['pool-vanished', 'pool be_app is no longer reported by the source'], ['rule-removed', 'its rule was removed from the configuration']] as const) {
    it(`${resolution}: closed, not resolved`, () => {
      const m = renderSlackMessage(notification({ kind: 'resolve', resolution, summary: `TrafficSkew in pool be_app: closed because ${why}; this is not a recovery`, endsAt: T0 + 900_000, createdAt: T0 + 900_000 }));
      assert.equal(slackPayloadProblem(m), null);
      assert.match(header(m), /⚪ CLOSED after 15m · be_app/);
      assert.doesNotMatch(JSON.stringify(m), /RESOLVED|Resolved|✅/);
      assert.doesNotMatch(JSON.stringify(m), /Now: /, 'the last verdict is not the present');
      assert.doesNotMatch(JSON.stringify(m), /```/, 'no backend table');
      assert.match(m.text, /^\[CLOSED\] be_app: /);
      assert.equal(m.attachments[0].color, SLACK_COLORS.closed);
    });
  }
});
