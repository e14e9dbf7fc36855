/**
 * UPGrad: unconflicting projection of gradients (Jacobian descent).
 *
 * Paper: Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", arXiv 2406.16232,
 * 2024; as ported to LibMTL `UPGrad.py` from TorchJD (mean preference vector).
 * Update: M = G Gᵀ; Ĝ = M / tr(M) (Ĝ = 0 when tr(M) < normEps) + regEps · I; for each task i solve
 * the QP  min_v vᵀ Ĝ v  subject to v ≥ e_i / n  (the weights of the projection of g_i / n onto the
 * dual cone of the gradients); weights w = Σ_i v⁽ⁱ⁾; the update is Σ_j w_j g_j. Returns w. Heads
 * keep their plain ∇L_t.
 * Hyperparameters:
 * - normEps (≥ 0, default 1e-4; LibMTL `--UPGrad_norm_eps`): below this squared Frobenius norm of G
 *   the Gramian is treated as zero (the update is then the mean gradient).
 * - regEps (≥ 0, default 1e-4; LibMTL `--UPGrad_reg_eps`): ridge making Ĝ positive definite
 *   (0 may fail with a NumericalError on rank-deficient gradients).
 * Deviations: LibMTL solves the QPs with quadprog (via qpsolvers); here an exact active-set method
 * (`solvers/nonneg-qp.ts`) solves them, so results agree to quadprog's round-off (the reference
 * vectors were recorded with an exact active-set solver too). Non-finite gradients raise a
 * NumericalError instead of a quadprog failure.
 */
import { NumericalError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, linearResult, requireParamMode, resolveParams, StatelessMethod } from './common.js';
import { gram, type Matrix } from './linalg.js';
import { solveLowerBoundQp } from './solvers/nonneg-qp.js';
import type { AggregationResult, GradientAggregationMethod, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type UPGradParams = {
  readonly normEps: number;
  readonly regEps: number;
};

export const upgradDefinition: MethodDefinition<UPGradParams> = {
  id: 'upgrad',
  displayName: 'UPGrad',
  kind: 'gradient-aggregation',
  paper: { title: 'Jacobian Descent for Multi-Objective Optimization', venue: 'arXiv 2406.16232', year: 2024 },
  defaults: { normEps: 1e-4, regEps: 1e-4 },
  params: {
    normEps: { type: 'number', min: 0, max: 1e6, description: 'Gramian treated as zero below this trace', short: 'normEps', reference: 'UPGrad_norm_eps', label: 'non-default' },
    regEps: { type: 'number', min: 0, max: 1, description: 'ridge added to the normalised Gramian', short: 'regEps', reference: 'UPGrad_reg_eps', label: 'non-default' },
  },
  capabilities: aggregationCaps(),
  referenceNames: ['UPGrad'],
  create: (nTasks, params) => createUPGrad(nTasks, params),
};

/** UPGrad's weights from the Gram matrix M (mean preference vector). */
export function upgradWeights(M: Matrix, normEps: number, regEps: number): { weights: Float64Array; iterations: number } {
  const n = M.length;
  let tr = 0;
  for (let i = 0; i < n; i++) tr += (M[i] as Float64Array)[i] as number;
  if (!Number.isFinite(tr)) throw new NumericalError('UPGrad: task gradients give a non-finite Gramian');
  const Q: Matrix = M.map((row, i) => {
    const r = tr < normEps ? new Float64Array(n) : row.map((v) => v / tr);
    r[i] = (r[i] as number) + regEps;
    return r;
  });
  const weights = new Float64Array(n);
  let iterations = 0;
  for (let i = 0; i < n; i++) {
    const lower = new Float64Array(n);
    lower[i] = 1 / n;
    const r = solveLowerBoundQp(Q, lower);
    iterations += r.iterations;
    for (let j = 0; j < n; j++) weights[j] = (weights[j] as number) + (r.x[j] as number);
  }
  return { weights, iterations };
}

export function createUPGrad(nTasks: number, params?: Partial<UPGradParams>): GradientAggregationMethod {
  checkTasks('upgrad', nTasks);
  const p = resolveParams(upgradDefinition, params);
  return new (class extends StatelessMethod implements GradientAggregationMethod {
    readonly id = 'upgrad';
    readonly kind = 'gradient-aggregation';
    readonly label = canonicalLabel(upgradDefinition, p);
    readonly nTasks = nTasks;
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      requireParamMode('UPGrad', grads);
      checkStep(this.id, nTasks, input, grads);
      const { weights, iterations } = upgradWeights(gram(grads.G), p.normEps, p.regEps);
      return linearResult(grads, weights, { diagnostics: { qpIterations: iterations } });
    }
  })();
}
