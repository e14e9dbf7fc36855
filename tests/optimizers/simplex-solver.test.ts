import t from 'tap';
import { gram, type Matrix } from '../../optimizers/linalg.js';
import { frankWolfeGap, linearPlusNormObjective, minimizeLinearPlusNorm } from '../../optimizers/solvers/simplex.js';
import { NumericalError, ShapeError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';

const M = (rows: number[][]): Matrix => rows.map((r) => Float64Array.from(r));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (x, i) => Math.abs(x - (b[i] as number))));

/** CAGrad's instance for gradients G: A = G Gᵀ, b = A·1/n, c = calpha·sqrt(mean A + 1e-8) + 1e-8. */
function cagradProblem(G: Float64Array[], calpha = 0.5): { A: Matrix; b: Float64Array; c: number } {
  const n = G.length;
  const A = gram(G);
  let mean = 0;
  for (const row of A) for (const v of row) mean += v / (n * n);
  return { A, b: Float64Array.from(A, (row) => row.reduce((s, v) => s + v / n, 0)), c: calpha * Math.sqrt(mean + 1e-8) + 1e-8 };
}

/** Independent reference for n = 3: nested golden-section searches (the objective is convex). */
function bruteForce3(f: (x: number[]) => number): { x: number[]; f: number } {
  const golden = (h: (s: number) => number, lo: number, hi: number): number => {
    const r = (Math.sqrt(5) - 1) / 2;
    let a = lo;
    let b = hi;
    for (let i = 0; i < 120; i++) {
      const c = b - r * (b - a);
      const d = a + r * (b - a);
      if (h(c) < h(d)) b = d;
      else a = c;
    }
    return (a + b) / 2;
  };
  const inner = (x1: number): number => golden((x2) => f([x1, x2, 1 - x1 - x2]), 0, 1 - x1);
  const x1 = golden((x1) => f([x1, inner(x1), 1 - x1 - inner(x1)]), 0, 1);
  const x2 = inner(x1);
  const x = [x1, x2, Math.max(1 - x1 - x2, 0)];
  return { x, f: f(x) };
}

t.test('hand-solved cases', async (t) => {
  t.test('one task: x = 1', async (t) => {
    const s = minimizeLinearPlusNorm(M([[4]]), [2], 1, 1e-8);
    t.same(Array.from(s.x), [1]);
    t.ok(s.converged);
  });

  t.test('no norm term (c = 0) or A = 0: the vertex with the smallest b, ties shared', async (t) => {
    t.same(Array.from(minimizeLinearPlusNorm(M([[1, 0.2], [0.2, 3]]), [0.5, -1], 0, 0).x), [0, 1]);
    t.same(Array.from(minimizeLinearPlusNorm(M([[0, 0, 0], [0, 0, 0], [0, 0, 0]]), [1, 0, 0], 2, 1e-8).x), [0, 0.5, 0.5]);
  });

  t.test('orthonormal gradients: the uniform point', async (t) => {
    // A = I, b = 1/n: f = 1/n + c·sqrt(‖x‖² + δ), minimised by the least-norm point of the simplex.
    for (const n of [2, 3, 5]) {
      const I = M(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))));
      const s = minimizeLinearPlusNorm(I, new Float64Array(n).fill(1 / n), 0.7, 1e-8);
      t.ok(maxDiff(s.x, new Float64Array(n).fill(1 / n)) < 1e-12, `n=${n}`);
      t.ok(s.converged);
    }
  });

  t.test('opposite gradients: the midpoint (g_x = 0)', async (t) => {
    // g1 = (1, 0), g2 = (−1, 0): A = [[1, −1], [−1, 1]], b = 0, f = c·sqrt((x1 − x2)² + δ).
    const s = minimizeLinearPlusNorm(M([[1, -1], [-1, 1]]), [0, 0], 1, 1e-8);
    t.ok(maxDiff(s.x, [0.5, 0.5]) < 1e-9, `x = ${Array.from(s.x)}`);
    t.ok(Math.abs(s.objective - 1e-4) < 1e-12, 'f = c·sqrt(δ)');
    t.ok(s.converged);
  });

  t.test('two tasks, interior optimum from the stationarity condition', async (t) => {
    // g1 = (2, 0), g2 = (0, 1): A = diag(4, 1), b = (2, ½), c = 10, δ = 0; with x = (p, 1 − p),
    // f'(p) = 1.5 + 10(5p − 1)/sqrt(5p² − 2p + 1) = 0  ⇔  24.8875p² − 9.955p + 0.9775 = 0, p < 1/5.
    const p = (9.955 - Math.sqrt(9.955 ** 2 - 4 * 24.8875 * 0.9775)) / (2 * 24.8875);
    const s = minimizeLinearPlusNorm(M([[4, 0], [0, 1]]), [2, 0.5], 10, 0);
    t.ok(Math.abs((s.x[0] as number) - p) < 1e-10, `p = ${s.x[0]} (want ${p})`);
    t.ok(s.converged);
  });

  t.test('a vertex optimum', async (t) => {
    // g1 = (1, 0), g2 = (10, 0): f = 5.5x1 + 55x2 + c|x1 + 10x2| grows towards task 2.
    const s = minimizeLinearPlusNorm(M([[1, 10], [10, 100]]), [5.5, 55], 0.3, 1e-8);
    t.ok(maxDiff(s.x, [1, 0]) < 1e-12, `x = ${Array.from(s.x)}`);
    t.ok(s.converged);
  });

  t.test('duplicated tasks: a flat direction, the optimal value is still reached', async (t) => {
    // Tasks 1 and 2 identical: only x1 + x2 matters. Reduce to the two-task problem above.
    const G = [Float64Array.of(2, 0), Float64Array.of(2, 0), Float64Array.of(0, 1)];
    const { A, b, c } = cagradProblem(G, 0.9);
    const s = minimizeLinearPlusNorm(A, b, c, 1e-8);
    const ref = bruteForce3((x) => linearPlusNormObjective(A, b, c, 1e-8, x));
    t.ok(s.objective <= ref.f + 1e-12 * Math.abs(ref.f), `f = ${s.objective}, reference ${ref.f}`);
    t.ok(s.converged);
  });
});

