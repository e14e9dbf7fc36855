/**
 * Nash-MTL: multi-task learning as a bargaining game.
 *
 * Paper: Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022; as implemented in
 * LibMTL `Nash_MTL.py` (from the authors' code).
 * Update: every `updateWeightsEvery` steps (the first step included) solve the Nash bargaining
 * problem on K = G Gᵀ: α > 0 with α_i (Kα)_i = 1, i.e. g_i · d = 1/α_i along d = Σ α_j g_j;
 * between solves the previous α is reused. The objective Σ α_i L_i is back-propagated, so the update
 * is Σ α_i g_i and every head gets α_t ∇L_t (headScale = α). LibMTL then clips the shared-parameter
 * gradient to norm `maxNorm` (torch clip_grad_norm_); this method does **not** clip: it exposes
 * `maxNorm` (field and diagnostics) for the trainer, and {@link clipGradNorm} implements torch's rule.
 * Returns α.
 * Hyperparameters:
 * - updateWeightsEvery (integer ≥ 1, default 1; LibMTL `--update_weights_every`).
 * - optimNiter (integer ≥ 1, default 20; LibMTL `--optim_niter`): LibMTL's cap on sequential convex
 *   (ECOS) solves; here the cap on Newton steps is 10 × optimNiter.
 * - maxNorm (≥ 0, default 1.0; LibMTL `--max_norm`): gradient-clipping norm for the trainer; 0 = off.
 * State (JSON): step count and the previous α (ones before the first solve, as LibMTL).
 * Deviations:
 * - Solver: LibMTL runs ≤ optimNiter sequential convex approximations with cvxpy/ECOS on K/‖K‖_F,
 *   stopping when α changes by < 1e-6, and keeps the previous α when ECOS fails. Here the same
 *   optimum is computed exactly (damped Newton, `solvers/nash.ts`, residual ≤ 1e-12) in float64;
 *   α is not rounded to float32.
 * - A task with a zero gradient (‖g_i‖ ≤ 1e-12 max_j ‖g_j‖) makes the problem infeasible (LibMTL:
 *   ECOS fails and the whole previous α is reused). Here the problem is solved for the other tasks and
 *   the degenerate task gets the mean of their α (it does not affect the shared update; it only sets
 *   its head's scale). All gradients zero: α = previous α.
 * - Nearly cancelling gradients (g_2 ≈ −g_1) make α huge and K ill-conditioned: α is then solved to
 *   the accuracy float64 allows and diagnostics.status = `rounding-floor` (residual in
 *   diagnostics.residual). No solution (a nonnegative combination of gradients vanishes exactly),
 *   a residual above 1e-2, or non-finite gradients raise a NumericalError.
 */
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, countField, fromJson, linearResult, requireParamMode, resolveParams, toJson } from './common.js';
import { gram, type Matrix, norm } from './linalg.js';
import { type LiveTaskSolution, solveOnLiveTasks } from './solvers/live-tasks.js';
import { solveNashBargaining } from './solvers/nash.js';
import type { BarrierResult } from './solvers/newton.js';
import type { AggregationResult, GradientAggregationMethod, JsonObject, JsonValue, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type NashMTLParams = {
  readonly updateWeightsEvery: number;
  readonly optimNiter: number;
  readonly maxNorm: number;
};

export const nashMtlDefinition: MethodDefinition<NashMTLParams> = {
  id: 'nash-mtl',
  displayName: 'Nash-MTL',
  kind: 'gradient-aggregation',
  paper: { title: 'Multi-Task Learning as a Bargaining Game', venue: 'ICML', year: 2022 },
  defaults: { updateWeightsEvery: 1, optimNiter: 20, maxNorm: 1.0 },
  params: {
    updateWeightsEvery: { type: 'integer', min: 1, max: 1_000_000, description: 'solve for new weights every k steps', short: 'every', reference: 'update_weights_every' },
    optimNiter: { type: 'integer', min: 1, max: 10_000, description: 'solver effort (LibMTL: max convex solves; here Newton cap = 10x)', short: 'niter', reference: 'optim_niter', label: 'non-default' },
    maxNorm: { type: 'number', min: 0, max: 1e12, description: 'shared-gradient clipping norm for the trainer (0 = off)', short: 'maxNorm', reference: 'max_norm' },
  },
  capabilities: aggregationCaps({ stateful: true }),
  referenceNames: ['Nash_MTL'],
  create: (nTasks, params) => createNashMTL(nTasks, params),
};

/** torch.nn.utils.clip_grad_norm_: scale by maxNorm / (‖g‖ + 1e-6) when that is < 1. maxNorm 0: unchanged. */
export function clipGradNorm(grad: Float64Array, maxNorm: number): { grad: Float64Array; norm: number; clipped: boolean } {
  const total = norm(grad);
  if (!(maxNorm > 0)) return { grad, norm: total, clipped: false };
  const coef = maxNorm / (total + 1e-6);
  if (coef >= 1) return { grad, norm: total, clipped: false };
  return { grad: grad.map((v) => v * coef), norm: total, clipped: true };
}

/** The bargaining weights α of all tasks, with how the solve went. */
export type NashWeights = Omit<LiveTaskSolution, 'x'> & { readonly alpha: Float64Array };

/** Bargaining weights for K with zero-gradient tasks excluded (see the header); fallback for all-zero. */
export function nashWeights(K: Matrix, maxIter: number, fallback: Float64Array): NashWeights {
  const solveLive = (sub: Matrix): BarrierResult => {
    const { alpha: x, ...rest } = solveNashBargaining(sub, { maxIter });
    return { x, ...rest };
  };
  const { x: alpha, ...rest } = solveOnLiveTasks('Nash-MTL', K, solveLive, fallback);
  return { alpha, ...rest };
}

export interface NashMTLMethod extends GradientAggregationMethod {
  /** Clip the shared-parameter gradient to this norm after the step (0 = off); see {@link clipGradNorm}. */
  readonly maxNorm: number;
  referenceState(): Record<string, JsonValue>;
}

export function createNashMTL(nTasks: number, params?: Partial<NashMTLParams>): NashMTLMethod {
  checkTasks('nash-mtl', nTasks);
  const p = resolveParams(nashMtlDefinition, params);
  let step = 0;
  let prevAlpha = new Float64Array(nTasks).fill(1);
  return {
    id: 'nash-mtl',
    kind: 'gradient-aggregation',
    label: canonicalLabel(nashMtlDefinition, p),
    nTasks,
    maxNorm: p.maxNorm,
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      requireParamMode('Nash-MTL', grads);
      checkStep('nash-mtl', nTasks, input, grads);
      const update = step % p.updateWeightsEvery === 0;
      let diag: Record<string, JsonValue> = { maxNorm: p.maxNorm, updated: update };
      if (update) {
        const w = nashWeights(gram(grads.G), 10 * p.optimNiter, prevAlpha);
        prevAlpha = Float64Array.from(w.alpha);
        diag = { ...diag, status: w.status, iterations: w.iterations, residual: w.residual, degenerate: [...w.degenerate] };
      }
      step += 1;
      const alpha = Float64Array.from(prevAlpha);
      return linearResult(grads, alpha, { headScale: Float64Array.from(alpha), diagnostics: diag });
    },
    getState(): JsonObject {
      return { step, prevAlpha: toJson(prevAlpha) };
    },
    setState(state: JsonObject): void {
      const s = countField('nash-mtl', state, 'step');
      prevAlpha = fromJson('nash-mtl state.prevAlpha', state['prevAlpha'], nTasks);
      step = s;
    },
    learnable: () => null,
    setLearnable: () => {},
    referenceState(): Record<string, JsonValue> {
      return { step, prvs_alpha: toJson(prevAlpha) };
    },
  };
}
