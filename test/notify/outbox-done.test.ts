// The finished-pairs memory of the outbox: what it keeps (the newest pair of
// each (sink, dedup key) lane, within retention and the count cap), in a
// compact form whose persisted text is unchanged.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DoneLog, MAX_DONE } from '../../src/notify/outbox-done.js';
import { Outbox } from '../../src/notify/outbox.js';
import type { Notifier, SendResult } from '../../src/notify/notifier.js';
import { FakeClock, notification } from './helpers.js';

class OkNotifier implements Notifier {
  calls = 0;
  constructor(readonly name: string) {}
  async send(): Promise<SendResult> {
    this.calls++;
    return { ok: true };
  }
}

describe('outbox done pairs', () => {
  it('keeps only the newest finished pair of a lane, across a restart; other lanes and sinks keep theirs', async () => {
    const clock = new FakeClock();
    const pd = new OkNotifier('pd');
    const slack = new OkNotifier('slack');
    const outbox = new Outbox({ notifiers: [pd, slack], clock });
    const first = notification({ dedupKey: 'skew/a', kind: 'trigger' });
    const other = notification({ dedupKey: 'skew/b', kind: 'trigger' });
    outbox.enqueue(first, ['pd', 'slack']);
    outbox.enqueue(other, ['pd']);
    await outbox.deliverDue();
    await clock.advance(15_000);
    const second = notification({ dedupKey: 'skew/a', kind: 'resolve' });
    outbox.enqueue(second, ['pd']);
    await outbox.deliverDue();
    assert.equal(outbox.toJSON().done.length, 3, 'pd lane a: only the resolve; slack lane a; pd lane b');
    const restored = Outbox.fromJSON(JSON.parse(outbox.toJSONText()), { notifiers: [pd, slack], clock });
    for (const o of [outbox, restored]) {
      assert.deepEqual(o.enqueue(second, ['pd']).duplicate, ['pd'], 'the newest of the lane is remembered');
      assert.deepEqual(o.enqueue(other, ['pd']).duplicate, ['pd'], 'another lane keeps its newest');
      assert.deepEqual(o.enqueue(first, ['slack']).duplicate, ['slack'], 'the same dedup key on another sink is another lane');
    }
    // The trigger was followed by the resolve in its lane: a replay can no longer produce it.
    assert.deepEqual(outbox.enqueue(first, ['pd']).queued, ['pd']);
  });

  it('forgets pairs older than the retention, and keeps those within it', async () => {
    const clock = new FakeClock();
    const outbox = new Outbox({ notifiers: [new OkNotifier('pd')], clock, doneRetentionMs: 60_000 });
    const old = notification({ dedupKey: 'skew/a' });
    outbox.enqueue(old, ['pd']);
    await outbox.deliverDue();
    await clock.advance(30_000);
    const recent = notification({ dedupKey: 'skew/b' });
    outbox.enqueue(recent, ['pd']);
    await outbox.deliverDue();
    await clock.advance(30_001);
    await outbox.deliverDue(); // prunes
    assert.deepEqual(outbox.toJSON().done.map((d) => d.id), [recent.id]);
    assert.deepEqual(outbox.enqueue(recent, ['pd']).duplicate, ['pd']);
    assert.deepEqual(outbox.enqueue(old, ['pd']).queued, ['pd']);
  });

  it(`never keeps more than ${MAX_DONE} pairs, the oldest going first`, () => {
    const log = new DoneLog(86_400_000);
    for (let i = 0; i <= MAX_DONE; i++) log.record(`n-${i}`, 'pd', `lane-${i}`, 1000 + i, 'sent');
    assert.equal(log.size, MAX_DONE);
    assert.equal(log.has('n-0', 'pd'), false);
    assert.equal(log.has('n-1', 'pd'), true);
    assert.equal(log.has(`n-${MAX_DONE}`, 'pd'), true);
  });

  it('persists each pair as the same JSON as before the compact form, and reads it back', () => {
    const records = [
      { id: 'ns:skew:"quoted"\\pool:trigger:1000', sink: 'webhook:x', at: 1000, outcome: 'sent' as const },
      { id: 'b', sink: 'pd', at: 2000, outcome: 'dropped_expired' as const },
    ];
    const log = new DoneLog(86_400_000, [records[1]!, records[0]!]);
    assert.deepEqual(log.jsonTexts(), records.map((r) => JSON.stringify(r)), 'oldest first, byte for byte');
    assert.deepEqual(log.list(), records);
    assert.equal(log.has(records[0]!.id, 'webhook:x'), true);
    assert.equal(log.has(records[0]!.id, 'pd'), false);
  });
});
