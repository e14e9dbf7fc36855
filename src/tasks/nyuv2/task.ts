/**
 * NYUv2 as a runner task (LibMTL's `examples/nyu`): segmentation, depth and surface normals on a
 * hard-parameter-sharing model. Data: a real download given as dataPath (the MTAN/LibMTL layout),
 * or the seeded synthetic fixture in the same layout, generated once into
 * `<dataDir>/nyuv2-fixture-<preset>-seed<s>`. The `val/` folder is the test split (as LibMTL); a
 * tenth of the training images is held out as the validation split for model selection.
 */
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { holdOut, NyuBatchReader, openNyuv2 } from '../../../datasets/nyuv2/loader.js';
import { writeNyuv2Fixture } from '../../../datasets/nyuv2/fixture.js';
import { ConfigError } from '../../errors.js';
import { Rng } from '../../rng.js';
import type { MultiTaskModel } from '../../tf/model.js';
import type { BatchSource } from '../../train/trainer.js';
import { generateOnce } from '../cache.js';
import type { PreparedData, TaskDefinition, TrainingDefaults } from '../task.js';
import { constantModel, modeIndex } from '../trivial.js';
import { evaluateNyu, nyuBatchTensors } from './evaluate.js';
import { nyuTaskLoss } from './losses.js';
import { NYUV2_METRICS } from './metric-spec.js';
import { createNyuModel, NYU_MODEL_PRESETS, NYUV2_TASK_CHANNELS, NYUV2_TASKS, type NyuModel, type NyuModelPreset } from './model.js';

type Tf = typeof TF;

/** Fixture size (rendered at twice the model input, then area-downscaled on read) and training length per preset. */
const PRESET_DATA: Record<NyuModelPreset, { train: number; val: number; render: [number, number]; epochs: number; batchSize: number; lr: number; schedule: TrainingDefaults['schedule'] }> = {
  paper: { train: 795, val: 654, render: [288, 384], epochs: 200, batchSize: 8, lr: 1e-4, schedule: { kind: 'step', stepSize: 100, gamma: 0.5 } },
  small: { train: 160, val: 64, render: [144, 192], epochs: 20, batchSize: 8, lr: 1e-3, schedule: { kind: 'step', stepSize: 10, gamma: 0.5 } },
  ci: { train: 48, val: 16, render: [64, 96], epochs: 3, batchSize: 4, lr: 1e-3, schedule: { kind: 'constant' } },
};

function presetOf(name: string): NyuModelPreset {
  if (!(name in NYU_MODEL_PRESETS)) throw new ConfigError('preset', name, `one of ${Object.keys(NYU_MODEL_PRESETS).join(', ')} for task nyuv2`);
  return name as NyuModelPreset;
}

/** The per-pixel prior of the training images: majority class, mean valid depth, mean valid normal. */
export function perPixelPrior(tf: Tf, reader: Pick<NyuBatchReader, 'height' | 'width' | 'epoch'>): ReturnType<typeof constantModel> {
  const { height: h, width: w } = reader;
  const px = h * w;
  const classes = NYUV2_TASK_CHANNELS.segmentation;
  const counts = new Float64Array(px * classes);
  const depthSum = new Float64Array(px);
  const depthN = new Float64Array(px);
  const normalSum = new Float64Array(px * 3);
  for (const b of reader.epoch()) {
    for (let s = 0; s < b.size; s++) {
      for (let i = 0; i < px; i++) {
        const k = s * px + i;
        const c = b.label[k]!;
        if (c >= 0 && c < classes) counts[i * classes + c]!++;
        if (b.depth[k]! > 0) {
          depthSum[i]! += b.depth[k]!;
          depthN[i]!++;
        }
        for (let j = 0; j < 3; j++) normalSum[i * 3 + j]! += b.normal[k * 3 + j]!;
      }
    }
  }
  let allDepth = 0;
  let allN = 0;
  for (let i = 0; i < px; i++) {
    allDepth += depthSum[i]!;
    allN += depthN[i]!;
  }
  const seg = new Float32Array(px * classes);
  const depth = new Float32Array(px);
  const normal = new Float32Array(px * 3);
  for (let i = 0; i < px; i++) {
    seg[i * classes + modeIndex(counts.subarray(i * classes, (i + 1) * classes))] = 20;
    depth[i] = depthN[i]! > 0 ? depthSum[i]! / depthN[i]! : allN > 0 ? allDepth / allN : 0;
    const n = Math.hypot(normalSum[i * 3]!, normalSum[i * 3 + 1]!, normalSum[i * 3 + 2]!);
    for (let j = 0; j < 3; j++) normal[i * 3 + j] = n > 0 ? normalSum[i * 3 + j]! / n : j === 2 ? 1 : 0;
  }
  return constantModel(tf, NYUV2_TASKS, { shapes: [[h, w, classes], [h, w, 1], [h, w, 3]], values: [seg, depth, normal] });
}

