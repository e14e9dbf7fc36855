/**
 * IMTL: impartial multi-task learning (IMTL-L loss scaling + IMTL-G gradient balancing).
 *
 * Paper: Liu, Li, Kuang, Xue, Chen, Yang, Liao, Zhang, "Towards Impartial Multi-task Learning",
 * ICLR 2021; as implemented in LibMTL `IMTL.py`.
 * Update: learnable log-scales s (init 0). IMTL-L replaces each loss by L̃_i = e^{s_i} L_i − s_i,
 * so the task gradients become g̃_i = e^{s_i} g_i and ∂L̃_i/∂s_i = e^{s_i} L_i − 1 (the learnable
 * gradient; the training loop steps s with its optimiser). IMTL-G: u_i = g̃_i/‖g̃_i‖,
 * D = g̃_1 − g̃_{2..n}, U = u_1 − u_{2..n} ((n−1) rows each), α_{2..n} = g̃_1 Uᵀ (D Uᵀ)⁻¹,
 * α_1 = 1 − Σ α_{2..n}; the update Σ α_i g̃_i has equal projections on every u_i. Works in param
 * mode and in rep mode (G = batch-summed representation gradients, the update Σ α_i e^{s_i} R_i on
 * the per-sample ones). Task heads get e^{s_i}∇L_i (`headScale`). Returns α.
 * Hyperparameters: none.
 * Deviations:
 * - A task with an exactly zero gradient makes LibMTL's u 0/0 and every output NaN. We drop such
 *   tasks from the IMTL-G system (their direction is undefined and they cannot change the update),
 *   give them α_i = 0, and balance the others (one left: α = 1 on it; none: a zero update).
 *   `diagnostics.droppedTasks` lists them. Their loss-scale gradient e^{s}L − 1 is unaffected.
 * - LibMTL inverts D Uᵀ with torch.inverse; we solve the transposed system by Gaussian elimination
 *   with partial pivoting (same answer on regular systems, including near-collinear gradients). When
 *   it is numerically singular (smallest singular value ≤ σ_max·64·(n−1)·eps, e.g. two tasks with
 *   the same gradient direction, where LibMTL returns rounding noise or Inf) we take the
 *   minimum-norm least-squares solution over the singular values above that cut instead
 *   (`diagnostics.fallback = 'pinv'`); the equal-projection property still holds.
 * - Gradients are divided by their common max |entry| before the solve (α is scale invariant), so
 *   ×1e5 inputs behave like ×1; non-finite gradients or e^{s} raise a NumericalError.
 */
