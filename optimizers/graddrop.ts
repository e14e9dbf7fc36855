/**
 * GradDrop: gradient sign dropout on the shared representation.
 *
 * Paper: Chen, Ngiam, Huang, Luong, Kretzschmar, Chai and Anguelov, "Just Pick a Sign: Optimizing
 * Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020; as implemented in LibMTL
 * `GradDrop.py` (representation gradients only).
 * Update: with the representation r (B×d), the per-sample task gradients R_i (B×d) and, per
 * feature f, s_i[f] = Σ_b R_i[b,f]·sign(r[b,f]):
 * P[f] = ½ (1 + Σ_i s_i[f] / (Σ_i |s_i[f]| + 1e-7)); one uniform draw U[f] per feature;
 * mask M_i[f] = [P > U]·[s_i > 0] + [P < U]·[s_i < 0] (so per feature either every task with a
 * positive signed sum is kept or every negative one; s_i = 0 is always dropped);
 * the representation receives Σ_i R_i ⊙ (leak + (1 − leak) M_i) (mask broadcast over the batch).
 * The positive group of feature f is kept with probability exactly P[f]. The task heads keep their
 * plain gradients; there are no combination coefficients and no reported weights (LibMTL: None).
 * Hyperparameters:
 * - leak (in [0, 1], default 0): fraction of every gradient passed through unmasked; 1 is the plain
 *   sum of the task gradients.
 * Draws: `input.draws.uniform` (d values) when given, else d draws of `input.rng.uniform()` in
 * feature order.
 * Deviations: none in the arithmetic (the 1e-7 of P is LibMTL's). Param mode raises an
 * UnsupportedError, as LibMTL raises ValueError.
 */
import { ShapeError, UnsupportedError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, resolveParams, StatelessMethod } from './common.js';
import type { AggregationResult, GradientAggregationMethod, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type GradDropParams = {
  /** Fraction of every task gradient passed through the mask. */
  readonly leak: number;
};

export const gradDropDefinition: MethodDefinition<GradDropParams> = {
  id: 'graddrop',
  displayName: 'GradDrop',
  kind: 'gradient-aggregation',
  paper: {
    title: 'Just Pick a Sign: Optimizing Deep Multitask Models with Gradient Sign Dropout',
    venue: 'NeurIPS',
    year: 2020,
  },
  defaults: { leak: 0.0 },
  params: {
    leak: { type: 'number', min: 0, max: 1, description: 'fraction of each task gradient passed unmasked', short: 'leak', reference: 'leak' },
  },
  capabilities: aggregationCaps({ stochastic: true, paramMode: false, repMode: true, requiresRep: true }),
  referenceNames: ['GradDrop'],
  create: (nTasks, params) => createGradDrop(nTasks, params),
};

/** Per-feature keep probability P of the positive group and the signed batch sums s_i. */
export function gradDropKeepProbability(
  rep: Float64Array,
  perSample: readonly Float64Array[],
  batch: number,
): { readonly P: Float64Array; readonly signed: Float64Array[] } {
  const d = rep.length / batch;
  const signed = perSample.map((R) => {
    const s = new Float64Array(d);
    for (let b = 0; b < batch; b++) {
      for (let f = 0; f < d; f++) {
        const k = b * d + f;
        s[f] = (s[f] as number) + (R[k] as number) * Math.sign(rep[k] as number);
      }
    }
    return s;
  });
  const P = new Float64Array(d);
  for (let f = 0; f < d; f++) {
    let total = 0;
    let totalAbs = 0;
    for (const s of signed) {
      total += s[f] as number;
      totalAbs += Math.abs(s[f] as number);
    }
    P[f] = 0.5 * (1 + total / (totalAbs + 1e-7));
  }
  return { P, signed };
}

export function createGradDrop(nTasks: number, params?: Partial<GradDropParams>): GradientAggregationMethod {
  checkTasks('graddrop', nTasks);
  const p = resolveParams(gradDropDefinition, params);
  return new (class extends StatelessMethod implements GradientAggregationMethod {
    readonly id = 'graddrop';
    readonly kind = 'gradient-aggregation';
    readonly label = canonicalLabel(gradDropDefinition, p);
    readonly nTasks = nTasks;
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      if (grads.mode !== 'rep') {
        throw new UnsupportedError(`${this.label}: GradDrop works on representation gradients only (rep mode), not on parameter gradients`);
      }
      checkStep(this.id, nTasks, input, grads);
      const rep = grads.rep;
      if (!rep) throw new ShapeError(`${this.id}: representation`, 'rep.value and rep.perSample', 'none');
      const B = rep.batch;
      if (!Number.isInteger(B) || B < 1 || rep.value.length % B !== 0) {
        throw new ShapeError(`${this.id}: representation of batch ${B}`, ['B', 'd'], [rep.value.length]);
      }
      const d = rep.value.length / B;
      const { P, signed } = gradDropKeepProbability(rep.value, rep.perSample, B);
      let U: ArrayLike<number>;
      if (input.draws?.uniform) {
        U = input.draws.uniform;
        if (U.length !== d) throw new ShapeError(`${this.id}: injected uniform draw`, [d], [U.length]);
      } else {
        U = Float64Array.from({ length: d }, () => input.rng.uniform());
      }
      const out = new Float64Array(rep.value.length);
      const factor = new Float64Array(d);
      for (let i = 0; i < nTasks; i++) {
        const s = signed[i] as Float64Array;
        for (let f = 0; f < d; f++) {
          const pf = P[f] as number;
          const uf = U[f] as number;
          const sf = s[f] as number;
          const keep = (pf > uf && sf > 0) || (pf < uf && sf < 0) ? 1 : 0;
          factor[f] = p.leak + (1 - p.leak) * keep;
        }
        const R = rep.perSample[i] as Float64Array;
        for (let b = 0; b < B; b++) {
          for (let f = 0; f < d; f++) {
            const k = b * d + f;
            out[k] = (out[k] as number) + (R[k] as number) * (factor[f] as number);
          }
        }
      }
      return { grad: out, coefficients: null, weights: null, headScale: null };
    }
  })();
}
