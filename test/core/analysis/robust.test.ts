// Median/quickselect, MAD, modified z, Theil–Sen, and the dispersion measures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mad, median, medianBucketed, medianInPlace, modifiedZ, selectInPlace, theilSen } from '../../../src/core/analysis/robust.js';
import { coefficientOfVariation, gini, jainIndex, pearson } from '../../../src/core/analysis/dispersion.js';

const values = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 });

test('property: quickselect agrees with sorting, median with the textbook definition', () => {
  fc.assert(
    fc.property(values, fc.nat(), (xs, kk) => {
      const sorted = [...xs].sort((a, b) => a - b);
      const k = kk % xs.length;
      assert.equal(selectInPlace(Float64Array.from(xs), xs.length, k), sorted[k]);
      const n = xs.length;
      const want = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
      assert.equal(median(xs, n), want);
    }),
  );
});

test('property: the bucketed median is exactly the quickselect median (ties, outliers, NaN, ±Infinity, given extremes)', () => {
  const value = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -1, max: 1, noNaN: true }) },
    { weight: 2, arbitrary: fc.integer({ min: -2, max: 2 }) },
    { weight: 1, arbitrary: fc.double() }, // NaN, ±Infinity, ±MAX_VALUE, subnormals
  );
  fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 256 }), fc.boolean(), (xs, give) => {
    const a = Float64Array.from(xs);
    const expected = medianInPlace(Float64Array.from(xs), xs.length);
    const finite = xs.every((x) => !Number.isNaN(x));
    const got = give && finite ? medianBucketed(a, a.length, Math.min(...xs), Math.max(...xs)) : medianBucketed(a, a.length);
    assert.ok(Object.is(got, expected), `${got} vs ${expected}`);
  }), { numRuns: 2000 });
});

test('median does not modify its input; MAD of a constant is 0', () => {
  const xs = [5, 1, 4, 2, 3];
  assert.equal(median(xs, 5), 3);
  assert.deepEqual(xs, [5, 1, 4, 2, 3]);
  assert.equal(mad([2, 2, 2, 9], 4, 2), 0);
  assert.equal(mad([1, 2, 3, 4, 100], 5, 3), 1);
});

test('modified z: Iglewicz–Hoaglin formula, floor when MAD = 0', () => {
  assert.ok(Math.abs(modifiedZ(10, 3, 1, 0.05) - 0.6745 * 7) < 1e-12);
  // MAD = 0 (seven equal peers): the floor keeps one hot backend finite and flagged.
  assert.ok(Math.abs(modifiedZ(2, 1, 0, 0.05) - 0.6745 / 0.05) < 1e-12);
  assert.equal(modifiedZ(1, 1, 0, 0.05), 0);
});

test('Theil–Sen: exact on a line, ignores a minority of wild points', () => {
  const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const ys = xs.map((x) => 2 * x + 1);
  assert.deepEqual(theilSen(xs, ys, 10), { slope: 2, intercept: 1 });
  const noisy = [...ys];
  noisy[3] = 500;
  noisy[7] = -300;
  const fit = theilSen(xs, noisy, 10)!;
  assert.ok(Math.abs(fit.slope - 2) < 0.3, `slope ${fit.slope}`);
  assert.equal(theilSen([1], [1], 1), null);
  assert.equal(theilSen([1, 1], [0, 5], 2), null); // no distinct x
});

test('Theil–Sen subsamples deterministically above maxPairs and stays robust', () => {
  const xs = Array.from({ length: 200 }, (_, i) => i);
  const ys = xs.map((x) => 0.5 * x);
  const a = theilSen(xs, ys, 200, 100)!;
  assert.deepEqual(a, theilSen(xs, ys, 200, 100));
  assert.ok(Math.abs(a.slope - 0.5) < 1e-12);
  // 20% of the points replaced by spikes, including both ends: the subsample still holds.
  const spiky = ys.map((y, i) => (i % 5 === 0 ? y + 1000 : y));
  const b = theilSen(xs, spiky, 200, 200)!;
  assert.ok(Math.abs(b.slope - 0.5) < 0.05, `slope ${b.slope}`);
});

test('Jain, Gini, cv: known values', () => {
  assert.equal(jainIndex([1, 1, 1, 1], 4), 1);
  assert.equal(jainIndex([1, 0, 0, 0], 4), 0.25);
  assert.equal(gini([1, 1, 1], 3), 0);
  assert.ok(Math.abs(gini([0, 0, 0, 1], 4) - 0.75) < 1e-12); // (n−1)/n
  assert.equal(coefficientOfVariation([2, 2], 2), 0);
  assert.ok(Math.abs(coefficientOfVariation([1, 3], 2) - 0.5) < 1e-12);
  assert.equal(pearson([1, 2], [1, 2], 2), null);
  assert.equal(pearson([1, 1, 1], [1, 2, 3], 3), null);
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 6], 3)! - 1) < 1e-12);
});

test('property: Jain ∈ [1/n, 1], Gini ∈ [0, 1), all three scale invariant', () => {
  fc.assert(
    fc.property(
      // Subnormals excluded: no request rate is 1e-310 and scaling them loses all digits.
      fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }).filter((x) => x === 0 || x > 1e-200), { minLength: 2, maxLength: 50 }),
      fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
      (xs, k) => {
        const n = xs.length;
        const j = jainIndex(xs, n);
        assert.ok(j >= 1 / n - 1e-12 && j <= 1);
        const g = gini(xs, n);
        assert.ok(g >= 0 && g < 1);
        const scaled = xs.map((x) => x * k);
        assert.ok(Math.abs(jainIndex(scaled, n) - j) < 1e-9);
        assert.ok(Math.abs(gini(scaled, n) - g) < 1e-9);
        assert.ok(Math.abs(coefficientOfVariation(scaled, n) - coefficientOfVariation(xs, n)) < 1e-7);
      },
    ),
  );
});
