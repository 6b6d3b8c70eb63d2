// Item 14 of issue 11: only the secret parts of a webhook URL are masked.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { clearRegisteredSecrets, redactText, registerUrlSecrets } from '../../src/util/redact.js';
import { WebhookNotifier } from '../../src/notify/webhook.js';
import { SlackNotifier } from '../../src/notify/slack.js';
import { FakeClock } from '../fakes/clock.js';

describe('redaction of webhook URLs', () => {
  beforeEach(() => clearRegisteredSecrets());

  it('a webhook URL ending in /skewwatch does not redact the word skewwatch', () => {
    new WebhookNotifier({ name: 'webhook:ops', url: 'https://ops.example.com/hooks/skewwatch', clock: new FakeClock(0) });
    assert.equal(redactText('skewwatch started'), 'skewwatch started');
    assert.equal(redactText('posting to https://ops.example.com/hooks/skewwatch failed'), 'posting to [REDACTED] failed');
  });

  it('a Slack URL: team, bot and token segments are masked, the rest of the text is not', () => {
    new SlackNotifier({ webhookUrl: 'https://chat.example.com/services/T0001ABCD/B0002EFGH/abcdefghijklmnopqrstuvwx', clock: new FakeClock(0) });
    assert.equal(redactText('skewwatch started on services'), 'skewwatch started on services');
    assert.equal(redactText('token abcdefghijklmnopqrstuvwx leaked'), 'token [REDACTED] leaked');
    assert.equal(redactText('path T0001ABCD/B0002EFGH/abcdefghijklmnopqrstuvwx'), 'path [REDACTED]');
  });

  it('query-string tokens and userinfo are masked, ordinary query values are not', () => {
    registerUrlSecrets('https://alice:hunter22@hooks.example.com/notify?channel=skewwatch&token=s3cr3tvalue');
    assert.equal(redactText('sent to channel skewwatch'), 'sent to channel skewwatch');
    assert.equal(redactText('value s3cr3tvalue here'), 'value [REDACTED] here');
    assert.equal(redactText('password hunter22 here'), 'password [REDACTED] here');
  });

  it('a generated token in the path (Discord-style) is masked', () => {
    registerUrlSecrets('https://discord.example.com/api/webhooks/123456789012345678/Zx9yW8vU7tS6rQ5pO4nM3');
    assert.equal(redactText('tok Zx9yW8vU7tS6rQ5pO4nM3'), 'tok [REDACTED]');
    assert.equal(redactText('api webhooks'), 'api webhooks');
  });
});
