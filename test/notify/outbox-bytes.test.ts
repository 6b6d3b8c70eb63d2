// Issue 11 item 12: the outbox is bounded in bytes, stores a compact verdict
// (rendered at send time exactly as the whole one would be), and its state
// text is built from cached entry texts instead of re-serialising every entry
// on every save.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type DeliveryResult } from '../../src/notify/outbox.js';
import type { Notifier } from '../../src/notify/notifier.js';
import type { Notification } from '../../src/core/alerting/notification.js';
import type { BackendStat, PoolVerdict } from '../../src/core/types.js';
import { renderSlackMessage } from '../../src/notify/slack-message.js';
import { renderPagerDutyEvent } from '../../src/notify/pagerduty.js';
import { renderAlertmanagerAlerts } from '../../src/notify/alertmanager.js';
import { isSkewwatchError } from '../../src/util/errors.js';
import { captureLogs, FakeClock, notification, SECRETS, T0, verdict } from './helpers.js';

const ok: Notifier = { name: 's', send: async () => ({ ok: true }) };

/** 1,000 backends: 80 hot, 40 starved, 30 not serving (more than any message lists). */
function bigVerdict(): PoolVerdict {
  const v = verdict(1000);
  const backends: BackendStat[] = v.backends.map((b, i) => {
    if (i >= 900 && i < 930) return { ...b, health: i % 2 ? 'maint' : 'down', share: 0, expectedShare: 0, ratio: 0, rate: 0, outlier: null };
    if (i < 80) return { ...b, outlier: 'hot', ratio: 2 + i / 100, share: b.expectedShare * (2 + i / 100) };
    if (i < 120) return { ...b, outlier: 'starved', ratio: 0.1 + i / 1000, share: b.expectedShare * (0.1 + i / 1000) };
    return b;
  });
  const names = (p: (b: BackendStat) => boolean) => backends.filter(p).map((b) => b.backend);
  return {
    ...v,
    backends,
    hot: names((b) => b.outlier === 'hot'),
    starved: names((b) => b.outlier === 'starved'),
    unavailable: names((b) => b.health !== 'up'),
    upCount: backends.filter((b) => b.health === 'up').length,
  };
}

function stored(n: Notification, over: Partial<ConstructorParameters<typeof Outbox>[0]> = {}): { outbox: Outbox; n: Notification } {
  const outbox = new Outbox({ notifiers: [ok], clock: new FakeClock(), ...over });
  outbox.enqueue(n, ['s']);
  return { outbox, n: outbox.list()[0]!.notification };
}

describe('compact verdict', () => {
  it('an entry of a 1,000-backend pool takes a few KiB, not 200', () => {
    const full = notification({ verdict: bigVerdict() });
    const { outbox, n } = stored(full);
    assert.ok(JSON.stringify(full).length > 150_000);
    assert.ok(outbox.bytes < 25_000, `stored bytes ${outbox.bytes}`);
    assert.ok(n.verdict!.backends.length <= 60);
  });

  it('Slack, PagerDuty and Alertmanager render the stored entry exactly as the whole verdict', () => {
    for (const kind of ['trigger', 'repeat', 'resolve'] as const) {
      const full = notification({ kind, verdict: bigVerdict(), ...(kind === 'resolve' ? { endsAt: T0 + 60_000 } : {}) });
      const { n } = stored(full);
      assert.deepEqual(renderSlackMessage(n), renderSlackMessage(full), `slack ${kind}`);
      assert.deepEqual(renderSlackMessage(n, { maxBackendRows: 35 }), renderSlackMessage(full, { maxBackendRows: 35 }), `slack 35 rows ${kind}`);
      assert.deepEqual(renderPagerDutyEvent(n, SECRETS.routingKey), renderPagerDutyEvent(full, SECRETS.routingKey), `pagerduty ${kind}`);
      assert.deepEqual(renderAlertmanagerAlerts(n, T0), renderAlertmanagerAlerts(full, T0), `alertmanager ${kind}`);
    }
  });

  it('keeps as many rows as the widest sink renders', () => {
    const wide: Notifier = { name: 's', backendRows: 200, send: async () => ({ ok: true }) };
    const { n } = stored(notification({ verdict: bigVerdict() }), { notifiers: [wide] });
    const full = notification({ verdict: bigVerdict() });
    assert.ok(n.verdict!.backends.length >= 200);
    assert.deepEqual(renderPagerDutyEvent(n, SECRETS.routingKey, { maxBackendRows: 200 }), renderPagerDutyEvent(full, SECRETS.routingKey, { maxBackendRows: 200 }));
  });

  it('small verdicts are stored as they are', () => {
    const full = notification();
    assert.deepEqual(stored(full).n, full);
  });

  it('a damaged listing in the state file is a state error', () => {
    const { outbox } = stored(notification({ verdict: bigVerdict() }));
    const state = JSON.parse(outbox.toJSONText());
    state.entries[0].notification.verdict.listing.up = -1;
    assert.throws(() => Outbox.fromJSON(state, { notifiers: [ok], clock: new FakeClock() }), (e: unknown) => isSkewwatchError(e, 'state'));
  });
});

