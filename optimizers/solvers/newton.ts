/**
 * The Newton driver shared by the Nash-MTL and FairGrad solvers. Both find x > 0 with
 *   φ(x_i) (A x)_i = 1   for every i   (A = G Gᵀ, n×n, positive semidefinite),
 * the optimality conditions of the strictly convex potential Φ(x) = ½ xᵀAx − Σ_i h(x_i) with
 * h' = 1/φ: Nash-MTL φ(x) = x (h = log), FairGrad φ(x) = x^p (p = 1/α).
 *
 * The driver solves the scaled problem Â = A / max diag A from a diagonal start, takes Newton
 * directions d = −(∇²Φ)⁻¹∇Φ, and leaves the step length to the problem (self-concordant damping,
 * or a fraction-to-the-boundary rule with Armijo backtracking). It stops when the relative residual
 * max_i |φ(x_i)(Ax)_i − 1| ≤ tol, or at what float64 can resolve (status `rounding-floor`: the
 * residual stopped improving, the Newton decrement or the step vanished); failure (a zero gradient,
 * a singular Newton system, the iterate leaving x > 0, the cap reached, a final residual above 1e-2)
 * raises a NumericalError whose message names the problem.
 *
 * Pure math on Float64Array: no tensor framework.
 */
import { NumericalError, ShapeError } from '../../src/errors.js';
import { type Matrix, solve } from '../linalg.js';

/** One problem of the family: its terms, its step-length rule, and the words its errors use. */
export interface BarrierProblem {
  /** Error-message prefix, e.g. `nash`. */
  readonly name: string;
  /** The matrix's name in messages (`K`, `A`). */
  readonly matrix: string;
  /** The unknown's name in messages (`α`, `w`). */
  readonly variable: string;
  /** What does not exist when the iteration diverges (`solution`, `bargaining solution`). */
  readonly solution: string;
  /** Task i's equation, for the zero-gradient error (e.g. `α_0 (Kα)_0 = 1`). */
  zeroGradientEquation(i: number): string;
  /** φ(x): the residual of task i is φ(x_i)(Ax)_i − 1. */
  factor(x: number): number;
  /** h'(x): ∇Φ = Ax − h'(x). */
  barrierSlope(x: number): number;
  /** −h''(x): ∇²Φ = A + diag(−h''(x)). */
  barrierCurvature(x: number): number;
  /** The starting x_i from the scaled diagonal Â_ii (the solution when Â is diagonal). */
  start(diag: number): number;
  /**
   * The step along the Newton direction d from x on the scaled matrix, given the squared Newton
   * decrement λ² = −∇Φ·d > 0: the next iterate (null: stop, at the rounding floor) and whether the
   * method is in its local (full-step) phase, where a residual that stops improving means the floor.
   */
  step(A: Matrix, x: Float64Array, d: Float64Array, decrement: number): { readonly next: Float64Array | null; readonly local: boolean };
  /** x for the original matrix from x for Â = A / s. */
  unscale(x: Float64Array, s: number): Float64Array;
}

export interface BarrierOptions {
  /** Stop when max_i |φ(x_i)(Ax)_i − 1| ≤ tol (default 1e-12). */
  readonly tol?: number;
  readonly maxIter?: number;
}

export interface BarrierResult {
  readonly x: Float64Array;
  readonly iterations: number;
  /** max_i |φ(x_i)(Ax)_i − 1| at the returned x. */
  readonly residual: number;
  /**
   * `converged`: residual ≤ tol. `rounding-floor`: the residual stopped improving above tol but
   * within what float64 can resolve for this A (nearly cancelling gradients); still ≤ 1e-2.
   */
  readonly status: 'converged' | 'rounding-floor';
}

/** max_i |φ(x_i)(Ax)_i − 1|: the relative residual of the conditions. */
export function productResidual(A: Matrix, x: ArrayLike<number>, factor: (v: number) => number): number {
  let r = 0;
  A.forEach((row, i) => {
    const Ax = row.reduce((s, v, k) => s + v * (x[k] as number), 0);
    r = Math.max(r, Math.abs(factor(x[i] as number) * Ax - 1));
  });
  return r;
}

