// Special functions for the significance tests, written by hand so the core
// has no numeric dependency. Only what the G-test and the per-backend residual
// test need: log-gamma and the regularized incomplete gamma functions, which
// give the chi-square survival function.
//
// Sources:
// - Lanczos, "A precision approximation of the gamma function", SIAM J. Numer.
//   Anal. B 1 (1964); the g = 7, n = 9 coefficient set popularised by
//   Numerical Recipes and Wikipedia ("Lanczos approximation"), ~15 digits.
// - Press, Teukolsky, Vetterling, Flannery, Numerical Recipes (3rd ed.),
//   §6.2 "Incomplete gamma function": series for x < a + 1, continued
//   fraction (modified Lentz, §5.2) otherwise.
// - Abramowitz & Stegun 26.4.19: chi-square survival
//   Q(χ² | ν) = Q(ν/2, χ²/2), the regularized upper incomplete gamma.

const LANCZOS_G = 7;
const LANCZOS_COEF = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028,
  771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0 (reflection keeps it defined for non-integer x < 0.5). */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Euler's reflection formula Γ(x)Γ(1−x) = π / sin(πx).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS_COEF[0]!;
  for (let i = 1; i < LANCZOS_COEF.length; i++) sum += LANCZOS_COEF[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const FPMIN = 1e-300;
// Both expansions converge in O(sqrt(a)) terms near x ≈ a; 100k covers
// a up to ~1e8 (pools are far smaller: df = backends − 1).
const MAX_ITER = 100_000;

/** e^{−x} x^a / Γ(a): the common prefactor, in log space to survive large a and x. */
function logPrefactor(a: number, x: number): number {
  return -x + a * Math.log(x) - logGamma(a);
}

/** Regularized lower P(a, x) by its series (NR 6.2.5); accurate for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let sum = del;
  for (let n = 0; n < MAX_ITER; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(logPrefactor(a, x));
}

/** Regularized upper Q(a, x) by its continued fraction (NR 6.2.7, Lentz); for x ≥ a + 1. */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(logPrefactor(a, x)) * h;
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), in [0, 1]. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return 1;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  const q = x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
  // A NaN can only come from a numeric breakdown; "not significant" is the safe reading.
  return Number.isNaN(q) ? 1 : clamp01(q);
}

/** Regularized lower incomplete gamma P(a, x) = 1 − Q(a, x). */
export function gammaP(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x) || x <= 0) return 0;
  if (x === Infinity) return 1;
  const p = x < a + 1 ? lowerSeries(a, x) : 1 - upperContinuedFraction(a, x);
  return Number.isNaN(p) ? 0 : clamp01(p);
}

/**
 * Chi-square survival function P(X ≥ x) for X ~ χ²(df): Q(df/2, x/2).
 * Returns 1 for x ≤ 0 or an untestable df (≤ 0), 0 for x = +∞.
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) return 1;
  return gammaQ(df / 2, x / 2);
}

function clamp01(v: number): number {
  if (!(v > 0)) return 0;
  return v > 1 ? 1 : v;
}

/**
 * Regularized incomplete beta I_x(a, b) for a, b > 0, x in [0, 1], by its
 * continued fraction (Numerical Recipes 3rd ed. §6.4, `betacf`, modified
 * Lentz), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the
 * fraction converges fastest (x < (a + 1) / (a + b + 2)).
 */
export function betaI(a: number, b: number, x: number): number {
  if (!(a > 0) || !(b > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const v = x < (a + 1) / (a + b + 2)
    ? (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a
    : 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, 1 - x)) / b;
  return clamp01(v);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/**
 * Exact binomial tails for X ~ Bin(n, p), extended to real k and n through
 * the incomplete beta (counts computed as rate × window are not integers):
 *   P(X ≥ k) = I_p(k, n − k + 1)        (Abramowitz & Stegun 26.5.24)
 *   P(X ≤ k) = I_{1−p}(n − k, k + 1)
 * Valid at any expected count, unlike the normal approximation, which is
 * what lets a 1000-backend pool at 1–2 requests per backend be tested.
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (!(k > 0)) return 1;
  if (!(p > 0)) return 0;
  if (p >= 1) return 1;
  if (k > n) return 0;
  const v = betaI(k, n - k + 1, p);
  return Number.isNaN(v) ? 1 : v;
}

export function binomialLowerTail(k: number, n: number, p: number): number {
  if (!(k < n)) return 1;
  if (!(p > 0)) return 1;
  if (p >= 1) return 0;
  const v = betaI(n - k, Math.max(0, k) + 1, 1 - p);
  return Number.isNaN(v) ? 1 : v;
}
