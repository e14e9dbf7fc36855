/**
 * Nash-MTL and FairGrad have no solution when a task's gradient is zero (its weight would go to
 * infinity). Both therefore solve on the other ("live") tasks and give each degenerate task the
 * mean of the live tasks' weights; the degenerate task's weight does not change the shared update.
 */
import { NumericalError } from '../../src/errors.js';
import type { Matrix } from '../linalg.js';
import type { BarrierResult } from './newton.js';

export interface LiveTaskSolution {
  /** The weights of all n tasks. */
  readonly x: Float64Array;
  readonly iterations: number;
  readonly residual: number;
  /** The solver's status, or `all-zero` when every gradient is zero (no solve). */
  readonly status: BarrierResult['status'] | 'all-zero';
  /** Tasks whose gradient is (relatively) zero, excluded from the solve. */
  readonly degenerate: readonly number[];
}

/**
 * Solve on the Gram matrix A without the tasks with A_ii ≤ 1e-24 · max_j A_jj (a gradient norm
 * ≤ 1e-12 of the largest); those get the mean of the solved weights. When every task is degenerate
 * the weights are a copy of `allZero`. Non-finite entries raise a NumericalError naming `method`.
 */
export function solveOnLiveTasks(
  method: string,
  A: Matrix,
  solveLive: (sub: Matrix) => BarrierResult,
  allZero: Float64Array,
): LiveTaskSolution {
  const n = A.length;
  for (const row of A) for (const v of row) if (!Number.isFinite(v)) throw new NumericalError(`${method}: task gradients give a non-finite Gram matrix`);
  let dmax = 0;
  for (let i = 0; i < n; i++) dmax = Math.max(dmax, (A[i] as Float64Array)[i] as number);
  const live: number[] = [];
  const degenerate: number[] = [];
  for (let i = 0; i < n; i++) (((A[i] as Float64Array)[i] as number) > 1e-24 * dmax ? live : degenerate).push(i);
  if (live.length === 0) return { x: Float64Array.from(allZero), iterations: 0, residual: 0, status: 'all-zero', degenerate };
  const sub = live.map((i) => Float64Array.from(live, (j) => (A[i] as Float64Array)[j] as number));
  const r = solveLive(sub);
  const x = new Float64Array(n);
  let mean = 0;
  live.forEach((i, a) => {
    x[i] = r.x[a] as number;
    mean += (r.x[a] as number) / live.length;
  });
  for (const i of degenerate) x[i] = mean;
  return { x, iterations: r.iterations, residual: r.residual, status: r.status, degenerate };
}
