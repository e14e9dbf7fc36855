import t from 'tap';
import type * as TF from '@tensorflow/tfjs';
import { loadBackend } from '../src/tf/backend.js';

/** dX and dW of a conv layer (loss = Σ conv(x, w) ⊙ r), computed on the active backend. */
function convGrads(tf: typeof TF, x: Float32Array, xs: number[], w: Float32Array, ws: number[], r: Float32Array, stride: number | [number, number], pad: 'same' | 'valid', dilation = 1) {
  return tf.tidy(() => {
    const X = tf.tensor4d(x, xs as [number, number, number, number]);
    const W = tf.tensor4d(w, ws as [number, number, number, number]);
    const f = (a: TF.Tensor4D, b: TF.Tensor4D) => {
      const y = tf.conv2d(a, b, stride, pad, 'NHWC', dilation);
      return tf.sum(tf.mul(y, tf.tensor(r.subarray(0, y.size), y.shape)));
    };
    const [dx, dw] = tf.grads(f as never)([X, W]);
    return [dx!.dataSync().slice(), dw!.dataSync().slice()] as const;
  });
}

t.test('the wasm gradient kernels (Conv2DBackpropFilter, fast Conv2DBackpropInput) agree with the cpu backend', async (t) => {
  const { tf, name } = await loadBackend('wasm');
  t.equal(name, 'wasm');
  const rnd = (n: number, seed: number) => {
    let s = seed;
    return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
  };
  const cases: { name: string; xs: number[]; ws: number[]; stride: number | [number, number]; pad: 'same' | 'valid' }[] = [
    { name: 'conv1d-like k7 same s1', xs: [2, 1, 64, 8], ws: [1, 7, 8, 16], stride: 1, pad: 'same' },
    { name: '3x3 same s1', xs: [2, 9, 11, 4], ws: [3, 3, 4, 6], stride: 1, pad: 'same' },
    { name: '3x3 same s2 (built-in dX fallback)', xs: [2, 9, 11, 4], ws: [3, 3, 4, 6], stride: 2, pad: 'same' },
    { name: '(3,2) valid stride [2,1]', xs: [3, 10, 7, 5], ws: [3, 2, 5, 4], stride: [2, 1], pad: 'valid' },
    { name: '(2,1) valid s1', xs: [2, 6, 5, 3], ws: [2, 1, 3, 7], stride: 1, pad: 'valid' },
  ];
  for (const c of cases) {
    const x = rnd(c.xs.reduce((a, b) => a * b), 1);
    const w = rnd(c.ws.reduce((a, b) => a * b), 2);
    const r = rnd(100000, 3);
    const before = tf.memory().numTensors;
    const [dxW, dwW] = convGrads(tf, x, c.xs, w, c.ws, r, c.stride, c.pad);
    t.equal(tf.memory().numTensors, before, `${c.name}: no leaked tensors`);
    await tf.setBackend('cpu');
    const [dxC, dwC] = convGrads(tf, x, c.xs, w, c.ws, r, c.stride, c.pad);
    await tf.setBackend('wasm');
    const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let d = 0;
      let m = 0;
      for (let i = 0; i < a.length; i++) {
        d = Math.max(d, Math.abs(a[i]! - b[i]!));
        m = Math.max(m, Math.abs(b[i]!));
      }
      return d / m;
    };
    t.ok(rel(dxW, dxC) < 1e-5, `${c.name}: dX rel. error ${rel(dxW, dxC).toExponential(2)}`);
    t.ok(rel(dwW, dwC) < 1e-5, `${c.name}: dW rel. error ${rel(dwW, dwC).toExponential(2)}`);
  }
});
