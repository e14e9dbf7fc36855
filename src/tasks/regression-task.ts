/**
 * The conflicting multi-task regression as a runner task: fast enough for tests of the runner,
 * resume and sharding, and a quick look at how the optimizers differ. Train, validation and test
 * samples are one draw of the same problem (the task functions depend on the data seed).
 */
import { createHash } from 'node:crypto';
import type * as TF from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { arrayBatches } from '../train/trainer.js';
import { createRegressionModel, makeRegressionData, regressionLoss, type RegressionConfig } from './regression.js';
import type { MetricSpec, NoiseCondition, PreparedData, TaskDefinition } from './task.js';
import { constantModel } from './trivial.js';

const PRESETS: Record<string, Partial<RegressionConfig> & { epochs: number; batchSize: number }> = {
  ci: { tasks: 3, inputDim: 8, hidden: 32, samples: 384, epochs: 4, batchSize: 32 },
  small: { tasks: 3, inputDim: 16, hidden: 64, samples: 2048, epochs: 20, batchSize: 64 },
};

const TASKS = ['task0', 'task1', 'task2'];

function presetOf(name: string): (typeof PRESETS)[string] {
  const p = PRESETS[name];
  if (!p) throw new ConfigError('preset', name, `one of ${Object.keys(PRESETS).join(', ')} for task regression`);
  return p;
}

export const regressionTask: TaskDefinition = {
  id: 'regression',
  displayName: 'Conflicting regression',
  taskNames: TASKS,
  metrics: TASKS.map((task): MetricSpec => ({ task, name: 'mse', higherIsBetter: false })),
  presets: Object.keys(PRESETS).map((name) => ({ name, description: `regression ${name}`, paperScale: false })),
  noiseKinds: ['clean'],
  trivialPredictors: [{ id: 'mean', label: 'target mean', description: "each task's mean training target" }],
  training: (preset) => {
    const p = presetOf(preset);
    return {
      optimizer: { kind: 'adam', lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-5 },
      schedule: { kind: 'constant' },
      epochs: p.epochs,
      batchSize: p.batchSize,
    };
  },
  prepareData: async (tf, preset, { seed }) => {
    const p = presetOf(preset);
    // One draw of the problem (the task functions depend on the seed), split into train, val and test samples.
    const nAll = p.samples! + Math.floor(p.samples! / 2);
    const all = makeRegressionData({ ...p, samples: nAll, seed });
    const d = all.config.inputDim;
    const nTrainVal = p.samples!;
    const nVal = Math.floor(nTrainVal / 5);
    const nTrain = nTrainVal - nVal;
    const split = (from: number, to: number) => ({ x: all.x.subarray(from * d, to * d), y: all.y.map((y) => y.subarray(from, to)) });
    const parts = { train: split(0, nTrain), val: split(nTrain, nTrainVal), test: split(nTrainVal, nAll) };
    const hash = createHash('sha256');
    for (const a of [all.x, ...all.y]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const prepared: PreparedData = {
      fingerprint: hash.digest('hex').slice(0, 16),
      describe: `regression ${preset}: ${nTrain} train, ${nVal} val, ${nAll - nTrainVal} test samples, seed ${seed}`,
      trainBatches: (batchSize, noise: NoiseCondition) => {
        if (noise.kind !== 'clean') throw new ConfigError('noise.train', noise, 'clean (the regression task has no noise model)');
        return arrayBatches(tf, parts.train.x, [d], parts.train.y, TASKS.map(() => []), batchSize);
      },
      evaluate: (model, which) => {
        const part = parts[which];
        return tf.tidy(() => {
          const x = tf.tensor2d(part.x, [part.x.length / d, d]);
          const rep = model.encode(x, false);
          const out: Record<string, number> = {};
          model.taskNames.forEach((task, t) => {
            const pred = model.head(t, rep, false);
            const mse = tf.mean(tf.square(tf.sub(pred, tf.tensor1d(part.y[t] as Float32Array)))).dataSync()[0] as number;
            out[`${task}/mse`] = mse;
            out[`${task}/loss`] = mse;
          });
          return out;
        });
      },
      trivialModel: () => {
        const means = parts.train.y.map((y) => Float32Array.of(y.reduce((a, b) => a + b, 0) / y.length));
        return constantModel(tf, TASKS, { shapes: TASKS.map(() => []), values: means });
      },
    };
    return prepared;
  },
  createModel: (tf: typeof TF, preset, seed) => createRegressionModel(tf, presetOf(preset), seed),
  lossFn: (tf) => regressionLoss(tf),
};
