/**
 * radarODE-MTL layers: forwards against direct loops written from the PyTorch definitions, and
 * gradients against central finite differences (float32: directional derivatives, relative
 * tolerance ~1e-2).
 */
import t, { type Test } from 'tap';
import type * as TF from '@tensorflow/tfjs';
import { loadBackend } from '../../src/tf/backend.js';
import { registerExtraWasmKernels } from '../../src/tf/wasm-kernels-extra.js';
import { batchNorm, conv1d, conv2d, convTranspose1d, convTranspose2d, deformConv2d, deformSample, gatherRows, linear, type DeformImpl } from '../../src/tasks/radar-ecg/layers.js';
import { deformSampleFused, ensureDeformKernels } from '../../src/tasks/radar-ecg/deform-kernels.js';
import { fmod, ODE_DEFAULTS, solveOde, solveOdeLoop } from '../../src/tasks/radar-ecg/ode.js';
import { Rng } from '../../src/rng.js';

const { tf, name: backend } = await loadBackend();
// Test with the kernels the project runs (zero-copy Identity, dilated strided Conv2DBackpropInput).
if (backend === 'wasm') registerExtraWasmKernels(tf);
const rng = Rng.fromSeed('layers-test');

const rand = (shape: number[], scale = 1): TF.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()), shape);
const arr = (x: TF.Tensor): Float64Array => Float64Array.from(x.dataSync());

/** Max |a − b| / max(|b|_∞, floor). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let d = 0;
  let m = floor;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

/**
 * Check ∇f against central differences along random directions: f(θ) = Σ r ⊙ fn(θ) for fixed r;
 * for each input, ⟨∇f, v⟩ vs (f(θ + εv) − f(θ − εv)) / 2ε.
 */
function checkGrads(tt: Test, name: string, fn: (...xs: TF.Tensor[]) => TF.Tensor, inputs: TF.Tensor[], opts: { eps?: number; tol?: number; skip?: number[] } = {}): void {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 1e-2;
  const out = tf.tidy(() => fn(...inputs));
  const r = rand(out.shape);
  out.dispose();
  const f = (...xs: TF.Tensor[]): TF.Scalar => tf.sum(tf.mul(fn(...xs), r));
  const grads = tf.grads(f)(inputs);
  inputs.forEach((x, i) => {
    if (opts.skip?.includes(i)) return;
    const v = rand(x.shape);
    const analytic = tf.sum(tf.mul(grads[i]!, v)).dataSync()[0]!;
    const shifted = (s: number): number =>
      tf.tidy(() => {
        const xs = inputs.map((y, j) => (j === i ? tf.add(y, tf.mul(v, s)) : y));
        return f(...xs).dataSync()[0]!;
      });
    const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
    const err = Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), Math.abs(analytic), 1e-3);
    tt.ok(err < tol, `${name}: input ${i} directional derivative ${analytic.toFixed(5)} vs finite difference ${numeric.toFixed(5)} (rel ${err.toExponential(2)})`);
    v.dispose();
  });
  tf.dispose([r, ...grads]);
}

// ---------- direct loops (PyTorch definitions, channels-last, float64) ----------

/** Conv2d: x [B,H,W,Ci], w [kh,kw,Ci,Co]. */
function conv2dLoop(x: TF.Tensor, w: TF.Tensor, b: TF.Tensor | null, s: [number, number], p: [number, number]): { data: Float64Array; shape: number[] } {
  const [B, H, W, Ci] = x.shape as number[];
  const [kh, kw, , Co] = w.shape as number[];
  const xv = arr(x);
  const wv = arr(w);
  const bv = b ? arr(b) : null;
  const oh = Math.floor((H! + 2 * p[0] - kh!) / s[0]) + 1;
  const ow = Math.floor((W! + 2 * p[1] - kw!) / s[1]) + 1;
  const out = new Float64Array(B! * oh * ow * Co!);
  for (let n = 0; n < B!; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < Co!; o++) {
          let acc = bv ? bv[o]! : 0;
          for (let a = 0; a < kh!; a++)
            for (let c = 0; c < kw!; c++) {
              const y = i * s[0] - p[0] + a;
              const z = j * s[1] - p[1] + c;
              if (y < 0 || y >= H! || z < 0 || z >= W!) continue;
              for (let q = 0; q < Ci!; q++) acc += xv[((n * H! + y) * W! + z) * Ci! + q]! * wv[((a * kw! + c) * Ci! + q) * Co! + o]!;
            }
          out[((n * oh + i) * ow + j) * Co! + o] = acc;
        }
  return { data: out, shape: [B!, oh, ow, Co!] };
}

