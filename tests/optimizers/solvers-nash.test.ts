import t from 'tap';
import { gram, type Matrix } from '../../optimizers/linalg.js';
import { solveFairGrad } from '../../optimizers/solvers/fairgrad.js';
import { nashResidual, solveNashBargaining } from '../../optimizers/solvers/nash.js';
import { Rng } from '../../src/rng.js';

const mat = (...r: number[][]): Matrix => r.map((x) => Float64Array.from(x));
const close = (a: ArrayLike<number>, b: number[], tol: number): boolean => b.every((v, i) => Math.abs((a[i] as number) - v) <= tol * Math.abs(v));

t.test('hand-solved bargaining problems', async (t) => {
  // Diagonal K: α_i = 1/sqrt(K_ii).
  const d = solveNashBargaining(mat([4, 0, 0], [0, 0.25, 0], [0, 0, 9]));
  t.ok(close(d.alpha, [0.5, 2, 1 / 3], 1e-15), `diagonal: ${Array.from(d.alpha)} in ${d.iterations} steps`);
  // Two unit gradients with cosine c: α = 1/sqrt(1 + c) each.
  for (const c of [-0.9, -0.3, 0, 0.5, 0.99]) {
    const r = solveNashBargaining(mat([1, c], [c, 1]));
    t.ok(close(r.alpha, [1 / Math.sqrt(1 + c), 1 / Math.sqrt(1 + c)], 1e-12), `cos ${c}: ${Array.from(r.alpha)}`);
  }
  // Scaling: α(kK) = α(K)/sqrt(k).
  const K = gram([Float64Array.of(1, 2, 0), Float64Array.of(-1, 0.5, 1), Float64Array.of(0.2, 0.1, 2)]);
  const a = solveNashBargaining(K).alpha;
  const b = solveNashBargaining(K.map((r) => r.map((v) => v * 1e10))).alpha;
  t.ok(close(b.map((v) => v * 1e5), Array.from(a), 1e-12), 'α(1e10 K) = α(K)/1e5');
});

t.test('random problems: optimality conditions, uniqueness (agrees with FairGrad α = 1)', async (t) => {
  const rng = Rng.fromSeed(5);
  let worst = 0;
  let most = 0;
  for (let trial = 0; trial < 100; trial++) {
    const n = 2 + (trial % 6);
    const G = Array.from({ length: n }, (_, i) => Float64Array.from({ length: 12 }, () => (0.2 + i) * rng.normal()));
    const K = gram(G);
    const r = solveNashBargaining(K);
    most = Math.max(most, r.iterations);
    worst = Math.max(worst, r.residual);
    if (!(r.residual <= 1e-12 && r.alpha.every((v) => v > 0) && r.status === 'converged')) t.fail(`trial ${trial}: residual ${r.residual}`);
    if (Math.abs(nashResidual(K, r.alpha) - r.residual) > 0) t.fail(`trial ${trial}: reported residual differs`);
    const f = solveFairGrad(K, 1).w;
    if (!close(r.alpha, Array.from(f), 1e-10)) t.fail(`trial ${trial}: differs from the FairGrad solver`);
  }
  t.comment(`worst residual ${worst.toExponential(2)}, most Newton steps ${most}`);
  t.ok(worst <= 1e-12);
});

t.test('no solution or no convergence is reported', async (t) => {
  t.throws(() => solveNashBargaining(mat([1, 0], [0, 0])), { name: 'NumericalError', message: /zero gradient/ });
  t.throws(() => solveNashBargaining(mat([5, -10], [-10, 20])), { name: 'NumericalError' }, 'g_2 = −2 g_1: no solution');
  const hard = gram([Float64Array.of(1, 2, 3), Float64Array.of(-1, -2.002, -3.001)]);
  t.throws(() => solveNashBargaining(hard, { maxIter: 2 }), { name: 'NumericalError', message: /no convergence after 2/ }, 'cap reported');
  t.throws(() => solveNashBargaining(mat([Infinity, 0], [0, 1])), { name: 'NumericalError' });
  t.throws(() => solveNashBargaining(mat([1, 0], [0])), { name: 'ShapeError' });
  // Nearly cancelling gradients: solved to the accuracy float64 allows, flagged.
  const g = Float64Array.of(1, 2, 3);
  const r = solveNashBargaining(gram([g, g.map((v, k) => -v * (1 + 1e-3 * (k - 1)))]));
  t.ok(r.residual <= 1e-6, `near-opposed (1e-3): residual ${r.residual.toExponential(1)}, status ${r.status}`);
});
