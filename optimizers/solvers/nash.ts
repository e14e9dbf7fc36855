/**
 * Nash-MTL's bargaining problem: given K = G Gᵀ (n×n, positive semidefinite), find α > 0 with
 *   α_i (K α)_i = 1  for every i,
 * i.e. the gradient g_i · d of every task along d = Gᵀα is 1/α_i (Navon et al., ICML 2022).
 *
 * These are the optimality conditions of the strictly convex, self-concordant potential
 *   Φ(α) = ½ αᵀ K α − Σ_i log α_i      (∇Φ = Kα − 1/α, ∇²Φ = K + diag(1/α²)),
 * so the solution is unique when it exists. It exists unless some nonnegative combination of the
 * task gradients vanishes (then Φ is unbounded below along it; e.g. a zero gradient, or g_2 = −g_1).
 *
 * Method: Newton's method (the driver in `newton.ts`) with Nesterov's damping for self-concordant
 * functions. With the Newton decrement λ = sqrt(dᵀ∇²Φ d), the step is d/(1+λ) while λ ≥ 1/4 (it
 * stays inside the domain α > 0 and decreases Φ by at least λ − log(1+λ)), then full steps
 * (quadratic convergence). The
 * problem is solved on K / max diag K (α scales by 1/sqrt of it), started from the diagonal
 * solution α_i = 1/sqrt(K_ii). Typical: 5-12 iterations. Where float64 cannot resolve the residual
 * below tol (nearly cancelling gradients) the result carries status `rounding-floor`; failure (no
 * solution, cap reached, a residual above 1e-2, a non-finite value) raises a NumericalError.
 *
 * Pure math on Float64Array: no tensor framework.
 */
import type { Matrix } from '../linalg.js';
import { barrierNewton, productResidual } from './newton.js';

export interface NashOptions {
  /** Stop when max_i |α_i (Kα)_i − 1| ≤ tol (default 1e-12). */
  readonly tol?: number;
  readonly maxIter?: number;
}

export interface NashResult {
  readonly alpha: Float64Array;
  readonly iterations: number;
  /** max_i |α_i (Kα)_i − 1| at the returned α. */
  readonly residual: number;
  /**
   * `converged`: residual ≤ tol. `rounding-floor`: the residual stopped improving above tol but
   * within what float64 can resolve for this K (nearly cancelling gradients); still ≤ 1e-2.
   */
  readonly status: 'converged' | 'rounding-floor';
}

const identity = (v: number): number => v;

/** max_i |α_i (Kα)_i − 1|: the optimality residual of the bargaining problem. */
export function nashResidual(K: Matrix, alpha: ArrayLike<number>): number {
  return productResidual(K, alpha, identity);
}

export function solveNashBargaining(K: Matrix, opts: NashOptions = {}): NashResult {
  const r = barrierNewton(K, {
    name: 'nash',
    matrix: 'K',
    variable: 'α',
    solution: 'bargaining solution',
    zeroGradientEquation: (i) => `α_${i} (Kα)_${i} = 1`,
    factor: identity,
    barrierSlope: (v) => 1 / v,
    barrierCurvature: (v) => 1 / v ** 2,
    start: (diag) => 1 / Math.sqrt(diag),
    step(_K, b, d, decrement) {
      const lam = Math.sqrt(decrement);
      const local = lam < 0.25;
      const step = local ? 1 : 1 / (1 + lam);
      return { next: Float64Array.from(b, (v, i) => v + step * (d[i] as number)), local };
    },
    unscale: (b, s) => b.map((v) => v / Math.sqrt(s)),
  }, opts);
  return { alpha: r.x, iterations: r.iterations, residual: r.residual, status: r.status };
}