import { NumericalError, ShapeError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, combine, resolveParams } from './common.js';
import { dot, FLOAT64_EPS, type Matrix, norm, solve } from './linalg.js';
import type { AggregationResult, GradientAggregationMethod, JsonObject, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type IMTLParams = Record<string, never>;

export const imtlDefinition: MethodDefinition<IMTLParams> = {
  id: 'imtl',
  displayName: 'IMTL',
  kind: 'gradient-aggregation',
  paper: { title: 'Towards Impartial Multi-task Learning', venue: 'ICLR', year: 2021 },
  defaults: {},
  params: {},
  capabilities: aggregationCaps({ repMode: true, learnable: true }),
  referenceNames: ['IMTL', 'IMTL_rep'],
  create: (nTasks, params) => createIMTL(nTasks, params),
};

export interface IMTLCoefficients {
  /** α with Σ α = 1 (over the kept tasks) on the given gradients. */
  readonly alpha: Float64Array;
  /** Tasks left out of the system because their gradient is zero. */
  readonly dropped: number[];
  /** 'pinv' when the system was singular and the least-squares solution was used. */
  readonly fallback: 'none' | 'pinv';
}

/** The Euclidean norm of the vector x(0..len−1), computed as linalg's norm() does (scaled by max|x|). */
function scaledNorm(len: number, x: (k: number) => number): number {
  let mx = 0;
  for (let k = 0; k < len; k++) mx = Math.max(mx, Math.abs(x(k)));
  if (mx === 0 || !Number.isFinite(mx)) return mx;
  let acc = 0;
  for (let k = 0; k < len; k++) {
    const v = x(k) / mx;
    acc += v * v;
  }
  return mx * Math.sqrt(acc);
}

/** IMTL-G's closed form on the (already loss-scaled) task gradients. */
export function imtlCoefficients(method: string, G: readonly Float64Array[], rowScale?: ArrayLike<number>): IMTLCoefficients {
  const n = G.length;
  const len = G[0]?.length ?? 0;
  // g̃_i = rowScale_i · G_i (IMTL-L's e^{s_i}), formed element by element: no m-length copies (at
  // paper scale a row has 23 M entries), with the same operations in the same order as scaling the
  // rows, dividing by max|g̃| and forming u_i, D and U explicitly, so every sum is the same.
  const rs = Float64Array.from({ length: n }, (_, i) => (rowScale ? (rowScale[i] as number) : 1));
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const g = G[i] as Float64Array;
    const r = rs[i] as number;
    for (let k = 0; k < len; k++) scale = Math.max(scale, Math.abs(rowScale ? (g[k] as number) * r : (g[k] as number)));
  }
  if (!Number.isFinite(scale)) throw new NumericalError(`${method}: task gradients contain a non-finite value`);
  const alpha = new Float64Array(n);
  const kept: number[] = [];
  const dropped: number[] = [];
  const value = (i: number, k: number): number => {
    const x = rowScale ? ((G[i] as Float64Array)[k] as number) * (rs[i] as number) : ((G[i] as Float64Array)[k] as number);
    return scale > 0 ? x / scale : x;
  };
  const norms = G.map((_, i) => scaledNorm(len, (k) => value(i, k)));
  for (let i = 0; i < n; i++) ((norms[i] as number) > 0 ? kept : dropped).push(i);
  if (kept.length === 0) return { alpha, dropped, fallback: 'none' };
  if (kept.length === 1) {
    alpha[kept[0] as number] = 1;
    return { alpha, dropped, fallback: 'none' };
  }
  const first = kept[0] as number;
  const rest = kept.slice(1);
  const m = rest.length;
  // a = (g̃_1 Uᵀ)(D Uᵀ)⁻¹  ⇔  (D Uᵀ)ᵀ aᵀ = U g̃_1, with D_j = g̃_1 − g̃_j and U_j = u_1 − u_j.
  const DUt: Matrix = Array.from({ length: m }, () => new Float64Array(m));
  const rhs = new Float64Array(m);
  const n1 = norms[first] as number;
  const G1 = G[first] as Float64Array;
  const r1 = rs[first] as number;
  const Gr = rest.map((i) => G[i] as Float64Array);
  const rr = rest.map((i) => rs[i] as number);
  const nr = rest.map((i) => norms[i] as number);
  const d = new Float64Array(m);
  const uu = new Float64Array(m);
  for (let k = 0; k < len; k++) {
    let g1 = rowScale ? (G1[k] as number) * r1 : (G1[k] as number);
    if (scale > 0) g1 /= scale;
    const u1 = g1 / n1;
    for (let p = 0; p < m; p++) {
      let gi = rowScale ? ((Gr[p] as Float64Array)[k] as number) * (rr[p] as number) : ((Gr[p] as Float64Array)[k] as number);
      if (scale > 0) gi /= scale;
      d[p] = g1 - gi;
      uu[p] = u1 - gi / (nr[p] as number);
    }
    for (let p = 0; p < m; p++) {
      const row = DUt[p] as Float64Array;
      const dp = d[p] as number;
      for (let q = 0; q < m; q++) row[q] += dp * (uu[q] as number);
      rhs[p] += g1 * (uu[p] as number);
    }
  }
  const lhs: Matrix = Array.from({ length: m }, (_, i) => Float64Array.from({ length: m }, (_, j) => (DUt[j] as Float64Array)[i] as number));
  // Singular values of the (n−1)×(n−1) system decide: regular → Gaussian elimination (LibMTL's
  // torch.inverse path, same answer); numerically singular → minimum-norm least squares.
  const svd = smallSvd(lhs);
  const smax = svd.values[0] ?? 0;
  const cut = smax * 64 * m * FLOAT64_EPS;
  let a: Float64Array | null = null;
  let fallback: 'none' | 'pinv' = 'none';
  if ((svd.values[m - 1] ?? 0) > cut) {
    try {
      a = solve(lhs, rhs);
      if (a.some((v) => !Number.isFinite(v))) a = null;
    } catch (err) {
      if (!(err instanceof NumericalError)) throw err;
    }
  }
  if (a === null) {
    a = pinvSolve(svd, rhs, cut);
    fallback = 'pinv';
  }
  let s = 0;
  rest.forEach((i, p) => {
    alpha[i] = a[p] as number;
    s += a[p] as number;
  });
  alpha[first] = 1 - s;
  return { alpha, dropped, fallback };
}

interface SmallSvd {
  /** Singular values, descending. */
  readonly values: number[];
  /** Left and right singular vectors of each value. */
  readonly u: Float64Array[];
  readonly v: Float64Array[];
}

