/**
 * A small real multi-task problem for tests and examples: seeded multi-task regression with
 * conflicting tasks and a hard-parameter-sharing MLP.
 *
 * Data: x ~ N(0, I_d). Task t's target is y_t = s_t · (sin(u_t·x) + v_t·x) + noise, where the
 * linear parts of tasks 0 and 1 point in opposite directions (v_1 = −v_0 + small), so their
 * gradients on the shared layers conflict, and the scales s = (1, 0.5, 2, ...) differ, so an
 * unweighted sum is dominated by the largest task.
 * Model: shared Dense(d→h)-tanh-Dense(h→h)-tanh, one Dense(h→1) head per task.
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { Rng } from '../rng.js';
import type { MultiTaskModel, TaskLossFn } from '../tf/model.js';

type Tf = typeof TF;

export interface RegressionConfig {
  readonly tasks: number;
  readonly inputDim: number;
  readonly hidden: number;
  readonly samples: number;
  readonly noise: number;
  readonly seed: number;
}

export const REGRESSION_DEFAULTS: RegressionConfig = { tasks: 3, inputDim: 8, hidden: 32, samples: 512, noise: 0.05, seed: 0 };

export interface RegressionData {
  /** samples × inputDim, row-major. */
  readonly x: Float32Array;
  /** targets[t]: samples values. */
  readonly y: Float32Array[];
  readonly config: RegressionConfig;
}

export function makeRegressionData(cfg: Partial<RegressionConfig> = {}): RegressionData {
  const c = { ...REGRESSION_DEFAULTS, ...cfg };
  if (!(Number.isInteger(c.tasks) && c.tasks >= 2)) throw new ConfigError('regression.tasks', c.tasks, 'an integer >= 2');
  if (!(Number.isInteger(c.samples) && c.samples >= 1)) throw new ConfigError('regression.samples', c.samples, 'an integer >= 1');
  const rng = Rng.fromSeed(`regression:${c.seed}`);
  const d = c.inputDim;
  const vec = (): Float64Array => Float64Array.from({ length: d }, () => rng.normal() / Math.sqrt(d));
  const u = Array.from({ length: c.tasks }, vec);
  const v0 = vec();
  const v = Array.from({ length: c.tasks }, (_, t) => {
    if (t === 0) return v0;
    if (t === 1) return v0.map((x) => -x + 0.2 * rng.normal() / Math.sqrt(d));
    return vec();
  });
  const scale = Array.from({ length: c.tasks }, (_, t) => [1, 0.5, 2][t % 3] as number);
  const x = new Float32Array(c.samples * d);
  const y = Array.from({ length: c.tasks }, () => new Float32Array(c.samples));
  for (let i = 0; i < c.samples; i++) {
    const xi = Array.from({ length: d }, () => rng.normal());
    xi.forEach((val, k) => (x[i * d + k] = val));
    for (let t = 0; t < c.tasks; t++) {
      let a = 0;
      let b = 0;
      for (let k = 0; k < d; k++) {
        a += (u[t]![k] as number) * xi[k]!;
        b += (v[t]![k] as number) * xi[k]!;
      }
      y[t]![i] = (scale[t] as number) * (Math.sin(2 * a) + b) + c.noise * rng.normal();
    }
  }
  return { x, y, config: c };
}

/** PyTorch's default init for a Dense layer: U(±1/√fan_in) for weights and bias. */
function dense(tf: Tf, rng: Rng, name: string, fanIn: number, fanOut: number): [TF.Variable, TF.Variable] {
  const bound = 1 / Math.sqrt(fanIn);
  const u = (n: number): Float32Array => Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound);
  return tf.tidy(() => [tf.variable(tf.tensor2d(u(fanIn * fanOut), [fanIn, fanOut]), true, `${name}/w`), tf.variable(tf.tensor1d(u(fanOut)), true, `${name}/b`)]);
}

let modelCounter = 0;

export function createRegressionModel(tf: Tf, cfg: Partial<RegressionConfig> = {}, seed = 0): MultiTaskModel {
  const c = { ...REGRESSION_DEFAULTS, ...cfg };
  const rng = Rng.fromSeed(`regression-model:${seed}`);
  const prefix = `regression${modelCounter++}`;
  const l1 = dense(tf, rng, `${prefix}/shared1`, c.inputDim, c.hidden);
  const l2 = dense(tf, rng, `${prefix}/shared2`, c.hidden, c.hidden);
  const heads = Array.from({ length: c.tasks }, (_, t) => dense(tf, rng, `${prefix}/head${t}`, c.hidden, 1));
  const shared = [...l1, ...l2];
  const affine = (x: TF.Tensor, [w, b]: [TF.Variable, TF.Variable]): TF.Tensor => tf.add(tf.matMul(x as TF.Tensor2D, w as TF.Tensor2D), b);
  const s1 = l1[0].size + l1[1].size;
  return {
    taskNames: Array.from({ length: c.tasks }, (_, t) => `task${t}`),
    shared,
    heads,
    buffers: [],
    encode: (x) => tf.tanh(affine(tf.tanh(affine(x, l1)), l2)),
    head: (t, rep) => tf.reshape(affine(rep, heads[t] as [TF.Variable, TF.Variable]), [-1]),
    commitBuffers: () => {},
    layerGroups: () => [
      [0, s1],
      [s1, s1 + l2[0].size + l2[1].size],
    ],
    dispose: () => tf.dispose([...shared, ...heads.flat()]),
  };
}

/** Mean squared error per task. */
export function regressionLoss(tf: Tf): TaskLossFn {
  return (_t, pred, target) => tf.mean(tf.square(tf.sub(pred, target))) as TF.Scalar;
}
