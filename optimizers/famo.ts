/**
 * FAMO: fast adaptive multitask optimization.
 *
 * Paper: Liu et al., "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023; as implemented
 * in LibMTL `FAMO.py`.
 * Update: logits w (n, start 0), z = softmax(w), D_i = L_i − ℓ_i + 1e-8 (ℓ = min losses, 0 and never
 * updated, as in LibMTL), c = Σ_i z_i / D_i (treated as a constant); objective Σ_i z_i log(D_i) / c,
 * so every parameter receives Σ_i (z_i / (c D_i)) ∇L_i. After the model's optimiser step the trainer
 * re-evaluates the same batch and calls afterStep(input, L'): δ_i = log(L_i − ℓ_i + 1e-8) −
 * log(L'_i − ℓ_i + 1e-8), d = J_softmax(w)ᵀ δ = z ⊙ (δ − z·δ), and one Adam step on w with gradient
 * d + γ w (torch.optim.Adam with L2 weight decay γ; β = (0.9, 0.999), eps 1e-8, bias-corrected).
 * Returns null weights (LibMTL returns None); diagnostics carry z.
 * Hyperparameters:
 * - wLr (> 0, default 0.025; LibMTL `--FAMO_w_lr`): Adam learning rate of the logits.
 * - wGamma (≥ 0, default 1e-3; LibMTL `--FAMO_w_gamma`): Adam (L2) weight decay of the logits.
 * State (JSON): step, logits w, Adam moments m and v, Adam step count, min losses ℓ and the losses
 * of the last weigh() (needed by afterStep).
 * Deviations: none in the arithmetic (float64). Where LibMTL would produce NaN (a loss at or below
 * its min loss, so log of a nonpositive number) a NumericalError is raised; afterStep without a
 * preceding weigh() raises a ConfigError.
 */
import { ConfigError, NumericalError, ShapeError } from '../src/errors.js';
import { canonicalLabel, checkStep, checkTasks, fromJson, lossWeightingCaps, numField, resolveParams, toJson } from './common.js';
import { softmax } from './linalg.js';
import type { JsonObject, JsonValue, LossWeightingMethod, LossWeightingResult, MethodDefinition, StepInput } from './types.js';

export type FAMOParams = {
  readonly wLr: number;
  readonly wGamma: number;
};

export const famoDefinition: MethodDefinition<FAMOParams> = {
  id: 'famo',
  displayName: 'FAMO',
  kind: 'loss-weighting',
  paper: { title: 'FAMO: Fast Adaptive Multitask Optimization', venue: 'NeurIPS', year: 2023 },
  defaults: { wLr: 0.025, wGamma: 1e-3 },
  params: {
    wLr: { type: 'number', gt: 0, max: 10, description: 'Adam learning rate of the task logits', short: 'lr', reference: 'FAMO_w_lr' },
    wGamma: { type: 'number', min: 0, max: 1, description: 'Adam (L2) weight decay of the task logits', short: 'gamma', reference: 'FAMO_w_gamma' },
  },
  capabilities: lossWeightingCaps({ stateful: true, needsPostStepLosses: true }),
  referenceNames: ['FAMO'],
  create: (nTasks, params) => createFAMO(nTasks, params),
};

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPS = 1e-8;

export interface FAMOMethod extends LossWeightingMethod {
  afterStep(input: StepInput, lossesAfter: Float64Array): void;
  referenceState(): Record<string, JsonValue>;
}

