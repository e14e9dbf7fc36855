/**
 * Gradient kernels the wasm backend lacks or runs slowly, written with ordinary tf ops.
 * - Conv2DBackpropFilter: missing on wasm. Computed as a convolution with batch and channel axes
 *   swapped (x → [ci, H, W, N], dy → [oh, ow, N, co], dilation = the forward stride).
 * - Conv2DBackpropInput: the built-in runs at ~2 GFLOP/s; for stride 1 it is the convolution of the
 *   padded dy with the flipped, transposed filter. Other strides fall back to the built-in, which
 *   needs the built-in's setupFunc in the new registration (it binds the C function).
 */
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;
type Info = TF.TensorInfo | TF.Tensor;
type Conv2DInfo = ReturnType<typeof TF.backend_util.computeConv2DInfo>;

let registered = false;

export function registerWasmKernels(tf: Tf): void {
  if (registered) return;
  registered = true;
  const asT = (t: Info): TF.Tensor4D =>
    (t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t as TF.TensorInfo)) as TF.Tensor4D;
  type PadMode = 'valid' | 'same' | number | TF.backend_util.ExplicitPadding;
  const info = (xShape: number[], filterShape: number[], strides: number | [number, number], pad: PadMode, rounding?: 'floor' | 'round' | 'ceil'): Conv2DInfo =>
    tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      strides,
      1,
      pad,
      rounding,
      false,
      'channelsLast',
    );

  try {
    tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  } catch {
    /* not registered on wasm: the usual case */
  }
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const x = asT(inputs.x as Info);
      const dy = asT(inputs.dy as Info);
      const a = attrs as unknown as { strides: number | [number, number]; pad: PadMode; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: number[] };
      return tf.tidy(() => {
        const c = info(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
        const p = c.padInfo;
        const xp = tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]);
        const r = tf.conv2d(tf.transpose(xp, [3, 1, 2, 0]) as TF.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as TF.Tensor4D, 1, 'valid', 'NHWC', [c.strideHeight, c.strideWidth]);
        return tf.transpose(tf.slice(r, [0, 0, 0, 0], [c.inChannels, c.filterHeight, c.filterWidth, c.outChannels]), [1, 2, 0, 3]);
      }) as TF.TensorInfo;
    },
  });

  const orig = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!orig) return;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    ...(orig.setupFunc ? { setupFunc: orig.setupFunc } : {}),
    ...(orig.disposeFunc ? { disposeFunc: orig.disposeFunc } : {}),
    kernelFunc: (args) => {
      const a = args.attrs as unknown as { strides: number | [number, number]; pad: PadMode; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: number[] };
      const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      if (sh !== 1 || sw !== 1) return orig.kernelFunc(args);
      const dy = asT(args.inputs.dy as Info);
      const w = asT(args.inputs.filter as Info);
      return tf.tidy(() => {
        const c = info(a.inputShape, w.shape, 1, a.pad, a.dimRoundingMode);
        const p = c.padInfo;
        const fh = c.filterHeight;
        const fw = c.filterWidth;
        const dyp = tf.pad(dy, [
          [0, 0],
          [fh - 1 - p.top, c.inHeight - c.outHeight + p.top],
          [fw - 1 - p.left, c.inWidth - c.outWidth + p.left],
          [0, 0],
        ]);
        return tf.conv2d(dyp, tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as TF.Tensor4D, 1, 'valid');
      }) as TF.TensorInfo;
    },
  });
}
