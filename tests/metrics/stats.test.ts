import t from 'tap';
import { near } from '../helpers/near.js';
import {
  confidenceInterval,
  logGamma,
  mean,
  normalQuantile,
  regularizedIncompleteBeta,
  sampleStd,
  sampleVariance,
  standardError,
  tCritical,
  tQuantile,
} from '../../src/metrics/stats.js';
import { ConfigError } from '../../src/errors.js';

/** [passes, message] for t.ok(...near(...)). */

t.test('mean, sample variance (n − 1), std and standard error by hand', async (t) => {
  const xs = [2, 4, 4, 4, 5, 5, 7, 9];
  // Σx = 40, mean 5; Σ(x − 5)² = 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32; s² = 32/7.
  t.equal(mean(xs), 5);
  t.ok(...near(sampleVariance(xs), 32 / 7, 1e-12, 'variance'));
  t.ok(...near(sampleStd(xs), Math.sqrt(32 / 7), 1e-12, 'std'));
  t.ok(...near(standardError(xs), Math.sqrt(32 / 7) / Math.sqrt(8), 1e-12, 'standard error'));
  t.equal(sampleVariance([1, 3]), 2);
});

t.test('t quantiles against the printed table', async (t) => {
  const table: [number, number][] = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [9, 2.262],
    [10, 2.228],
    [20, 2.086],
    [30, 2.042],
    [120, 1.98],
    [Infinity, 1.96],
  ];
  for (const [df, want] of table) t.ok(...near(tCritical(df), want, 6e-4, `t_{0.975, ${df}}`));
  // Closed forms: df 1 is Cauchy, tan(π(p − ½)); df 2 is (2p − 1)/√(2p(1 − p)).
  for (const p of [0.6, 0.9, 0.975, 0.995]) {
    t.ok(...near(tQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-9 * Math.max(1, Math.tan(Math.PI * (p - 0.5))), `df 1, p ${p}`));
    t.ok(...near(tQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-9, `df 2, p ${p}`));
  }
  t.equal(tQuantile(0.5, 7), 0);
  t.ok(...near(tQuantile(0.025, 4), -tQuantile(0.975, 4), 1e-12, 'symmetry'));
  t.ok(...near(normalQuantile(0.975), 1.959963985, 1e-8, 'normal 0.975'));
  t.ok(...near(normalQuantile(0.001), -3.090232306, 1e-8, 'normal 0.001 (lower tail branch)'));
  // Large df approaches the normal quantile.
  t.ok(...near(tQuantile(0.975, 1e6), 1.959966, 1e-5, 'df 1e6'));
});

t.test('special functions by hand', async (t) => {
  t.ok(...near(logGamma(5), Math.log(24), 1e-12, 'lnΓ(5) = ln 24'));
  t.ok(...near(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12, 'lnΓ(½) = ½ ln π'));
  // I_0.3(2, 3) = Σ_{j=2..4} C(4, j) 0.3^j 0.7^{4−j} = 0.2646 + 0.0756 + 0.0081.
  t.ok(...near(regularizedIncompleteBeta(0.3, 2, 3), 0.3483, 1e-12, 'I_0.3(2, 3)'));
  // I_x(1, 1) = x; I_x(a, 1) = x^a.
  t.ok(...near(regularizedIncompleteBeta(0.42, 1, 1), 0.42, 1e-12, 'I_x(1,1)'));
  t.ok(...near(regularizedIncompleteBeta(0.8, 3, 1), 0.512, 1e-12, 'I_x(3,1)'));
});

t.test('95% confidence interval by hand', async (t) => {
  const xs = [10, 12, 14];
  // mean 12, s = 2, se = 2/√3, t_{0.975,2} = 4.302653.
  const ci = confidenceInterval(xs);
  t.equal(ci.n, 3);
  t.equal(ci.df, 2);
  t.equal(ci.mean, 12);
  t.ok(...near(ci.std, 2, 1e-12, 'std'));
  t.ok(...near(ci.halfWidth, 4.302652730 * (2 / Math.sqrt(3)), 1e-8, 'half width'));
  t.ok(...near(ci.lower, 12 - ci.halfWidth, 1e-12, 'lower'));
  t.ok(...near(ci.upper, 12 + ci.halfWidth, 1e-12, 'upper'));
  const ci90 = confidenceInterval(xs, 0.9);
  t.ok(...near(ci90.halfWidth, 2.919986 * (2 / Math.sqrt(3)), 1e-5, '90% uses t_{0.95,2}'));
});

t.test('bad inputs are ConfigErrors', async (t) => {
  t.throws(() => mean([]), ConfigError);
  t.throws(() => sampleStd([1]), ConfigError);
  t.throws(() => confidenceInterval([1]), ConfigError);
  t.throws(() => mean([1, NaN]), { name: 'ConfigError', message: /mean: sample\[1\]/ });
  t.throws(() => tQuantile(1, 3), ConfigError);
  t.throws(() => tQuantile(0.9, 0), ConfigError);
  t.throws(() => tCritical(3, 1.5), ConfigError);
});
