/**
 * Min-norm point of the convex hull of n vectors, given only their Gram matrix M = G Gᵀ:
 *   min_x xᵀ M x  subject to  x ≥ 0, Σ x = 1.
 *
 * Two solvers:
 * - {@link minNormFrankWolfe}: LibMTL's MGDA routine, step for step (best pair by the closed-form
 *   two-point rule, then at most 250 Frank-Wolfe-like steps with an exact two-point line search,
 *   stopping when Σ|Δx| < 1e-5), so that MGDA reproduces the reference to rounding.
 * - {@link minNormWolfe}: Wolfe's nearest-point algorithm (finite, exact up to rounding), the
 *   fallback when the Frank-Wolfe loop does not converge.
 * {@link minNormKkt} measures how far a point is from optimal (for tests and diagnostics).
 *
 * Pure math on Float64Array: no tensor framework.
 */
import { NumericalError } from '../../src/errors.js';
import { type Matrix, solve } from '../linalg.js';

export interface FrankWolfeOptions {
  /** Iteration cap of the Frank-Wolfe loop (LibMTL: 250). */
  readonly maxIter?: number;
  /** Stop when Σ|x_new − x| falls below this (LibMTL: 1e-5). */
  readonly stopCrit?: number;
  /** Initial "best cost" of the pair search (LibMTL: 1e8; pairs costing more are never chosen). */
  readonly pairCostBound?: number;
}

export interface FrankWolfeResult {
  readonly x: Float64Array;
  /** Frank-Wolfe iterations run (0 for n ≤ 2). */
  readonly iterations: number;
  /** false: the iteration cap was hit (LibMTL then returns None and crashes). */
  readonly converged: boolean;
  /** false: every pair cost ≥ pairCostBound, so no starting pair exists (LibMTL's UnboundLocalError); x is then uniform and unusable. */
  readonly pairFound: boolean;
}

/** The closed-form min-norm point of two vectors from v1·v1, v1·v2, v2·v2 (LibMTL's rule, 0.999/0.001 clamps included). */
export function minNormPair(v11: number, v12: number, v22: number): { gamma: number; cost: number } {
  if (v12 >= v11) return { gamma: 0.999, cost: v11 };
  if (v12 >= v22) return { gamma: 0.001, cost: v22 };
  const gamma = -1.0 * ((v12 - v22) / (v11 + v22 - 2 * v12));
  return { gamma, cost: v22 + gamma * (v12 - v22) };
}

/** LibMTL's sort-based projection onto the simplex (same break rule and fallback). */
function projectToSimplex(y: Float64Array): Float64Array {
  const m = y.length;
  const sorted = Array.from(y).sort((a, b) => b - a);
  let total = 0;
  for (const v of y) total += v;
  let tmaxF = (total - 1.0) / m;
  let tmpsum = 0;
  for (let i = 0; i < m - 1; i++) {
    tmpsum += sorted[i] as number;
    const tmax = (tmpsum - 1) / (i + 1.0);
    if (tmax > (sorted[i + 1] as number)) {
      tmaxF = tmax;
      break;
    }
  }
  return y.map((v) => Math.max(v - tmaxF, 0));
}

/** Step from x along the centred direction to the simplex boundary (1e-7 thresholds), then project. */
function nextPoint(cur: Float64Array, grad: Float64Array): Float64Array {
  const n = cur.length;
  let gsum = 0;
  for (const g of grad) gsum += g;
  const proj = grad.map((g) => g - gsum / n);
  let t = 1;
  let haveTm1 = false;
  let minTm1 = Infinity;
  let minTm2 = Infinity;
  for (let i = 0; i < n; i++) {
    const p = proj[i] as number;
    const c = cur[i] as number;
    if (p < 0) {
      const tm = (-1.0 * c) / p;
      if (tm > 1e-7) {
        haveTm1 = true;
        minTm1 = Math.min(minTm1, tm);
      }
    } else if (p > 0) {
      const tm = (1.0 - c) / p;
      if (tm > 1e-7) minTm2 = Math.min(minTm2, tm);
    }
  }
  if (haveTm1) t = minTm1;
  if (minTm2 < Infinity) t = Math.min(t, minTm2);
  const next = new Float64Array(n);
  for (let i = 0; i < n; i++) next[i] = (proj[i] as number) * t + (cur[i] as number);
  return projectToSimplex(next);
}

