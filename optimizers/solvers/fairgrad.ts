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
 * Method: Newton's method on Φ with a fraction-to-the-boundary rule (keep w > 0) and Armijo
 * backtracking, on the scaled problem Â = A / max diag A (w = s^{−1/(1+p)} u with Â u = u^{−p}),
 * started from the diagonal solution u_i = Â_ii^{−1/(1+p)}. Stops when the relative residual
 * max_i |w_i^p (Aw)_i − 1| ≤ tol; typical 5-15 iterations. Where float64 cannot resolve the residual below tol
 * (nearly cancelling gradients) the result carries status `rounding-floor`; failure (no solution,
 * cap reached, a residual above 1e-2, a non-finite value) raises a NumericalError.
 * LibMTL instead calls scipy's least_squares (TRF, default tolerances) from w = 1/n and never
 * checks its status.
 *
 * Pure math on Float64Array: no tensor framework.
 */
import { NumericalError, ShapeError } from '../../src/errors.js';
import { type Matrix, solve } from '../linalg.js';

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
  let r = 0;
  A.forEach((row, i) => {
    const Aw = row.reduce((s, v, k) => s + v * (w[k] as number), 0);
    r = Math.max(r, Math.abs((w[i] as number) ** p * Aw - 1));
  });
  return r;
}

export function solveFairGrad(A: Matrix, alpha: number, opts: FairGradOptions = {}): FairGradResult {
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 200;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new NumericalError(`fairgrad: alpha must be a positive number, got ${alpha}`);
  const p = 1 / alpha;
  const n = A.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const row = A[i] as Float64Array;
    if (row.length !== n) throw new ShapeError(`fairgrad: row ${i} of A`, [n], [row.length]);
    for (const v of row) if (!Number.isFinite(v)) throw new NumericalError('fairgrad: A has a non-finite entry');
    s = Math.max(s, row[i] as number);
  }
  for (let i = 0; i < n; i++) {
    if (!(((A[i] as Float64Array)[i] as number) > 0)) {
      throw new NumericalError(`fairgrad: task ${i} has a zero gradient, so (Aw)_${i} = w_${i}^(-1/α) has no solution`);
    }
  }
  const Ah = A.map((row) => row.map((v) => v / s));
  const h = p === 1 ? Math.log : (x: number) => x ** (1 - p) / (1 - p);
  const potential = (u: Float64Array): number => {
    let q = 0;
    for (let i = 0; i < n; i++) {
      const row = Ah[i] as Float64Array;
      let r = 0;
      for (let k = 0; k < n; k++) r += (row[k] as number) * (u[k] as number);
      q += 0.5 * (u[i] as number) * r - h(u[i] as number);
    }
    return q;
  };
  const u = Float64Array.from(Ah, (row, i) => (row[i] as number) ** (-1 / (1 + p)));
  let iterations = 0;
  let residual = Infinity;
  let best = Infinity;
  let stalled = 0;
  let localPhase = false;
  for (;;) {
    const Au = Float64Array.from(Ah, (row) => row.reduce((acc, v, k) => acc + v * (u[k] as number), 0));
    residual = 0;
    for (let i = 0; i < n; i++) residual = Math.max(residual, Math.abs((u[i] as number) ** p * (Au[i] as number) - 1));
    if (residual <= Math.max(tol, roundingFloor(Ah, u, p))) break;
    // Rounding floor above tol (ill-conditioned A): stop once full Newton steps stop improving
    // the residual (in the damped phase only Φ decreases monotonically, not the residual).
    stalled = localPhase && residual >= best ? stalled + 1 : 0;
    best = Math.min(best, residual);
    if (stalled >= 5 || iterations >= maxIter) break;
    iterations++;
    const grad = Float64Array.from(Au, (v, i) => v - (u[i] as number) ** -p);
    const H: Matrix = Ah.map((row, i) => {
      const r = Float64Array.from(row);
      r[i] = (r[i] as number) + p * (u[i] as number) ** (-p - 1);
      return r;
    });
    let d: Float64Array;
    try {
      d = solve(H, grad.map((g) => -g));
    } catch {
      throw new NumericalError(`fairgrad: singular Newton system at step ${iterations}: w diverges, so no solution exists (a nonnegative combination of the task gradients vanishes)`);
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += (grad[i] as number) * (d[i] as number);
    if (-slope <= 1e-30) break; // At the rounding floor.
    let t = 1;
    for (let i = 0; i < n; i++) if ((d[i] as number) < 0) t = Math.min(t, (-0.99 * (u[i] as number)) / (d[i] as number));
    const trial = new Float64Array(n);
    const setTrial = (): void => {
      for (let i = 0; i < n; i++) trial[i] = (u[i] as number) + t * (d[i] as number);
    };
    localPhase = -slope < 1e-6;
    if (localPhase) {
      // Local phase: Φ changes below its own rounding, so Armijo cannot be checked; Newton's full
      // step converges quadratically here.
      setTrial();
    } else {
      const phi0 = potential(u);
      let accepted = false;
      for (let k = 0; k < 60; k++) {
        setTrial();
        if (potential(trial) <= phi0 + 1e-4 * t * slope) {
          accepted = true;
          break;
        }
        t /= 2;
      }
      if (!accepted) break; // No decrease representable: rounding floor.
    }
    let moved = 0;
    for (let i = 0; i < n; i++) moved = Math.max(moved, Math.abs((trial[i] as number) - (u[i] as number)) / (u[i] as number));
    if (moved <= 4 * Number.EPSILON) break; // Rounding floor: the iterate no longer changes.
    u.set(trial);
    for (const v of u) {
      if (!(v > 0) || !Number.isFinite(v) || v > 1e150) {
        throw new NumericalError('fairgrad: the iterate left the domain w > 0 or diverged (no solution exists)');
      }
    }
  }
  const c = s ** (-1 / (1 + p));
  const w = u.map((v) => v * c);
  residual = fairGradResidual(A, w, alpha);
  const floor = roundingFloor(Ah, u, p);
  if (!(residual <= Math.max(tol, 1e-8, 100 * floor) && residual <= 1e-2)) {
    throw new NumericalError(
      iterations >= maxIter
        ? `fairgrad: no convergence after ${maxIter} Newton steps (residual ${residual.toExponential(2)})`
        : `fairgrad: stopped with residual ${residual.toExponential(2)}: the Gram matrix is too ill-conditioned (gradients nearly cancel)`,
    );
  }
  return { w, iterations, residual, status: residual <= tol ? 'converged' : 'rounding-floor' };
}

/** The accuracy float64 can give w_i^p (Aw)_i: a few ulps of its largest term w_i^p |A_ij| w_j. */
function roundingFloor(A: Matrix, u: Float64Array, p: number): number {
  let m = 0;
  A.forEach((row, i) => {
    let t = 0;
    for (let j = 0; j < row.length; j++) t += Math.abs(row[j] as number) * (u[j] as number);
    m = Math.max(m, (u[i] as number) ** p * t);
  });
  return 32 * Number.EPSILON * m;
}
