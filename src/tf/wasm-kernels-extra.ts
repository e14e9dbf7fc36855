/**
 * Further wasm kernel replacements. Call `registerExtraWasmKernels(tf)` after
 * `registerWasmKernels(tf)` in backend.ts (it wraps the Conv2DBackpropInput registered there);
 * idempotent, and safe before or after `setBackend('wasm')` (no kernel here needs a setupFunc).
 *
 * - Identity: the built-in wasm kernel copies the tensor. The engine clones every tensor it saves
 *   for a gradient (`saveTensorsForBackwardMode`), so each training step copied every saved
 *   activation once more. Tensors are immutable (variables swap their data on assign), so the
 *   clone may share the data, as the cpu backend's Identity and wasm's own Reshape already do:
 *   increment the reference count and return the same data id.
 * - Conv2DBackpropInput with stride > 1 (the gradient of every strided conv): the built-in runs at
 *   ~2 GFLOP/s. Here dy is dilated by the strides (zeros between rows/columns), and dx is the
 *   stride-1 correlation of the dilated dy with the flipped, transposed filter, which runs in the
 *   fast stride-1 conv: sh·sw times the arithmetic at 5–10× the speed. Stride 1 goes to the kernel
 *   registered before (wasm-kernels.ts's fast path).
 */
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;
type PadMode = 'valid' | 'same' | number | TF.backend_util.ExplicitPadding;

let registered = false;

export function registerExtraWasmKernels(tf: Tf): void {
  if (registered) return;
  registered = true;
  const asT = (t: TF.TensorInfo | TF.Tensor): TF.Tensor4D => (t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t)) as TF.Tensor4D;

  const identity = tf.getKernel('Identity', 'wasm');
  if (identity) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs.x as TF.TensorInfo;
      if (x.dtype === 'string' && identity) return identity.kernelFunc({ inputs, backend, attrs });
      (backend as unknown as { incRef(id: unknown): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });

  const prev = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!prev) return;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    ...(prev.setupFunc ? { setupFunc: prev.setupFunc } : {}),
    ...(prev.disposeFunc ? { disposeFunc: prev.disposeFunc } : {}),
    kernelFunc: (args) => {
      const a = args.attrs as unknown as { strides: number | [number, number]; pad: PadMode; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number]; dataFormat?: string };
      const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      if ((sh === 1 && sw === 1) || (a.dataFormat && a.dataFormat !== 'NHWC')) return prev.kernelFunc(args);
      const dy = asT(args.inputs.dy as TF.TensorInfo);
      const w = asT(args.inputs.filter as TF.TensorInfo);
      return tf.tidy(() => {
        const c = tf.backend_util.computeConv2DInfo(a.inputShape, w.shape as [number, number, number, number], [sh, sw], 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
        const [b, oh, ow, co] = dy.shape;
        const { inHeight: H, inWidth: W, filterHeight: kh, filterWidth: kw } = c;
        const top = c.padInfo.top;
        const left = c.padInfo.left;
        // Dilate: [B, oh, 1, ow, 1, C] padded to [B, oh, sh, ow, sw, C] → [B, oh·sh, ow·sw, C].
        let d = tf.reshape(tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, co]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]), [b, oh * sh, ow * sw, co]) as TF.Tensor4D;
        // dx[i] = Σ_j D[i + top − (k−1) + j]·W[k−1−j]: pad the front by k−1−top and the end to
        // H + top − len(D) (trailing entries of D beyond the last row of dy are zeros: drop them
        // where that end padding would be negative).
        const endH = H + top - oh * sh;
        const endW = W + left - ow * sw;
        if (endH < 0 || endW < 0) d = tf.slice(d, [0, 0, 0, 0], [b, oh * sh + Math.min(0, endH), ow * sw + Math.min(0, endW), co]);
        const pad: TF.backend_util.ExplicitPadding = [
          [0, 0],
          [kh - 1 - top, Math.max(0, endH)],
          [kw - 1 - left, Math.max(0, endW)],
          [0, 0],
        ];
        return tf.conv2d(d, tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as TF.Tensor4D, 1, pad);
      }) as TF.TensorInfo;
    },
  });
}