/** ConvTranspose (2-D; 1-D as height 1): x [B,H,W,Ci], w [kh,kw,Ci,Co] (channel order in,out). */
function convT2dLoop(x: TF.Tensor, w: number[][][][], wShape: number[], b: Float64Array | null, s: [number, number], p: [number, number], op: [number, number]): { data: Float64Array; shape: number[] } {
  const [B, H, W, Ci] = x.shape as number[];
  const [kh, kw, , Co] = wShape as number[];
  const xv = arr(x);
  const fh = (H! - 1) * s[0] + kh!;
  const fw = (W! - 1) * s[1] + kw!;
  const full = new Float64Array(B! * (fh + op[0]) * (fw + op[1]) * Co!);
  const FH = fh + op[0];
  const FW = fw + op[1];
  for (let n = 0; n < B!; n++)
    for (let i = 0; i < H!; i++)
      for (let j = 0; j < W!; j++)
        for (let a = 0; a < kh!; a++)
          for (let c = 0; c < kw!; c++)
            for (let q = 0; q < Ci!; q++) {
              const xq = xv[((n * H! + i) * W! + j) * Ci! + q]!;
              for (let o = 0; o < Co!; o++) full[((n * FH + i * s[0] + a) * FW + j * s[1] + c) * Co! + o]! += xq * w[a]![c]![q]![o]!;
            }
  const oh = fh - 2 * p[0] + op[0];
  const ow = fw - 2 * p[1] + op[1];
  const out = new Float64Array(B! * oh * ow * Co!);
  for (let n = 0; n < B!; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < Co!; o++) out[((n * oh + i) * ow + j) * Co! + o] = full[((n * FH + i + p[0]) * FW + j + p[1]) * Co! + o]! + (b ? b[o]! : 0);
  return { data: out, shape: [B!, oh, ow, Co!] };
}

/** DCNv1 per the reference (§1.3), written directly: x [B,H,W,C], off [B,H,W,18], w [3,3,C,Co]. */
function dcnLoop(x: TF.Tensor, off: TF.Tensor, w: TF.Tensor): Float64Array {
  const [B, H, W, C] = x.shape as number[];
  const Co = w.shape[3]!;
  const xv = arr(x);
  const ov = arr(off);
  const wv = arr(w);
  const Hp = H! + 2;
  const Wp = W! + 2;
  const X = (n: number, r: number, c: number, ch: number): number => (r < 1 || r > H! || c < 1 || c > W! ? 0 : xv[((n * H! + r - 1) * W! + c - 1) * C! + ch]!);
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  const out = new Float64Array(B! * H! * W! * Co);
  for (let n = 0; n < B!; n++)
    for (let h = 0; h < H!; h++)
      for (let wq = 0; wq < W!; wq++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            const tap = 3 * i + j;
            const o = ((n * H! + h) * W! + wq) * 18;
            const pr = 1 + h + (i - 1) + ov[o + tap]!;
            const pc = 1 + wq + (j - 1) + ov[o + 9 + tap]!;
            const qr0 = clamp(Math.floor(pr), 0, Hp - 1);
            const qr1 = clamp(Math.floor(pr) + 1, 0, Hp - 1);
            const qc0 = clamp(Math.floor(pc), 0, Wp - 1);
            const qc1 = clamp(Math.floor(pc) + 1, 0, Wp - 1);
            const prc = clamp(pr, 0, Hp - 1);
            const pcc = clamp(pc, 0, Wp - 1);
            const glt = (1 + (qr0 - prc)) * (1 + (qc0 - pcc));
            const grb = (1 - (qr1 - prc)) * (1 - (qc1 - pcc));
            const glb = (1 + (qr0 - prc)) * (1 - (qc1 - pcc));
            const grt = (1 - (qr1 - prc)) * (1 + (qc0 - pcc));
            for (let ch = 0; ch < C!; ch++) {
              const v = glt * X(n, qr0, qc0, ch) + grb * X(n, qr1, qc1, ch) + glb * X(n, qr0, qc1, ch) + grt * X(n, qr1, qc0, ch);
              for (let q = 0; q < Co; q++) out[((n * H! + h) * W! + wq) * Co + q]! += v * wv[((i * 3 + j) * C! + ch) * Co + q]!;
            }
          }
  return out;
}

