/**
 * CAGrad: conflict-averse gradient descent.
 *
 * Paper: Liu, Liu, Jin, Stone, Liu, "Conflict-Averse Gradient Descent for Multi-task Learning",
 * NeurIPS 2021; as implemented in LibMTL `CAGrad.py`.
 * Update (param mode only): A = G Gᵀ, ‖ḡ‖ = sqrt(mean(A) + 1e-8), c = calpha·‖ḡ‖ + 1e-8;
 * w = argmin over the simplex of wᵀA(1/n)·1 + c·sqrt(wᵀAw + 1e-8)  (= g_w·ḡ + c‖g_w‖);
 * g_w = Σ w_i g_i, λ = c / (‖g_w‖ + 1e-8), g = ḡ + λ g_w, and the update is g / (1 + calpha²)
 * (rescale 1), g (rescale 0) or g / (1 + calpha) (rescale 2). Equivalent task coefficients:
 * (1/n + λ w_i) / scale. Returns w (LibMTL's return value).
 * Hyperparameters:
 * - c (LibMTL `calpha`, ≥ 0, default 0.5): radius of the ball around ḡ, relative to ‖ḡ‖.
 * - rescale (LibMTL `rescale`, 0 | 1 | 2, default 1): the final division, see above.
 * Deviations: LibMTL solves the inner problem with scipy's SLSQP from w = 1/n and never checks the
 * result. On badly scaled gradients (norms ≳ 10³, or a 10⁷ spread of norms) SLSQP returns its
 * start point w = 1/n (reported as success, or as "Inequality constraints incompatible"), so CAGrad
 * silently degrades to ḡ(1 + c/‖ḡ‖)/scale there, and on well-scaled steps it stops up to ~1.5e-3
 * away from the optimum. We solve the same objective (constants 1e-8 included) with a log-barrier
 * Newton method (`solvers/simplex.ts`) to a certified Frank-Wolfe gap; its argmin is scale
 * invariant where LibMTL's answer is not. So our update differs from LibMTL's on the steps where
 * SLSQP stalled or stopped early (every step of the `huge_scale` vectors, 6-8 of 10 on
 * `magnitude_gap`, and at the 1e-4..1e-3 level on `conflicting`); the combination step alone
 * (`cagradCombine`) reproduces LibMTL's update from its recorded w. A solve that does not reach
 * its tolerance is reported in `diagnostics.solver` (`converged: false`, the gap), never hidden.
 * The Gram matrix is formed from G divided by max|G| (same minimiser), so ×1e5 inputs neither
 * overflow nor lose precision; non-finite gradients raise a NumericalError. Rep mode is
 * unsupported (LibMTL raises ValueError).
 */
