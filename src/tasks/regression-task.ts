/**
 * The conflicting multi-task regression as a runner task: fast enough for tests of the runner,
 * resume and sharding, and a quick look at how the optimizers differ.
 */
import { createHash } from 'node:crypto';
import type * as TF from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { arrayBatches } from '../train/trainer.js';
import { createRegressionModel, makeRegressionData, regressionLoss, type RegressionConfig } from './regression.js';
import type { MetricSpec, NoiseCondition, PreparedData, TaskDefinition } from './task.js';

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
    const train = makeRegressionData({ ...p, seed });
    const test = makeRegressionData({ ...p, samples: Math.floor(p.samples! / 2), seed: seed + 1000 });
    const d = train.config.inputDim;
    const nVal = Math.floor(train.config.samples / 5);
    const nTrain = train.config.samples - nVal;
    const split = (from: number, to: number) => ({ x: train.x.subarray(from * d, to * d), y: train.y.map((y) => y.subarray(from, to)) });
    const parts = { train: split(0, nTrain), val: split(nTrain, train.config.samples), test: { x: test.x, y: test.y } };
    const hash = createHash('sha256');
    for (const a of [train.x, ...train.y, test.x, ...test.y]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const prepared: PreparedData = {
      fingerprint: hash.digest('hex').slice(0, 16),
      describe: `regression ${preset}: ${nTrain} train, ${nVal} val, ${test.config.samples} test samples, seed ${seed}`,
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
            out[`${task}/mse`] = tf.mean(tf.square(tf.sub(pred, tf.tensor1d(part.y[t] as Float32Array)))).dataSync()[0] as number;
          });
          return out;
        });
      },
    };
    return prepared;
  },
  createModel: (tf: typeof TF, preset, seed) => createRegressionModel(tf, presetOf(preset), seed),
  lossFn: (tf) => regressionLoss(tf),
};