t.test('conv2d matches the PyTorch definition (asymmetric kernels, strides, padding) and its gradients', async (t) => {
  const cases: [number[], number[], [number, number], [number, number]][] = [
    [[2, 5, 6, 3], [2, 1, 3, 4], [1, 1], [1, 0]], // stage conv (2,1) p(1,0)
    [[2, 7, 8, 3], [3, 2, 3, 4], [2, 2], [1, 1]], // downsample (3,2) s2 p1
    [[1, 7, 5, 2], [3, 3, 2, 3], [2, 1], [1, 1]], // downsample (3,3) s(2,1) p1
    [[2, 4, 5, 3], [4, 1, 3, 2], [1, 1], [0, 0]], // squeeze (H,1)
  ];
  for (const [xs, ws, s, p] of cases) {
    const x = rand(xs);
    const w = rand(ws, 0.5);
    const b = rand([ws[3]!]);
    const y = conv2d(tf, x as TF.Tensor4D, w as TF.Tensor4D, b as TF.Tensor1D, s, p);
    const ref = conv2dLoop(x, w, b, s, p);
    t.same(y.shape, ref.shape, `output shape k${ws.slice(0, 2)} s${s} p${p}`);
    t.ok(relErr(arr(y), ref.data) < 1e-5, 'values');
    checkGrads(t, `conv2d k${ws.slice(0, 2)} s${s}`, (xx, ww, bb) => conv2d(tf, xx as TF.Tensor4D, ww as TF.Tensor4D, bb as TF.Tensor1D, s, p), [x, w, b]);
    tf.dispose([x, w, b, y]);
  }
});

t.test('conv1d matches the PyTorch definition and its gradients', async (t) => {
  for (const [l, k, s, p] of [
    [30, 7, 2, 1],
    [20, 6, 1, 1],
    [25, 5, 2, 2],
  ] as const) {
    const x = rand([2, l, 3]);
    const w = rand([k, 3, 4], 0.5);
    const b = rand([4]);
    const y = conv1d(tf, x as TF.Tensor3D, w as TF.Tensor3D, b as TF.Tensor1D, s, p);
    const ref = conv2dLoop(tf.reshape(x, [2, 1, l, 3]), tf.reshape(w, [1, k, 3, 4]), b, [1, s], [0, p]);
    t.same(y.shape, [2, Math.floor((l + 2 * p - k) / s) + 1, 4], `length for L${l} k${k} s${s} p${p}`);
    t.ok(relErr(arr(y), ref.data) < 1e-5, 'values');
    checkGrads(t, `conv1d k${k} s${s}`, (xx, ww, bb) => conv1d(tf, xx as TF.Tensor3D, ww as TF.Tensor3D, bb as TF.Tensor1D, s, p), [x, w, b]);
    tf.dispose([x, w, b, y]);
  }
});

t.test('convTranspose1d has PyTorch lengths (stride, padding, output_padding), values and gradients', async (t) => {
  // The reference's layers (k, s, p, op) plus the adapted last layer (k = s, cropped).
  const cases: [number, number, number, number, number][] = [
    [7, 5, 3, 0, 0],
    [6, 5, 3, 2, 0],
    [5, 5, 2, 2, 1],
    [8, 5, 1, 2, 0],
    [9, 5, 2, 2, 0],
    [10, 2, 2, 3, 1],
    [4, 3, 3, 1, 2],
  ];
  for (const [l, k, s, p, op] of cases) {
    const x = rand([2, l, 3]);
    const w = rand([3, k, 2], 0.5); // [Cin, k, Cout]
    const b = rand([2]);
    const y = convTranspose1d(tf, x as TF.Tensor3D, w as TF.Tensor3D, b as TF.Tensor1D, s, p, op);
    const wv = arr(w);
    const w4 = [Array.from({ length: k }, (_, j) => Array.from({ length: 3 }, (_, i) => Array.from({ length: 2 }, (_, o) => wv[(i * k + j) * 2 + o]!)))];
    const ref = convT2dLoop(tf.reshape(x, [2, 1, l, 3]), w4, [1, k, 3, 2], arr(b), [1, s], [0, p], [0, op]);
    t.same(y.shape, [2, (l - 1) * s - 2 * p + k + op, 2], `length for L${l} k${k} s${s} p${p} op${op}`);
    t.ok(relErr(arr(y), ref.data) < 1e-5, `values k${k} s${s} p${p} op${op}`);
    checkGrads(t, `convT1d k${k} s${s} p${p} op${op}`, (xx, ww, bb) => convTranspose1d(tf, xx as TF.Tensor3D, ww as TF.Tensor3D, bb as TF.Tensor1D, s, p, op), [x, w, b]);
    tf.dispose([x, w, b, y]);
  }
});

