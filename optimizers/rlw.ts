/**
 * RLW: random loss weighting.
 *
 * Paper: Lin et al., "Reasonable Effectiveness of Random Weighting: A Litmus Test for Multi-Task
 * Learning", TMLR 2022; as implemented in LibMTL `RLW.py`.
 * Update: each step draw z ~ N(0, I_n), w = softmax(z); objective Σ_i w_i L_i, so every parameter
 * (shared and heads) receives Σ_i w_i ∇L_i. Returns w.
 * Hyperparameters: none. Randomness: n standard normals per step from the run's generator
 * (`rng.normal()`), or injected (`draws.normal`).
 * Deviations: none (the normal draws come from our generator, not torch.randn, unless injected).
 */
import { ShapeError } from '../src/errors.js';
import { canonicalLabel, checkStep, checkTasks, lossWeightingCaps, resolveParams, StatelessMethod } from './common.js';
import { softmax } from './linalg.js';
import type { LossWeightingMethod, LossWeightingResult, MethodDefinition, StepInput } from './types.js';

export type RLWParams = Record<string, never>;

export const rlwDefinition: MethodDefinition<RLWParams> = {
  id: 'rlw',
  displayName: 'RLW',
  kind: 'loss-weighting',
  paper: { title: 'Reasonable Effectiveness of Random Weighting: A Litmus Test for Multi-Task Learning', venue: 'TMLR', year: 2022 },
  defaults: {},
  params: {},
  capabilities: lossWeightingCaps({ stochastic: true }),
  referenceNames: ['RLW'],
  create: (nTasks, params) => createRLW(nTasks, params),
};

export function createRLW(nTasks: number, params?: Partial<RLWParams>): LossWeightingMethod {
  checkTasks('rlw', nTasks);
  const p = resolveParams(rlwDefinition, params);
  return new (class extends StatelessMethod implements LossWeightingMethod {
    readonly id = 'rlw';
    readonly kind = 'loss-weighting';
    readonly label = canonicalLabel(rlwDefinition, p);
    readonly nTasks = nTasks;
    weigh(input: StepInput): LossWeightingResult {
      checkStep(this.id, nTasks, input);
      const injected = input.draws?.normal;
      if (injected && injected.length !== nTasks) throw new ShapeError('rlw: draws.normal', [nTasks], [injected.length]);
      const z = injected ? Float64Array.from(injected) : Float64Array.from({ length: nTasks }, () => input.rng.normal());
      const w = softmax(z);
      let objective = 0;
      for (let i = 0; i < nTasks; i++) objective += (w[i] as number) * (input.losses[i] as number);
      return { objective, coefficients: w, weights: w };
    }
  })();
}