/**
 * SVD of a small square M by one-sided Jacobi (Hestenes): rotate column pairs of W = M until they
 * are orthogonal to working precision, accumulating the rotations in V; then σ_j = ‖w_j‖ and
 * u_j = w_j / σ_j. Resolves σ down to about eps·σ_max (eig(MᵀM) would stop at sqrt(eps)·σ_max).
 */
function smallSvd(M: Matrix): SmallSvd {
  const m = M.length;
  const W: Matrix = M.map((row) => Float64Array.from(row)); // rows of W; column j is W[·][j]
  const V: Matrix = Array.from({ length: m }, (_, i) => Float64Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)));
  const col = (A: Matrix, j: number): Float64Array => Float64Array.from(A, (row) => row[j] as number);
  let sweep = 0;
  for (; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const wp = col(W, p);
        const wq = col(W, q);
        const alpha = dot(wp, wp);
        const beta = dot(wq, wq);
        const gamma = dot(wp, wq);
        // Columns orthogonal to ~50 ulps: more rotations only shuffle rounding error (and may never settle).
        if (gamma === 0 || alpha === 0 || beta === 0 || Math.abs(gamma) <= 64 * FLOAT64_EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (const A of [W, V]) {
          for (const row of A) {
            const x = row[p] as number;
            const y = row[q] as number;
            row[p] = c * x - s * y;
            row[q] = s * x + c * y;
          }
        }
      }
    }
    if (!rotated) break;
  }
  if (sweep === 60) throw new NumericalError('imtl: the SVD of the IMTL-G system did not converge');
  const order = Array.from({ length: m }, (_, j) => j)
    .map((j) => ({ j, sigma: norm(col(W, j)) }))
    .sort((a, b) => b.sigma - a.sigma);
  return {
    values: order.map((o) => o.sigma),
    u: order.map((o) => (o.sigma > 0 ? col(W, o.j).map((x) => x / o.sigma) : new Float64Array(m))),
    v: order.map((o) => col(V, o.j)),
  };
}

/** Minimum-norm least-squares solution of M x = b: Σ_{σ > cut} v (uᵀb) / σ. */
function pinvSolve(svd: SmallSvd, b: Float64Array, cut: number): Float64Array {
  const x = new Float64Array(b.length);
  svd.values.forEach((sigma, k) => {
    if (!(sigma > cut)) return;
    const c = dot(svd.u[k] as Float64Array, b) / sigma;
    const v = svd.v[k] as Float64Array;
    for (let i = 0; i < x.length; i++) x[i] += c * (v[i] as number);
  });
  return x;
}

export function createIMTL(nTasks: number, params?: Partial<IMTLParams>): GradientAggregationMethod {
  checkTasks('imtl', nTasks);
  const p = resolveParams(imtlDefinition, params);
  const label = canonicalLabel(imtlDefinition, p);
  let logScale = new Float64Array(nTasks);
  return {
    id: 'imtl',
    kind: 'gradient-aggregation',
    label,
    nTasks,
    // s is a learnable parameter owned by the training loop's optimiser (and checkpointed with the
    // model through learnable()/setLearnable()), not method state.
    getState: (): JsonObject => ({}),
    setState: (): void => {},
    learnable: () => Float64Array.from(logScale),
    setLearnable(values: ArrayLike<number>): void {
      if (values.length !== nTasks) throw new ShapeError(`${label}: log-scales`, [nTasks], [values.length]);
      const next = Float64Array.from(values);
      if (next.some((v) => !Number.isFinite(v))) throw new NumericalError(`${label}: non-finite log-scale in ${JSON.stringify(Array.from(values))}`);
      logScale = next;
    },
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      checkStep('imtl', nTasks, input, grads);
      const es = logScale.map((s) => Math.exp(s));
      if (es.some((v) => !Number.isFinite(v) || v === 0)) {
        throw new NumericalError(`${label}: e^s is not a finite positive number for s = ${JSON.stringify(Array.from(logScale))}`);
      }
      const { alpha, dropped, fallback } = imtlCoefficients(label, grads.G, es);
      // Coefficients on the raw task gradients (or raw per-sample rep gradients): α_i e^{s_i}.
      const coefficients = alpha.map((a, i) => a * (es[i] as number));
      const rows = grads.mode === 'rep' && grads.rep ? grads.rep.perSample : grads.G;
      return {
        grad: combine(coefficients, rows),
        coefficients,
        weights: alpha,
        headScale: Float64Array.from(es),
        learnableGrad: Float64Array.from(input.losses, (l, i) => (es[i] as number) * l - 1),
        diagnostics: { droppedTasks: dropped, fallback },
      };
    },
  };
}