export function createFAMO(nTasks: number, params?: Partial<FAMOParams>): FAMOMethod {
  checkTasks('famo', nTasks);
  const p = resolveParams(famoDefinition, params);
  const label = canonicalLabel(famoDefinition, p);
  let step = 0;
  let w = new Float64Array(nTasks);
  let m = new Float64Array(nTasks);
  let v = new Float64Array(nTasks);
  let adamStep = 0;
  let minLosses = new Float64Array(nTasks);
  let prevLosses: Float64Array | null = null;
  return {
    id: 'famo',
    kind: 'loss-weighting',
    label,
    nTasks,
    weigh(input: StepInput): LossWeightingResult {
      checkStep('famo', nTasks, input);
      const z = softmax(w);
      const D = Float64Array.from(input.losses, (l, i) => l - (minLosses[i] as number) + 1e-8);
      if (D.some((d) => !(d > 0) || !Number.isFinite(d))) throw new NumericalError(`${label}: losses must exceed the min losses (got ${Array.from(input.losses).join(', ')})`);
      let c = 0;
      for (let i = 0; i < nTasks; i++) c += (z[i] as number) / (D[i] as number);
      let objective = 0;
      for (let i = 0; i < nTasks; i++) objective += (Math.log(D[i] as number) * (z[i] as number)) / c;
      const coefficients = Float64Array.from(z, (zi, i) => zi / (c * (D[i] as number)));
      step += 1;
      prevLosses = Float64Array.from(input.losses);
      return { objective, coefficients, weights: null, diagnostics: { z: Array.from(z), step } };
    },
    afterStep(input: StepInput, lossesAfter: Float64Array): void {
      checkStep('famo', nTasks, input);
      if (lossesAfter.length !== nTasks) throw new ShapeError('famo: losses after the step', [nTasks], [lossesAfter.length]);
      if (!prevLosses) throw new ConfigError('famo.afterStep', 'no preceding weigh()', 'weigh() on the same batch first');
      const delta = Float64Array.from(prevLosses, (l, i) => Math.log(l - (minLosses[i] as number) + 1e-8) - Math.log((lossesAfter[i] as number) - (minLosses[i] as number) + 1e-8));
      if (delta.some((d) => !Number.isFinite(d))) throw new NumericalError(`${label}: non-finite log-loss change (losses after the step ${Array.from(lossesAfter).join(', ')})`);
      const z = softmax(w);
      let zd = 0;
      for (let i = 0; i < nTasks; i++) zd += (z[i] as number) * (delta[i] as number);
      adamStep += 1;
      const bc1 = 1 - BETA1 ** adamStep;
      const bc2 = 1 - BETA2 ** adamStep;
      for (let i = 0; i < nTasks; i++) {
        const g = (z[i] as number) * ((delta[i] as number) - zd) + p.wGamma * (w[i] as number);
        m[i] = BETA1 * (m[i] as number) + (1 - BETA1) * g;
        v[i] = BETA2 * (v[i] as number) + (1 - BETA2) * g * g;
        const denom = Math.sqrt(v[i] as number) / Math.sqrt(bc2) + ADAM_EPS;
        w[i] = (w[i] as number) - (p.wLr / bc1) * ((m[i] as number) / denom);
      }
    },
    getState(): JsonObject {
      return {
        step,
        w: toJson(w),
        adamM: toJson(m),
        adamV: toJson(v),
        adamStep,
        minLosses: toJson(minLosses),
        prevLosses: toJson(prevLosses),
      };
    },
    setState(state: JsonObject): void {
      const s = numField(state, 'step');
      const as = numField(state, 'adamStep');
      for (const [k, val] of [['step', s], ['adamStep', as]] as const) {
        if (!Number.isInteger(val) || val < 0) throw new ConfigError(`famo state.${k}`, val, 'an integer >= 0');
      }
      const nw = fromJson('famo state.w', state['w'], nTasks);
      const nm = fromJson('famo state.adamM', state['adamM'], nTasks);
      const nv = fromJson('famo state.adamV', state['adamV'], nTasks);
      const nl = fromJson('famo state.minLosses', state['minLosses'], nTasks);
      const pl = state['prevLosses'];
      prevLosses = pl === null || pl === undefined ? null : fromJson('famo state.prevLosses', pl, nTasks);
      step = s;
      adamStep = as;
      w = nw;
      m = nm;
      v = nv;
      minLosses = nl;
    },
    learnable: () => null,
    setLearnable: () => {},
    referenceState(): Record<string, JsonValue> {
      return { w: toJson(w), min_losses: toJson(minLosses), step };
    },
  };
}
