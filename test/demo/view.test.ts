import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createFleet, repair, step } from '../../src/demo/fleet-model.js';
import {
  createViewWriter,
  fleetViewBackends,
  leadTime,
  modelEvents,
  renderTimeline,
  renderView,
  shareBar,
  visibleLength,
  type DemoEvent,
  type ViewInput,
} from '../../src/demo/view.js';

const ESC = '\u001b[';

function input(backends: number, extra: Partial<ViewInput> = {}): ViewInput {
  const s = step(createFleet({ backends }), 95);
  return {
    elapsedSeconds: s.t,
    durationSeconds: 120,
    scenario: 'weight-misconfig',
    offeredRps: s.offeredRate,
    backends: fleetViewBackends(s),
    alerts: [
      { rule: 'skew', state: 'firing', severity: 'critical' },
      { rule: 'saturating', state: 'pending' },
      { rule: 'no-healthy', state: 'inactive' },
      { rule: 'queueing', state: 'resolved' },
    ],
    verdict: { severity: 'critical', explanation: 'be_app: s2 takes 73% of the requests (expected 25%) and runs at 99% CPU.' },
    events: [
      { kind: 'fault', at: 30, detail: 's2 weight 1 -> 8' },
      { kind: 'page', at: 41.5 },
    ],
    ...extra,
  };
}

function collector(isTTY: boolean): Writable & { text: () => string; isTTY: boolean; columns: number } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as Writable & { text: () => string; isTTY: boolean; columns: number };
  w.text = () => chunks.join('');
  w.isTTY = isTTY;
  w.columns = 100;
  return w;
}

test('renderView renders 2 and 50 servers, labelled SIMULATED, within the width', () => {
  for (const n of [2, 50]) {
    for (const color of [false, true]) {
      const out = renderView(input(n, { color, width: 90 }));
      assert.match(out, /SIMULATED FLEET \(demo\) — not real traffic/);
      for (const line of out.split('\n')) assert.ok(visibleLength(line) <= 90, `line too wide: ${line}`);
      assert.equal(out.includes(ESC), color, `colour codes only when asked (n=${n})`);
      assert.match(out, /fault injected/);
      assert.match(out, /skew/);
      assert.match(out, /firing/);
      assert.match(out, /CRITICAL/);
    }
  }
  const many = renderView(input(50));
  assert.match(many, /39 more servers not shown/);
  assert.match(many, /^s2 /m, 'the hot server is always shown');
});

test('renderView copes with no verdict, no alerts, no events and DOWN servers', () => {
  const base = input(3);
  const out = renderView({
    ...base,
    verdict: null,
    alerts: [],
    events: [],
    backends: base.backends.map((b, i) => (i === 0 ? { ...b, status: 'DOWN', share: 0, expectedShare: 0, cpu: null, queue: null } : b)),
  });
  assert.match(out, /waiting for the first analysis/);
  assert.match(out, /\(none yet\)/);
  assert.match(out, /DOWN/);
});

test('shareBar: fixed width, eighth blocks, expected marker', () => {
  assert.equal([...shareBar(0.5, 0.25, 1, 20)].length, 20);
  assert.equal(shareBar(1, 0, 1, 4), '████');
  assert.equal(shareBar(0, 0.5, 1, 4), ' │  ');
  assert.equal(shareBar(0.5, 0.25, 1, 4), '┃█  ');
  assert.equal(shareBar(0.0625, 0, 1, 4), '▎   ');
});

test('renderTimeline: times relative to the fault and the lead time', () => {
  const events: DemoEvent[] = [
    { kind: 'first-5xx', at: 100 },
    { kind: 'fault', at: 30 },
    { kind: 'warning', at: 33 },
    { kind: 'page', at: 40 },
  ];
  const out = renderTimeline(events);
  assert.match(out, /SIMULATED/);
  assert.match(out, /T\+0\.0s\s+fault injected/);
  assert.match(out, /T\+10\.0s\s+page sent/);
  assert.match(out, /T\+1m10s\s+first 503/);
  assert.match(out, /lead time: 1m00s between the first page and the first 5xx/);
  assert.deepEqual(leadTime(events), { kind: 'lead', seconds: 60, pageAt: 40, first5xxAt: 100 });

  const fixed = renderTimeline([
    { kind: 'fault', at: 30 },
    { kind: 'page', at: 40 },
    { kind: 'repaired', at: 40.5 },
  ]);
  assert.match(fixed, /no 5xx \(auto-fix repaired before saturation\)/);
  assert.equal(leadTime([{ kind: 'first-5xx', at: 10 }]).kind, 'no-page');
  assert.deepEqual(leadTime([{ kind: 'first-5xx', at: 10 }, { kind: 'page', at: 15 }]), {
    kind: 'late',
    seconds: 5,
    pageAt: 15,
    first5xxAt: 10,
  });
  assert.match(renderTimeline([]), /no fault injected[\s\S]*no 5xx during the run/);
});

test('writer, not a TTY: compact lines every N seconds, each event once, no escapes', () => {
  const out = collector(false);
  const w = createViewWriter({ stream: out, env: {}, compactEverySeconds: 5 });
  assert.equal(w.tty, false);
  assert.equal(w.color, false);
  const base = input(4);
  for (let t = 0; t <= 12; t += 1) {
    const events = base.events.filter((e) => e.at <= t * 4);
    w.update({ ...base, elapsedSeconds: t, events });
  }
  w.finish('THE END\n');
  const text = out.text();
  assert.ok(!text.includes(ESC));
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'SIMULATED FLEET (demo) — not real traffic');
  assert.equal(lines.filter((l) => l.includes('SIMULATED load')).length, 3, text);
  assert.equal(lines.filter((l) => l.includes('event: fault injected')).length, 1);
  assert.equal(lines.filter((l) => l.includes('event: page sent')).length, 1);
  assert.match(text, /hottest s2 share 73% \(exp 25%\)/);
  assert.ok(text.endsWith('THE END\n'));
});

test('writer, TTY: redraws in place, colour unless NO_COLOR is set', () => {
  const out = collector(true);
  const w = createViewWriter({ stream: out, env: {} });
  assert.equal(w.tty, true);
  assert.equal(w.color, true);
  w.update(input(3));
  const firstFrame = out.text();
  const frameLines = firstFrame.split('\n').length - 1;
  w.update(input(3));
  assert.ok(out.text().slice(firstFrame.length).startsWith(`${ESC}${frameLines}A\r${ESC}J`));
  assert.ok(firstFrame.includes(`${ESC}1m`));

  const plain = collector(true);
  const w2 = createViewWriter({ stream: plain, env: { NO_COLOR: '1' } });
  assert.equal(w2.color, false);
  w2.update(input(3));
  assert.ok(!plain.text().includes(`${ESC}1m`));
});

test('modelEvents: fault, saturation, first 503 and repair from the model', () => {
  const s = repair(step(createFleet({ scenario: 'weight-misconfig' }), 105));
  const kinds = modelEvents(s).map((e) => e.kind);
  assert.deepEqual(kinds, ['fault', 'saturated', 'first-5xx', 'repaired']);
  assert.match(modelEvents(s)[0]!.detail ?? '', /s2 weight 1 -> 8/);
  assert.deepEqual(modelEvents(step(createFleet({ scenario: 'healthy' }), 60)), []);
});
