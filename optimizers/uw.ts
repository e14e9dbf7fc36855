/**
 * UW: uncertainty weighting with learnable log-scales.
 *
 * Paper: Kendall, Gal and Cipolla, "Multi-Task Learning Using Uncertainty to Weigh Losses for
 * Scene Geometry and Semantics", CVPR 2018; as implemented in LibMTL `UW.py`.
 * Update: learnable s ∈ Rⁿ (LibMTL `loss_scale`, initialised to −0.5). Objective
 * Σ_i [L_i / (2 e^{s_i}) + s_i / 2], so every parameter receives Σ_i ∇L_i / (2 e^{s_i}) and
 * ∂objective/∂s_i = ½ − L_i / (2 e^{s_i}). The training loop trains s with the model's optimiser
 * (LibMTL: the same Adam, weight decay included). Reported weights 1/(2 e^{s}) (0.8244 at init).
 * Hyperparameters: none (the initial value −0.5 is LibMTL's constant).
 * Deviations: none in the arithmetic. Non-finite log-scales are rejected (ConfigError) when set,
 * instead of silently propagating NaN. The log-scales are also part of getState/setState, so a
 * restored method continues identically even if the caller does not restore them separately.
 */
import { ConfigError } from '../src/errors.js';
import { canonicalLabel, checkStep, checkTasks, fromJson, lossWeightingCaps, resolveParams, toJson } from './common.js';
import type { JsonObject, LossWeightingMethod, LossWeightingResult, MethodDefinition, StepInput } from './types.js';

export type UWParams = Record<string, never>;

/** LibMTL's initial log-scale. */
export const UW_INITIAL_LOG_SCALE = -0.5;

export const uwDefinition: MethodDefinition<UWParams> = {
  id: 'uw',
  displayName: 'UW',
  kind: 'loss-weighting',
  paper: {
    title: 'Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and Semantics',
    venue: 'CVPR',
    year: 2018,
  },
  defaults: {},
  params: {},
  capabilities: lossWeightingCaps({ learnable: true }),
  referenceNames: ['UW'],
  create: (nTasks, params) => createUW(nTasks, params),
};

export function createUW(nTasks: number, params?: Partial<UWParams>): LossWeightingMethod {
  checkTasks('uw', nTasks);
  const p = resolveParams(uwDefinition, params);
  const s = new Float64Array(nTasks).fill(UW_INITIAL_LOG_SCALE);

  const setScales = (field: string, values: ArrayLike<number>): void => {
    if (values.length !== nTasks) throw new ConfigError(field, Array.from(values), `${nTasks} log-scales`);
    for (let i = 0; i < nTasks; i++) {
      if (!Number.isFinite(values[i])) throw new ConfigError(field, Array.from(values), 'finite log-scales');
    }
    s.set(values);
  };

  return {
    id: 'uw',
    kind: 'loss-weighting',
    label: canonicalLabel(uwDefinition, p),
    nTasks,
    getState: (): JsonObject => ({ logScale: toJson(s) }),
    setState(state: JsonObject): void {
      setScales('uw: state.logScale', fromJson('uw: state.logScale', state.logScale, nTasks));
    },
    learnable: (): Float64Array => Float64Array.from(s),
    setLearnable(values: ArrayLike<number>): void {
      setScales('uw: log-scales', values);
    },
    referenceState: () => ({ loss_scale: toJson(s) }),
    weigh(input: StepInput): LossWeightingResult {
      checkStep('uw', nTasks, input);
      const coefficients = new Float64Array(nTasks);
      const learnableGrad = new Float64Array(nTasks);
      let objective = 0;
      for (let i = 0; i < nTasks; i++) {
        const si = s[i] as number;
        const L = input.losses[i] as number;
        const c = 1 / (2 * Math.exp(si));
        coefficients[i] = c;
        learnableGrad[i] = 0.5 - L * c;
        objective += L * c + si / 2;
      }
      return { objective, coefficients, weights: Float64Array.from(coefficients), learnableGrad };
    },
  };
}
