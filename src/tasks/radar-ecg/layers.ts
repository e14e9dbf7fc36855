/**
 * Differentiable layers of radarODE-MTL, written as plain functions over explicit tensors, with
 * PyTorch semantics (explicit symmetric padding, ConvTranspose output_padding, BN statistics).
 *
 * Layout: TF.js is channels-last. A PyTorch NCHW map [B, C, H, W] is [B, H, W, C] here, an NCL
 * sequence [B, C, L] is [B, L, C]. Weight layouts (PyTorch → here):
 * - Conv2d [Cout, Cin, kh, kw] → [kh, kw, Cin, Cout]; Conv1d [Cout, Cin, k] → [k, Cin, Cout]
 * - ConvTranspose1d [Cin, Cout, k] → [Cin, k, Cout]; ConvTranspose2d [Cin, Cout, kh, kw] → [kh, kw, Cout, Cin]
 * - Linear [out, in] → [in, out]
 *
 * Speed on wasm (measured in benchmarks/radar-ecg-model.ts): every convolution is a stride-1
 * or strided conv2d (the custom Conv2DBackprop kernels make its gradients fast; transposed convs
 * are rewritten as stride-1 convs); matMul gradients are written with explicit transposes
 * (transposeA/B are 10–50× slower on wasm); BatchNorm(+ReLU) is one custom-gradient op. The
 * deformable conv's bilinear sampling runs as fused kernels on wasm/cpu (deform-kernels.ts);
 * elsewhere it gathers rows with gatherND under a custom gradient that scatters with scatterND
 * (GatherV2's own gradient needs UnsortedSegmentSum, which wasm lacks, and GatherV2 itself is
 * ~15× slower than gatherND there).
 */
import type * as TF from '@tensorflow/tfjs';
import { deformSampleFused, ensureDeformKernels } from './deform-kernels.js';

export type Tf = typeof TF;

/** PyTorch-style explicit symmetric padding as a TF.js explicit padding spec. */
function pad4(ph: number, pw: number): TF.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [ph, ph],
    [pw, pw],
    [0, 0],
  ];
}

/**
 * Conv2d (PyTorch semantics): x [B, H, W, Cin], w [kh, kw, Cin, Cout], symmetric padding (ph, pw).
 * Output [B, floor((H + 2ph − kh)/sh) + 1, …, Cout].
 */
export function conv2d(tf: Tf, x: TF.Tensor4D, w: TF.Tensor4D, bias: TF.Tensor1D | null, stride: readonly [number, number], padding: readonly [number, number]): TF.Tensor4D {
  const pad = pad4(padding[0], padding[1]);
  const s: [number, number] = [stride[0], stride[1]];
  if (bias) return tf.fused.conv2d({ x, filter: w, strides: s, pad, bias });
  return tf.conv2d(x, w, s, pad);
}

/** Conv1d (PyTorch semantics): x [B, L, Cin], w [k, Cin, Cout] → [B, floor((L + 2p − k)/s) + 1, Cout]. */
export function conv1d(tf: Tf, x: TF.Tensor3D, w: TF.Tensor3D, bias: TF.Tensor1D | null, stride: number, padding: number): TF.Tensor3D {
  const [b, l, cin] = x.shape;
  const [k, , cout] = w.shape;
  const y = conv2d(tf, tf.reshape(x, [b, 1, l, cin]), tf.reshape(w, [1, k, cin, cout]), bias, [1, stride], [0, padding]);
  return tf.reshape(y, [b, y.shape[2], cout]);
}

/** Output length of PyTorch's ConvTranspose1d. */
export function convTransposeLength(l: number, k: number, s: number, p: number, op: number): number {
  return (l - 1) * s - 2 * p + k + op;
}

/**
 * ConvTranspose1d (PyTorch semantics: stride, padding, output_padding): x [B, L, Cin],
 * w [Cin, k, Cout] → [B, (L−1)s − 2p + k + op, Cout].
 *
 * Polyphase form, one stride-1 convolution: output position m·s + r (phase r) is
 * Σ_g x[m − g]·W[g·s + r], a full correlation of x with the phase's sub-kernel. All s phases are
 * the output channels of one conv1d with G = ⌈k/s⌉ taps (taps beyond k are zero) and s·Cout
 * channels, padded by G − 1; reshaping [L+G−1, s·Cout] → [(L+G−1)·s, Cout] interleaves them. Then
 * p samples are cropped at the start and the length cut to the output size (positions past the
 * full length are zeros plus bias, as output_padding gives in PyTorch). Arithmetic is that of the
 * transposed conv (plus zero taps when s ∤ k), all in the fast stride-1 conv kernels, where
 * tf.conv2dTranspose would run wasm's slow built-in strided Conv2DBackpropInput.
 */
