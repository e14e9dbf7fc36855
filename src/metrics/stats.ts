/**
 * Summary statistics for repeated runs (seeds, trials): sample mean, sample standard deviation
 * (n − 1), standard error, and two-sided Student-t confidence intervals.
 *
 * The t quantile is computed, not tabulated: for p > ½ and ν degrees of freedom,
 *   P(T ≤ t) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½),
 * so t = √(ν(1 − x)/x) where x solves I_x(ν/2, ½) = 2(1 − p). The regularised incomplete beta
 * I_x(a, b) is evaluated by its continued fraction (modified Lentz) and inverted by bisection, which
 * is monotone and needs no starting guess. ν = ∞ gives the standard normal quantile (Acklam's
 * rational approximation, relative error < 1.2e-9).
 *
 * Plain numbers only; no tfjs.
 */
import { ConfigError } from '../errors.js';

function checkSample(field: string, xs: ArrayLike<number>, minLength: number): void {
  if (xs.length < minLength) {
    throw new ConfigError(field, xs.length, `a sample of at least ${minLength} value${minLength === 1 ? '' : 's'}`);
  }
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new ConfigError(`${field}[${i}]`, xs[i], 'a finite number');
  }
}

/** Arithmetic mean. */
export function mean(xs: ArrayLike<number>): number {
  checkSample('mean: sample', xs, 1);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Sample variance with Bessel's correction (divides by n − 1). Needs n ≥ 2. */
export function sampleVariance(xs: ArrayLike<number>): number {
  checkSample('sampleVariance: sample', xs, 2);
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - m) ** 2;
  return ss / (xs.length - 1);
}

/** Sample standard deviation (n − 1). Needs n ≥ 2. */
export function sampleStd(xs: ArrayLike<number>): number {
  return Math.sqrt(sampleVariance(xs));
}

/** Standard error of the mean, s/√n. Needs n ≥ 2. */
export function standardError(xs: ArrayLike<number>): number {
  return sampleStd(xs) / Math.sqrt(xs.length);
}

// ---------------------------------------------------------------------------------------------
// Special functions

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of I_x(a, b) (modified Lentz); converges fast for x < (a + 1)/(a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    // Even step.
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Regularised incomplete beta function I_x(a, b), a, b > 0, 0 ≤ x ≤ 1. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new ConfigError('regularizedIncompleteBeta: a, b', [a, b], 'positive shape parameters');
  if (!(x >= 0 && x <= 1)) throw new ConfigError('regularizedIncompleteBeta: x', x, 'a value in [0, 1]');
  if (x === 0 || x === 1) return x;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(logFront);
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Standard normal quantile Φ⁻¹(p), 0 < p < 1 (Acklam's rational approximation). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new ConfigError('normalQuantile: p', p, 'a probability in (0, 1)');
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - pLow) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * Quantile of Student's t distribution with `df` degrees of freedom (df > 0, may be Infinity):
 * the t with P(T ≤ t) = p.
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new ConfigError('tQuantile: p', p, 'a probability in (0, 1)');
  if (!(df > 0)) throw new ConfigError('tQuantile: df', df, 'degrees of freedom > 0 (Infinity for the normal limit)');
  if (df === Infinity) return normalQuantile(p);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  // Solve I_x(df/2, 1/2) = 2(1 − p) for x; I_x is increasing in x.
  const target = 2 * (1 - p);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-17; i++) {
    const mid = 0.5 * (lo + hi);
    if (regularizedIncompleteBeta(mid, df / 2, 0.5) < target) lo = mid;
    else hi = mid;
  }
  const x = 0.5 * (lo + hi);
  return Math.sqrt((df * (1 - x)) / x);
}

/** Two-sided critical value t_{1−α/2, df}; `level` 0.95 gives t_{0.975, df}. */
export function tCritical(df: number, level = 0.95): number {
  if (!(level > 0 && level < 1)) throw new ConfigError('tCritical: level', level, 'a confidence level in (0, 1)');
  return tQuantile(1 - (1 - level) / 2, df);
}

export interface ConfidenceInterval {
  readonly n: number;
  readonly mean: number;
  readonly std: number;
  readonly standardError: number;
  /** Degrees of freedom, n − 1. */
  readonly df: number;
  readonly level: number;
  /** t_{1−α/2, n−1} · standard error. */
  readonly halfWidth: number;
  readonly lower: number;
  readonly upper: number;
}

/**
 * Two-sided Student-t confidence interval for the mean (default 95%): mean ± t_{1−α/2, n−1}·s/√n.
 * Needs n ≥ 2.
 */
export function confidenceInterval(xs: ArrayLike<number>, level = 0.95): ConfidenceInterval {
  checkSample('confidenceInterval: sample', xs, 2);
  const m = mean(xs);
  const std = sampleStd(xs);
  const se = std / Math.sqrt(xs.length);
  const df = xs.length - 1;
  const halfWidth = tCritical(df, level) * se;
  return { n: xs.length, mean: m, std, standardError: se, df, level, halfWidth, lower: m - halfWidth, upper: m + halfWidth };
}