describe('byte bound', () => {
  it('over maxBytes: repeats are dropped first, then the oldest; each drop is reported and logged', () => {
    const results: DeliveryResult[] = [];
    const logs = captureLogs();
    const outbox = new Outbox({ notifiers: [ok], clock: new FakeClock(), maxBytes: 64 * 1024, logger: logs.logger, onResult: (r) => results.push(r) });
    const big = (i: number, kind: Notification['kind'] = 'trigger') => notification({ id: `${kind}-${i}`, dedupKey: `k${i}`, kind, verdict: bigVerdict() });
    outbox.enqueue(big(0), ['s']);
    outbox.enqueue(big(1, 'repeat'), ['s']);
    outbox.enqueue(big(2, 'resolve'), ['s']);
    outbox.enqueue(big(3, 'repeat'), ['s']);
    for (let i = 4; i < 12; i++) outbox.enqueue(big(i), ['s']);
    assert.ok(outbox.bytes <= 64 * 1024, `bytes ${outbox.bytes}`);
    const dropped = results.filter((r) => r.outcome === 'dropped_overflow').map((r) => r.notificationId);
    assert.deepEqual(dropped.slice(0, 2), ['repeat-1', 'repeat-3'], 'repeats go first');
    assert.ok(dropped.length > 2 && dropped[2] === 'trigger-0', `then the oldest: ${dropped.join(',')}`);
    const lines = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'notification dropped: outbox full');
    assert.equal(lines.length, dropped.length);
    assert.match(lines[0].error, /more than 65536 bytes/);
    assert.equal(outbox.size + dropped.length, 12);
  });

  it('maxBytes is validated', () => {
    assert.throws(() => new Outbox({ notifiers: [ok], clock: new FakeClock(), maxBytes: 10 }), /maxBytes/);
  });
});

describe('state text', () => {
  it('toJSONText() is toJSON() as JSON, and restores', async () => {
    const outbox = new Outbox({ notifiers: [ok], clock: new FakeClock() });
    for (let i = 0; i < 5; i++) outbox.enqueue(notification({ dedupKey: `k${i}`, verdict: i % 2 ? bigVerdict() : verdict() }), ['s']);
    await outbox.deliverDue();
    for (let i = 5; i < 8; i++) outbox.enqueue(notification({ dedupKey: `k${i}` }), ['s']);
    const text = outbox.toJSONText();
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(outbox.toJSON())));
    const restored = Outbox.fromJSON(text, { notifiers: [ok], clock: new FakeClock() });
    assert.equal(restored.toJSONText(), text);
    assert.equal(restored.bytes, outbox.bytes);
  });

  it('an unchanged entry is not serialised again on the next save', () => {
    let serialised = 0;
    const annotations = { runbook_url: 'https://runbooks.example.com/skew' };
    Object.defineProperty(annotations, 'toJSON', { enumerable: false, value: () => (serialised++, { runbook_url: 'https://runbooks.example.com/skew' }) });
    const outbox = new Outbox({ notifiers: [ok], clock: new FakeClock() });
    outbox.enqueue(notification({ annotations }), ['s']);
    for (let i = 0; i < 5; i++) outbox.toJSONText();
    assert.equal(serialised, 1, 'serialised once, at enqueue');
  });
});

describe('state file with the outbox text spliced in', () => {
  it('FileStateStore writes RawJson as is and the outbox restores from it', async () => {
    const { mkdtempSync, rmSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileStateStore, RawJson, stateText, STATE_VERSION } = await import('../../src/state/store.js');
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-outbox-'));
    try {
      const outbox = new Outbox({ notifiers: [ok], clock: new FakeClock() });
      outbox.enqueue(notification({ verdict: bigVerdict() }), ['s']);
      const state = { version: STATE_VERSION, savedAt: T0, evaluator: { alerts: {}, blindCycles: 0, lastError: null }, histories: {}, outbox: new RawJson(outbox.toJSONText()) };
      assert.deepEqual(JSON.parse(stateText(state as never)), JSON.parse(JSON.stringify(state)));
      const { logger } = captureLogs();
      const store = new FileStateStore(dir, logger as never);
      store.save(state as never);
      assert.ok(readFileSync(join(dir, 'state.json'), 'utf8').includes(`"outbox":${outbox.toJSONText()}`));
      const loaded = store.load()!;
      const restored = Outbox.fromJSON(loaded.outbox, { notifiers: [ok], clock: new FakeClock() });
      assert.equal(restored.toJSONText(), outbox.toJSONText());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