export function convTranspose1d(tf: Tf, x: TF.Tensor3D, w: TF.Tensor3D, bias: TF.Tensor1D | null, stride: number, padding: number, outputPadding = 0): TF.Tensor3D {
  const [b, l, cin] = x.shape;
  const [, k, cout] = w.shape;
  const s = stride;
  const lout = convTransposeLength(l, k, s, padding, outputPadding);
  const g = Math.ceil(k / s);
  if (lout < 1) throw new Error(`convTranspose1d: empty output for L=${l} k=${k} s=${s} p=${padding} op=${outputPadding}`);
  // Extra blocks on the right when output_padding reaches past the full length (zeros + bias).
  const extra = Math.max(0, Math.ceil((padding + lout - (l + g - 1) * s) / s));
  const total = (l + g - 1 + extra) * s;
  const wp = g * s > k ? tf.pad(w, [[0, 0], [0, g * s - k], [0, 0]]) : w;
  // [Cin, G, s·Cout] → taps reversed → [G, Cin, s·Cout] (a conv filter [1, G, Cin, s·Cout]).
  const filt = tf.reshape(tf.transpose(tf.reverse(tf.reshape(wp, [cin, g, s * cout]), 1), [1, 0, 2]), [1, g, cin, s * cout]) as TF.Tensor4D;
  const x4 = tf.reshape(x, [b, 1, l, cin]) as TF.Tensor4D;
  const pad: TF.backend_util.ExplicitPadding = [
    [0, 0],
    [0, 0],
    [g - 1, g - 1 + extra],
    [0, 0],
  ];
  const y4 = bias ? tf.fused.conv2d({ x: x4, filter: filt, strides: 1, pad, bias: s > 1 ? tf.tile(bias, [s]) : bias }) : tf.conv2d(x4, filt, 1, pad);
  const full = tf.reshape(y4, [b, total, cout]) as TF.Tensor3D;
  return padding === 0 && lout === total ? full : tf.slice(full, [0, padding, 0], [b, lout, cout]);
}

/**
 * ConvTranspose2d (PyTorch semantics), used only by the optional ODE fusion branch (tiny maps):
 * x [B, H, W, Cin], w [kh, kw, Cout, Cin]. A 'valid' conv2dTranspose, cropped by the padding and
 * extended by output_padding.
 */
export function convTranspose2d(
  tf: Tf,
  x: TF.Tensor4D,
  w: TF.Tensor4D,
  bias: TF.Tensor1D | null,
  stride: readonly [number, number],
  padding: readonly [number, number],
  outputPadding: readonly [number, number] = [0, 0],
): TF.Tensor4D {
  const [b, h, wd] = x.shape;
  const [kh, kw, cout] = w.shape;
  const fh = (h - 1) * stride[0] + kh;
  const fw = (wd - 1) * stride[1] + kw;
  const full = tf.conv2dTranspose(x, w, [b, fh, fw, cout], [stride[0], stride[1]], 'valid');
  const oh = convTransposeLength(h, kh, stride[0], padding[0], outputPadding[0]);
  const ow = convTransposeLength(wd, kw, stride[1], padding[1], outputPadding[1]);
  const extraH = Math.max(0, padding[0] + oh - fh);
  const extraW = Math.max(0, padding[1] + ow - fw);
  const base = extraH || extraW ? tf.pad(full, [[0, 0], [0, extraH], [0, extraW], [0, 0]]) : full;
  const y = tf.slice(base, [0, padding[0], padding[1], 0], [b, oh, ow, cout]);
  return bias ? tf.add(y, bias) : y;
}

/**
 * Linear layer y = x·W + b with a hand-written gradient: tfjs's matMul gradient multiplies with
 * transposeA/B, which wasm runs 10–50× slower than an explicit transpose and a plain product.
 */
