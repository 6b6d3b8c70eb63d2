// The single retryability decision, Retry-After parsing, back-off and the
// token bucket (table-driven, plus fast-check properties).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classifyResponse, parseRetryAfter, MAX_RETRY_AFTER_MS } from '../../src/notify/http.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, TokenBucket } from '../../src/notify/retry.js';
import { formatDuration, pct, shareBar, truncate } from '../../src/notify/format.js';
import { DeliveryLoop } from '../../src/notify/dispatcher.js';
import { Outbox } from '../../src/notify/outbox.js';
import { registerSecret } from '../../src/util/redact.js';
import { FakeClock, notification, T0 } from './helpers.js';

describe('parseRetryAfter', () => {
  const now = T0;
  const rows: Array<[string | undefined, number | undefined, string]> = [
    ['120', 120_000, 'delay-seconds'],
    ['0', 0, 'zero'],
    ['1.5', 1500, 'fractional seconds (lenient)'],
    [new Date(now + 45_000).toUTCString(), 45_000, 'HTTP-date in the future'],
    [new Date(now - 45_000).toUTCString(), 0, 'HTTP-date in the past'],
    ['99999999', MAX_RETRY_AFTER_MS, 'absurd values are capped'],
    ['-5', undefined, 'negative'],
    ['soon', undefined, 'garbage'],
    ['', undefined, 'empty'],
    [undefined, undefined, 'absent'],
  ];
  for (const [value, expected, comment] of rows) {
    it(`${JSON.stringify(value)} -> ${expected} (${comment})`, () => assert.equal(parseRetryAfter(value, now), expected));
  }
});

describe('classifyResponse', () => {
  const rows: Array<[number, 'ok' | 'retry' | 'final']> = [
    [200, 'ok'], [201, 'ok'], [202, 'ok'], [204, 'ok'],
    [301, 'final'], [400, 'final'], [401, 'final'], [403, 'final'], [404, 'final'], [409, 'final'], [410, 'final'], [413, 'final'], [422, 'final'],
    [408, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
  ];
  for (const [status, want] of rows) {
    it(`${status} -> ${want}`, () => {
      const r = classifyResponse('t', { status, headers: {}, body: 'b' }, T0);
      const got = r.ok ? 'ok' : r.retryable ? 'retry' : 'final';
      assert.equal(got, want);
    });
  }

  it('Retry-After is only read for retryable answers', () => {
    const r = classifyResponse('t', { status: 400, headers: { 'retry-after': '5' }, body: '' }, T0);
    assert.ok(!r.ok && r.retryAfterMs === undefined);
  });

  it('redacts registered secrets and URL credentials in bodies before cutting them', () => {
    registerSecret('tok-abcdefghijklmnop');
    const body = `${'z'.repeat(190)} tok-abcdefghijklmnop https://user:pw123456@x.example.com/`;
    const r = classifyResponse('t', { status: 500, headers: {}, body }, T0);
    assert.ok(!r.ok);
    if (!r.ok) {
      assert.doesNotMatch(r.message, /tok-abc/);
      assert.doesNotMatch(r.message, /pw123456/);
    }
  });
});

describe('back-off and pacing properties', () => {
  it('full jitter stays within [retryAfter, max(ceiling, retryAfter)]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: undefined }), (attempt, r, ra) => {
        const d = backoffDelay(attempt, DEFAULT_RETRY_POLICY, () => r, ra);
        const ceiling = Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** (attempt - 1));
        return d >= (ra ?? 0) && d <= Math.max(ceiling, ra ?? 0) && Number.isInteger(d);
      }),
    );
  });

  it('the token bucket never allows more than burst + rate * elapsed sends', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 20, noNaN: true }), fc.integer({ min: 1, max: 10 }), fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 200 }), (rate, burst, gaps) => {
        const b = new TokenBucket(rate, burst);
        let t = 0;
        let sent = 0;
        for (const g of gaps) {
          t += g;
          if (b.take(t)) sent++;
        }
        return sent <= burst + (t / 1000) * rate + 1e-6;
      }),
    );
  });

  it('nextAvailableAt is when take() succeeds', () => {
    const b = new TokenBucket(1, 1);
    assert.equal(b.take(0), true);
    const at = b.nextAvailableAt(10);
    assert.equal(at, 1000);
    assert.equal(b.take(999), false);
    assert.equal(b.take(1000), true);
  });
});

describe('format helpers', () => {
  it('formatDuration', () => {
    assert.deepEqual([0, 45_000, 12 * 60_000, 7_200_000, 7_500_000, 26 * 3600_000].map(formatDuration), ['0s', '45s', '12m', '2h', '2h 5m', '1d 2h']);
  });
  it('pct adapts precision for tiny shares', () => {
    assert.deepEqual([0.25, 0.002, 0, null].map((x) => pct(x)), ['25.0%', '0.20%', '0.0%', '–']);
  });
  it('shareBar marks the expected share', () => {
    assert.equal(shareBar(0.5, 0.25, 0.5, 10), '▇▇▇▇▇┃▇▇▇▇');
    assert.equal(shareBar(0.05, 0.25, 0.5, 10), '▇····┃····');
    assert.equal([...shareBar(1, 0.1, 1, 14)].length, 14);
  });
  it('truncate never splits a surrogate pair', () => {
    const s = truncate('ab😀cd', 4);
    assert.ok(!/[\uD800-\uDBFF]$/.test(s.slice(0, -1)));
    assert.ok(s.length <= 4);
  });
});

describe('DeliveryLoop', () => {
  it('delivers on wake and sleeps on the injected clock until the next retry', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    let fail = true;
    const notifier = {
      name: 's',
      send: async (n: { id: string }) => {
        calls.push(n.id);
        if (fail) {
          fail = false;
          return { ok: false as const, retryable: true, message: 's: HTTP 503', status: 503 };
        }
        return { ok: true as const };
      },
    };
    const outbox = new Outbox({ notifiers: [notifier], clock, random: () => 1 });
    const rounds: number[] = [];
    const loop = new DeliveryLoop({ outbox, clock, afterRound: () => void rounds.push(clock.now()) });
    const ac = new AbortController();
    const running = loop.run(ac.signal);
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    outbox.enqueue(notification({ id: 'x1' }), ['s']);
    loop.wake();
    await tick();
    await tick();
    assert.deepEqual(calls, ['x1']);
    clock.advance(999);
    await tick();
    assert.deepEqual(calls, ['x1'], 'not before the back-off');
    clock.advance(1);
    await tick();
    await tick();
    assert.deepEqual(calls, ['x1', 'x1']);
    assert.equal(outbox.size, 0);
    ac.abort();
    await running;
    assert.ok(rounds.length >= 3);
  });
});
