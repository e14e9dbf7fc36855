import t from 'tap';
import { type Matrix, solve } from '../../optimizers/linalg.js';
import { nonnegQpKkt, solveLowerBoundQp, solveNonnegQp } from '../../optimizers/solvers/nonneg-qp.js';
import { Rng } from '../../src/rng.js';

const mat = (...r: number[][]): Matrix => r.map((x) => Float64Array.from(x));
const close = (a: ArrayLike<number>, b: number[], tol: number): boolean => b.every((v, i) => Math.abs((a[i] as number) - v) <= tol);

/** Brute force over every free set: the feasible stationary point with the lowest objective. */
function bruteForce(Q: Matrix, c: Float64Array): Float64Array {
  const n = Q.length;
  let best = new Float64Array(n);
  let bestVal = 0;
  for (let mask = 1; mask < 1 << n; mask++) {
    const F = Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i));
    const z = solve(F.map((i) => Float64Array.from(F, (j) => (Q[i] as Float64Array)[j] as number)), F.map((i) => -(c[i] as number)));
    if (z.some((v) => v < 0)) continue;
    const x = new Float64Array(n);
    F.forEach((i, a) => (x[i] = z[a] as number));
    let val = 0;
    for (let i = 0; i < n; i++) {
      val += (c[i] as number) * (x[i] as number);
      for (let j = 0; j < n; j++) val += 0.5 * (x[i] as number) * ((Q[i] as Float64Array)[j] as number) * (x[j] as number);
    }
    if (val < bestVal) {
      bestVal = val;
      best = x;
    }
  }
  return best;
}

t.test('hand-solved nonnegative QPs', async (t) => {
  t.same(Array.from(solveNonnegQp(mat([1, 0], [0, 1]), [-1, 2]).x), [1, 0], 'separable');
  t.ok(close(solveNonnegQp(mat([2, 1], [1, 2]), [-1, -1]).x, [1 / 3, 1 / 3], 1e-15), 'interior optimum Q⁻¹(1, 1)');
  // Unconstrained optimum (7.63, −7.37) is infeasible; the optimum is (1, 0), with ∂_2 = 1.4 ≥ 0.
  const r = solveNonnegQp(mat([1, 0.9], [0.9, 1]), [-1, 0.5]);
  t.ok(close(r.x, [1, 0], 1e-15), `bound active: ${Array.from(r.x)}`);
  t.same(r.free, [0]);
  t.same(Array.from(solveNonnegQp(mat([1, 0], [0, 1]), [1, 1]).x), [0, 0], 'c ≥ 0: x = 0');
  // Lower-bound form (UPGrad's QP): Ĝ = [[1, −1], [−1, 2]] / 3, v ≥ (1/2, 0) → (1/2, 1/4).
  const Q = mat([1 / 3, -1 / 3], [-1 / 3, 2 / 3]);
  t.ok(close(solveLowerBoundQp(Q, [0.5, 0]).x, [0.5, 0.25], 1e-15), 'v ≥ (1/2, 0)');
  t.ok(close(solveLowerBoundQp(Q, [0, 0.5]).x, [0.5, 0.5], 1e-15), 'v ≥ (0, 1/2)');
  // A 3×3 case with one bound: Q = I, c = (−1, −2, 3) → (1, 2, 0).
  t.same(Array.from(solveNonnegQp(mat([1, 0, 0], [0, 1, 0], [0, 0, 1]), [-1, -2, 3]).x), [1, 2, 0]);
});

t.test('random positive definite QPs: exact optimum (brute force) and KKT', async (t) => {
  const rng = Rng.fromSeed(17);
  let worst = 0;
  let maxIter = 0;
  for (let trial = 0; trial < 150; trial++) {
    const n = 1 + (trial % 8);
    const B = Array.from({ length: n + 2 }, () => Float64Array.from({ length: n }, () => rng.normal()));
    const Q: Matrix = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => B.reduce((s, r) => s + (r[i] as number) * (r[j] as number), 0) + (i === j ? 1e-3 : 0)));
    const c = Float64Array.from({ length: n }, () => rng.normal());
    const r = solveNonnegQp(Q, c);
    maxIter = Math.max(maxIter, r.iterations);
    const want = bruteForce(Q, c);
    const scale = Math.max(1, ...Array.from(want, Math.abs));
    const err = Math.max(...Array.from(r.x, (v, i) => Math.abs(v - (want[i] as number)))) / scale;
    worst = Math.max(worst, err);
    const k = nonnegQpKkt(Q, c, r.x);
    if (!(err <= 1e-10 && k.infeasibility === 0 && k.dualInfeasibility <= 1e-12 && k.complementarity <= 1e-12)) {
      t.fail(`trial ${trial} (n=${n}): error ${err}, KKT ${JSON.stringify(k)}`);
    }
  }
  t.comment(`worst relative error vs brute force ${worst.toExponential(2)}; most active-set steps ${maxIter}`);
  t.ok(worst <= 1e-10);
});

t.test('failures are reported: iteration cap, non-finite data, shapes', async (t) => {
  t.throws(() => solveNonnegQp(mat([1, 0], [0, 1]), [-1, -1], 1), { name: 'NumericalError', message: /no convergence/ });
  t.throws(() => solveNonnegQp(mat([NaN, 0], [0, 1]), [-1, -1]), { name: 'NumericalError' });
  t.throws(() => solveNonnegQp(mat([1, 0], [0, 1]), [-1]), { name: 'ShapeError' });
  t.throws(() => solveLowerBoundQp(mat([1, 0], [0, 1]), [0]), { name: 'ShapeError' });
  t.throws(() => solveNonnegQp(mat([0, 0], [0, 0]), [-1, -1]), { name: 'NumericalError' }, 'unbounded (singular Q)');
});