export function linear(tf: Tf, x: TF.Tensor2D, w: TF.Tensor2D, bias: TF.Tensor1D | null): TF.Tensor2D {
  const op = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [TF.Tensor, TF.Tensor, TF.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.matMul(xi as TF.Tensor2D, wi as TF.Tensor2D),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [xs, ws] = saved as [TF.Tensor2D, TF.Tensor2D];
        return [tf.matMul(dy as TF.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as TF.Tensor2D)];
      },
    };
  });
  const y = op(x, w) as TF.Tensor2D;
  return bias ? tf.add(y, bias) : y;
}

/** Batch statistics recorded by a training forward, for the moving averages (kept tensors: the caller disposes them). */
export interface BatchStats {
  readonly mean: TF.Tensor1D;
  /** Unbiased variance (PyTorch updates running_var with n/(n−1)·var). */
  readonly variance: TF.Tensor1D;
}

/**
 * BatchNorm over every axis but the last (BatchNorm1d on [B, F] or [B, L, C], BatchNorm2d on
 * [B, H, W, C]), optionally followed by ReLU. Training: batch statistics (the biased variance
 * normalises, as in PyTorch); the batch mean and the unbiased variance are returned for the
 * moving averages. Eval: the running statistics.
 *
 * The training path is one custom-gradient op with the closed-form backward
 * dx = γ·r·(dy − mean(dy) − x̂·mean(dy·x̂)), r = 1/√(σ² + ε), dγ = Σ dy·x̂, dβ = Σ dy
 * (with dy masked by the ReLU first): about 20 kernels for forward and backward instead of the
 * ~80 of tf.moments + tf.batchNorm + relu under autodiff; on small layers the per-kernel cost
 * dominates.
 */
export function batchNorm<T extends TF.Tensor>(
  tf: Tf,
  x: T,
  gamma: TF.Tensor1D,
  beta: TF.Tensor1D,
  running: { mean: TF.Tensor1D; variance: TF.Tensor1D },
  training: boolean,
  opts: { eps?: number; relu?: boolean } = {},
): { y: T; stats: BatchStats | null } {
  const eps = opts.eps ?? 1e-5;
  const relu = opts.relu ?? false;
  if (!training) {
    const y = tf.batchNorm(x, running.mean, running.variance, beta, gamma, eps) as T;
    return { y: relu ? tf.relu(y) : y, stats: null };
  }
  const c = x.shape[x.rank - 1] as number;
  const n = x.size / c;
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  let mean: TF.Tensor1D | null = null;
  let variance: TF.Tensor1D | null = null;
  const op = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
    const [xi, g, b, save] = args as [TF.Tensor, TF.Tensor1D, TF.Tensor1D, TF.GradSaveFunc];
    const mu = tf.mean(xi, axes) as TF.Tensor1D;
    const xc = tf.sub(xi, mu);
    const v = tf.mean(tf.square(xc), axes) as TF.Tensor1D;
    const yn = tf.batchNorm(xi, mu, v, b, g, eps);
    const y = relu ? tf.relu(yn) : yn;
    mean = tf.keep(mu);
    variance = tf.keep(v);
    save([xc, v, g, y]);
    return {
      value: y,
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [xcs, vs, gs, ys] = saved as [TF.Tensor, TF.Tensor1D, TF.Tensor1D, TF.Tensor];
        const d = relu ? tf.mul(dy, tf.step(ys)) : dy;
        const r = tf.rsqrt(tf.add(vs, eps));
        const xhat = tf.mul(xcs, r);
        const dbeta = tf.sum(d, axes) as TF.Tensor1D;
        const dgamma = tf.sum(tf.mul(d, xhat), axes) as TF.Tensor1D;
        const centred = tf.sub(tf.sub(d, tf.div(dbeta, n)), tf.mul(xhat, tf.div(dgamma, n)));
        const dx = tf.mul(centred, tf.mul(gs, r));
        return [dx, dgamma, dbeta];
      },
    };
  });
  const y = op(x, gamma, beta) as T;
  const mu = mean as TF.Tensor1D | null;
  const v = variance as TF.Tensor1D | null;
  if (!mu || !v) throw new Error('batchNorm: statistics were not computed');
  const unbiased = tf.keep(n > 1 ? tf.mul(v, n / (n - 1)) : v.clone());
  tf.dispose(v);
  return { y, stats: { mean: mu, variance: unbiased as TF.Tensor1D } };
}