/** Solve φ(x_i)(Ax)_i = 1 for x > 0 by Newton's method on Φ (see the header). */
export function barrierNewton(A: Matrix, problem: BarrierProblem, opts: BarrierOptions = {}): BarrierResult {
  const { name, factor } = problem;
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 200;
  const n = A.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const row = A[i] as Float64Array;
    if (row.length !== n) throw new ShapeError(`${name}: row ${i} of ${problem.matrix}`, [n], [row.length]);
    for (const v of row) if (!Number.isFinite(v)) throw new NumericalError(`${name}: ${problem.matrix} has a non-finite entry`);
    s = Math.max(s, row[i] as number);
  }
  for (let i = 0; i < n; i++) {
    if (!(((A[i] as Float64Array)[i] as number) > 0)) {
      throw new NumericalError(`${name}: task ${i} has a zero gradient, so ${problem.zeroGradientEquation(i)} has no solution`);
    }
  }
  const Ah = A.map((row) => row.map((v) => v / s));
  const x = Float64Array.from(Ah, (row, i) => problem.start(row[i] as number));
  const noSolution = `no ${problem.solution} exists`;
  let iterations = 0;
  let residual = Infinity;
  let best = Infinity;
  let stalled = 0;
  let localPhase = false;
  for (;;) {
    const Ax = Float64Array.from(Ah, (row) => row.reduce((acc, v, k) => acc + v * (x[k] as number), 0));
    residual = 0;
    for (let i = 0; i < n; i++) residual = Math.max(residual, Math.abs(factor(x[i] as number) * (Ax[i] as number) - 1));
    if (residual <= Math.max(tol, roundingFloor(Ah, x, factor))) break;
    // Rounding floor above tol (ill-conditioned A): stop once full Newton steps stop improving
    // the residual (in the damped phase only Φ decreases monotonically, not the residual).
    stalled = localPhase && residual >= best ? stalled + 1 : 0;
    best = Math.min(best, residual);
    if (stalled >= 5 || iterations >= maxIter) break;
    iterations++;
    const grad = Float64Array.from(Ax, (v, i) => v - problem.barrierSlope(x[i] as number));
    const H: Matrix = Ah.map((row, i) => {
      const r = Float64Array.from(row);
      r[i] = (r[i] as number) + problem.barrierCurvature(x[i] as number);
      return r;
    });
    let d: Float64Array;
    try {
      d = solve(H, grad.map((g) => -g));
    } catch {
      throw new NumericalError(
        `${name}: singular Newton system at step ${iterations}: ${problem.variable} diverges, so ${noSolution} (a nonnegative combination of the task gradients vanishes)`,
      );
    }
    let decrement = 0;
    for (let i = 0; i < n; i++) decrement -= (grad[i] as number) * (d[i] as number);
    if (decrement <= 1e-30) break; // At the rounding floor: no further decrease is possible.
    const { next, local } = problem.step(Ah, x, d, decrement);
    if (next === null) break;
    localPhase = local;
    x.set(next);
    for (const v of x) {
      if (!(v > 0) || !Number.isFinite(v) || v > 1e150) {
        throw new NumericalError(`${name}: the iterate left the domain ${problem.variable} > 0 or diverged (${noSolution})`);
      }
    }
  }
  const out = problem.unscale(x, s);
  residual = productResidual(A, out, factor);
  const floor = roundingFloor(Ah, x, factor);
  if (!(residual <= Math.max(tol, 1e-8, 100 * floor) && residual <= 1e-2)) {
    throw new NumericalError(
      iterations >= maxIter
        ? `${name}: no convergence after ${maxIter} Newton steps (residual ${residual.toExponential(2)})`
        : `${name}: stopped with residual ${residual.toExponential(2)}: the Gram matrix is too ill-conditioned (gradients nearly cancel)`,
    );
  }
  return { x: out, iterations, residual, status: residual <= tol ? 'converged' : 'rounding-floor' };
}

/** The accuracy float64 can give φ(x_i)(Ax)_i: a few ulps of its largest term φ(x_i) |A_ij| x_j. */
function roundingFloor(A: Matrix, x: Float64Array, factor: (v: number) => number): number {
  let m = 0;
  A.forEach((row, i) => {
    let t = 0;
    for (let j = 0; j < row.length; j++) t += Math.abs(row[j] as number) * (x[j] as number);
    m = Math.max(m, factor(x[i] as number) * t);
  });
  return 32 * Number.EPSILON * m;
}
