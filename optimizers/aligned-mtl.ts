/**
 * Aligned-MTL: gradient alignment by the condition number of the task-gradient system.
 *
 * Paper: Senushkin et al., "Independent Component Alignment for Multi-Task Learning", CVPR 2023.
 * Update: M = G Gᵀ = V diag(λ) Vᵀ; keep the eigenpairs with λ > tol = λ_max · n · eps
 * (rank r); B = sqrt(λ_min,kept) · V_r diag(λ_r^{-1/2}) V_rᵀ; α = B·1 and the update is Σ_j α_j g_j.
 * Equivalently the aligned matrix B G = σ_min U V_rᵀ has orthogonal rows of equal norm σ_min, and
 * the update is their sum. Scale invariant: α(kG) = α(G).
 * Hyperparameters:
 * - rankEps (> 0, default 1.1920929e-7): the epsilon in the rank cut-off. LibMTL computes in float32
 *   and so uses float32's epsilon; 2.22e-16 reproduces a float64 run of the same code.
 * Deviations: LibMTL uses torch.symeig (radarODE-MTL's copy torch.linalg.eigh); we use a Jacobi
 * eigensolver in float64. An all-zero gradient matrix (rank 0) gives a zero update instead of NaN.
 * Non-finite gradients raise a NumericalError naming the method instead of propagating NaN.
 */
import { NumericalError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, linearResult, resolveParams, StatelessMethod } from './common.js';
import { FLOAT32_EPS, gram, type Matrix, symEig } from './linalg.js';
import type { AggregationResult, GradientAggregationMethod, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type AlignedMTLParams = {
  /** Epsilon of the rank cut-off tol = λ_max · n · eps. */
  readonly rankEps: number;
};

export const alignedMtlDefinition: MethodDefinition<AlignedMTLParams> = {
  id: 'aligned-mtl',
  displayName: 'Aligned-MTL',
  kind: 'gradient-aggregation',
  paper: { title: 'Independent Component Alignment for Multi-Task Learning', venue: 'CVPR', year: 2023 },
  defaults: { rankEps: FLOAT32_EPS },
  params: {
    rankEps: { type: 'number', gt: 0, max: 1e-3, description: 'epsilon of the rank cut-off tol = λ_max·n·eps', short: 'eps', label: 'non-default' },
  },
  capabilities: aggregationCaps({ repMode: true }),
  referenceNames: ['Aligned_MTL', 'Aligned_MTL_radarODE', 'Aligned_MTL_rep'],
  create: (nTasks, params) => createAlignedMTL(nTasks, params),
};

export interface AlignedCoefficients {
  /** B·1: the coefficients on the raw task gradients. */
  readonly alpha: Float64Array;
  /** The symmetric alignment matrix B (n×n). */
  readonly B: Matrix;
  readonly rank: number;
}

/** The alignment matrix B of Aligned-MTL and EGA, from the Gram matrix of the task gradients. */
export function alignedCoefficients(method: string, G: readonly Float64Array[], rankEps: number): AlignedCoefficients {
  const n = G.length;
  // Scale the gradients first: B is scale invariant, and this keeps G Gᵀ finite for huge inputs.
  let scale = 0;
  for (const g of G) for (const x of g) scale = Math.max(scale, Math.abs(x));
  if (!Number.isFinite(scale)) throw new NumericalError(`${method}: task gradients contain a non-finite value`);
  const B: Matrix = Array.from({ length: n }, () => new Float64Array(n));
  if (scale === 0) return { alpha: new Float64Array(n), B, rank: 0 };
  const M = gram(G, 1 / scale);
  const { values, vectors } = symEig(M);
  const lmax = values[n - 1] as number;
  const tol = lmax * n * rankEps;
  const kept: number[] = [];
  for (let k = 0; k < n; k++) if ((values[k] as number) > tol) kept.push(k);
  if (kept.length === 0) return { alpha: new Float64Array(n), B, rank: 0 };
  const lminKept = values[kept[0] as number] as number;
  const sigmaMin = Math.sqrt(lminKept);
  for (const k of kept) {
    const v = vectors[k] as Float64Array;
    const f = sigmaMin / Math.sqrt(values[k] as number);
    for (let i = 0; i < n; i++) {
      const row = B[i] as Float64Array;
      for (let j = 0; j < n; j++) row[j] += f * (v[i] as number) * (v[j] as number);
    }
  }
  const alpha = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) alpha[j] += (B[i] as Float64Array)[j] as number;
  return { alpha, B, rank: kept.length };
}

export function createAlignedMTL(nTasks: number, params?: Partial<AlignedMTLParams>): GradientAggregationMethod {
  checkTasks('aligned-mtl', nTasks);
  const p = resolveParams(alignedMtlDefinition, params);
  return new (class extends StatelessMethod implements GradientAggregationMethod {
    readonly id = 'aligned-mtl';
    readonly kind = 'gradient-aggregation';
    readonly label = canonicalLabel(alignedMtlDefinition, p);
    readonly nTasks = nTasks;
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      checkStep(this.id, nTasks, input, grads);
      const { alpha, rank } = alignedCoefficients(this.label, grads.G, p.rankEps);
      return linearResult(grads, alpha, { diagnostics: { rank } });
    }
  })();
}