/** Dropout (inverted, as PyTorch): identity in eval mode. */
export function dropout<T extends TF.Tensor>(tf: Tf, x: T, rate: number, training: boolean, seed: number): T {
  if (!training || rate === 0) return x;
  return tf.dropout(x, rate, undefined, seed) as T;
}

/**
 * Rows of a 2-D tensor: out[n] = x[idx[n]] (idx int32 [N, 1]). gatherND forward and scatterND
 * (which sums duplicate indices) backward: both are native wasm kernels, unlike GatherV2's
 * gradient, which needs UnsortedSegmentSum (missing on wasm) and a GatherV2 that is slow there.
 */
export function gatherRows(tf: Tf, x: TF.Tensor2D, idx: TF.Tensor2D): TF.Tensor2D {
  const shape = x.shape;
  const op = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
    const [xi, save] = args as [TF.Tensor, TF.GradSaveFunc];
    save([idx]);
    return {
      value: tf.gatherND(xi, idx),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => [tf.scatterND(saved[0]!, dy, shape)],
    };
  });
  return op(x) as TF.Tensor2D;
}

// Base sampling grids of the 3×3 deformable conv, cached per (H, W): p0 + p_n in padded
// coordinates, rows then columns, tap n = 3i + j.
const gridCache = new Map<string, { rows: Float32Array; cols: Float32Array }>();

function baseGrid(h: number, w: number): { rows: Float32Array; cols: Float32Array } {
  const key = `${h}x${w}`;
  let g = gridCache.get(key);
  if (!g) {
    const rows = new Float32Array(h * w * 9);
    const cols = new Float32Array(h * w * 9);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let n = 0; n < 9; n++) {
          const o = (y * w + x) * 9 + n;
          // p0 = 1 + position (padding 1, stride 1); p_n = (i − 1, j − 1).
          rows[o] = 1 + y + (Math.floor(n / 3) - 1);
          cols[o] = 1 + x + ((n % 3) - 1);
        }
      }
    }
    g = { rows, cols };
    if (gridCache.size > 64) gridCache.clear();
    gridCache.set(key, g);
  }
  return g;
}

/**
 * The bilinear sampling of DCNv1 (radarODE-MTL's dcnv2.py with modulation off):
 * x [B, H, W, C] and offsets [B, H, W, 18] (rows in 0–8, columns in 9–17, tap n = 3i + j) →
 * sampled columns [B, H, W, 9·C] (tap-major), ready for a 1×1 conv with the [3, 3, C, Cout]
 * kernel reshaped to [1, 1, 9C, Cout].
 *
 * The input is zero-padded by 1; p = p0 + p_n + offset is clamped to [0, H+1] × [0, W+1]; the
 * corners are floor(p) and floor(p)+1 of the unclamped p, each clamped (detached: floor has a
 * zero gradient); the bilinear weights are products of (1 ± (q − p)) with the clamped p and are
 * not renormalised where two corners clamp to the same pixel. Gradients reach the offsets only
 * through the weights and the input only through the gather.
 */
