/**
 * Small convex quadratic programs with nonnegativity / lower-bound constraints:
 *   min_x ½ xᵀ Q x + cᵀ x  subject to  x ≥ 0          ({@link solveNonnegQp})
 *   min_v ½ vᵀ Q v          subject to  v ≥ lower      ({@link solveLowerBoundQp}, UPGrad's problem)
 * with Q symmetric positive definite.
 *
 * Method: a primal active-set method in the style of Lawson-Hanson NNLS. Start at x = 0 with every
 * bound active; repeatedly free the bound with the most negative multiplier (∂/∂x_i < 0), minimise
 * over the free set, and walk back to the feasible region when the minimiser leaves it, dropping
 * the blocking variables. Each free-set minimisation is a dense solve of Q_FF x_F = −c_F. For a
 * positive definite Q the objective strictly decreases between free-set changes, so no free set
 * repeats and the method ends after finitely many steps with the exact optimum (up to rounding).
 * Non-termination or a singular sub-system raises a NumericalError.
 *
 * Pure math on Float64Array: no tensor framework.
 */
import { NumericalError, ShapeError } from '../../src/errors.js';
import { type Matrix, solve } from '../linalg.js';

export interface NonnegQpResult {
  readonly x: Float64Array;
  /** Free-set changes (outer plus inner steps). */
  readonly iterations: number;
  /** Indices with x_i > 0 at the solution. */
  readonly free: readonly number[];
}

export function solveNonnegQp(Q: Matrix, c: ArrayLike<number>, maxIter?: number): NonnegQpResult {
  const n = Q.length;
  if (c.length !== n) throw new ShapeError('nonneg-qp: linear term', [n], [c.length]);
  let qmax = 0;
  let cmax = 0;
  for (let i = 0; i < n; i++) {
    const row = Q[i] as Float64Array;
    if (row.length !== n) throw new ShapeError(`nonneg-qp: row ${i} of Q`, [n], [row.length]);
    for (const v of row) {
      if (!Number.isFinite(v)) throw new NumericalError('nonneg-qp: Q has a non-finite entry');
      qmax = Math.max(qmax, Math.abs(v));
    }
    const ci = c[i] as number;
    if (!Number.isFinite(ci)) throw new NumericalError('nonneg-qp: c has a non-finite entry');
    cmax = Math.max(cmax, Math.abs(ci));
  }
  const cap = maxIter ?? 50 + 10 * n;
  const x = new Float64Array(n);
  const free = new Set<number>();
  const banned = new Set<number>();
  let iterations = 0;
  const gradient = (): Float64Array =>
    Float64Array.from(Q, (row, i) => row.reduce((s, v, k) => s + v * (x[k] as number), 0) + (c[i] as number));
  for (;;) {
    const g = gradient();
    let xmax = 0;
    for (const v of x) xmax = Math.max(xmax, v);
    const tol = 1e-13 * Math.max(cmax, qmax * xmax, Number.MIN_VALUE);
    let enter = -1;
    let most = -tol;
    for (let i = 0; i < n; i++) {
      if (free.has(i) || banned.has(i)) continue;
      if ((g[i] as number) < most) {
        most = g[i] as number;
        enter = i;
      }
    }
    if (enter < 0) break;
    free.add(enter);
    for (let inner = 0; ; inner++) {
      if (++iterations > cap) throw new NumericalError(`nonneg-qp: no convergence after ${cap} active-set steps`);
      const F = [...free].sort((a, b) => a - b);
      const QF: Matrix = F.map((i) => Float64Array.from(F, (j) => (Q[i] as Float64Array)[j] as number));
      const z = solve(QF, F.map((i) => -(c[i] as number)));
      if (z.every((v) => v > 0)) {
        x.fill(0);
        F.forEach((i, a) => (x[i] = z[a] as number));
        banned.clear();
        break;
      }
      if (inner === 0 && (z[F.indexOf(enter)] as number) <= 0) {
        // The entering variable cannot increase: its negative multiplier is a rounding artefact.
        free.delete(enter);
        banned.add(enter);
        break;
      }
      // Walk from x towards z until the first free variable hits zero; it becomes bound again.
      let alpha = Infinity;
      let block = -1;
      F.forEach((i, a) => {
        const zi = z[a] as number;
        if (zi <= 0) {
          const xi = x[i] as number;
          const step = xi - zi > 0 ? xi / (xi - zi) : 0;
          if (step < alpha) {
            alpha = step;
            block = i;
          }
        }
      });
      F.forEach((i, a) => (x[i] = (x[i] as number) + alpha * ((z[a] as number) - (x[i] as number))));
      for (const i of F) {
        if (i === block || (x[i] as number) <= 0) {
          x[i] = 0;
          free.delete(i);
        }
      }
      if (free.size === 0) break;
    }
  }
  return { x, iterations, free: [...free].sort((a, b) => a - b) };
}

/** min ½ vᵀQv subject to v ≥ lower (substitutes v = lower + x). */
export function solveLowerBoundQp(Q: Matrix, lower: ArrayLike<number>, maxIter?: number): NonnegQpResult {
  const n = Q.length;
  if (lower.length !== n) throw new ShapeError('nonneg-qp: lower bound', [n], [lower.length]);
  const c = Float64Array.from(Q, (row) => row.reduce((s, v, k) => s + v * (lower[k] as number), 0));
  const r = solveNonnegQp(Q, c, maxIter);
  return { ...r, x: r.x.map((v, i) => v + (lower[i] as number)) };
}

export interface NonnegQpKkt {
  /** max(0, −min x). */
  readonly infeasibility: number;
  /** max(0, −min ∇_i) over i (dual infeasibility), relative to the scale of ∇. */
  readonly dualInfeasibility: number;
  /** max |x_i ∇_i| (complementarity), relative. */
  readonly complementarity: number;
}

/** KKT residuals of x for min ½xᵀQx + cᵀx, x ≥ 0 (all zero at the optimum). */
export function nonnegQpKkt(Q: Matrix, c: ArrayLike<number>, x: ArrayLike<number>): NonnegQpKkt {
  const n = Q.length;
  let infeasibility = 0;
  let dual = 0;
  let comp = 0;
  let scale = 0;
  const g = Float64Array.from(Q, (row, i) => row.reduce((s, v, k) => s + v * (x[k] as number), 0) + (c[i] as number));
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(c[i] as number), Math.abs((g[i] as number) - (c[i] as number)));
  const s = scale > 0 ? scale : 1;
  let xs = 0;
  for (let i = 0; i < n; i++) xs = Math.max(xs, Math.abs(x[i] as number));
  for (let i = 0; i < n; i++) {
    infeasibility = Math.max(infeasibility, -(x[i] as number));
    dual = Math.max(dual, -(g[i] as number) / s);
    comp = Math.max(comp, Math.abs((x[i] as number) * (g[i] as number)) / (s * Math.max(xs, 1e-300)));
  }
  return { infeasibility, dualInfeasibility: dual, complementarity: comp };
}
