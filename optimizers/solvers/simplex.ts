/**
 * Small convex problems over the probability simplex Δ = {x ≥ 0, Σ x = 1}, on Float64Array, with
 * no tensor framework. Used by CAGrad's inner problem.
 *
 * `minimizeLinearPlusNorm` solves  min_{x ∈ Δ} f(x) = bᵀx + c·sqrt(xᵀAx + δ)  (A symmetric PSD,
 * c ≥ 0, δ ≥ 0), which is convex. Method: a primal log-barrier interior-point method,
 * min t·f(x) − Σ log x_i subject to Σ x = 1, centred by damped Newton steps in the variables
 * scaled by x (so the barrier's Hessian is the identity), with t raised 20-fold per stage. The
 * problem is first divided by s = max_i A_ii, which leaves the minimiser unchanged, so the
 * tolerances are relative; and Newton's method is insensitive to the gradient-magnitude gaps that
 * make first-order methods (and LibMTL's SLSQP, which returns its starting point there) stall.
 *
 * Every answer carries a certificate: the Frank-Wolfe gap ∇f(x)ᵀx − min_i ∇f(x)_i, an upper
 * bound on f(x) − min f. It is held to max(relTol·|f(x)|, absTol·F, the rounding floor), where
 * F = max|b| + c·sqrt(max A_ii + δ) is the problem's natural scale and the rounding floor,
 * 8·n·u·(Σ_i x_i e_i + e_min) with e_i = |b_i| + c·Σ_j |A_ij| x_j / r (u the unit roundoff,
 * r = sqrt(xᵀAx + δ)), is the precision to which the gap itself can be computed (it matters where
 * r is small, i.e. near a point where Σ x_i g_i ≈ 0). `converged` is false when the gap is still above that after the Newton
 * budget; callers must report it.
 */
import { NumericalError, ShapeError } from '../../src/errors.js';
import { dot, type Matrix, matVec, solve } from '../linalg.js';

export interface SimplexSolveOptions {
  /** Gap tolerance relative to |f(x)| (default 1e-11). */
  readonly relTol?: number;
  /** Gap tolerance relative to F = max|b| + c·sqrt(max A_ii + δ) (default 1e-17: in practice the rounding floor decides). */
  readonly absTol?: number;
  /** Budget of Newton steps over all barrier stages (default 2000). */
  readonly maxNewton?: number;
}

export interface SimplexSolution {
  /** The minimiser (x ≥ 0, Σ x = 1). */
  readonly x: Float64Array;
  /** f(x). */
  readonly objective: number;
  /** Certified bound on f(x) − min f (Frank-Wolfe gap), in the units of f. */
  readonly gap: number;
  /** The tolerance the gap was held to, in the units of f. */
  readonly tolerance: number;
  /** Newton steps taken. */
  readonly iterations: number;
  /** gap ≤ tolerance. */
  readonly converged: boolean;
}

const DEFAULTS = { relTol: 1e-11, absTol: 1e-17, maxNewton: 2000 };
const UNIT_ROUNDOFF = 2 ** -53;
const MU = 20;

/** f(x) = bᵀx + c·sqrt(xᵀAx + δ). */
export function linearPlusNormObjective(A: Matrix, b: ArrayLike<number>, c: number, delta: number, x: ArrayLike<number>): number {
  return dot(b, x) + c * Math.sqrt(Math.max(dot(x, matVec(A, x)), 0) + delta);
}

/** ∇f(x)ᵀx − min_i ∇f(x)_i: bounds f(x) − min_Δ f for a convex f. */
export function frankWolfeGap(grad: ArrayLike<number>, x: ArrayLike<number>): number {
  let gmin = Infinity;
  for (let i = 0; i < grad.length; i++) gmin = Math.min(gmin, grad[i] as number);
  return Math.max(dot(grad, x) - gmin, 0);
}

function checkProblem(A: Matrix, b: ArrayLike<number>, c: number, delta: number): void {
  const n = A.length;
  if (n === 0) throw new ShapeError('minimizeLinearPlusNorm: A', ['n', 'n'], [0, 0]);
  if (b.length !== n) throw new ShapeError('minimizeLinearPlusNorm: b', [n], [b.length]);
  for (const [i, row] of A.entries()) {
    if (row.length !== n) throw new ShapeError(`minimizeLinearPlusNorm: row ${i} of A`, [n], [row.length]);
    for (const v of row) if (!Number.isFinite(v)) throw new NumericalError('minimizeLinearPlusNorm: A has a non-finite entry');
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(b[i] as number)) throw new NumericalError('minimizeLinearPlusNorm: b has a non-finite entry');
  if (!(c >= 0 && Number.isFinite(c))) throw new NumericalError(`minimizeLinearPlusNorm: c must be finite and >= 0, got ${c}`);
  if (!(delta >= 0 && Number.isFinite(delta))) throw new NumericalError(`minimizeLinearPlusNorm: delta must be finite and >= 0, got ${delta}`);
}

