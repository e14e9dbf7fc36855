/**
 * The pure math of the registry: small dense linear algebra on Float64Array, with no tensor
 * framework. Matrices are arrays of rows. Everything here is tested against hand values.
 */
import { NumericalError, ShapeError } from '../src/errors.js';

export type Matrix = Float64Array[];

export const FLOAT32_EPS = 1.1920928955078125e-7;
export const FLOAT64_EPS = 2.220446049250313e-16;

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ShapeError('dot', [a.length], [b.length]);
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] as number) * (b[k] as number);
  return s;
}

export function norm(a: ArrayLike<number>): number {
  // Scaled to avoid overflow for huge entries.
  let scale = 0;
  for (let k = 0; k < a.length; k++) scale = Math.max(scale, Math.abs(a[k] as number));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const v = (a[k] as number) / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/** Σ (s·a_k)(s·b_k), without forming s·a. */
export function scaledDot(a: Float64Array, b: Float64Array, s: number): number {
  if (a.length !== b.length) throw new ShapeError('dot', [a.length], [b.length]);
  let acc = 0;
  for (let k = 0; k < a.length; k++) acc += (a[k]! * s) * (b[k]! * s);
  return acc;
}

/** Dot product restricted to the slice [b, e). */
export function dotRange(a: ArrayLike<number>, c: ArrayLike<number>, b: number, e: number): number {
  let s = 0;
  for (let k = b; k < e; k++) s += (a[k] as number) * (c[k] as number);
  return s;
}

/**
 * M = (sG)(sG)ᵀ (n×n) for n rows of G, with an optional scale s applied on the fly (no copy of G:
 * at paper scale each row has 23 M entries), so that huge gradients do not overflow.
 */
export function gram(G: readonly Float64Array[], scale = 1): Matrix {
  const n = G.length;
  const M: Matrix = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = scale === 1 ? dot(G[i] as Float64Array, G[j] as Float64Array) : scaledDot(G[i] as Float64Array, G[j] as Float64Array, scale);
      (M[i] as Float64Array)[j] = v;
      (M[j] as Float64Array)[i] = v;
    }
  }
  return M;
}

export function zeros(n: number, m = n): Matrix {
  return Array.from({ length: n }, () => new Float64Array(m));
}

export function identity(n: number): Matrix {
  const I = zeros(n);
  for (let i = 0; i < n; i++) (I[i] as Float64Array)[i] = 1;
  return I;
}

export function matVec(A: Matrix, x: ArrayLike<number>): Float64Array {
  return Float64Array.from(A, (row) => dot(row, x));
}

export function matMul(A: Matrix, B: Matrix): Matrix {
  const n = A.length;
  const k = B.length;
  const m = B[0]?.length ?? 0;
  const C = zeros(n, m);
  for (let i = 0; i < n; i++) {
    const a = A[i] as Float64Array;
    if (a.length !== k) throw new ShapeError('matMul', [n, k], [n, a.length]);
    const c = C[i] as Float64Array;
    for (let p = 0; p < k; p++) {
      const ap = a[p] as number;
      const b = B[p] as Float64Array;
      for (let j = 0; j < m; j++) c[j] += ap * (b[j] as number);
    }
  }
  return C;
}

export function transpose(A: Matrix): Matrix {
  const n = A.length;
  const m = A[0]?.length ?? 0;
  const T = zeros(m, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) (T[j] as Float64Array)[i] = (A[i] as Float64Array)[j] as number;
  return T;
}

export interface SymEig {
  /** Eigenvalues in ascending order. */
  readonly values: Float64Array;
  /** vectors[k] is the unit eigenvector of values[k]. */
  readonly vectors: Matrix;
}

/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations. Accurate to a few
 * ulps of the largest eigenvalue; converges quadratically. Ascending order, like LAPACK's syevd.
 */
