/**
 * PCGrad: project conflicting gradients.
 *
 * Paper: Yu et al., "Gradient Surgery for Multi-Task Learning", NeurIPS 2020; as implemented in
 * LibMTL `PCGrad.py`.
 * Update: pc_i = g_i; for each task i, for j in a random order of all n tasks (i included):
 * d = pc_i · g_j; if d < 0 then pc_i ← pc_i − d g_j / (‖g_j‖² + 1e-8) and w_j ← w_j − d / (‖g_j‖² + 1e-8)
 * (w starts at 1). The update is Σ_i pc_i = Σ_j w_j g_j; w is returned. Heads keep their plain ∇L_t.
 * Hyperparameters: none. Randomness: one shuffle of the n tasks per task i, from the run's
 * generator or injected (`draws.shuffleOrders[i]`).
 * Deviations: none in the arithmetic (float64). A zero gradient g_j gives d = 0 and is never
 * projected on, as in LibMTL. The shuffle uses our generator, so orders differ from Python's
 * `random.shuffle` unless injected.
 */
import { ShapeError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, linearResult, requireParamMode, resolveParams, StatelessMethod } from './common.js';
import { dot } from './linalg.js';
import type { AggregationResult, GradientAggregationMethod, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type PCGradParams = Record<string, never>;

export const pcgradDefinition: MethodDefinition<PCGradParams> = {
  id: 'pcgrad',
  displayName: 'PCGrad',
  kind: 'gradient-aggregation',
  paper: { title: 'Gradient Surgery for Multi-Task Learning', venue: 'NeurIPS', year: 2020 },
  defaults: {},
  params: {},
  capabilities: aggregationCaps({ stochastic: true }),
  referenceNames: ['PCGrad'],
  create: (nTasks, params) => createPCGrad(nTasks, params),
};

/** The projection coefficients w (update = Σ_j w_j g_j) for the given per-task orders. */
export function pcgradCoefficients(G: readonly Float64Array[], orders: readonly (readonly number[])[]): Float64Array {
  const n = G.length;
  const sq = G.map((g) => dot(g, g) + 1e-8);
  const w = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const pc = Float64Array.from(G[i] as Float64Array);
    for (const j of orders[i] as readonly number[]) {
      const gj = G[j] as Float64Array;
      const d = dot(pc, gj);
      if (d < 0) {
        const f = d / (sq[j] as number);
        for (let k = 0; k < pc.length; k++) pc[k] = (pc[k] as number) - f * (gj[k] as number);
        w[j] = (w[j] as number) - f;
      }
    }
  }
  return w;
}

export function createPCGrad(nTasks: number, params?: Partial<PCGradParams>): GradientAggregationMethod {
  checkTasks('pcgrad', nTasks);
  const p = resolveParams(pcgradDefinition, params);
  return new (class extends StatelessMethod implements GradientAggregationMethod {
    readonly id = 'pcgrad';
    readonly kind = 'gradient-aggregation';
    readonly label = canonicalLabel(pcgradDefinition, p);
    readonly nTasks = nTasks;
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      requireParamMode('PCGrad', grads);
      checkStep(this.id, nTasks, input, grads);
      const orders = input.draws?.shuffleOrders ?? Array.from({ length: nTasks }, () => input.rng.shuffle(Array.from({ length: nTasks }, (_, k) => k)));
      if (orders.length !== nTasks) throw new ShapeError('pcgrad: draws.shuffleOrders', [nTasks, nTasks], [orders.length]);
      for (const [i, o] of orders.entries()) {
        if (o.length !== nTasks || [...o].sort((a, b) => a - b).some((v, k) => v !== k)) {
          throw new ShapeError(`pcgrad: draws.shuffleOrders[${i}] (a permutation of 0..${nTasks - 1})`, [nTasks], [o.length]);
        }
      }
      const w = pcgradCoefficients(grads.G, orders);
      return linearResult(grads, w);
    }
  })();
}
