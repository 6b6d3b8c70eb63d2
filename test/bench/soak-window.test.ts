// The soak's start and end memory: medians over the first and the last tenth
// of the measured cycles, so one sample caught at a high or low moment of
// V8's and the allocator's retention does not decide the growth figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { memoryWindows, type MemorySample } from '../../bench/soak/run-soak.js';

const at = (cycle: number, rss: number): MemorySample => ({ cycle, rss, heap: rss / 4 });

test('start and end are the medians of the first and last tenth, not single samples', () => {
  // 100 → 1,100, sampled every 10 cycles; a spike at the very first and the very last sample.
  const samples: MemorySample[] = [];
  for (let c = 100; c <= 1100; c += 10) samples.push(at(c, c === 100 ? 400 : c === 1100 ? 50 : 200 + (c - 100) / 100));
  const { start, end } = memoryWindows(samples, 100, 1100);
  // First tenth: cycles 100..200 (11 samples: the spike and 200.1..201); median 200.6.
  assert.equal(start.rss, 200.6);
  // Last tenth: cycles 1000..1100 (the spike and 209..209.9); median 209.4.
  assert.equal(end.rss, 209.4);
  assert.equal(start.heap, 200.6 / 4);
});

test('with one sample per window the windows are the first and the last sample', () => {
  const { start, end } = memoryWindows([at(30, 100), at(130, 300), at(230, 500), at(300, 120)], 30, 300);
  assert.equal(start.rss, 100);
  assert.equal(end.rss, 120);
});

test('property: start and end lie within their windows and ignore samples outside them', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 1, max: 1e4, noNaN: true }), { minLength: 2, maxLength: 200 }), (rss) => {
      const samples = rss.map((r, i) => at(i * 10, r));
      const to = (rss.length - 1) * 10;
      const { start, end } = memoryWindows(samples, 0, to);
      const tenth = Math.max(1, Math.floor(to / 10));
      const first = samples.filter((s) => s.cycle <= tenth).map((s) => s.rss);
      const last = samples.filter((s) => s.cycle >= to - tenth).map((s) => s.rss);
      assert.ok(first.includes(start.rss) && last.includes(end.rss));
      // A median: at least half the window on each side.
      const below = (xs: number[], v: number) => xs.filter((x) => x <= v).length;
      assert.ok(below(first, start.rss) * 2 >= first.length && (first.length - below(first, start.rss) + 1) * 2 >= first.length);
      // Samples in the middle of the run do not matter.
      const moved = samples.map((s) => (s.cycle > tenth && s.cycle < to - tenth ? at(s.cycle, 1e9) : s));
      assert.deepEqual(memoryWindows(moved, 0, to), { start, end });
    }),
  );
});