t.test('convTranspose2d (ODE fusion decoder) matches the definition and its gradients', async (t) => {
  const cases: [number[], [number, number], [number, number], [number, number], [number, number]][] = [
    [[1, 1, 4, 3], [5, 5], [2, 2], [1, 1], [1, 1]],
    [[1, 2, 4, 3], [3, 3], [1, 2], [1, 1], [0, 0]],
    [[2, 3, 4, 3], [1, 1], [1, 1], [1, 1], [0, 0]],
  ];
  for (const [xs, k, s, p, op] of cases) {
    const x = rand(xs);
    const w = rand([k[0], k[1], 2, 3], 0.5); // [kh, kw, Cout, Cin]
    const b = rand([2]);
    const y = convTranspose2d(tf, x as TF.Tensor4D, w as TF.Tensor4D, b as TF.Tensor1D, s, p, op);
    const wv = arr(w);
    const w4 = Array.from({ length: k[0] }, (_, a) => Array.from({ length: k[1] }, (_, c) => Array.from({ length: 3 }, (_, i) => Array.from({ length: 2 }, (_, o) => wv[((a * k[1] + c) * 2 + o) * 3 + i]!))));
    const ref = convT2dLoop(x, w4, [k[0], k[1], 3, 2], arr(b), s, p, op);
    t.same(y.shape, ref.shape, `shape k${k} s${s} p${p} op${op}`);
    t.ok(relErr(arr(y), ref.data) < 1e-5, 'values');
    checkGrads(t, `convT2d k${k} s${s}`, (xx, ww, bb) => convTranspose2d(tf, xx as TF.Tensor4D, ww as TF.Tensor4D, bb as TF.Tensor1D, s, p, op), [x, w, b]);
    tf.dispose([x, w, b, y]);
  }
});

t.test('batchNorm: batch statistics, unbiased running update, eval path, fused ReLU, gradients', async (t) => {
  const x = tf.add(rand([4, 5, 3]), tf.tensor1d([1, -2, 0.5]));
  const g = rand([3]);
  const b = rand([3]);
  const running = { mean: tf.tensor1d([0.1, 0.2, 0.3]), variance: tf.tensor1d([1, 2, 3]) };
  const { y, stats } = batchNorm(tf, x, g as TF.Tensor1D, b as TF.Tensor1D, running, true);
  const xv = arr(x);
  const gv = arr(g);
  const bv = arr(b);
  const yv = arr(y);
  const n = 20;
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += xv[i * 3 + c]! / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (xv[i * 3 + c]! - m) ** 2 / n;
    t.ok(Math.abs(stats!.mean.dataSync()[c]! - m) < 1e-5, `mean of channel ${c}`);
    t.ok(Math.abs(stats!.variance.dataSync()[c]! - (v * n) / (n - 1)) < 1e-4, `unbiased variance of channel ${c}`);
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(yv[i * 3 + c]! - (gv[c]! * (xv[i * 3 + c]! - m)) / Math.sqrt(v + 1e-5) - bv[c]!));
  }
  t.ok(worst < 1e-4, `normalised values (max error ${worst})`);
  const e = batchNorm(tf, x, g as TF.Tensor1D, b as TF.Tensor1D, running, false);
  t.equal(e.stats, null, 'eval records nothing');
  const ev = arr(e.y);
  t.ok(Math.abs(ev[4]! - (gv[1]! * (xv[4]! - 0.2)) / Math.sqrt(2 + 1e-5) - bv[1]!) < 1e-4, 'eval uses the running statistics');
  const r = batchNorm(tf, x, g as TF.Tensor1D, b as TF.Tensor1D, running, true, { relu: true });
  t.ok(relErr(arr(r.y), yv.map((v) => Math.max(v, 0))) < 1e-6, 'fused ReLU');
  tf.dispose([stats!.mean, stats!.variance, r.stats!.mean, r.stats!.variance]);
  const bnFn =
    (relu: boolean) =>
    (xx: TF.Tensor, gg: TF.Tensor, bb: TF.Tensor): TF.Tensor => {
      const o = batchNorm(tf, xx, gg as TF.Tensor1D, bb as TF.Tensor1D, running, true, { relu });
      tf.dispose([o.stats!.mean, o.stats!.variance]);
      return o.y;
    };
  checkGrads(t, 'batchNorm', bnFn(false), [x, g, b], { eps: 1e-2, tol: 2e-2 });
  // With the ReLU fused, compare with autodiff through relu ∘ batchNorm (finite differences are
  // unreliable across the ReLU kink).
  const rr = rand(x.shape);
  const fused = tf.grads((xx: TF.Tensor, gg: TF.Tensor, bb: TF.Tensor) => tf.sum(tf.mul(bnFn(true)(xx, gg, bb), rr)))([x, g, b]);
  const composed = tf.grads((xx: TF.Tensor, gg: TF.Tensor, bb: TF.Tensor) => tf.sum(tf.mul(tf.relu(bnFn(false)(xx, gg, bb)), rr)))([x, g, b]);
  fused.forEach((gr, i) => t.ok(relErr(arr(gr), arr(composed[i]!)) < 1e-5, `fused ReLU gradient ${i} equals relu ∘ batchNorm`));
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const o = batchNorm(tf, x, g as TF.Tensor1D, b as TF.Tensor1D, running, true);
    tf.dispose([o.stats!.mean, o.stats!.variance]);
  });
  t.equal(tf.memory().numTensors, before, 'no tensors left behind once the statistics are disposed');
});

