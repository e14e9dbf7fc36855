/**
 * MGDA: multiple gradient descent (min-norm point of the convex hull of the task gradients).
 *
 * Paper: Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018; as
 * implemented in LibMTL `MGDA.py` (from the authors' code).
 * Update: normalise ĝ_i = g_i / n_i with n_i = 1 (`none`), ‖g_i‖ (`l2`), L_i (`loss`) or
 * L_i ‖g_i‖ (`loss+`); x = argmin_{x ∈ simplex} ‖Σ x_i ĝ_i‖² by LibMTL's solver (best pair by the
 * two-point rule, then ≤ 250 Frank-Wolfe steps with exact line search, stop at Σ|Δx| < 1e-5).
 * Param mode: update Σ x_i ĝ_i (the normalised gradients). Rep mode: x is computed from the
 * batch-summed representation gradients but applied to the unnormalised per-sample gradients,
 * Σ x_i R_i. Returns x. Heads keep their plain ∇L_t.
 * Hyperparameters:
 * - normalization (`none` | `l2` | `loss` | `loss+`, default `none`; LibMTL `--mgda_gn`).
 * Deviations (each only where LibMTL fails):
 * - A zero normaliser (`l2`/`loss+` with a zero gradient, `loss` with a zero loss) gives NaN in
 *   LibMTL; here that task keeps n_i = 1 (its zero gradient then simply sits in the hull, as with
 *   `none`). Reported in diagnostics.guarded.
 * - LibMTL's pair search starts from a best cost of 1e8, so when every pair's min-norm² is ≥ 1e8
 *   (gradient norms ≳ 1e4) it raises UnboundLocalError. Here the solver is then run on
 *   M / max diag M: the min-norm weights are scale invariant, so this is the answer LibMTL gives for
 *   the same gradients at scale 1 (diagnostics.solver = `frank-wolfe-scaled`).
 * - If the Frank-Wolfe loop hits its 250-iteration cap (LibMTL returns None and crashes), the exact
 *   Wolfe nearest-point algorithm finishes the job (diagnostics.solver = `wolfe`).
 * - Non-finite gradients raise a NumericalError instead of propagating NaN.
 */
import { NumericalError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, linearResult, resolveParams, StatelessMethod } from './common.js';
import { gram, type Matrix } from './linalg.js';
import { minNormFrankWolfe, minNormKkt, minNormWolfe } from './solvers/min-norm.js';
import type { AggregationResult, GradientAggregationMethod, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type MGDANormalization = 'none' | 'l2' | 'loss' | 'loss+';

export type MGDAParams = {
  /** Gradient normalisation before the min-norm problem. */
  readonly normalization: MGDANormalization;
};

export const mgdaDefinition: MethodDefinition<MGDAParams> = {
  id: 'mgda',
  displayName: 'MGDA',
  kind: 'gradient-aggregation',
  paper: { title: 'Multi-Task Learning as Multi-Objective Optimization', venue: 'NeurIPS', year: 2018 },
  defaults: { normalization: 'none' },
  params: {
    normalization: {
      type: 'enum',
      values: ['none', 'l2', 'loss', 'loss+'],
      description: 'gradient normalisation: none, l2 (‖g_i‖), loss (L_i) or loss+ (L_i‖g_i‖)',
      short: 'gn',
      reference: 'mgda_gn',
    },
  },
  capabilities: aggregationCaps({ repMode: true }),
  referenceNames: ['MGDA', 'MGDA_rep'],
  create: (nTasks, params) => createMGDA(nTasks, params),
};

export interface MinNormSolution {
  readonly x: Float64Array;
  readonly solver: 'frank-wolfe' | 'frank-wolfe-scaled' | 'wolfe';
  readonly iterations: number;
}

/** LibMTL's min-norm weights for the Gram matrix M, with the fallbacks described above. */
export function mgdaMinNorm(M: Matrix): MinNormSolution {
  for (const row of M) for (const v of row) if (!Number.isFinite(v)) throw new NumericalError('MGDA: task gradients give a non-finite Gram matrix');
  let fw = minNormFrankWolfe(M);
  let solver: MinNormSolution['solver'] = 'frank-wolfe';
  let work = M;
  if (!fw.pairFound) {
    let s = 0;
    M.forEach((row, i) => (s = Math.max(s, row[i] as number)));
    work = M.map((row) => row.map((v) => v / s));
    fw = minNormFrankWolfe(work);
    solver = 'frank-wolfe-scaled';
  }
  if (fw.pairFound && fw.converged) return { x: fw.x, solver, iterations: fw.iterations };
  const exact = minNormWolfe(work);
  return { x: exact.x, solver: 'wolfe', iterations: fw.iterations + exact.iterations };
}

export function createMGDA(nTasks: number, params?: Partial<MGDAParams>): GradientAggregationMethod {
  checkTasks('mgda', nTasks);
  const p = resolveParams(mgdaDefinition, params);
  return new (class extends StatelessMethod implements GradientAggregationMethod {
    readonly id = 'mgda';
    readonly kind = 'gradient-aggregation';
    readonly label = canonicalLabel(mgdaDefinition, p);
    readonly nTasks = nTasks;
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      checkStep(this.id, nTasks, input, grads);
      const guarded: number[] = [];
      const gn = grads.G.map((g, i) => {
        const l2 = (): number => Math.sqrt(g.reduce((s, v) => s + v * v, 0));
        const loss = input.losses[i] as number;
        const v = p.normalization === 'l2' ? l2() : p.normalization === 'loss' ? loss : p.normalization === 'loss+' ? loss * l2() : 1;
        if (v === 0 || !Number.isFinite(v)) {
          guarded.push(i);
          return 1;
        }
        return v;
      });
      const normed = grads.G.map((g, i) => g.map((v) => v / (gn[i] as number)));
      const M = gram(normed);
      const { x, solver, iterations } = mgdaMinNorm(M);
      const diagnostics = { solver, iterations, kktGap: minNormKkt(M, x).gap, guarded };
      if (grads.mode === 'rep') return linearResult(grads, x, { diagnostics });
      const coef = x.map((v, i) => v / (gn[i] as number));
      return linearResult(grads, coef, { weights: x, diagnostics });
    }
  })();
}
