/**
 * EGA: eccentric gradient alignment (radarODE-MTL).
 *
 * Paper: Zhang et al., "radarODE-MTL: A Multi-Task Learning Framework with Eccentric Gradient
 * Alignment for Robust Radar-Based ECG Reconstruction", IEEE Transactions on Instrumentation and
 * Measurement, 2025 (arXiv 2410.08656); reference code radarODE-MTL `LibMTL/weighting/EGA.py`.
 * Update: Aligned-MTL's alignment first: M = G Gᵀ = V diag(λ) Vᵀ, keep λ > λ_max·n·eps (rank r),
 * B = sqrt(λ_min,kept) · V_r diag(λ_r^{-1/2}) V_rᵀ, so the rows of B G (the aligned gradients
 * G̃ = σ̃ U Σ⁻¹ Uᵀ G of the slides) are orthogonal with equal norm σ̃. Then the eccentric vector ω:
 * - epoch e < W (W = warmupEpoch): ω = 1;
 * - e = W: ω = 1, and the raw losses of every step are summed and counted;
 * - e > W: on the first such step nadir = sum / count (then frozen);
 *   ω = n · softmax( (lossHistory[e−1] / nadir) / T ), lossHistory[e−1] the previous epoch's mean
 *   training loss per task. Tasks whose loss fell least since the warm-up are emphasised; small T
 *   sharpens, large T tends to ω = 1. ω sums to n.
 * Two ways to apply ω (`variant`):
 * - 'paper' (default; the formula of the paper's Algorithm 1): ĝ_ecc = G̃ᵀ ω, i.e. ω weights the
 *   aligned gradients: α = B ω, update Σ_j α_j g_j.
 * - 'reference-code' (what the published code computes, so what reproduces the published
 *   numbers): α = (B·1) ⊙ ω, i.e. ω weights the coefficients of the raw gradients.
 * They agree when ω is uniform (so up to epoch W+1, where the previous-epoch mean is the nadir
 * itself) or when the gradients are already orthogonal, and differ otherwise. Worked example
 * (reference vectors EGA.json, case random/EGA_temp=0.1/float64, step 9, ω = (1.013, 1.843, 0.144)):
 * reference-code α = (0.542, 1.712, 0.009), paper α = Bω = (0.644, 1.779, −0.160); the two updates
 * have cosine 0.949 and norm ratio 1.055; along the orthonormal aligned directions the code's update
 * has components (2.01, 3.52, 1.65), the paper's exactly σ̃·ω = (1.99, 3.63, 0.28), so under the
 * code a down-weighted task can still receive a large component.
 * Hyperparameters:
 * - T (reference `EGA_temp`, > 0, default 1): softmax temperature. The paper sweeps
 *   {@link EGA_PAPER_TEMPERATURES}; a list is expanded by the run configuration, one method per value.
 * - warmupEpoch (integer ≥ 0, default 4): the warm-up epoch W (hard-coded to 4 in the reference).
 * - variant ('paper' | 'reference-code', default 'paper'): see above.
 * - rankEps (> 0, default float32 eps 1.19e-7): as Aligned-MTL (2.22e-16 reproduces a float64 run).
 * Deviations: the reference's `0.0/0` when epoch W had no step becomes a ConfigError naming the
 * warm-up epoch; a missing previous-epoch loss, a zero or non-finite nadir or loss mean raise
 * instead of producing NaN/Infinity weights. The eigen-decomposition is Aligned-MTL's (Jacobi,
 * float64); an all-zero gradient matrix gives a zero update. State (nadir, loss sum, count) is
 * explicit and JSON-serialisable.
 */
import { ConfigError, NumericalError, ShapeError } from '../src/errors.js';
import { alignedCoefficients } from './aligned-mtl.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, fromJson, linearResult, ones, resolveParams, toJson } from './common.js';
import { FLOAT32_EPS, softmax } from './linalg.js';
import type {
  AggregationResult,
  GradientAggregationMethod,
  JsonObject,
  JsonValue,
  MethodDefinition,
  StepInput,
  TaskGradients,
} from './types.js';

export type EGAVariant = 'paper' | 'reference-code';

export type EGAParams = {
  /** Softmax temperature (reference `EGA_temp`). */
  readonly T: number;
  /** The warm-up epoch W whose mean loss is the nadir (hard-coded 4 in the reference). */
  readonly warmupEpoch: number;
  /** 'paper': α = Bω (ω weights the aligned gradients); 'reference-code': α = (B·1) ⊙ ω. */
  readonly variant: EGAVariant;
  /** Epsilon of the rank cut-off tol = λ_max · n · eps. */
  readonly rankEps: number;
};

/** The temperatures of the paper's EGA sweep. */
export const EGA_PAPER_TEMPERATURES: readonly number[] = [0.1, 0.5, 1.0, 1.5, 2.0];

