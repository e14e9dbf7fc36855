/**
 * Fused bilinear sampling of the 3×3 deformable convolution (DCNv1), as TF.js kernels for the wasm
 * and cpu backends, plus the plain typed-array math they run (exported for tests).
 *
 * Kernel 'RadarDeformSample3x3': x [B, H, W, C], offsets [B, H, W, 18] → cols [B, H, W, 9C]
 * (tap-major: cols[..., n·C + c] is channel c sampled at tap n = 3i + j). Gradients:
 * 'RadarDeformSample3x3GradX' (scatter of dy with the bilinear weights) and
 * 'RadarDeformSample3x3GradOffsets' (chain rule through the weights and the clamps). Splitting
 * them lets the first layer, whose input needs no gradient, skip the scatter.
 *
 * Semantics (radarODE-MTL dcnv2.py, modulation off), in the coordinates of x zero-padded by 1:
 *   p = p0 + p_n + offset, p0 = (1 + h, 1 + w), p_n = (i − 1, j − 1); rows use offset channel n,
 *   columns channel 9 + n.
 *   q_lo = clamp(floor(p), 0, H+1), q_hi = clamp(floor(p) + 1, 0, H+1) (per axis; W+1 for columns),
 *   from the unclamped p; p̂ = clamp(p, 0, H+1).
 *   weights a0 = 1 + (q_lo − p̂), a1 = 1 − (q_hi − p̂) (rows; b0, b1 for columns);
 *   value = a0·b0·X(r_lo, c_lo) + a1·b1·X(r_hi, c_hi) + a0·b1·X(r_lo, c_hi) + a1·b0·X(r_hi, c_lo),
 *   where X is the padded input (zero on the border). The indices carry no gradient; the clamp of
 *   p passes the gradient where lo ≤ p ≤ hi (as torch.clamp and tf.clipByValue do).
 *
 * One fused pass replaces ~40 elementwise kernels, four gathers and their scatters; on wasm it
 * reads and writes the heap in place. Other backends (tfjs-node, webgl) use the composition of
 * standard ops in layers.ts, which computes the same function.
 */
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;

export const DEFORM_SAMPLE = 'RadarDeformSample3x3';
export const DEFORM_SAMPLE_GRAD_X = 'RadarDeformSample3x3GradX';
export const DEFORM_SAMPLE_GRAD_OFFSETS = 'RadarDeformSample3x3GradOffsets';

export interface SampleDims {
  readonly b: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
}


const TAP_ROW = [0, 0, 0, 1, 1, 1, 2, 2, 2];
const TAP_COL = [0, 1, 2, 0, 1, 2, 0, 1, 2];

/**
 * Sampling geometry of the 9·W taps of output row (b, y), written into scratch arrays (one call
 * per row keeps the per-tap work in one tight loop):
 * q[4t..4t+3] = offsets of x[b, r−1, c−1, 0] for the corners (r_lo, c_lo), (r_hi, c_hi),
 * (r_lo, c_hi), (r_hi, c_lo), or −1 on the zero border;
 * g[6t..6t+5] = [a0, a1, b0, b1, mr, mc]: row/column weights and d p̂ / d p (1 inside the clamp
 * range, else 0). Tap t = 9·x + n.
 */
