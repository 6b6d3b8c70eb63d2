import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startPrintReceiver, type ReceivedEvent } from '../../src/demo/print-receiver.js';
import { ManualClock } from './manual-clock.js';

function collector(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

async function post(url: string, body: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

const slackMessage = {
  text: 'be_app is skewed',
  blocks: [
    { type: 'header', text: { type: 'plain_text', text: 'WARNING be_app: traffic skew' } },
    { type: 'section', text: { type: 'mrkdwn', text: 's2 takes 73% of requests (expected 25%)\nCPU 81%' } },
    { type: 'section', text: { type: 'mrkdwn', text: 'second section is not printed' } },
  ],
};

const pdTrigger = {
  routing_key: 'R0123456789abcdef0123456789abcdef',
  event_action: 'trigger',
  dedup_key: 'skewwatch/be_app/saturating',
  payload: { summary: 'be_app: s2 saturates in 40 s', source: 'skewwatch', severity: 'critical' },
};

test('Slack: 200 "ok", printed header and first section, arrival recorded', async () => {
  const clock = new ManualClock();
  const out = collector();
  const seen: ReceivedEvent[] = [];
  const rx = await startPrintReceiver({ out, clock, onEvent: (e) => seen.push(e) });
  try {
    clock.advance(12_300);
    const r = await post(rx.slackUrl, JSON.stringify(slackMessage));
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.kind, 'slack');
    assert.equal(seen[0]!.header, 'WARNING be_app: traffic skew');
    assert.equal(seen[0]!.at, clock.now());
    assert.equal(rx.firstWarningAt(), clock.now());
    assert.equal(rx.firstPageAt(), null);
    const text = out.text();
    assert.match(text, /\[\+12\.3s\] SLACK\s+WARNING be_app: traffic skew/);
    assert.match(text, /s2 takes 73% of requests \(expected 25%\)\n\s+CPU 81%/);
    assert.doesNotMatch(text, /second section/);

    assert.deepEqual(await post(rx.slackUrl, '{not json'), { status: 400, text: 'invalid_payload', type: 'text/html' });
    assert.equal((await post(rx.slackUrl, '{}')).text, 'no_text');
    assert.equal(rx.events().length, 1, 'rejected posts are not recorded');
  } finally {
    await rx.close();
  }
});

test('PagerDuty: 202 with status, message and dedup_key; printed action, severity, summary', async () => {
  const clock = new ManualClock();
  const out = collector();
  const rx = await startPrintReceiver({ out, clock });
  try {
    clock.advance(41_500);
    const r = await post(rx.pagerDutyUrl, JSON.stringify(pdTrigger));
    assert.equal(r.status, 202);
    assert.equal(r.type, 'application/json');
    assert.deepEqual(JSON.parse(r.text), {
      status: 'success',
      message: 'Event processed',
      dedup_key: 'skewwatch/be_app/saturating',
    });
    assert.equal(rx.firstPageAt(), clock.now());
    assert.match(out.text(), /\[\+41\.5s\] PAGERDUTY trigger critical: be_app: s2 saturates in 40 s/);

    // Without a dedup_key PagerDuty makes one up.
    const { dedup_key: _omit, ...noKey } = pdTrigger;
    const generated = JSON.parse((await post(rx.pagerDutyUrl, JSON.stringify(noKey))).text) as { dedup_key: string };
    assert.match(generated.dedup_key, /^[0-9a-f]{32}$/);

    clock.advance(5_000);
    const resolve = await post(
      rx.pagerDutyUrl,
      JSON.stringify({ routing_key: pdTrigger.routing_key, event_action: 'resolve', dedup_key: pdTrigger.dedup_key }),
    );
    assert.equal(resolve.status, 202);
    const events = rx.events();
    assert.equal(events.length, 3);
    assert.equal(events[2]!.eventAction, 'resolve');
    assert.equal(rx.firstPageAt(), events[0]!.at, 'the first page is the first trigger');
  } finally {
    await rx.close();
  }
});

test('PagerDuty: invalid events get 400 "invalid event"', async () => {
  const rx = await startPrintReceiver();
  try {
    const bad = await post(rx.pagerDutyUrl, JSON.stringify({ ...pdTrigger, payload: { summary: 'x', source: 'y', severity: 'loud' } }));
    assert.equal(bad.status, 400);
    const body = JSON.parse(bad.text) as { status: string; message: string; errors: string[] };
    assert.equal(body.status, 'invalid event');
    assert.equal(body.message, 'Event object is invalid');
    assert.ok(body.errors.some((e) => e.includes('severity')));
    assert.equal((await post(rx.pagerDutyUrl, 'nope')).status, 400);
    assert.equal((await fetch(rx.pagerDutyUrl)).status, 405);
    assert.equal((await fetch(`${rx.url}/other`, { method: 'POST', body: '{}' })).status, 404);
    assert.equal(rx.events().length, 0);
  } finally {
    await rx.close();
  }
});