export const egaDefinition: MethodDefinition<EGAParams> = {
  id: 'ega',
  displayName: 'EGA',
  kind: 'gradient-aggregation',
  paper: {
    title: 'radarODE-MTL: A Multi-Task Learning Framework with Eccentric Gradient Alignment for Robust Radar-Based ECG Reconstruction',
    venue: 'IEEE Transactions on Instrumentation and Measurement',
    year: 2025,
  },
  defaults: { T: 1.0, warmupEpoch: 4, variant: 'paper', rankEps: FLOAT32_EPS },
  params: {
    T: { type: 'number', gt: 0, description: 'softmax temperature of the eccentric weights', reference: 'EGA_temp' },
    warmupEpoch: { type: 'integer', min: 0, description: 'warm-up epoch whose mean loss is the nadir (reference: 4, hard-coded)', short: 'warmup', label: 'non-default', warmup: true },
    variant: {
      type: 'enum',
      values: ['paper', 'reference-code'],
      description: "how ω is applied: 'paper' weights the aligned gradients (α = Bω), 'reference-code' the coefficients (α = (B·1)⊙ω)",
      label: 'non-default',
    },
    rankEps: { type: 'number', gt: 0, max: 1e-3, description: 'epsilon of the rank cut-off tol = λ_max·n·eps', short: 'eps', label: 'non-default' },
  },
  capabilities: aggregationCaps({ stateful: true, repMode: true, usesLossHistory: true }),
  referenceNames: ['EGA', 'EGA_rep'],
  create: (nTasks, params) => createEGA(nTasks, params),
};

/** α from the alignment matrix B and ω, for either variant. */
export function egaCoefficients(B: readonly Float64Array[], omega: ArrayLike<number>, variant: EGAVariant): Float64Array {
  const n = B.length;
  const alpha = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = B[i] as Float64Array;
    for (let j = 0; j < n; j++) {
      // B is symmetric: (B·1)_j = Σ_i B_ij and (Bω)_j = Σ_i B_ij ω_i.
      alpha[j] += (row[j] as number) * (variant === 'paper' ? (omega[i] as number) : 1);
    }
  }
  if (variant === 'reference-code') for (let j = 0; j < n; j++) alpha[j] *= omega[j] as number;
  return alpha;
}

export function createEGA(nTasks: number, params?: Partial<EGAParams>): GradientAggregationMethod {
  checkTasks('ega', nTasks);
  const p = resolveParams(egaDefinition, params);
  const label = canonicalLabel(egaDefinition, p);
  const W = p.warmupEpoch;
  // The reference's nadir_vector (None until the first step after warm-up), average_loss (0 until
  // the first warm-up step) and average_loss_count.
  let nadir: Float64Array | null = null;
  let lossSum: Float64Array | null = null;
  let lossCount = 0;

  const eccentricWeights = (input: StepInput): Float64Array => {
    const e = input.epoch;
    if (e === W) {
      lossSum ??= new Float64Array(nTasks);
      for (let i = 0; i < nTasks; i++) lossSum[i] += input.losses[i] as number;
      lossCount++;
    }
    if (e <= W) return ones(nTasks);
    if (nadir === null) {
      if (lossCount === 0 || lossSum === null) {
        throw new ConfigError(
          `${label}: warmupEpoch`,
          W,
          `an epoch with at least one training step before epoch ${e} (its mean loss is the nadir; none was seen)`,
        );
      }
      const count = lossCount;
      nadir = lossSum.map((s) => s / count);
    }
    const prev = input.lossHistory[e - 1];
    if (!prev) throw new ShapeError(`${label}: lossHistory (mean loss of epoch ${e - 1} needed at epoch ${e})`, [e, nTasks], [input.lossHistory.length, nTasks]);
    if (prev.length !== nTasks) throw new ShapeError(`${label}: lossHistory[${e - 1}]`, [nTasks], [prev.length]);
    const nd = nadir;
    const logits = Float64Array.from(prev, (l, i) => {
      const base = nd[i] as number;
      if (!(base > 0) || !Number.isFinite(base)) throw new NumericalError(`${label}: the warm-up mean loss of task ${i} is ${base}; the loss ratio needs a finite positive nadir`);
      if (!Number.isFinite(l)) throw new NumericalError(`${label}: lossHistory[${e - 1}][${i}] is ${l}`);
      return l / base / p.T;
    });
    return softmax(logits).map((v) => v * nTasks);
  };

  return {
    id: 'ega',
    kind: 'gradient-aggregation',
    label,
    nTasks,
    getState(): JsonObject {
      return { nadir: toJson(nadir), lossSum: toJson(lossSum), lossCount };
    },
    setState(state: JsonObject): void {
      const nd = state.nadir;
      const ls = state.lossSum;
      const lc = state.lossCount;
      if (typeof lc !== 'number' || !Number.isInteger(lc) || lc < 0) throw new ConfigError(`${label}: state.lossCount`, lc, 'an integer >= 0');
      nadir = nd === null || nd === undefined ? null : fromJson(`${label}: state.nadir`, nd, nTasks);
      lossSum = ls === null || ls === undefined ? null : fromJson(`${label}: state.lossSum`, ls, nTasks);
      lossCount = lc;
    },
    learnable: () => null,
    setLearnable: (): void => {},
    referenceState(): Record<string, JsonValue> {
      return { nadir_vector: toJson(nadir), average_loss: lossSum === null ? 0 : toJson(lossSum), average_loss_count: lossCount };
    },
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      checkStep('ega', nTasks, input, grads);
      const { B, rank } = alignedCoefficients(label, grads.G, p.rankEps);
      const omega = eccentricWeights(input);
      const alpha = egaCoefficients(B, omega, p.variant);
      return linearResult(grads, alpha, { diagnostics: { rank, eccentricWeights: toJson(omega), variant: p.variant } });
    },
  };
}