t.test('linear and gatherRows gradients', async (t) => {
  const x = rand([3, 5]);
  const w = rand([5, 4]);
  const b = rand([4]);
  t.ok(relErr(arr(linear(tf, x as TF.Tensor2D, w as TF.Tensor2D, b as TF.Tensor1D)), arr(tf.add(tf.matMul(x as TF.Tensor2D, w as TF.Tensor2D), b))) < 1e-6, 'linear forward');
  checkGrads(t, 'linear', (xx, ww, bb) => linear(tf, xx as TF.Tensor2D, ww as TF.Tensor2D, bb as TF.Tensor1D), [x, w, b]);
  const src = rand([6, 3]);
  const idx = tf.tensor2d([[0], [5], [0], [2], [2], [2]], [6, 1], 'int32');
  t.same(Array.from(gatherRows(tf, src as TF.Tensor2D, idx).dataSync()), Array.from(tf.gather(src, [0, 5, 0, 2, 2, 2]).dataSync()), 'gatherRows forward');
  checkGrads(t, 'gatherRows (duplicate indices sum)', (s) => gatherRows(tf, s as TF.Tensor2D, idx), [src]);
});

t.test('deformable conv: forward equals a direct DCNv1 loop, fused and op paths agree, gradients', async (t) => {
  t.ok(ensureDeformKernels(tf), `fused kernels available on ${tf.getBackend()}`);
  const B = 2;
  const H = 4;
  const W = 5;
  const C = 3;
  const Co = 2;
  const x = rand([B, H, W, C]);
  const w = rand([3, 3, C, Co], 0.4);
  // Offsets large enough to reach and pass the borders (exercises the clamps).
  const offW = rand([3, 3, C, 18], 0.3);
  const offB = rand([18], 1.5);
  const offsets = conv2d(tf, x as TF.Tensor4D, offW as TF.Tensor4D, offB as TF.Tensor1D, [1, 1], [1, 1]);
  const ref = dcnLoop(x, offsets, w);
  for (const impl of ['fused', 'ops'] as DeformImpl[]) {
    const y = deformConv2d(tf, x as TF.Tensor4D, offW as TF.Tensor4D, offB as TF.Tensor1D, w as TF.Tensor4D, impl);
    t.same(y.shape, [B, H, W, Co], `${impl}: shape`);
    t.ok(relErr(arr(y), ref) < 1e-5, `${impl}: equals the direct loop (rel ${relErr(arr(y), ref).toExponential(2)})`);
  }
  // Zero offsets: the DCN is an ordinary 3×3 conv with padding 1.
  const zero = deformConv2d(tf, x as TF.Tensor4D, tf.zerosLike(offW) as TF.Tensor4D, tf.zeros([18]) as TF.Tensor1D, w as TF.Tensor4D);
  t.ok(relErr(arr(zero), conv2dLoop(x, w, null, [1, 1], [1, 1]).data) < 1e-5, 'zero offsets give a plain 3×3 conv');

  // Sampling only: fused vs ops, values and both input gradients.
  const r = rand([B, H, W, 9 * C]);
  const loss = (fn: (a: TF.Tensor4D, b: TF.Tensor4D) => TF.Tensor) => (a: TF.Tensor, b: TF.Tensor) => tf.sum(tf.mul(fn(a as TF.Tensor4D, b as TF.Tensor4D), r));
  const gf = tf.grads(loss((a, b) => deformSampleFused(tf, a, b)))([x, offsets]);
  const go = tf.grads(loss((a, b) => deformSample(tf, a, b)))([x, offsets]);
  t.ok(relErr(arr(deformSampleFused(tf, x as TF.Tensor4D, offsets)), arr(deformSample(tf, x as TF.Tensor4D, offsets))) < 1e-5, 'sampled columns agree');
  t.ok(relErr(arr(gf[0]!), arr(go[0]!)) < 1e-5, 'input gradients agree (scatter)');
  t.ok(relErr(arr(gf[1]!), arr(go[1]!)) < 1e-5, 'offset gradients agree');

  // Finite differences away from integer sampling positions (the interpolation has kinks there):
  // small offset weights and offset biases with fractional parts near 0.5.
  const fracB = tf.tensor1d(Array.from({ length: 18 }, (_, i) => (i % 3) - 1 + 0.5 + 0.1 * Math.sin(i)));
  const smallW = rand([3, 3, C, 18], 0.01);
  for (const impl of ['fused', 'ops'] as DeformImpl[]) {
    checkGrads(t, `dcn (${impl})`, (xx, ow, ob, ww) => deformConv2d(tf, xx as TF.Tensor4D, ow as TF.Tensor4D, ob as TF.Tensor1D, ww as TF.Tensor4D, impl), [x, smallW, fracB, w], { eps: 2e-3, tol: 2e-2 });
  }
});

