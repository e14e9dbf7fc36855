/**
 * DWA: dynamic weight average.
 *
 * Paper: Liu, Johns and Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019; as
 * implemented in LibMTL `DWA.py`.
 * Update: with h[e][i] the epoch-mean training loss of task i over finished epoch e
 * (`input.lossHistory`, LibMTL's `train_loss_buffer`): for epoch e ≤ 1 the weights are 1; for
 * e ≥ 2, r_i = h[e−1][i] / h[e−2][i] and w = n · softmax(r / T). Objective Σ_i w_i L_i, so every
 * parameter receives Σ_i w_i ∇L_i. The weights are constant within an epoch. Reported weights w.
 * Hyperparameters:
 * - T (> 0, default 2): softmax temperature; large T → equal weights, small T → the task whose loss
 *   fell least gets almost all the weight.
 * Deviations: LibMTL does not guard the ratio. Here a 0/0 ratio (a task whose epoch-mean loss was
 * 0 in both epochs) counts as 1 (no change), and x/0 with x > 0 counts as +∞, whose softmax limit
 * gives that task (or those tasks, equally) all of the weight n, instead of NaN weights.
 */
import { NumericalError, ShapeError } from '../src/errors.js';
import { canonicalLabel, checkStep, checkTasks, lossWeightingCaps, ones, resolveParams, StatelessMethod } from './common.js';
import { softmaxExtended } from './linalg.js';
import type { LossWeightingMethod, LossWeightingResult, MethodDefinition, StepInput } from './types.js';

export type DWAParams = {
  /** Softmax temperature. */
  readonly T: number;
};

export const dwaDefinition: MethodDefinition<DWAParams> = {
  id: 'dwa',
  displayName: 'DWA',
  kind: 'loss-weighting',
  paper: { title: 'End-to-End Multi-Task Learning with Attention', venue: 'CVPR', year: 2019 },
  defaults: { T: 2.0 },
  params: {
    T: { type: 'number', gt: 0, max: 1e6, description: 'softmax temperature of the loss-ratio weights', short: 'T', reference: 'T' },
  },
  capabilities: lossWeightingCaps({ usesLossHistory: true }),
  referenceNames: ['DWA'],
  create: (nTasks, params) => createDWA(nTasks, params),
};

/** DWA's weights for an epoch from the epoch-mean loss history (ones for epochs 0 and 1). */
export function dwaWeights(method: string, nTasks: number, epoch: number, history: readonly Float64Array[], T: number): Float64Array {
  if (epoch <= 1) return ones(nTasks);
  const last = history[epoch - 1];
  const before = history[epoch - 2];
  if (!last || !before) {
    throw new ShapeError(`${method}: lossHistory at epoch ${epoch}`, `at least ${epoch} finished epochs`, [history.length]);
  }
  for (const h of [last, before]) {
    if (h.length !== nTasks) throw new ShapeError(`${method}: lossHistory entry`, [nTasks], [h.length]);
  }
  const z = new Float64Array(nTasks);
  for (let i = 0; i < nTasks; i++) {
    const a = last[i] as number;
    const b = before[i] as number;
    if (Number.isNaN(a) || Number.isNaN(b)) throw new NumericalError(`${method}: NaN in the epoch-mean loss of task ${i}`);
    const r = a === 0 && b === 0 ? 1 : a / b;
    z[i] = (Number.isNaN(r) ? 1 : r) / T;
  }
  const w = softmaxExtended(z, method);
  for (let i = 0; i < nTasks; i++) w[i] = nTasks * (w[i] as number);
  return w;
}

export function createDWA(nTasks: number, params?: Partial<DWAParams>): LossWeightingMethod {
  checkTasks('dwa', nTasks);
  const p = resolveParams(dwaDefinition, params);
  return new (class extends StatelessMethod implements LossWeightingMethod {
    readonly id = 'dwa';
    readonly kind = 'loss-weighting';
    readonly label = canonicalLabel(dwaDefinition, p);
    readonly nTasks = nTasks;
    weigh(input: StepInput): LossWeightingResult {
      checkStep(this.id, nTasks, input);
      const w = dwaWeights(this.label, nTasks, input.epoch, input.lossHistory, p.T);
      let objective = 0;
      for (let i = 0; i < nTasks; i++) objective += (w[i] as number) * (input.losses[i] as number);
      return { objective, coefficients: w, weights: Float64Array.from(w) };
    }
  })();
}