function rowGeometry(off: Float32Array, d: SampleDims, b: number, y: number, q: Int32Array, g: Float64Array): void {
  const H = d.h;
  const W = d.w;
  const C = d.c;
  const hp1 = H + 1;
  const wp1 = W + 1;
  let po = (b * H + y) * W * 18;
  let t = 0;
  for (let x = 0; x < W; x++, po += 18) {
    for (let n = 0; n < 9; n++, t++) {
      const pr = Math.fround(y + TAP_ROW[n]! + off[po + n]!);
      const pc = Math.fround(x + TAP_COL[n]! + off[po + 9 + n]!);
      const fr = Math.floor(pr);
      const fc = Math.floor(pc);
      let r0 = fr;
      let r1 = fr + 1;
      let prc = pr;
      let mr = 1;
      if (fr < 0 || fr + 1 > hp1) {
        r0 = fr < 0 ? 0 : fr > hp1 ? hp1 : fr;
        r1 = fr + 1 < 0 ? 0 : fr + 1 > hp1 ? hp1 : fr + 1;
        prc = pr < 0 ? 0 : pr > hp1 ? hp1 : pr;
        mr = pr >= 0 && pr <= hp1 ? 1 : 0;
      }
      let c0 = fc;
      let c1 = fc + 1;
      let pcc = pc;
      let mc = 1;
      if (fc < 0 || fc + 1 > wp1) {
        c0 = fc < 0 ? 0 : fc > wp1 ? wp1 : fc;
        c1 = fc + 1 < 0 ? 0 : fc + 1 > wp1 ? wp1 : fc + 1;
        pcc = pc < 0 ? 0 : pc > wp1 ? wp1 : pc;
        mc = pc >= 0 && pc <= wp1 ? 1 : 0;
      }
      const r0in = r0 >= 1 && r0 <= H;
      const r1in = r1 >= 1 && r1 <= H;
      const c0in = c0 >= 1 && c0 <= W;
      const c1in = c1 >= 1 && c1 <= W;
      const row0 = (b * H + r0 - 1) * W - 1;
      const row1 = (b * H + r1 - 1) * W - 1;
      const k = 4 * t;
      q[k] = r0in && c0in ? (row0 + c0) * C : -1;
      q[k + 1] = r1in && c1in ? (row1 + c1) * C : -1;
      q[k + 2] = r0in && c1in ? (row0 + c1) * C : -1;
      q[k + 3] = r1in && c0in ? (row1 + c0) * C : -1;
      const j = 6 * t;
      g[j] = 1 + (r0 - prc);
      g[j + 1] = 1 - (r1 - prc);
      g[j + 2] = 1 + (c0 - pcc);
      g[j + 3] = 1 - (c1 - pcc);
      g[j + 4] = mr;
      g[j + 5] = mc;
    }
  }
}

function scratch(d: SampleDims): { q: Int32Array; g: Float64Array } {
  return { q: new Int32Array(d.w * 9 * 4), g: new Float64Array(d.w * 9 * 6) };
}

/** cols[b, y, x, n·C + c] = bilinear sample of channel c at tap n. `out` must have B·H·W·9·C entries. */
export function deformSampleForward(xv: Float32Array, off: Float32Array, out: Float32Array, d: SampleDims): void {
  const C = d.c;
  const { q, g } = scratch(d);
  const taps = d.w * 9;
  let o = 0;
  for (let b = 0; b < d.b; b++) {
    for (let y = 0; y < d.h; y++) {
      rowGeometry(off, d, b, y, q, g);
      for (let t = 0; t < taps; t++, o += C) {
        const k = 4 * t;
        const j = 6 * t;
        const q00 = q[k]!;
        const q11 = q[k + 1]!;
        const q01 = q[k + 2]!;
        const q10 = q[k + 3]!;
        const a0 = g[j]!;
        const a1 = g[j + 1]!;
        const b0 = g[j + 2]!;
        const b1 = g[j + 3]!;
        // A border corner reads row 0 with weight 0.
        const w00 = q00 < 0 ? 0 : Math.fround(a0 * b0);
        const w11 = q11 < 0 ? 0 : Math.fround(a1 * b1);
        const w01 = q01 < 0 ? 0 : Math.fround(a0 * b1);
        const w10 = q10 < 0 ? 0 : Math.fround(a1 * b0);
        const i00 = q00 < 0 ? 0 : q00;
        const i11 = q11 < 0 ? 0 : q11;
        const i01 = q01 < 0 ? 0 : q01;
        const i10 = q10 < 0 ? 0 : q10;
        for (let c = 0; c < C; c++) {
          out[o + c] = w00 * xv[i00 + c]! + w11 * xv[i11 + c]! + w01 * xv[i01 + c]! + w10 * xv[i10 + c]!;
        }
      }
    }
  }
}

