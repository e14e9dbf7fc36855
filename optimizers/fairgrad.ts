/**
 * FairGrad: α-fair resource allocation among tasks.
 *
 * Paper: Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024; as implemented in
 * LibMTL `FairGrad.py`.
 * Update: A = G Gᵀ; find w > 0 with A w = w^{−1/α} (each task's improvement rate g_i · d along
 * d = Σ w_j g_j equals w_i^{−1/α}); the objective Σ w_i L_i is back-propagated, so the update is
 * Σ w_i g_i and every head gets w_t ∇L_t (headScale = w). α = 1 is Nash-MTL's proportional
 * fairness. Returns w.
 * Hyperparameters:
 * - alpha (> 0, default 1.0; LibMTL `--FairGrad_alpha`): the fairness exponent (larger: fairer,
 *   towards max-min; → 0: utilitarian).
 * Deviations:
 * - Solver: LibMTL calls scipy's least_squares (TRF from w = 1/n, bounds (0, ∞), default
 *   tolerances) and never checks its status. Here the system is solved by Newton's method on its
 *   convex potential (`solvers/fairgrad.ts`) to a relative residual ≤ 1e-12, so w differs from
 *   LibMTL's by least_squares' tolerance (and wherever least_squares stops early).
 * - A task with a zero gradient (‖g_i‖ ≤ 1e-12 max_j ‖g_j‖) has no solution (w_i → ∞); LibMTL's
 *   least_squares walks w_i up to ~677 before stopping, which scales that task's head gradient by
 *   ~677. Here the system is solved for the other tasks and the degenerate task gets the mean of
 *   their weights (its weight does not affect the shared update). All gradients zero: w = 1/n.
 * - Nearly cancelling gradients (g_2 ≈ −g_1) make w huge and A ill-conditioned: w is then solved to
 *   the accuracy float64 allows and diagnostics.status = `rounding-floor` (residual in
 *   diagnostics.residual). No solution (a nonnegative combination of gradients vanishes exactly),
 *   a residual above 1e-2, or non-finite gradients raise a NumericalError.
 */
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, combine, linearResult, requireParamMode, resolveParams, StatelessMethod } from './common.js';
import { gram, type Matrix } from './linalg.js';
import { solveFairGrad } from './solvers/fairgrad.js';
import { type LiveTaskSolution, solveOnLiveTasks } from './solvers/live-tasks.js';
import type { BarrierResult } from './solvers/newton.js';
import type { AggregationResult, GradientAggregationMethod, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type FairGradParams = {
  readonly alpha: number;
};

export const fairgradDefinition: MethodDefinition<FairGradParams> = {
  id: 'fairgrad',
  displayName: 'FairGrad',
  kind: 'gradient-aggregation',
  paper: { title: 'Fair Resource Allocation in Multi-Task Learning', venue: 'ICML', year: 2024 },
  defaults: { alpha: 1.0 },
  params: {
    alpha: { type: 'number', gt: 0, max: 100, description: 'fairness exponent of A w = w^(-1/alpha)', short: 'alpha', reference: 'FairGrad_alpha' },
  },
  capabilities: aggregationCaps(),
  referenceNames: ['FairGrad'],
  create: (nTasks, params) => createFairGrad(nTasks, params),
};

/** FairGrad's weights w of all tasks, with how the solve went. */
export type FairGradWeights = Omit<LiveTaskSolution, 'x'> & { readonly w: Float64Array };

/** FairGrad weights for A with zero-gradient tasks excluded (see the header). */
export function fairGradWeights(A: Matrix, alpha: number): FairGradWeights {
  const n = A.length;
  const solveLive = (sub: Matrix): BarrierResult => {
    const { w: x, ...rest } = solveFairGrad(sub, alpha);
    return { x, ...rest };
  };
  const { x: w, ...rest } = solveOnLiveTasks('FairGrad', A, solveLive, new Float64Array(n).fill(1 / n));
  return { w, ...rest };
}

export function createFairGrad(nTasks: number, params?: Partial<FairGradParams>): GradientAggregationMethod {
  checkTasks('fairgrad', nTasks);
  const p = resolveParams(fairgradDefinition, params);
  return new (class extends StatelessMethod implements GradientAggregationMethod {
    readonly id = 'fairgrad';
    readonly kind = 'gradient-aggregation';
    readonly label = canonicalLabel(fairgradDefinition, p);
    readonly nTasks = nTasks;
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      requireParamMode('FairGrad', grads);
      checkStep(this.id, nTasks, input, grads);
      const { w, iterations, residual, status, degenerate } = fairGradWeights(gram(grads.G), p.alpha);
      return linearResult(grads, w, { headScale: Float64Array.from(w), diagnostics: { status, iterations, residual, degenerate: [...degenerate] } });
    }
    combineWeights(_input: StepInput, grads: TaskGradients, weights: Float64Array): Float64Array {
      return combine(weights, grads.G);
    }
  })();
}
