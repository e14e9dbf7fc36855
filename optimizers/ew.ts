/**
 * EW: equal weighting.
 *
 * Paper: the plain multi-task baseline (sum of task losses); as implemented in LibMTL `EW.py`.
 * Update: objective Σ_i L_i, so every parameter receives Σ_i ∇L_i. Weights are 1 (not 1/n):
 * LibMTL sums the losses although its docstring says 1/T.
 * Hyperparameters: none.
 * Deviations: none.
 */
import { canonicalLabel, checkStep, checkTasks, lossWeightingCaps, ones, resolveParams, StatelessMethod } from './common.js';
import type { LossWeightingMethod, LossWeightingResult, MethodDefinition, StepInput } from './types.js';

export type EWParams = Record<string, never>;

export const ewDefinition: MethodDefinition<EWParams> = {
  id: 'ew',
  displayName: 'EW',
  kind: 'loss-weighting',
  paper: { title: 'Equal weighting of the task losses (multi-task baseline)', venue: 'LibMTL', year: 2023 },
  defaults: {},
  params: {},
  capabilities: lossWeightingCaps(),
  referenceNames: ['EW'],
  create: (nTasks, params) => createEW(nTasks, params),
};

export function createEW(nTasks: number, params?: Partial<EWParams>): LossWeightingMethod {
  checkTasks('ew', nTasks);
  const p = resolveParams(ewDefinition, params);
  return new (class extends StatelessMethod implements LossWeightingMethod {
    readonly id = 'ew';
    readonly kind = 'loss-weighting';
    readonly label = canonicalLabel(ewDefinition, p);
    readonly nTasks = nTasks;
    weigh(input: StepInput): LossWeightingResult {
      checkStep(this.id, nTasks, input);
      let objective = 0;
      for (const l of input.losses) objective += l;
      return { objective, coefficients: ones(nTasks), weights: ones(nTasks) };
    }
  })();
}