/** dx (zeroed by the caller, B·H·W·C entries) += Σ over taps and corners of weight · dy. */
export function deformSampleGradX(off: Float32Array, dy: Float32Array, dx: Float32Array, d: SampleDims): void {
  const C = d.c;
  const { q, g } = scratch(d);
  const taps = d.w * 9;
  let o = 0;
  for (let b = 0; b < d.b; b++) {
    for (let y = 0; y < d.h; y++) {
      rowGeometry(off, d, b, y, q, g);
      for (let t = 0; t < taps; t++, o += C) {
        const k = 4 * t;
        const j = 6 * t;
        const a0 = g[j]!;
        const a1 = g[j + 1]!;
        const b0 = g[j + 2]!;
        const b1 = g[j + 3]!;
        for (let corner = 0; corner < 4; corner++) {
          const i = q[k + corner]!;
          if (i < 0) continue;
          const w = corner === 0 ? Math.fround(a0 * b0) : corner === 1 ? Math.fround(a1 * b1) : corner === 2 ? Math.fround(a0 * b1) : Math.fround(a1 * b0);
          for (let c = 0; c < C; c++) dx[i + c] += w * dy[o + c]!;
        }
      }
    }
  }
}

/** doff [B, H, W, 18]: the offsets' gradient through the bilinear weights (fully overwritten). */
export function deformSampleGradOffsets(xv: Float32Array, off: Float32Array, dy: Float32Array, doff: Float32Array, d: SampleDims): void {
  const C = d.c;
  const { q, g } = scratch(d);
  const taps = d.w * 9;
  let o = 0;
  for (let b = 0; b < d.b; b++) {
    for (let y = 0; y < d.h; y++) {
      rowGeometry(off, d, b, y, q, g);
      let po = (b * d.h + y) * d.w * 18;
      for (let t = 0; t < taps; t++, o += C) {
        const n = t % 9;
        if (t > 0 && n === 0) po += 18;
        const k = 4 * t;
        const j = 6 * t;
        const q00 = q[k]!;
        const q11 = q[k + 1]!;
        const q01 = q[k + 2]!;
        const q10 = q[k + 3]!;
        const i00 = q00 < 0 ? 0 : q00;
        const i11 = q11 < 0 ? 0 : q11;
        const i01 = q01 < 0 ? 0 : q01;
        const i10 = q10 < 0 ? 0 : q10;
        // V_k = <dy, X(corner k)> (a border corner reads row 0 and is zeroed after).
        let v00 = 0;
        let v11 = 0;
        let v01 = 0;
        let v10 = 0;
        for (let c = 0; c < C; c++) {
          const e = dy[o + c]!;
          v00 += e * xv[i00 + c]!;
          v11 += e * xv[i11 + c]!;
          v01 += e * xv[i01 + c]!;
          v10 += e * xv[i10 + c]!;
        }
        if (q00 < 0) v00 = 0;
        if (q11 < 0) v11 = 0;
        if (q01 < 0) v01 = 0;
        if (q10 < 0) v10 = 0;
        const a0 = g[j]!;
        const a1 = g[j + 1]!;
        const b0 = g[j + 2]!;
        const b1 = g[j + 3]!;
        const da0 = v00 * b0 + v01 * b1;
        const da1 = v11 * b1 + v10 * b0;
        const db0 = v00 * a0 + v10 * a1;
        const db1 = v11 * a1 + v01 * a0;
        // a0 = 1 + q − p̂ (d/dp̂ = −1), a1 = 1 − q + p̂ (+1).
        doff[po + n] = (da1 - da0) * g[j + 4]!;
        doff[po + 9 + n] = (db1 - db0) * g[j + 5]!;
      }
    }
  }
}

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TF.TensorInfo;
  typedArrayFromHeap(t: TF.TensorInfo): Float32Array;
}
interface CpuBackend {
  data: { get(id: unknown): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values?: Float32Array): TF.TensorInfo;
}