export function symEig(A: Matrix, maxSweeps = 100): SymEig {
  const n = A.length;
  for (const [i, row] of A.entries()) if (row.length !== n) throw new ShapeError(`symEig: row ${i}`, [n], [row.length]);
  const a = A.map((r) => Float64Array.from(r));
  const v = identity(n);
  for (const row of a) for (const x of row) if (!Number.isFinite(x)) throw new NumericalError('symEig: matrix has a non-finite entry');
  let sweep = 0;
  for (; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += (a[i] as Float64Array)[i] ** 2;
      for (let j = i + 1; j < n; j++) off += ((a[i] as Float64Array)[j] as number) ** 2;
    }
    // Off-diagonal mass below (1e-15 · ‖A‖_F)²: further rotations cannot change the result in double precision.
    if (off === 0 || off <= 1e-30 * (diag + 2 * off)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = (a[p] as Float64Array)[q] as number;
        if (apq === 0) continue;
        if (Math.abs(apq) <= 1e-18 * (Math.abs((a[p] as Float64Array)[p] as number) + Math.abs((a[q] as Float64Array)[q] as number))) {
          (a[p] as Float64Array)[q] = 0;
          (a[q] as Float64Array)[p] = 0;
          continue;
        }
        const app = (a[p] as Float64Array)[p] as number;
        const aqq = (a[q] as Float64Array)[q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = (a[k] as Float64Array)[p] as number;
          const akq = (a[k] as Float64Array)[q] as number;
          (a[k] as Float64Array)[p] = c * akp - s * akq;
          (a[k] as Float64Array)[q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = (a[p] as Float64Array)[k] as number;
          const aqk = (a[q] as Float64Array)[k] as number;
          (a[p] as Float64Array)[k] = c * apk - s * aqk;
          (a[q] as Float64Array)[k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = (v[k] as Float64Array)[p] as number;
          const vkq = (v[k] as Float64Array)[q] as number;
          (v[k] as Float64Array)[p] = c * vkp - s * vkq;
          (v[k] as Float64Array)[q] = s * vkp + c * vkq;
        }
      }
    }
  }
  if (sweep === maxSweeps) throw new NumericalError(`symEig: no convergence after ${maxSweeps} Jacobi sweeps`);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => ((a[i] as Float64Array)[i] as number) - ((a[j] as Float64Array)[j] as number));
  return {
    values: Float64Array.from(order, (i) => (a[i] as Float64Array)[i] as number),
    vectors: order.map((i) => Float64Array.from(v, (row) => row[i] as number)),
  };
}

/** Solve A x = b by Gaussian elimination with partial pivoting; throws on a singular matrix. */
export function solve(A: Matrix, b: ArrayLike<number>): Float64Array {
  const n = A.length;
  if (b.length !== n) throw new ShapeError('solve: right-hand side', [n], [b.length]);
  const a: Matrix = A.map((r, i) => {
    if (r.length !== n) throw new ShapeError(`solve: row ${i}`, [n], [r.length]);
    return Float64Array.from([...r, b[i] as number]);
  });
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs((a[r] as Float64Array)[col] as number) > Math.abs((a[piv] as Float64Array)[col] as number)) piv = r;
    const pivot = (a[piv] as Float64Array)[col] as number;
    if (pivot === 0 || !Number.isFinite(pivot)) throw new NumericalError(`solve: singular matrix (pivot ${pivot} in column ${col})`);
    const tmp = a[col] as Float64Array;
    a[col] = a[piv] as Float64Array;
    a[piv] = tmp;
    const pr = a[col] as Float64Array;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = a[r] as Float64Array;
      const f = (row[col] as number) / pivot;
      if (f === 0) continue;
      for (let k = col; k <= n; k++) row[k] -= f * (pr[k] as number);
    }
  }
  return Float64Array.from(a, (row, i) => (row[n] as number) / (row[i] as number));
}

/** Inverse by solving against the identity columns. */
export function inverse(A: Matrix): Matrix {
  const n = A.length;
  const cols = identity(n).map((e) => solve(A, e));
  return transpose(cols);
}

/** Numerically stable softmax. */
export function softmax(x: ArrayLike<number>): Float64Array {
  let mx = -Infinity;
  for (let i = 0; i < x.length; i++) mx = Math.max(mx, x[i] as number);
  const out = Float64Array.from({ length: x.length }, (_, i) => Math.exp((x[i] as number) - mx));
  const s = out.reduce((p, c) => p + c, 0);
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}

/** Euclidean projection of v onto the probability simplex (sort-based). */
export function projectSimplex(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const u = Array.from(v as ArrayLike<number>).sort((a, b) => b - a);
  let css = 0;
  let theta = 0;
  for (let i = 0; i < n; i++) {
    css += u[i] as number;
    const t = (css - 1) / (i + 1);
    if ((u[i] as number) - t > 0) theta = t;
  }
  return Float64Array.from(v as ArrayLike<number>, (x) => Math.max(x - theta, 0));
}

export const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
};

/**
 * Softmax that also takes infinite entries: the +Infinity entries share the mass equally (the
 * limit as they grow), -Infinity entries get 0, all -Infinity gives the uniform vector. Finite
 * inputs give exactly {@link softmax}. NaN raises a NumericalError naming `what`.
 */
export function softmaxExtended(x: ArrayLike<number>, what = 'softmax'): Float64Array {
  let nInf = 0;
  let allNegInf = true;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (Number.isNaN(v)) throw new NumericalError(`${what}: NaN in the softmax input`);
    if (v === Infinity) nInf++;
    if (v !== -Infinity) allNegInf = false;
  }
  if (nInf > 0) return Float64Array.from({ length: x.length }, (_, i) => (x[i] === Infinity ? 1 / nInf : 0));
  if (allNegInf) return new Float64Array(x.length).fill(1 / x.length);
  return softmax(x);
}
