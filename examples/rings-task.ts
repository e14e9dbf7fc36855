/**
 * A task plugin: "rings" — points in the plane, two tasks on one shared MLP: classify whether a
 * point lies inside the unit circle (accuracy ↑) and regress its angle's sine (mse ↓).
 * `mtl-bench run --config examples/rings.yaml` (the config names this file).
 */
import type * as TF from '@tensorflow/tfjs';
import type { TaskDefinition } from 'mtl-bench/tasks';

const rand = (seed: number) => () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);

function points(n: number, seed: number): { x: Float32Array; y: Float32Array[] } {
  const r = rand(seed), x = new Float32Array(2 * n), inside = new Float32Array(n), sine = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = 2 * Math.PI * r(), d = 2 * Math.sqrt(r());
    x.set([d * Math.cos(a), d * Math.sin(a)], 2 * i);
    inside[i] = d < 1 ? 1 : 0;
    sine[i] = Math.sin(a);
  }
  return { x, y: [inside, sine] };
}

export const ringsTask: TaskDefinition = {
  id: 'rings', displayName: 'Rings', taskNames: ['inside', 'angle'],
  metrics: [{ task: 'inside', name: 'acc', higherIsBetter: true }, { task: 'angle', name: 'mse', higherIsBetter: false }],
  presets: [{ name: 'tiny', description: '256 training points', paperScale: false }],
  noiseKinds: ['clean'],
  training: () => ({ optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, schedule: { kind: 'constant' }, epochs: 3, batchSize: 32 }),
  async prepareData(tf, _preset, { seed }) {
    const split = { train: points(256, seed), val: points(64, seed + 1), test: points(128, seed + 2) };
    return {
      fingerprint: `rings-${seed}`, describe: `rings: 256/64/128 points, seed ${seed}`,
      trainBatches: (batchSize) => function* () { // one pass per epoch (this example keeps a fixed order)
        const { x, y } = split.train;
        for (let s = 0; s + batchSize <= 256; s += batchSize) yield { x: tf.tensor2d(x.slice(2 * s, 2 * (s + batchSize)), [batchSize, 2]), targets: y.map((t) => tf.tensor1d(t.slice(s, s + batchSize))) };
      },
      evaluate: (model, which) => tf.tidy(() => {
        const { x, y } = split[which], rep = model.encode(tf.tensor2d(x, [x.length / 2, 2]), false);
        const acc = tf.mean(tf.equal(tf.greater(model.head(0, rep, false), 0), tf.tensor1d(y[0]!).cast('bool')).cast('float32'));
        const mse = tf.mean(tf.square(tf.sub(model.head(1, rep, false), tf.tensor1d(y[1]!))));
        return { 'inside/acc': acc.dataSync()[0]!, 'angle/mse': mse.dataSync()[0]! };
      }),
    };
  },
  createModel(tf, _preset, seed) {
    const r = rand(seed + 7), v = (...shape: number[]) => tf.variable(tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, () => (r() - 0.5) * 0.8), shape));
    const shared = [v(2, 32), v(32)], heads = [[v(32, 1), v(1)], [v(32, 1), v(1)]];
    const lin = (x: TF.Tensor, [w, b]: TF.Variable[]) => tf.add(tf.matMul(x as TF.Tensor2D, w as TF.Tensor2D), b!);
    return {
      taskNames: ['inside', 'angle'], shared, heads, buffers: [],
      encode: (x) => tf.tanh(lin(x, shared)), head: (t, rep) => tf.reshape(lin(rep, heads[t]!), [-1]),
      commitBuffers: () => {}, dispose: () => tf.dispose([...shared, ...heads.flat()]),
    };
  },
  lossFn: (tf) => (t, pred, target) => (t === 0 ? tf.losses.sigmoidCrossEntropy(target, pred) : tf.losses.meanSquaredError(target, pred)) as TF.Scalar,
};