type Io = {
  read(t: TF.TensorInfo): Float32Array;
  /** Allocate outputs first (allocation may move the wasm heap), then read views. */
  alloc(shape: number[]): TF.TensorInfo;
  write(t: TF.TensorInfo): Float32Array;
};

function io(backendName: string, backend: unknown): Io {
  if (backendName === 'wasm') {
    const be = backend as HeapBackend;
    return {
      read: (t) => be.typedArrayFromHeap(t),
      alloc: (shape) => be.makeOutput(shape, 'float32'),
      write: (t) => be.typedArrayFromHeap(t),
    };
  }
  const be = backend as CpuBackend;
  return {
    read: (t) => be.data.get(t.dataId).values,
    alloc: (shape) => be.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1))),
    write: (t) => be.data.get(t.dataId).values,
  };
}

const registeredFor = new Set<string>();

/** Backends with the fused kernels (registered on demand). */
export const FUSED_DEFORM_BACKENDS = ['wasm', 'cpu'] as const;

/**
 * Register the fused kernels for the active backend if it is wasm or cpu; returns whether the
 * fused path is available. Idempotent; safe to call before every use.
 */
export function ensureDeformKernels(tf: Tf): boolean {
  const backendName = tf.getBackend();
  if (!(FUSED_DEFORM_BACKENDS as readonly string[]).includes(backendName)) return false;
  if (registeredFor.has(backendName)) return true;
  registeredFor.add(backendName);
  const dims = (x: TF.TensorInfo): SampleDims => {
    const [b, h, w, c] = x.shape as [number, number, number, number];
    return { b, h, w, c };
  };
  tf.registerKernel({
    kernelName: DEFORM_SAMPLE,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { x, offsets } = inputs as { x: TF.TensorInfo; offsets: TF.TensorInfo };
      const d = dims(x);
      const a = io(backendName, backend);
      const out = a.alloc([d.b, d.h, d.w, 9 * d.c]);
      deformSampleForward(a.read(x), a.read(offsets), a.write(out), d);
      return out;
    },
  });
  tf.registerKernel({
    kernelName: DEFORM_SAMPLE_GRAD_X,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x, offsets } = inputs as { dy: TF.TensorInfo; x: TF.TensorInfo; offsets: TF.TensorInfo };
      const d = dims(x);
      const a = io(backendName, backend);
      const out = a.alloc([d.b, d.h, d.w, d.c]);
      const dx = a.write(out);
      dx.fill(0);
      deformSampleGradX(a.read(offsets), a.read(dy), dx, d);
      return out;
    },
  });
  tf.registerKernel({
    kernelName: DEFORM_SAMPLE_GRAD_OFFSETS,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x, offsets } = inputs as { dy: TF.TensorInfo; x: TF.TensorInfo; offsets: TF.TensorInfo };
      const d = dims(x);
      const a = io(backendName, backend);
      const out = a.alloc([d.b, d.h, d.w, 18]);
      deformSampleGradOffsets(a.read(x), a.read(offsets), a.read(dy), a.write(out), d);
      return out;
    },
  });
  if (!tf.getGradient(DEFORM_SAMPLE)) {
    tf.registerGradient({
      kernelName: DEFORM_SAMPLE,
      inputsToSave: ['x', 'offsets'],
      gradFunc: (dy, saved) => {
        const [x, offsets] = saved as [TF.Tensor, TF.Tensor];
        const g = dy as TF.Tensor;
        return {
          x: () => tf.engine().runKernel(DEFORM_SAMPLE_GRAD_X, { dy: g, x, offsets }) as TF.Tensor,
          offsets: () => tf.engine().runKernel(DEFORM_SAMPLE_GRAD_OFFSETS, { dy: g, x, offsets }) as TF.Tensor,
        };
      },
    });
  }
  return true;
}

/** The fused sampling op (call only where ensureDeformKernels returned true). */
export function deformSampleFused(tf: Tf, x: TF.Tensor4D, offsets: TF.Tensor4D): TF.Tensor4D {
  return tf.engine().runKernel(DEFORM_SAMPLE, { x, offsets }) as TF.Tensor4D;
}