/** Σ_ij a_i b_j M_ij. */
function bilinear(a: ArrayLike<number>, b: ArrayLike<number>, M: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const row = M[i] as Float64Array;
    const ai = a[i] as number;
    for (let j = 0; j < b.length; j++) s += ai * (b[j] as number) * (row[j] as number);
  }
  return s;
}

/** LibMTL's MGDA min-norm solver (see the file header). */
export function minNormFrankWolfe(M: Matrix, opts: FrankWolfeOptions = {}): FrankWolfeResult {
  const maxIter = opts.maxIter ?? 250;
  const stopCrit = opts.stopCrit ?? 1e-5;
  const bound = opts.pairCostBound ?? 1e8;
  const n = M.length;
  if (n === 1) return { x: Float64Array.of(1), iterations: 0, converged: true, pairFound: true };
  let best = bound;
  let pair: [number, number, number] | null = null;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const { gamma, cost } = minNormPair((M[i] as Float64Array)[i] as number, (M[i] as Float64Array)[j] as number, (M[j] as Float64Array)[j] as number);
      if (cost < best) {
        best = cost;
        pair = [i, j, gamma];
      }
    }
  }
  if (!pair) return { x: new Float64Array(n).fill(1 / n), iterations: 0, converged: false, pairFound: false };
  let x = new Float64Array(n);
  x[pair[0]] = pair[2];
  x[pair[1]] = 1 - pair[2];
  if (n < 3) return { x, iterations: 0, converged: true, pairFound: true };
  for (let it = 0; it < maxIter; it++) {
    const dir = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = M[i] as Float64Array;
      for (let j = 0; j < n; j++) s += (row[j] as number) * (x[j] as number);
      dir[i] = -1.0 * s;
    }
    const np = nextPoint(x, dir);
    const { gamma } = minNormPair(bilinear(x, x, M), bilinear(x, np, M), bilinear(np, np, M));
    const nx = new Float64Array(n);
    let change = 0;
    for (let i = 0; i < n; i++) {
      nx[i] = gamma * (x[i] as number) + (1 - gamma) * (np[i] as number);
      change += Math.abs((nx[i] as number) - (x[i] as number));
    }
    if (change < stopCrit) return { x, iterations: it + 1, converged: true, pairFound: true };
    x = nx;
  }
  return { x, iterations: maxIter, converged: false, pairFound: true };
}

export interface WolfeResult {
  readonly x: Float64Array;
  /** Major plus minor cycles. */
  readonly iterations: number;
}

/**
 * Wolfe's nearest-point algorithm on the Gram matrix (finite; exact up to rounding). Works on
 * M / max diag, so it is scale invariant. Throws NumericalError if it cycles past maxIter.
 */
