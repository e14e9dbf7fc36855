/**
 * GLS: geometric loss strategy (geometric mean of the task losses).
 *
 * Paper: Chennupati, Sistu, Yogamani and Rawashdeh, "MultiNet++: Multi-Stream Feature
 * Aggregation and Geometric Loss Strategy for Multi-Task Learning", CVPR Workshops 2019; as
 * implemented in LibMTL `GLS.py`.
 * Update: objective (Π_i L_i)^{1/n}; every parameter receives Σ_i c_i ∇L_i with
 * c_i = (Π_j L_j)^{1/n} / (n L_i). Reported weights L_i / (n Π_j L_j): LibMTL's logging value,
 * which is not the coefficient actually applied.
 * Hyperparameters: none.
 * Deviations: LibMTL has no guards. When the product of the losses overflows or underflows we
 * compute in logarithms (same values, no Inf/0). When a loss is exactly zero the objective sits
 * at its minimum 0 and its gradient is undefined (LibMTL: c = 0/0 = NaN for that task); we return
 * zero coefficients (no update from the shared objective) and null weights. A negative or
 * non-finite loss has no geometric mean and raises a NumericalError naming the method.
 */
import { NumericalError } from '../src/errors.js';
import { canonicalLabel, checkStep, checkTasks, lossWeightingCaps, resolveParams, StatelessMethod } from './common.js';
import type { LossWeightingMethod, LossWeightingResult, MethodDefinition, StepInput } from './types.js';

export type GLSParams = Record<string, never>;

export const glsDefinition: MethodDefinition<GLSParams> = {
  id: 'gls',
  displayName: 'GLS',
  kind: 'loss-weighting',
  paper: {
    title: 'MultiNet++: Multi-Stream Feature Aggregation and Geometric Loss Strategy for Multi-Task Learning',
    venue: 'CVPR Workshops',
    year: 2019,
  },
  defaults: {},
  params: {},
  capabilities: lossWeightingCaps(),
  referenceNames: ['GLS'],
  create: (nTasks, params) => createGLS(nTasks, params),
};

const MIN_NORMAL = 2.2250738585072014e-308;

/** Objective, coefficients and logging weights of the geometric mean of positive losses. */
export function geometricLoss(method: string, losses: Float64Array): LossWeightingResult {
  const n = losses.length;
  let prod = 1;
  for (const L of losses) {
    if (!Number.isFinite(L) || L < 0) throw new NumericalError(`${method}: the geometric mean needs finite losses >= 0, got ${L}`);
    prod *= L;
  }
  if (losses.some((L) => L === 0)) {
    return { objective: 0, coefficients: new Float64Array(n), weights: null, diagnostics: { zeroLoss: true } };
  }
  const coefficients = new Float64Array(n);
  const weights = new Float64Array(n);
  let objective: number;
  if (Number.isFinite(prod) && prod >= MIN_NORMAL) {
    objective = Math.pow(prod, 1 / n);
    for (let i = 0; i < n; i++) {
      const L = losses[i] as number;
      coefficients[i] = objective / (n * L);
      weights[i] = L / (n * prod);
    }
  } else {
    // The product left the double range: the same quantities in logarithms.
    let logProd = 0;
    for (const L of losses) logProd += Math.log(L);
    objective = Math.exp(logProd / n);
    for (let i = 0; i < n; i++) {
      const L = losses[i] as number;
      coefficients[i] = Math.exp(logProd / n - Math.log(n * L));
      weights[i] = Math.exp(Math.log(L) - Math.log(n) - logProd);
    }
  }
  return { objective, coefficients, weights };
}

export function createGLS(nTasks: number, params?: Partial<GLSParams>): LossWeightingMethod {
  checkTasks('gls', nTasks);
  const p = resolveParams(glsDefinition, params);
  return new (class extends StatelessMethod implements LossWeightingMethod {
    readonly id = 'gls';
    readonly kind = 'loss-weighting';
    readonly label = canonicalLabel(glsDefinition, p);
    readonly nTasks = nTasks;
    weigh(input: StepInput): LossWeightingResult {
      checkStep(this.id, nTasks, input);
      return geometricLoss(this.label, input.losses);
    }
  })();
}