t.test('ECG ODE: the matrix form equals step-by-step Euler; default beat; gradients', async (t) => {
  t.equal(fmod(-7, 3), -1, 'fmod keeps the sign (torch.fmod)');
  t.equal(fmod(7, 3), 1);
  const loop = solveOdeLoop(ODE_DEFAULTS);
  const z = arr(solveOde(tf, tf.zeros([2, 15]) as TF.Tensor2D));
  t.equal(z.length, 400);
  t.ok(relErr(z.subarray(0, 200), loop) < 1e-4, `p = 0 reproduces the default parameters' Euler trajectory (rel ${relErr(z.subarray(0, 200), loop).toExponential(2)})`);
  let max = -Infinity;
  let min = Infinity;
  let argmax = 0;
  let argmin = 0;
  loop.forEach((v, i) => {
    if (v > max) [max, argmax] = [v, i];
    if (v < min) [min, argmin] = [v, i];
  });
  t.ok(Math.abs(max - 0.741) < 0.01 && Math.abs(min + 0.215) < 0.01, `z spans ${min.toFixed(3)} .. ${max.toFixed(3)} (reference: −0.215 .. 0.741)`);
  t.ok(Math.abs(argmax - 87) <= 2 && Math.abs(argmin - 98) <= 2, `R peak at ${argmax}, minimum at ${argmin} (reference ≈ 87, ≈ 98)`);
  const p = tf.tensor2d(Array.from({ length: 30 }, (_, i) => 0.3 * Math.sin(i + 1)), [2, 15]);
  const zp = arr(solveOde(tf, p as TF.Tensor2D));
  const eta = Array.from(p.dataSync().subarray(15, 30), (v, i) => (1 + v) * ODE_DEFAULTS[i]!);
  t.ok(relErr(zp.subarray(200), solveOdeLoop(eta)) < 1e-4, 'per-sample parameters follow the loop');
  checkGrads(t, 'ode', (pp) => solveOde(tf, pp as TF.Tensor2D), [p], { eps: 1e-3, tol: 2e-2 });
});
