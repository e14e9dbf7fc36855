import t from 'tap';
import { gram, type Matrix } from '../../optimizers/linalg.js';
import { fairGradResidual, solveFairGrad } from '../../optimizers/solvers/fairgrad.js';
import { Rng } from '../../src/rng.js';

const mat = (...r: number[][]): Matrix => r.map((x) => Float64Array.from(x));
const close = (a: ArrayLike<number>, b: number[], tol: number): boolean => b.every((v, i) => Math.abs((a[i] as number) - v) <= tol * Math.abs(v));

t.test('hand-solved FairGrad systems', async (t) => {
  for (const alpha of [0.25, 0.5, 1, 2, 5]) {
    // Diagonal A: w_i = A_ii^{−α/(α+1)}.
    const d = solveFairGrad(mat([4, 0, 0], [0, 0.25, 0], [0, 0, 9]), alpha);
    t.ok(close(d.w, [4, 0.25, 9].map((a) => a ** (-alpha / (alpha + 1))), 1e-13), `α=${alpha} diagonal (${d.iterations} steps)`);
    // Two unit gradients with cosine c: w (1 + c) = w^{−1/α} → w = (1 + c)^{−α/(α+1)}.
    for (const c of [-0.8, 0.3]) {
      const r = solveFairGrad(mat([1, c], [c, 1]), alpha);
      const want = (1 + c) ** (-alpha / (alpha + 1));
      t.ok(close(r.w, [want, want], 1e-12), `α=${alpha} cos ${c}: ${r.w[0]} vs ${want}`);
    }
  }
  // Scale law: A → kA gives w → k^{−α/(α+1)} w.
  const A = gram([Float64Array.of(1, 2, 0), Float64Array.of(-1, 0.5, 1), Float64Array.of(0.2, 0.1, 2)]);
  const w = solveFairGrad(A, 2).w;
  const wk = solveFairGrad(A.map((r) => r.map((v) => v * 1e10)), 2).w;
  t.ok(close(wk.map((v) => v * 1e10 ** (2 / 3)), Array.from(w), 1e-12), 'scale law');
});

t.test('random systems: residual ≤ 1e-12 for several α', async (t) => {
  const rng = Rng.fromSeed(8);
  let worst = 0;
  let most = 0;
  for (let trial = 0; trial < 100; trial++) {
    const n = 2 + (trial % 6);
    const alpha = [0.5, 1, 2, 4][trial % 4] as number;
    const G = Array.from({ length: n }, (_, i) => Float64Array.from({ length: 12 }, () => (0.2 + i) * rng.normal()));
    const A = gram(G);
    const r = solveFairGrad(A, alpha);
    most = Math.max(most, r.iterations);
    worst = Math.max(worst, r.residual);
    if (!(r.residual <= 1e-12 && r.w.every((v) => v > 0))) t.fail(`trial ${trial}: residual ${r.residual}`);
    if (fairGradResidual(A, r.w, alpha) !== r.residual) t.fail(`trial ${trial}: reported residual differs`);
  }
  t.comment(`worst residual ${worst.toExponential(2)}, most Newton steps ${most}`);
  t.ok(worst <= 1e-12);
});

t.test('no solution or no convergence is reported', async (t) => {
  t.throws(() => solveFairGrad(mat([1, 0], [0, 0]), 1), { name: 'NumericalError', message: /zero gradient/ });
  t.throws(() => solveFairGrad(mat([5, -10], [-10, 20]), 1), { name: 'NumericalError' }, 'g_2 = −2 g_1: no solution');
  const hard = gram([Float64Array.of(1, 2, 3), Float64Array.of(-1, -2.002, -3.001)]);
  t.throws(() => solveFairGrad(hard, 1, { maxIter: 2 }), { name: 'NumericalError', message: /no convergence after 2/ }, 'cap reported');
  t.ok(solveFairGrad(hard, 1).residual < 1e-6, 'the same problem converges without the cap');
  t.throws(() => solveFairGrad(mat([1, 0], [0, 1]), 0), { name: 'NumericalError' });
  t.throws(() => solveFairGrad(mat([NaN, 0], [0, 1]), 1), { name: 'NumericalError' });
  t.throws(() => solveFairGrad(mat([1, 0], [0]), 1), { name: 'ShapeError' });
});