export function minNormWolfe(M: Matrix, maxIter = 1000, tol = 1e-13): WolfeResult {
  const n = M.length;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = (M[i] as Float64Array)[j] as number;
      if (!Number.isFinite(v)) throw new NumericalError('min-norm: Gram matrix has a non-finite entry');
    }
    scale = Math.max(scale, (M[i] as Float64Array)[i] as number);
  }
  if (scale === 0) return { x: new Float64Array(n).fill(1 / n), iterations: 0 };
  const A = M.map((r) => r.map((v) => v / scale));
  const lam = new Float64Array(n);
  let j0 = 0;
  for (let i = 1; i < n; i++) if (((A[i] as Float64Array)[i] as number) < ((A[j0] as Float64Array)[j0] as number)) j0 = i;
  lam[j0] = 1;
  let S = [j0];
  let iterations = 0;
  const Ax = (): Float64Array => Float64Array.from(A, (row) => row.reduce((s, v, k) => s + v * (lam[k] as number), 0));
  for (;;) {
    if (++iterations > maxIter) throw new NumericalError(`min-norm: Wolfe's algorithm did not terminate in ${maxIter} cycles`);
    const g = Ax();
    let xx = 0;
    for (let i = 0; i < n; i++) xx += (lam[i] as number) * (g[i] as number);
    let j = -1;
    let gj = Infinity;
    for (let k = 0; k < n; k++) {
      if ((g[k] as number) < gj) {
        gj = g[k] as number;
        j = k;
      }
    }
    if (gj >= xx - tol || S.includes(j)) break;
    S.push(j);
    // Minor cycles: move towards the affine minimiser of the current support, dropping points.
    for (;;) {
      if (++iterations > maxIter) throw new NumericalError(`min-norm: Wolfe's algorithm did not terminate in ${maxIter} cycles`);
      const k = S.length;
      const K: Matrix = Array.from({ length: k + 1 }, () => new Float64Array(k + 1));
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) (K[a] as Float64Array)[b] = (A[S[a] as number] as Float64Array)[S[b] as number] as number;
        (K[a] as Float64Array)[k] = -1;
        (K[k] as Float64Array)[a] = 1;
      }
      const rhs = new Float64Array(k + 1);
      rhs[k] = 1;
      let sol: Float64Array;
      try {
        sol = solve(K, rhs);
      } catch {
        // Affinely dependent support (rounding): stop at the current feasible point.
        return finish(lam, iterations);
      }
      const mu = sol.subarray(0, k);
      if (mu.every((v) => v > 0)) {
        for (let a = 0; a < k; a++) lam[S[a] as number] = mu[a] as number;
        break;
      }
      let theta = Infinity;
      for (let a = 0; a < k; a++) {
        const m = mu[a] as number;
        const l = lam[S[a] as number] as number;
        if (m <= 0) theta = Math.min(theta, l / (l - m));
      }
      for (let a = 0; a < k; a++) {
        const idx = S[a] as number;
        lam[idx] = (lam[idx] as number) + theta * ((mu[a] as number) - (lam[idx] as number));
      }
      let drop = S[0] as number;
      for (const idx of S) if ((lam[idx] as number) < (lam[drop] as number)) drop = idx;
      const keep = S.filter((idx) => idx !== drop && (lam[idx] as number) > 0);
      for (const idx of S) if (!keep.includes(idx)) lam[idx] = 0;
      S = keep;
      if (S.length === 0) throw new NumericalError('min-norm: Wolfe support became empty');
    }
  }
  return finish(lam, iterations);
}

function finish(lam: Float64Array, iterations: number): WolfeResult {
  let s = 0;
  for (let i = 0; i < lam.length; i++) {
    lam[i] = Math.max(lam[i] as number, 0);
    s += lam[i] as number;
  }
  for (let i = 0; i < lam.length; i++) lam[i] = (lam[i] as number) / s;
  return { x: lam, iterations };
}

export interface MinNormKkt {
  /** xᵀMx − min_k (Mx)_k, relative to max diag M (≥ 0 up to rounding; 0 at the optimum). */
  readonly gap: number;
  /** max(0, −min x) and |Σx − 1|. */
  readonly infeasibility: number;
  /** xᵀMx. */
  readonly value: number;
}

/** Optimality measures of x for the min-norm problem (the Frank-Wolfe gap is exact for this QP). */
export function minNormKkt(M: Matrix, x: ArrayLike<number>): MinNormKkt {
  const n = M.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, (M[i] as Float64Array)[i] as number);
  const Mx = Float64Array.from(M, (row) => row.reduce((s, v, k) => s + v * (x[k] as number), 0));
  let value = 0;
  let minMx = Infinity;
  let sx = 0;
  let minx = Infinity;
  for (let i = 0; i < n; i++) {
    value += (x[i] as number) * (Mx[i] as number);
    minMx = Math.min(minMx, Mx[i] as number);
    sx += x[i] as number;
    minx = Math.min(minx, x[i] as number);
  }
  return { gap: scale > 0 ? (value - minMx) / scale : 0, infeasibility: Math.max(0, -minx, Math.abs(sx - 1)), value };
}