import { NumericalError, UnsupportedError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, combine, resolveParams, StatelessMethod } from './common.js';
import { gram, norm } from './linalg.js';
import { minimizeLinearPlusNorm, type SimplexSolution } from './solvers/simplex.js';
import type { AggregationResult, GradientAggregationMethod, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type CAGradParams = {
  /** LibMTL `calpha`: the ball radius relative to ‖ḡ‖. */
  readonly c: number;
  /** LibMTL `rescale`: 0 → g, 1 → g/(1+c²), 2 → g/(1+c). */
  readonly rescale: 0 | 1 | 2;
};

export const cagradDefinition: MethodDefinition<CAGradParams> = {
  id: 'cagrad',
  displayName: 'CAGrad',
  kind: 'gradient-aggregation',
  paper: { title: 'Conflict-Averse Gradient Descent for Multi-task Learning', venue: 'NeurIPS', year: 2021 },
  defaults: { c: 0.5, rescale: 1 },
  params: {
    c: { type: 'number', min: 0, description: 'radius of the ball around the mean gradient, relative to its norm', reference: 'calpha' },
    rescale: { type: 'enum', values: [0, 1, 2], description: 'final division: 0 none, 1 by 1+c², 2 by 1+c', reference: 'rescale' },
  },
  capabilities: aggregationCaps(),
  referenceNames: ['CAGrad'],
  create: (nTasks, params) => createCAGrad(nTasks, params),
};

/** The divisor of each rescale mode. */
export function cagradScale(calpha: number, rescale: 0 | 1 | 2): number {
  return rescale === 0 ? 1 : rescale === 1 ? 1 + calpha * calpha : 1 + calpha;
}

/** max|G| (the common scale the Gram matrix is formed at); throws on non-finite entries. */
function maxAbs(method: string, G: readonly Float64Array[]): number {
  let k = 0;
  for (const g of G) for (const v of g) k = Math.max(k, Math.abs(v));
  if (!Number.isFinite(k)) throw new NumericalError(`${method}: task gradients contain a non-finite value`);
  return k;
}

/** ḡ and the inner problem's c = calpha·sqrt(‖ḡ‖² + 1e-8) + 1e-8, as LibMTL forms them. */
function meanAndRadius(G: readonly Float64Array[], calpha: number): { mean: Float64Array; c: number } {
  const n = G.length;
  const mean = combine(new Float64Array(n).fill(1 / n), G);
  // mean(G Gᵀ) = ‖ḡ‖²; hypot keeps sqrt(‖ḡ‖² + 1e-8) finite for huge gradients.
  const g0norm = Math.hypot(norm(mean), 1e-4);
  return { mean, c: calpha * g0norm + 1e-8 };
}

export interface CAGradCombination {
  readonly grad: Float64Array;
  /** (1/n + λ w_i) / scale: grad = Σ coefficients_i g_i. */
  readonly coefficients: Float64Array;
  readonly lambda: number;
}

/**
 * The combination step of CAGrad for given simplex weights w (LibMTL's code after its solver):
 * g_w = Σ w_i g_i, λ = c / (‖g_w‖ + 1e-8), grad = (ḡ + λ g_w) / scale.
 */
export function cagradCombine(G: readonly Float64Array[], w: ArrayLike<number>, calpha: number, rescale: 0 | 1 | 2): CAGradCombination {
  const n = G.length;
  const { c } = meanAndRadius(G, calpha);
  const gw = combine(w, G);
  const lambda = c / (norm(gw) + 1e-8);
  const scale = cagradScale(calpha, rescale);
  const coefficients = Float64Array.from({ length: n }, (_, i) => (1 / n + lambda * (w[i] as number)) / scale);
  return { grad: combine(coefficients, G), coefficients, lambda };
}

/**
 * CAGrad's inner problem, min over the simplex of wᵀA(1/n)·1 + c·sqrt(wᵀAw + 1e-8), solved on G/max|G|
 * (the objective divided by max|G|², same minimiser). `objective` and `gap` are in the original units.
 */
export function cagradWeights(G: readonly Float64Array[], calpha: number): SimplexSolution {
  const n = G.length;
  const k = maxAbs('cagrad', G);
  const { c } = meanAndRadius(G, calpha);
  if (k === 0) {
    const x = new Float64Array(n).fill(1 / n);
    return { x, objective: c * 1e-4, gap: 0, tolerance: 0, iterations: 0, converged: true };
  }
  const A = gram(G, 1 / k);
  const b = A.map((row) => row.reduce((p, q) => p + q, 0) / n);
  const sol = minimizeLinearPlusNorm(A, b, c / k, 1e-8 / (k * k));
  const k2 = k * k;
  return { ...sol, objective: sol.objective * k2, gap: sol.gap * k2, tolerance: sol.tolerance * k2 };
}

export function createCAGrad(nTasks: number, params?: Partial<CAGradParams>): GradientAggregationMethod {
  checkTasks('cagrad', nTasks);
  const p = resolveParams(cagradDefinition, params);
  return new (class extends StatelessMethod implements GradientAggregationMethod {
    readonly id = 'cagrad';
    readonly kind = 'gradient-aggregation';
    readonly label = canonicalLabel(cagradDefinition, p);
    readonly nTasks = nTasks;
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      if (grads.mode !== 'param') {
        throw new UnsupportedError(`${this.label}: representation-gradient mode is not supported (LibMTL raises ValueError); use param mode`);
      }
      checkStep(this.id, nTasks, input, grads);
      const sol = cagradWeights(grads.G, p.c);
      const { grad, coefficients, lambda } = cagradCombine(grads.G, sol.x, p.c, p.rescale);
      return {
        grad,
        coefficients,
        weights: sol.x,
        headScale: null,
        diagnostics: {
          lambda,
          solver: {
            converged: sol.converged,
            gap: sol.gap,
            tolerance: sol.tolerance,
            iterations: sol.iterations,
            objective: sol.objective,
          },
        },
      };
    }
    combineWeights(_input: StepInput, grads: TaskGradients, weights: Float64Array): Float64Array {
      return cagradCombine(grads.G, weights, p.c, p.rescale).grad;
    }
  })();
}
