import t from 'tap';
import { gram, type Matrix, solve } from '../../optimizers/linalg.js';
import { minNormFrankWolfe, minNormKkt, minNormPair, minNormWolfe } from '../../optimizers/solvers/min-norm.js';
import { Rng } from '../../src/rng.js';

const rows = (...r: number[][]): Float64Array[] => r.map((x) => Float64Array.from(x));
const close = (a: ArrayLike<number>, b: number[], tol: number): boolean => b.every((v, i) => Math.abs((a[i] as number) - v) <= tol);

/** Brute force: the best affine minimiser over every support whose weights are all ≥ 0. */
function bruteForce(M: Matrix): { x: Float64Array; value: number } {
  const n = M.length;
  let best = { x: new Float64Array(n), value: Infinity };
  for (let mask = 1; mask < 1 << n; mask++) {
    const S = Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i));
    const k = S.length;
    const K: Matrix = Array.from({ length: k + 1 }, () => new Float64Array(k + 1));
    S.forEach((i, a) => {
      S.forEach((j, b) => ((K[a] as Float64Array)[b] = (M[i] as Float64Array)[j] as number));
      (K[a] as Float64Array)[k] = -1;
      (K[k] as Float64Array)[a] = 1;
    });
    let sol: Float64Array;
    try {
      sol = solve(K, Float64Array.from({ length: k + 1 }, (_, i) => (i === k ? 1 : 0)));
    } catch {
      continue;
    }
    if (sol.subarray(0, k).some((v) => v < -1e-12)) continue;
    const x = new Float64Array(n);
    S.forEach((i, a) => (x[i] = Math.max(0, sol[a] as number)));
    const value = minNormKkt(M, x).value;
    if (value < best.value) best = { x, value };
  }
  return best;
}

t.test('two-point rule: hand values and LibMTL clamps', async (t) => {
  t.same(minNormPair(1, 0, 1), { gamma: 0.5, cost: 0.5 });
  t.same(minNormPair(1, 1, 4), { gamma: 0.999, cost: 1 }, 'v1·v2 ≥ v1·v1: 0.999 on the shorter');
  t.same(minNormPair(4, 1, 1), { gamma: 0.001, cost: 1 });
  // v1 = (2, 0), v2 = (0, 1): γ = 1/5, cost = 4/5.
  const r = minNormPair(4, 0, 1);
  t.ok(Math.abs(r.gamma - 0.2) < 1e-16 && Math.abs(r.cost - 0.8) < 1e-15);
});

t.test('hand-solved min-norm problems (Frank-Wolfe as LibMTL, Wolfe exact)', async (t) => {
  const cases: [string, Float64Array[], number[]][] = [
    ['orthonormal triple', rows([1, 0, 0], [0, 1, 0], [0, 0, 1]), [1 / 3, 1 / 3, 1 / 3]],
    ['edge solution', rows([1, 0], [0, 1], [2, 2]), [0.5, 0.5, 0]],
    ['origin inside the hull', rows([1, 0], [-1, 1], [-1, -1]), [0.5, 0.25, 0.25]],
    ['vertex solution', rows([1, 1], [3, 1], [1, 3]), [1, 0, 0]],
  ];
  for (const [name, G, want] of cases) {
    const M = gram(G);
    const w = minNormWolfe(M);
    t.ok(close(w.x, want, 1e-14), `${name}: Wolfe ${Array.from(w.x)} (${w.iterations} cycles)`);
    const fw = minNormFrankWolfe(M);
    t.ok(fw.converged && fw.pairFound, `${name}: Frank-Wolfe converged in ${fw.iterations}`);
    // LibMTL's 0.999 clamp and 1e-5 stopping rule bound its accuracy.
    t.ok(close(fw.x, want, 2e-3), `${name}: Frank-Wolfe ${Array.from(fw.x)}`);
  }
  // n = 2 is solved by the pair rule; n = 1 trivially.
  t.same(Array.from(minNormFrankWolfe(gram(rows([1, 0], [0, 1]))).x), [0.5, 0.5]);
  t.same(Array.from(minNormFrankWolfe(gram(rows([3, 4]))).x), [1]);
});

t.test('random problems: Wolfe matches brute force; Frank-Wolfe is near-optimal', async (t) => {
  const rng = Rng.fromSeed(3);
  let worstW = 0;
  let worstFW = 0;
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + (trial % 5);
    const m = 1 + (trial % 7);
    const G = Array.from({ length: n }, () => Float64Array.from({ length: m }, () => rng.normal() + (trial % 3 === 0 ? 1 : 0)));
    const M = gram(G);
    const bf = bruteForce(M);
    const w = minNormWolfe(M);
    const kw = minNormKkt(M, w.x);
    const scale = Math.max(...M.map((r, i) => r[i] as number));
    worstW = Math.max(worstW, (kw.value - bf.value) / scale);
    if (!(kw.value - bf.value <= 1e-12 * scale && kw.infeasibility <= 1e-14 && kw.gap <= 1e-12)) t.fail(`trial ${trial}: Wolfe value ${kw.value} vs ${bf.value}, gap ${kw.gap}`);
    const fw = minNormFrankWolfe(M);
    if (fw.converged) worstFW = Math.max(worstFW, (minNormKkt(M, fw.x).value - bf.value) / scale);
  }
  t.comment(`worst excess value / max‖g‖²: Wolfe ${worstW.toExponential(2)}, Frank-Wolfe ${worstFW.toExponential(2)}`);
  t.ok(worstW <= 1e-12, 'Wolfe exact');
  t.ok(worstFW <= 1e-3, 'Frank-Wolfe near-optimal');
});

t.test('non-convergence and failure are reported, not silent', async (t) => {
  const M = gram(rows([1, 0, 0.1], [0, 1, 0.1], [0.3, 0.3, 1], [-0.2, 0.5, 0.4]));
  const capped = minNormFrankWolfe(gram(rows([1, 0], [-1, 1], [-1, -1])), { maxIter: 2 });
  t.notOk(capped.converged, 'iteration cap reported');
  t.equal(capped.iterations, 2);
  const huge = minNormFrankWolfe(M.map((r) => r.map((v) => v * 1e10)));
  t.notOk(huge.pairFound, 'every pair cost ≥ 1e8: no starting pair (LibMTL raises here)');
  t.ok(minNormFrankWolfe(M.map((r) => r.map((v) => v * 1e10)), { pairCostBound: Infinity }).pairFound);
  t.throws(() => minNormWolfe([Float64Array.of(NaN, 0), Float64Array.of(0, 1)]), { name: 'NumericalError' });
  t.throws(() => minNormWolfe(gram(rows([1, 0], [0, 1], [1, 1])), 1), { name: 'NumericalError' }, 'cycle cap');
  t.same(Array.from(minNormWolfe(gram(rows([0, 0], [0, 0]))).x), [0.5, 0.5], 'all zero: uniform');
});
