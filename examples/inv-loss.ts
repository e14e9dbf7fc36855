/**
 * A method plugin: inverse-loss weighting. Every task's loss is scaled by 1 / L_i^p (the weights
 * treated as constants), so each task contributes about equally whatever its scale.
 * Use it with `mtl-bench run --plugin examples/inv-loss.ts --optimizers InvLoss,EW --preset regression-ci`.
 */
import type { LossWeightingMethod, MethodDefinition } from 'mtl-bench/optimizers';

type Params = { p: number; eps: number };

export const invLoss: MethodDefinition<Params> = {
  id: 'inv-loss',
  displayName: 'InvLoss',
  kind: 'loss-weighting',
  paper: { title: 'Inverse-loss weighting (example plugin)', venue: 'mtl-bench examples', year: 2026 },
  defaults: { p: 1, eps: 1e-8 },
  params: {
    p: { type: 'number', min: 0, max: 4, description: 'exponent of the inverse loss' },
    eps: { type: 'number', gt: 0, description: 'added to each loss before inverting', label: 'non-default' },
  },
  capabilities: { stateful: false, stochastic: false, needsTaskGradients: false, paramMode: true, repMode: false, requiresRep: false, learnable: false, usesLossHistory: false, needsPostStepLosses: false },
  referenceNames: [],
  create(nTasks, params = {}): LossWeightingMethod {
    const { p, eps } = { ...invLoss.defaults, ...params };
    if (!(p >= 0 && p <= 4)) throw new RangeError(`inv-loss.p: got ${p}, expected a value in [0, 4]`);
    return {
      id: 'inv-loss', kind: 'loss-weighting', nTasks,
      label: eps === invLoss.defaults.eps ? `InvLoss(p=${p})` : `InvLoss(p=${p}, eps=${eps})`,
      weigh({ losses }) {
        const w = losses.map((l) => 1 / Math.pow(l + eps, p));
        return { objective: losses.reduce((s, l, i) => s + w[i]! * l, 0), coefficients: w, weights: w };
      },
      getState: () => ({}), setState: () => {}, learnable: () => null, setLearnable: () => {},
    };
  },
};