export function deformSample(tf: Tf, x: TF.Tensor4D, offsets: TF.Tensor4D): TF.Tensor4D {
  const [b, h, w, c] = x.shape;
  const hp = h + 2;
  const wp = w + 2;
  const grid = baseGrid(h, w);
  const n = b * h * w * 9;
  const rowsBase = tf.tensor4d(grid.rows, [1, h, w, 9]);
  const colsBase = tf.tensor4d(grid.cols, [1, h, w, 9]);
  const [offR, offC] = tf.split(offsets, 2, 3) as [TF.Tensor4D, TF.Tensor4D];
  const pr = tf.add(rowsBase, offR);
  const pc = tf.add(colsBase, offC);
  const fr = tf.floor(pr);
  const fc = tf.floor(pc);
  const r0 = tf.clipByValue(fr, 0, hp - 1);
  const r1 = tf.clipByValue(tf.add(fr, 1), 0, hp - 1);
  const c0 = tf.clipByValue(fc, 0, wp - 1);
  const c1 = tf.clipByValue(tf.add(fc, 1), 0, wp - 1);
  const prc = tf.clipByValue(pr, 0, hp - 1);
  const pcc = tf.clipByValue(pc, 0, wp - 1);
  // 1 + (q − p) for the lower corner, 1 − (q − p) for the upper one.
  const a0 = tf.sub(tf.add(r0, 1), prc);
  const a1 = tf.sub(tf.add(prc, 1), r1);
  const b0 = tf.sub(tf.add(c0, 1), pcc);
  const b1 = tf.sub(tf.add(pcc, 1), c1);
  const batchBase = tf.mul(tf.range(0, b, 1, 'float32').reshape([b, 1, 1, 1]), hp * wp);
  const rowBase0 = tf.add(batchBase, tf.mul(r0, wp));
  const rowBase1 = tf.add(batchBase, tf.mul(r1, wp));
  const index = (rb: TF.Tensor, cq: TF.Tensor): TF.Tensor2D => tf.reshape(tf.cast(tf.add(rb, cq), 'int32'), [n, 1]);
  const corners: [TF.Tensor2D, TF.Tensor][] = [
    [index(rowBase0, c0), tf.mul(a0, b0)], // (floor, floor)
    [index(rowBase1, c1), tf.mul(a1, b1)], // (floor+1, floor+1)
    [index(rowBase0, c1), tf.mul(a0, b1)], // (floor, floor+1)
    [index(rowBase1, c0), tf.mul(a1, b0)], // (floor+1, floor)
  ];
  const xp = tf.reshape(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), [b * hp * wp, c]) as TF.Tensor2D;
  const terms = corners.map(([idx, g]) => tf.mul(gatherRows(tf, xp, idx), tf.reshape(g, [n, 1])));
  return tf.reshape(tf.addN(terms), [b, h, w, 9 * c]);
}

/**
 * How the bilinear sampling runs: 'fused' = the wasm/cpu kernels of deform-kernels.ts, 'ops' = the
 * composition of standard ops above (any backend), 'auto' = fused where available.
 */
export type DeformImpl = 'auto' | 'fused' | 'ops';

/**
 * Deformable 3×3 conv (DCNv1, stride 1, padding 1, no bias on the sampling conv):
 * offsets = conv3×3(x; offW [3,3,C,18], offB [18]); y = Σ_taps W[tap]ᵀ · sample(x, p_tap), computed as
 * one matrix product of the tap-major sampled columns [B·H·W, 9C] with W reshaped to [9C, Cout]
 * (equal to the reference's stride-3 conv on the 3H×3W rearranged map and to Σ_taps of 1×1
 * convs; one GEMM was the fastest of the three on wasm).
 */
export function deformConv2d(tf: Tf, x: TF.Tensor4D, offW: TF.Tensor4D, offB: TF.Tensor1D, w: TF.Tensor4D, impl: DeformImpl = 'auto'): TF.Tensor4D {
  const [, , c, cout] = w.shape;
  const offsets = conv2d(tf, x, offW, offB, [1, 1], [1, 1]);
  const fused = impl === 'fused' || (impl === 'auto' && ensureDeformKernels(tf));
  if (impl === 'fused' && !ensureDeformKernels(tf)) throw new Error(`fused deformable sampling is not available on backend ${tf.getBackend()}`);
  const cols = fused ? deformSampleFused(tf, x, offsets) : deformSample(tf, x, offsets);
  const [b, h, wd] = x.shape;
  const y = pointwise(tf, tf.reshape(cols, [b * h * wd, 9 * c]), tf.reshape(w, [9 * c, cout]) as TF.Tensor2D);
  return tf.reshape(y, [b, h, wd, cout]);
}

/**
 * x [N, K] · w [K, M] with a gradient that transposes only the small operands: dx = dy·wᵀ and
 * dw = (dyᵀ·x)ᵀ. For the DCN's sampled columns (K = 9C, much wider than dy's M = Cout) this avoids
 * transposing the big [N, 9C] matrix, which dominated the 1×1 conv's weight gradient.
 */
export function pointwise(tf: Tf, x: TF.Tensor2D, w: TF.Tensor2D): TF.Tensor2D {
  const op = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [TF.Tensor2D, TF.Tensor2D, TF.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.matMul(xi, wi),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [xs, ws] = saved as [TF.Tensor2D, TF.Tensor2D];
        const g = dy as TF.Tensor2D;
        return [tf.matMul(g, tf.transpose(ws)), tf.transpose(tf.matMul(tf.transpose(g), xs))];
      },
    };
  });
  return op(x, w) as TF.Tensor2D;
}
