// Chi-square survival against published tables and independent references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chiSquareSurvival, gammaP, gammaQ, logGamma } from '../../../src/core/analysis/special.js';

// [df, x, P(χ² ≥ x)]: critical values from standard tables (e.g. NIST/SEMATECH
// e-Handbook 1.3.6.7.4), reference p-values from scipy.stats.chi2.sf.
const TABLE: [number, number, number][] = [
  [1, 3.841, 0.050013683763956804],
  [1, 6.635, 0.009999419574042536],
  [1, 10.828, 0.0009997657195830916],
  [2, 5.991, 0.05001161502657909],
  [10, 18.307, 0.05000058909139812],
  [10, 29.588, 0.0010001119410634836],
  [30, 43.773, 0.04999970778837308],
  [100, 124.342, 0.05000071576997178],
  [999, 1073.6426506574246, 0.05],
  [999, 1142.8479838910355, 0.001],
  [999, 999, 0.4940498779585279],
  [999, 900, 0.9886211870834188],
  [1000, 1074.679, 0.05000098659539485],
  [5000, 5200, 0.023818998020740657],
  [1, 1e-6, 0.9992021155721779],
  [4, 1000, 3.5694127797773694e-215],
];

test('chi-square survival matches table values (relative error < 1e-9)', () => {
  for (const [df, x, p] of TABLE) {
    const got = chiSquareSurvival(x, df);
    assert.ok(Math.abs(got - p) <= 1e-9 * p, `df=${df} x=${x}: got ${got}, want ${p}`);
  }
});

test('even df: Q(k, x) equals the closed-form Poisson sum e^-x Σ_{j<k} x^j/j!', () => {
  // Independent of the series/continued fraction (A&S 6.5.13), in log space.
  for (const [k, x] of [[1, 0.5], [3, 2], [50, 40], [499, 520], [500, 480], [500, 700]] as const) {
    let logTerm = -x;
    let sum = Math.exp(logTerm);
    for (let j = 1; j < k; j++) {
      logTerm += Math.log(x) - Math.log(j);
      sum += Math.exp(logTerm);
    }
    const got = gammaQ(k, x);
    assert.ok(Math.abs(got - sum) <= 1e-10 * Math.max(sum, 1e-300), `k=${k} x=${x}: ${got} vs ${sum}`);
  }
});

test('edge cases: x ≤ 0 → 1, huge G → 0, df ≤ 0 → 1, NaN → 1', () => {
  assert.equal(chiSquareSurvival(0, 3), 1);
  assert.equal(chiSquareSurvival(-5, 3), 1);
  assert.equal(chiSquareSurvival(1e12, 999), 0);
  assert.equal(chiSquareSurvival(Infinity, 2), 0);
  assert.equal(chiSquareSurvival(5, 0), 1);
  assert.equal(chiSquareSurvival(Number.NaN, 3), 1);
});

test('log-gamma matches factorials and Γ(1/2) = √π', () => {
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-13);
  let lf = 0;
  for (let n = 1; n <= 170; n++) {
    assert.ok(Math.abs(logGamma(n + 1) - (lf += Math.log(n))) < 1e-10 * Math.max(1, lf), `n=${n}`);
  }
});

test('property: P + Q = 1 and Q is non-increasing in x, within [0, 1]', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.5, max: 2000, noNaN: true }), fc.double({ min: 0, max: 5000, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true }), (a, x, dx) => {
      const q = gammaQ(a, x);
      assert.ok(q >= 0 && q <= 1);
      assert.ok(Math.abs(gammaP(a, x) + q - 1) < 1e-9);
      assert.ok(gammaQ(a, x + dx) <= q + 1e-12);
    }),
  );
});