t.test('scale invariance: (k²A, k²b, kc, k²δ) has the same minimiser', async (t) => {
  const r = Rng.fromSeed(5);
  const G = Array.from({ length: 3 }, () => Float64Array.from({ length: 6 }, () => r.normal()));
  const { A, b, c } = cagradProblem(G);
  const base = minimizeLinearPlusNorm(A, b, c, 1e-8).x;
  for (const k of [1e-6, 1e-2, 1e3, 1e8]) {
    const s = minimizeLinearPlusNorm(
      A.map((row) => row.map((v) => v * k * k)),
      b.map((v) => v * k * k),
      c * k,
      1e-8 * k * k,
    );
    t.ok(maxDiff(s.x, base) < 1e-9, `k=${k}: |Δx| = ${maxDiff(s.x, base).toExponential(2)}`);
    t.ok(s.converged, `k=${k}: certified`);
  }
});

t.test('badly scaled CAGrad instances (where SLSQP stalls) against an independent search', async (t) => {
  const r = Rng.fromSeed(3);
  const scenarios: [string, number[], number][] = [
    ['magnitude gap 1e-4/1/1e3', [1e-4, 1, 1e3], 0.5],
    ['gap 1e-4/1e-2/1', [1e-4, 1e-2, 1], 0.2],
    ['huge scale ×1e5', [1e5, 1e5, 1e5], 0.5],
    ['tiny scale ×1e-6', [1e-6, 1e-6, 1e-6], 0.5],
    ['one zero gradient', [0, 1, 1], 0.5],
  ];
  for (const [what, scales, calpha] of scenarios) {
    for (let trial = 0; trial < 2; trial++) {
      const G = scales.map((s) => Float64Array.from({ length: 20 }, () => r.normal() * s));
      const { A, b, c } = cagradProblem(G, calpha);
      const s = minimizeLinearPlusNorm(A, b, c, 1e-8);
      const ref = bruteForce3((x) => linearPlusNormObjective(A, b, c, 1e-8, x));
      const uniform = linearPlusNormObjective(A, b, c, 1e-8, [1 / 3, 1 / 3, 1 / 3]);
      t.ok(s.converged, `${what} #${trial}: certified (gap ${s.gap.toExponential(2)} <= ${s.tolerance.toExponential(2)})`);
      t.ok(s.objective <= ref.f + 1e-9 * Math.abs(ref.f), `${what} #${trial}: f = ${s.objective.toExponential(9)} <= search ${ref.f.toExponential(9)}`);
      t.ok(s.objective <= uniform, `${what} #${trial}: no worse than SLSQP's start point`);
      t.ok(s.x.every((v) => v >= 0) && Math.abs(s.x.reduce((p, q) => p + q, 0) - 1) < 1e-14, 'feasible');
    }
  }
});

t.test('random instances: certificate and feasibility', async (t) => {
  const r = Rng.fromSeed(11);
  for (let trial = 0; trial < 20; trial++) {
    const n = 2 + (trial % 5);
    const G = Array.from({ length: n }, () => Float64Array.from({ length: 4 }, () => r.normal() * Math.exp(2 * r.normal())));
    const { A, b, c } = cagradProblem(G, 0.1 + 0.1 * (trial % 8));
    const s = minimizeLinearPlusNorm(A, b, c, 1e-8);
    t.ok(s.converged && s.gap <= s.tolerance, `n=${n} #${trial}: certified`);
    // The certificate is a valid bound: no vertex or random point is better by more than the gap.
    for (let k = 0; k < 50; k++) {
      const y = Float64Array.from({ length: n }, () => -Math.log(1 - r.uniform()));
      const sy = y.reduce((p, q) => p + q, 0);
      const fy = linearPlusNormObjective(A, b, c, 1e-8, y.map((v) => v / sy));
      if (fy < s.objective - s.gap - 1e-12 * Math.abs(s.objective)) t.fail(`n=${n} #${trial}: a random point beats the certified optimum`);
    }
  }
});

t.test('non-convergence is reported, bad input raises', async (t) => {
  const { A, b, c } = cagradProblem([Float64Array.of(1, 0.2), Float64Array.of(-0.3, 1), Float64Array.of(0.5, 0.5)]);
  const s = minimizeLinearPlusNorm(A, b, c, 1e-8, { maxNewton: 3 });
  t.notOk(s.converged, 'a 3-step budget is not enough');
  t.ok(s.gap > s.tolerance, 'and the gap says so');
  t.equal(s.iterations, 3);
  t.throws(() => minimizeLinearPlusNorm(M([[1, 0], [0, 1]]), [1], 1, 0), ShapeError);
  t.throws(() => minimizeLinearPlusNorm(M([[1, 0], [0]]), [1, 1], 1, 0), ShapeError);
  t.throws(() => minimizeLinearPlusNorm(M([[NaN, 0], [0, 1]]), [1, 1], 1, 0), NumericalError);
  t.throws(() => minimizeLinearPlusNorm(M([[1, 0], [0, 1]]), [1, 1], -1, 0), NumericalError);
  t.equal(frankWolfeGap([1, 2, 3], [0.5, 0.5, 0]), 0.5, 'Frank-Wolfe gap by hand');
});
