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
 * Method: Newton's method with Nesterov's damping for self-concordant functions. With the Newton
 * decrement λ = sqrt(dᵀ∇²Φ d), the step is d/(1+λ) while λ ≥ 1/4 (it stays inside the domain
 * α > 0 and decreases Φ by at least λ − log(1+λ)), then full steps (quadratic convergence). The
 * problem is solved on K / max diag K (α scales by 1/sqrt of it), started from the diagonal
 * solution α_i = 1/sqrt(K_ii). Typical: 5-12 iterations. Where float64 cannot resolve the residual
 * below tol (nearly cancelling gradients) the result carries status `rounding-floor`; failure (no
 * solution, cap reached, a residual above 1e-2, a non-finite value) raises a NumericalError.
 *
 * Pure math on Float64Array: no tensor framework.
 */
import { NumericalError, ShapeError } from '../../src/errors.js';
import { type Matrix, solve } from '../linalg.js';

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

/** max_i |α_i (Kα)_i − 1|: the optimality residual of the bargaining problem. */
export function nashResidual(K: Matrix, alpha: ArrayLike<number>): number {
  let r = 0;
  K.forEach((row, i) => {
    const Ka = row.reduce((s, v, k) => s + v * (alpha[k] as number), 0);
    r = Math.max(r, Math.abs((alpha[i] as number) * Ka - 1));
  });
  return r;
}

export function solveNashBargaining(K: Matrix, opts: NashOptions = {}): NashResult {
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 200;
  const n = K.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const row = K[i] as Float64Array;
    if (row.length !== n) throw new ShapeError(`nash: row ${i} of K`, [n], [row.length]);
    for (const v of row) if (!Number.isFinite(v)) throw new NumericalError('nash: K has a non-finite entry');
    s = Math.max(s, row[i] as number);
  }
  for (let i = 0; i < n; i++) {
    if (!(((K[i] as Float64Array)[i] as number) > 0)) {
      throw new NumericalError(`nash: task ${i} has a zero gradient, so α_${i} (Kα)_${i} = 1 has no solution`);
    }
  }
  const Kh = K.map((row) => row.map((v) => v / s));
  const b = Float64Array.from(Kh, (row, i) => 1 / Math.sqrt(row[i] as number));
  const Kb = (): Float64Array => Float64Array.from(Kh, (row) => row.reduce((acc, v, k) => acc + v * (b[k] as number), 0));
  let iterations = 0;
  let residual = Infinity;
  let best = Infinity;
  let stalled = 0;
  let localPhase = false;
  for (;;) {
    const kb = Kb();
    residual = 0;
    for (let i = 0; i < n; i++) residual = Math.max(residual, Math.abs((b[i] as number) * (kb[i] as number) - 1));
    if (residual <= Math.max(tol, roundingFloor(Kh, b))) break;
    // Rounding floor above tol (ill-conditioned K): stop once full Newton steps stop improving
    // the residual (in the damped phase only Φ decreases monotonically, not the residual).
    stalled = localPhase && residual >= best ? stalled + 1 : 0;
    best = Math.min(best, residual);
    if (stalled >= 5 || iterations >= maxIter) break;
    iterations++;
    const grad = Float64Array.from(kb, (v, i) => v - 1 / (b[i] as number));
    const H: Matrix = Kh.map((row, i) => {
      const r = Float64Array.from(row);
      r[i] = (r[i] as number) + 1 / (b[i] as number) ** 2;
      return r;
    });
    let d: Float64Array;
    try {
      d = solve(H, grad.map((g) => -g));
    } catch {
      throw new NumericalError(`nash: singular Newton system at step ${iterations}: α diverges, so no bargaining solution exists (a nonnegative combination of the task gradients vanishes)`);
    }
    let lam2 = 0;
    for (let i = 0; i < n; i++) lam2 -= (grad[i] as number) * (d[i] as number);
    if (lam2 <= 1e-30) break; // At the rounding floor: no further decrease is possible.
    const lam = Math.sqrt(lam2);
    localPhase = lam < 0.25;
    const step = localPhase ? 1 : 1 / (1 + lam);
    for (let i = 0; i < n; i++) b[i] = (b[i] as number) + step * (d[i] as number);
    for (const v of b) {
      if (!(v > 0) || !Number.isFinite(v) || v > 1e150) {
        throw new NumericalError('nash: the iterate left the domain α > 0 or diverged (no bargaining solution exists)');
      }
    }
  }
  const alpha = b.map((v) => v / Math.sqrt(s));
  residual = nashResidual(K, alpha);
  const floor = roundingFloor(Kh, b);
  if (!(residual <= Math.max(tol, 1e-8, 100 * floor) && residual <= 1e-2)) {
    throw new NumericalError(
      iterations >= maxIter
        ? `nash: no convergence after ${maxIter} Newton steps (residual ${residual.toExponential(2)})`
        : `nash: stopped with residual ${residual.toExponential(2)}: the Gram matrix is too ill-conditioned (gradients nearly cancel)`,
    );
  }
  return { alpha, iterations, residual, status: residual <= tol ? 'converged' : 'rounding-floor' };
}

/** The accuracy float64 can give α_i (Kα)_i: a few ulps of its largest term α_i |K_ij| α_j. */
function roundingFloor(K: Matrix, a: Float64Array): number {
  let m = 0;
  K.forEach((row, i) => {
    let t = 0;
    for (let j = 0; j < row.length; j++) t += Math.abs(row[j] as number) * (a[j] as number);
    m = Math.max(m, (a[i] as number) * t);
  });
  return 32 * Number.EPSILON * m;
}
