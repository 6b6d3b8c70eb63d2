// The demo view's three promises: the 503 column counts from the first 503
// on, the legend names the markers the bars draw, and the end-of-run report
// wraps at word boundaries (a terminal would cut words at 120 columns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFleet, step } from '../../src/demo/fleet-model.js';
import { demoViewInput } from '../../src/demo/view-input.js';
import { renderReport, wrapLine } from '../../src/demo/view-report.js';
import { EXPECTED_MARKERS, renderView } from '../../src/demo/view-render.js';
import type { PoolVerdict } from '../../src/core/types.js';

const status = { alerts: [] };
const opts = { durationSeconds: 60, scenario: 'weight-misconfig', width: 120 };

function verdictFor(state: ReturnType<typeof createFleet>): PoolVerdict {
  const total = state.backends.length;
  return {
    pool: 'be_app',
    severity: 'critical',
    explanation: 'x',
    backends: state.backends.map((b, i) => ({ backend: b.name, share: i === 1 ? 0.7 : 0.1, expectedShare: 1 / total, utilisation: 0.5, queue: 0 })),
  } as unknown as PoolVerdict;
}

function rowOf(frame: string, name: string): string {
  return frame.split('\n').find((l) => l.startsWith(`${name} `))!;
}

test('the 503 column shows 0 before the first 503 and the count after it', () => {
  let state = createFleet({ durationSeconds: 60, backends: 4 });
  state = step(state, 10);
  const before = renderView(demoViewInput(state, verdictFor(state), status, [], state.t, opts));
  assert.match(rowOf(before, 's2'), / 0$/, 'no 503 yet: 0, not —');
  for (let t = 10; t < 60 && state.first5xxAt === null; t += 1) state = step(state, 1);
  state = step(state, 3);
  assert.ok(state.first5xxAt !== null, 'the scenario produced 503s');
  const hot = state.backends[1]!;
  assert.ok(hot.timedOutTotal > 0);
  const after = renderView(demoViewInput(state, verdictFor(state), status, [], state.t, opts));
  assert.match(rowOf(after, 's2'), new RegExp(` ${hot.timedOutTotal}$`), 'the hot server row counts its 503s');
});

test('the legend names every expected-share marker a bar draws', () => {
  let state = createFleet({ durationSeconds: 60, backends: 4 });
  state = step(state, 30);
  const frame = renderView(demoViewInput(state, verdictFor(state), status, [], state.t, opts));
  const header = frame.split('\n').find((l) => l.includes('= expected'))!;
  assert.ok(header, 'a legend');
  const drawn = new Set([...frame.split('\n').filter((l) => /^s\d /.test(l)).join('')].filter((c) => c === '│' || c === '┃'));
  assert.ok(drawn.size > 0, 'markers are drawn');
  for (const c of drawn) assert.ok(header.includes(c), `legend shows ${c}`);
  for (const c of EXPECTED_MARKERS) assert.ok(header.includes(`${c}`));
});

test('the report wraps long lines at word boundaries within the width', () => {
  const long = `[+12.3s] SLACK     ${'Backend overload from traffic skew in pool be_app: s2 takes 73% of the requests (expected 25%) '.repeat(3)}`;
  const out = renderReport({ payloadLines: [long, 'short'], timeline: 'Timeline (SIMULATED FLEET)', width: 120 });
  const lines = out.split('\n');
  for (const l of lines) assert.ok([...l].length <= 120, `≤ 120 columns: ${l}`);
  const words = (s: string) => s.split(/\s+/).filter(Boolean);
  assert.ok(words(out).join(' ').includes(words(long).join(' ')), 'every word whole, in order');
  assert.ok(lines.filter((l) => l.startsWith('      ')).length >= 2, 'continuations are indented under the line');
  assert.deepEqual(wrapLine('  a bb ccc', 6), ['  a bb', '      ccc']);
  assert.deepEqual(wrapLine('supercalifragilistic x', 10), ['supercalifragilistic', '    x'], 'a word longer than the width stays whole');
});