/** min over the simplex of bᵀx + c·sqrt(xᵀAx + δ); see the module header. */
export function minimizeLinearPlusNorm(
  A: Matrix,
  b: ArrayLike<number>,
  c: number,
  delta: number,
  options: SimplexSolveOptions = {},
): SimplexSolution {
  checkProblem(A, b, c, delta);
  const n = A.length;
  const opt = { ...DEFAULTS, ...options };
  let s = 0;
  for (let i = 0; i < n; i++) s = Math.max(s, (A[i] as Float64Array)[i] as number);

  if (n === 1 || s <= 0 || c === 0) {
    // One vertex, or f linear plus a constant (A = 0, or no norm term): the minimisers are the
    // vertices with the smallest b; their centroid is one too and is symmetric in ties. Exact.
    let bmin = Infinity;
    for (let i = 0; i < n; i++) bmin = Math.min(bmin, b[i] as number);
    const ties: number[] = [];
    for (let i = 0; i < n; i++) if ((b[i] as number) === bmin) ties.push(i);
    const x = new Float64Array(n);
    for (const i of ties) x[i] = 1 / ties.length;
    return { x, objective: linearPlusNormObjective(A, b, c, delta, x), gap: 0, tolerance: 0, iterations: 0, converged: true };
  }

  // Normalised problem f̄ = f/s: Ā = A/s, b̄ = b/s, c̄ = c/√s, δ̄ = δ/s (same minimiser).
  const An: Matrix = A.map((row) => row.map((v) => v / s));
  const bn = Float64Array.from({ length: n }, (_, i) => (b[i] as number) / s);
  const cn = c / Math.sqrt(s);
  const dn = delta / s;
  let bmax = 0;
  for (const v of bn) bmax = Math.max(bmax, Math.abs(v));
  const F = bmax + cn * Math.sqrt(1 + dn);

  const radius = (x: Float64Array, a: Float64Array): number => Math.sqrt(Math.max(dot(x, a), 0) + dn);
  const fbar = (x: Float64Array): number => dot(bn, x) + cn * radius(x, matVec(An, x));
  const certificate = (x: Float64Array): { gap: number; tol: number } => {
    const a = matVec(An, x);
    const r = radius(x, a);
    const k = r > 0 ? cn / r : 0;
    const g = Float64Array.from(bn, (bi, i) => bi + k * (a[i] as number));
    // Rounding floor of the computed gap Σ x_i g_i − min g: g_i carries a few ulps of the terms it
    // sums, |b_i| + (c/r) Σ_j |A_ij| x_j.
    const noise = Float64Array.from({ length: n }, (_, i) => {
      let absA = 0;
      for (let j = 0; j < n; j++) absA += Math.abs((An[i] as Float64Array)[j] as number) * (x[j] as number);
      return Math.abs(bn[i] as number) + k * absA;
    });
    let imin = 0;
    for (let i = 1; i < n; i++) if ((g[i] as number) < (g[imin] as number)) imin = i;
    const gapNoise = dot(noise, x) + (noise[imin] as number);
    const tol = Math.max(opt.relTol * Math.abs(fbar(x)), opt.absTol * F, 8 * n * UNIT_ROUNDOFF * gapNoise);
    return { gap: frankWolfeGap(g, x), tol };
  };

  let iterations = 0;
  let x: Float64Array = new Float64Array(n).fill(1 / n);
  let cert = certificate(x);
  for (let t = 1 / F; iterations < opt.maxNewton; t *= MU) {
    const centred = centre(x, t);
    x = centred.x;
    cert = certificate(x);
    if (cert.gap <= cert.tol || centred.stalled) break;
    if (n / t <= 1e-3 * cert.tol) break; // the barrier no longer limits the accuracy
  }
  for (const v of x) if (!Number.isFinite(v)) throw new NumericalError('minimizeLinearPlusNorm: the iterate became non-finite');
  return {
    x,
    objective: linearPlusNormObjective(A, b, c, delta, x),
    gap: cert.gap * s,
    tolerance: cert.tol * s,
    iterations,
    converged: cert.gap <= cert.tol,
  };

  /** φ(y) − φ(x) for φ = t f̄ − Σ log, with f̄(y) − f̄(x) = b̄ᵀΔ + c̄ (Δᵀ Ā (x + y)) / (r_x + r_y). */
  function phiChange(x0: Float64Array, y: Float64Array, t: number): number {
    const diff = Float64Array.from(y, (yi, i) => yi - (x0[i] as number));
    const both = Float64Array.from(y, (yi, i) => yi + (x0[i] as number));
    const rx = radius(x0, matVec(An, x0));
    const ry = radius(y, matVec(An, y));
    const df = dot(bn, diff) + (rx + ry > 0 ? (cn * dot(diff, matVec(An, both))) / (rx + ry) : 0);
    let dlog = 0;
    for (let i = 0; i < n; i++) dlog += Math.log1p((diff[i] as number) / (x0[i] as number));
    return t * df - dlog;
  }

  /**
   * Damped Newton on φ(x) = t f̄(x) − Σ log x_i over Σ x = 1, from a strictly positive x0, in the
   * scaled variables x = xc ⊙ y with the constraint eliminated (null-space method): the largest
   * coordinate k is the dependent one, the step is dx_i = xc_i z_i (i ≠ k), dx_k = −Σ_{i≠k} dx_i.
   * Differences g_i − g_k and (e_i − e_k)ᵀ H (e_j − e_k) are formed before scaling by t, so no
   * large multiplier has to cancel.
   */
  function centre(x0: Float64Array, t: number): { x: Float64Array; stalled: boolean } {
    let xc = x0;
    let prevDec2 = Infinity;
    for (let it = 0; it < 100 && iterations < opt.maxNewton; it++) {
      iterations++;
      let k = 0;
      for (let i = 1; i < n; i++) if ((xc[i] as number) > (xc[k] as number)) k = i;
      const free = Array.from({ length: n }, (_, i) => i).filter((i) => i !== k);
      const a = matVec(An, xc);
      const r = radius(xc, a);
      const xk = xc[k] as number;
      const rowK = An[k] as Float64Array;
      const da = free.map((i) => dot(Float64Array.from(An[i] as Float64Array, (v, j) => v - (rowK[j] as number)), xc)); // a_i − a_k
      // Reduced gradient of φ in z: t x_i (g_i − g_k) − 1 + x_i / x_k.
      const gr = Float64Array.from(free, (i, p) => {
        const dg = (bn[i] as number) - (bn[k] as number) + (r > 0 ? (cn / r) * (da[p] as number) : 0);
        return t * (xc[i] as number) * dg - 1 + (xc[i] as number) / xk;
      });
      // Reduced Hessian: t x_i x_j (e_i − e_k)ᵀ ∇²f̄ (e_j − e_k) + δ_ij + x_i x_j / x_k².
      const M: Matrix = free.map((i, p) =>
        Float64Array.from(free, (j, q) => {
          const Ai = An[i] as Float64Array;
          const Aj = An[j] as Float64Array;
          const dA = (Ai[j] as number) - (Ai[k] as number) - ((Aj[k] as number) - (rowK[k] as number));
          const h = r > 0 ? (cn / r) * (dA - ((da[p] as number) * (da[q] as number)) / (r * r)) : 0;
          const xi = xc[i] as number;
          const xj = xc[j] as number;
          return t * xi * xj * h + (p === q ? 1 : 0) + (xi * xj) / (xk * xk);
        }),
      );
      let z: Float64Array;
      try {
        z = solve(M, gr);
      } catch (err) {
        if (err instanceof NumericalError) return { x: xc, stalled: true };
        throw err;
      }
      for (let p = 0; p < z.length; p++) z[p] = -(z[p] as number);
      const dec2 = -dot(gr, z); // Newton decrement squared
      if (!Number.isFinite(dec2)) return { x: xc, stalled: true };
      // Centred: the decrement is negligible, or it stopped shrinking (Newton converges
      // quadratically, so that means it reached the rounding floor of t·∇f̄).
      if (dec2 / 2 <= 1e-12 || (dec2 < 1e-4 && dec2 > 0.25 * prevDec2)) return { x: xc, stalled: false };
      prevDec2 = dec2;
      const dy = new Float64Array(n);
      let off = 0;
      free.forEach((i, p) => {
        dy[i] = z[p] as number;
        off += (xc[i] as number) * (z[p] as number);
      });
      dy[k] = -off / xk;
      const dx = Float64Array.from(dy, (v, i) => v * (xc[i] as number));
      const kmax = k;
      let step = 1;
      for (let i = 0; i < n; i++) if ((dy[i] as number) < 0) step = Math.min(step, -0.99 / (dy[i] as number));
      const move = (h: number): Float64Array => {
        const cand = Float64Array.from(xc, (xi, i) => xi + h * (dx[i] as number));
        let rest = 0;
        for (let i = 0; i < n; i++) if (i !== kmax) rest += cand[i] as number;
        cand[kmax] = 1 - rest;
        return cand;
      };
      let next: Float64Array | null = null;
      if (dec2 < 1e-2) {
        // Quadratic-convergence region: the full (boundary-capped) step, with no comparison of φ
        // values, which would be at the rounding level of t·f̄ there.
        next = move(step);
      } else {
        for (let tries = 0; tries < 60; tries++) {
          const cand = move(step);
          if ((cand[kmax] as number) > 0 && phiChange(xc, cand, t) <= -0.25 * step * dec2) {
            next = cand;
            break;
          }
          step /= 2;
        }
      }
      if (!next || !((next[kmax] as number) > 0)) return { x: xc, stalled: true };
      xc = next;
    }
    return { x: xc, stalled: false };
  }
}