export const nyuv2Task: TaskDefinition = {
  id: 'nyuv2',
  displayName: 'NYUv2 scene understanding',
  taskNames: NYUV2_TASKS,
  metrics: NYUV2_METRICS.map((m) => ({ task: m.task, name: m.name, higherIsBetter: m.higherIsBetter })),
  presets: (Object.keys(NYU_MODEL_PRESETS) as NyuModelPreset[]).map((name) => ({
    name,
    description: `${NYU_MODEL_PRESETS[name].inputHeight}×${NYU_MODEL_PRESETS[name].inputWidth} input${name === 'paper' ? ', ResNet-50 dilated + DeepLab heads' : ''}`,
    paperScale: name === 'paper',
  })),
  noiseKinds: ['clean'],
  trivialPredictors: [
    {
      id: 'per-pixel',
      label: 'per-pixel prior',
      description: 'the most frequent training class of each pixel, the mean valid training depth of each pixel, the mean valid training normal of each pixel (unit length)',
    },
  ],
  training: (preset): TrainingDefaults => {
    const d = PRESET_DATA[presetOf(preset)];
    // LibMTL's NYUv2 example: Adam, lr 1e-4, weight decay 1e-5, StepLR(100, 0.5), 200 epochs, batch 8.
    return { optimizer: { kind: 'adam', lr: d.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-5 }, schedule: d.schedule, epochs: d.epochs, batchSize: d.batchSize };
  },
  prepareData: async (tf, presetName, { dataDir, seed, dataPath }): Promise<PreparedData> => {
    const preset = presetOf(presetName);
    const d = PRESET_DATA[preset];
    let root = dataPath;
    if (!root) {
      root = join(dataDir, `nyuv2-fixture-${preset}-seed${seed}`);
      generateOnce(root, 'val/normal', (tmp) => writeNyuv2Fixture({ out: tmp, trainSamples: d.train, valSamples: d.val, height: d.render[0], width: d.render[1], seed }));
    }
    const ds = openNyuv2(root);
    const cfg = NYU_MODEL_PRESETS[preset];
    const size = { height: cfg.inputHeight, width: cfg.inputWidth };
    const nVal = Math.max(1, Math.round(ds.train.count / 10));
    const split = holdOut(ds.train.count, nVal, Rng.fromSeed(`nyuv2-holdout:${seed}`));
    const readers = {
      val: new NyuBatchReader(ds.train, split.val, { batchSize: d.batchSize, shuffle: false, dropLast: false, size, cache: true }),
      test: new NyuBatchReader(ds.test, Array.from({ length: ds.test.count }, (_, i) => i), { batchSize: d.batchSize, shuffle: false, dropLast: false, size, cache: true }),
    };
    return {
      fingerprint: `${ds.train.count}x${ds.test.count}@${ds.train.height}x${ds.train.width}:${dataPath ? 'real' : `fixture-seed${seed}`}`,
      describe: `${dataPath ? `NYUv2 at ${dataPath}` : 'synthetic NYUv2 fixture'}: ${split.train.length} train, ${split.val.length} val, ${ds.test.count} test images, read at ${size.height}×${size.width}`,
      trainBatches: (batchSize, noise): BatchSource => {
        if (noise.kind !== 'clean') throw new ConfigError('noise.train', noise, 'clean (NYUv2 has no noise model)');
        const reader = new NyuBatchReader(ds.train, split.train, { batchSize, shuffle: true, dropLast: true, size, cache: true });
        return function* (_epoch, rng) {
          for (const b of reader.epoch(rng)) yield nyuBatchTensors(tf, b);
        };
      },
      evaluate: async (model: MultiTaskModel, which) => {
        const r = await evaluateNyu(tf, model as NyuModel, readers[which]);
        const out: Record<string, number> = {};
        for (const m of NYUV2_METRICS) out[`${m.task}/${m.name}`] = r.metrics[m.name];
        out['segmentation/mIoUNanSkip'] = r.metrics.mIoUNanSkip;
        NYUV2_TASKS.forEach((t, k) => (out[`${t}/loss`] = r.losses[k]!));
        return out;
      },
      trivialModel: () => perPixelPrior(tf, new NyuBatchReader(ds.train, split.train, { batchSize: d.batchSize, shuffle: false, dropLast: false, size, cache: false })),
    };
  },
  createModel: (tf: Tf, preset, seed) => createNyuModel(tf, presetOf(preset), Rng.fromSeed(`nyuv2-model:${seed}`)),
  lossFn: (tf) => nyuTaskLoss(tf),
};
