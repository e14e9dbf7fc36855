/**
 * FairGrad's nonlinear system: given A = G Gᵀ (n×n, positive semidefinite) and α > 0, find w > 0 with
 *   A w = w^{−1/α}   (elementwise power),
 * i.e. every task's rate of improvement g_i · d along d = Gᵀw equals w_i^{−1/α} (α-fair allocation;
 * α = 1 is Nash-MTL's proportional fairness).
 *
 * With p = 1/α these are the optimality conditions of the strictly convex potential
 *   Φ(w) = ½ wᵀ A w − Σ_i h(w_i),  h(w) = log w (p = 1) or w^{1−p}/(1−p),
 * (∇Φ = Aw − w^{−p}, ∇²Φ = A + p·diag(w^{−p−1})), so the solution is unique when it exists; it
 * exists unless a nonnegative combination of the gradients vanishes (a zero gradient, g_2 = −g_1).
 *
 * Method: Newton's method on Φ (the driver in `newton.ts`) with a fraction-to-the-boundary rule
 * (keep w > 0) and Armijo backtracking, on the scaled problem Â = A / max diag A
 * (w = s^{−1/(1+p)} u with Â u = u^{−p}), started from the diagonal solution u_i = Â_ii^{−1/(1+p)}.
 * Stops when the relative residual
 * max_i |w_i^p (Aw)_i − 1| ≤ tol; typical 5-15 iterations. Where float64 cannot resolve the residual below tol
 * (nearly cancelling gradients) the result carries status `rounding-floor`; failure (no solution,
 * cap reached, a residual above 1e-2, a non-finite value) raises a NumericalError.
 * LibMTL instead calls scipy's least_squares (TRF, default tolerances) from w = 1/n and never
 * checks its status.
 *
 * Pure math on Float64Array: no tensor framework.
 */
import { NumericalError } from '../../src/errors.js';
import type { Matrix } from '../linalg.js';
import { barrierNewton, productResidual } from './newton.js';

export interface FairGradOptions {
  /** Stop when max_i |w_i^p (Aw)_i − 1| ≤ tol (default 1e-12). */
  readonly tol?: number;
  readonly maxIter?: number;
}

export interface FairGradResult {
  readonly w: Float64Array;
  readonly iterations: number;
  /** max_i |w_i^{1/α} (Aw)_i − 1| at the returned w. */
  readonly residual: number;
  /**
   * `converged`: residual ≤ tol. `rounding-floor`: the residual stopped improving above tol but
   * within what float64 can resolve for this A (nearly cancelling gradients); still ≤ 1e-2.
   */
  readonly status: 'converged' | 'rounding-floor';
}

/** Relative residual max_i |w_i^{1/α} (Aw)_i − 1| of A w = w^{−1/α}. */
export function fairGradResidual(A: Matrix, w: ArrayLike<number>, alpha: number): number {
  const p = 1 / alpha;
  return productResidual(A, w, (v) => v ** p);
}

export function solveFairGrad(A: Matrix, alpha: number, opts: FairGradOptions = {}): FairGradResult {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new NumericalError(`fairgrad: alpha must be a positive number, got ${alpha}`);
  const p = 1 / alpha;
  const n = A.length;
  const h = p === 1 ? Math.log : (x: number) => x ** (1 - p) / (1 - p);
  /** Φ(u) = ½ uᵀÂu − Σ h(u_i) on the scaled matrix Â. */
  const potential = (Ah: Matrix, u: Float64Array): number => {
    let q = 0;
    for (let i = 0; i < n; i++) {
      const row = Ah[i] as Float64Array;
      let r = 0;
      for (let k = 0; k < n; k++) r += (row[k] as number) * (u[k] as number);
      q += 0.5 * (u[i] as number) * r - h(u[i] as number);
    }
    return q;
  };
  const r = barrierNewton(A, {
    name: 'fairgrad',
    matrix: 'A',
    variable: 'w',
    solution: 'solution',
    zeroGradientEquation: (i) => `(Aw)_${i} = w_${i}^(-1/α)`,
    factor: (v) => v ** p,
    barrierSlope: (v) => v ** -p,
    barrierCurvature: (v) => p * v ** (-p - 1),
    start: (diag) => diag ** (-1 / (1 + p)),
    step(Ah, u, d, decrement) {
      const slope = -decrement;
      let t = 1;
      for (let i = 0; i < n; i++) if ((d[i] as number) < 0) t = Math.min(t, (-0.99 * (u[i] as number)) / (d[i] as number));
      const trial = new Float64Array(n);
      const setTrial = (): void => {
        for (let i = 0; i < n; i++) trial[i] = (u[i] as number) + t * (d[i] as number);
      };
      const local = decrement < 1e-6;
      if (local) {
        // Local phase: Φ changes below its own rounding, so Armijo cannot be checked; Newton's full
        // step converges quadratically here.
        setTrial();
      } else {
        const phi0 = potential(Ah, u);
        let accepted = false;
        for (let k = 0; k < 60; k++) {
          setTrial();
          if (potential(Ah, trial) <= phi0 + 1e-4 * t * slope) {
            accepted = true;
            break;
          }
          t /= 2;
        }
        if (!accepted) return { next: null, local }; // No decrease representable: rounding floor.
      }
      let moved = 0;
      for (let i = 0; i < n; i++) moved = Math.max(moved, Math.abs((trial[i] as number) - (u[i] as number)) / (u[i] as number));
      if (moved <= 4 * Number.EPSILON) return { next: null, local }; // Rounding floor: the iterate no longer changes.
      return { next: trial, local };
    },
    unscale: (u, s) => {
      const c = s ** (-1 / (1 + p));
      return u.map((v) => v * c);
    },
  }, opts);
  return { w: r.x, iterations: r.iterations, residual: r.residual, status: r.status };
}
