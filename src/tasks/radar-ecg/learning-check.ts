/**
 * Train the radarODE-MTL model on a radar-ECG dataset through the runner's plumbing (a preset's
 * architecture and recipe: optimizer, learning rate, batch size, anchor target; cosine schedule
 * T_max = epochs / 2, weight decay 5e-4) and compare its
 * validation losses with the trivial predictors' after every epoch. Used by
 * `benchmarks/radar-ecg-learning.ts`. Validation: a tenth of the dataset's training trials (at
 * least one), held out as the runner does; windows in the sliding (`step`) placement.
 */
import type * as TF from '@tensorflow/tfjs';
import type { RadarEcgDataset } from '../../../datasets/radar-ecg/dataset.js';
import { getMethod } from '../../../optimizers/index.js';
import { Rng } from '../../rng.js';
import { createSingleTask } from '../../run/single-task.js';
import { Optimizer } from '../../tf/optim.js';
import { MtlStepper } from '../../tf/plumbing.js';
import { Trainer, type EpochSummary } from '../../train/trainer.js';
import { radarEcgTaskLoss } from './losses.js';
import { createRadarOdeModel } from './model.js';
import type { RadarEcgPresetName } from './presets.js';
import { radarEcgDataPreset } from './task.js';
import { modelLosses, trivialLosses, windowTargets, type TaskLosses, type WindowTargets } from './trivial-losses.js';

type Tf = typeof TF;

export interface LearningCheckOptions {
  /** The model preset whose architecture and training recipe are used (default 'ci'); the input size is the dataset's. */
  readonly preset?: RadarEcgPresetName;
  /** 'ew', any registered method id, or 'stl-shape' | 'stl-ppi' | 'stl-anchor'. */
  readonly method: string;
  readonly epochs: number;
  readonly seed: number;
  /** Overrides of the preset's recipe. */
  readonly width?: number;
  readonly minChannels?: number;
  readonly outputBias?: boolean;
  readonly optimizer?: 'sgd' | 'adam';
  readonly lr?: number;
  readonly batchSize?: number;
  /** Anchor target width, samples (0 = binary impulses). */
  readonly anchorSigma?: number;
  /** Cosine T_max in epochs (default epochs / 2); a larger value trains the first epochs of a longer run. */
  readonly tMax?: number;
  readonly onEpoch?: (e: { epoch: number; summary: EpochSummary; val: TaskLosses; trainEval: TaskLosses; evalSeconds: number; cpuSeconds: number }) => void;
}

export interface LearningCheckResult {
  readonly trainWindows: number;
  readonly valWindows: number;
  readonly trivial: TaskLosses;
  readonly val: TaskLosses[];
  readonly summaries: EpochSummary[];
}

const STL = ['shape', 'ppi', 'anchor'];

/** The held-out split and the trivial predictors' validation losses (fitted on the training windows). */
export function validationSetup(ds: RadarEcgDataset, seed: number, anchorSigma = 0): { hold: ReturnType<RadarEcgDataset['holdOut']>; train: WindowTargets; val: WindowTargets; trivial: TaskLosses } {
  const split = ds.split(ds.splitNames.includes('trial') ? 'trial' : ds.splitNames[0]!);
  const hold = ds.holdOut(split.train, { fraction: 0.1, by: 'trial', seed, placement: 'step' });
  const train = windowTargets(ds, hold.train, 'step', anchorSigma);
  const val = windowTargets(ds, hold.val, 'step', anchorSigma);
  return { hold, train, val, trivial: trivialLosses(train, val) };
}

export async function trainAndCompare(tf: Tf, ds: RadarEcgDataset, o: LearningCheckOptions): Promise<LearningCheckResult> {
  const [C, F, T] = ds.inputShape;
  const preset = o.preset ?? 'ci';
  const recipe = radarEcgDataPreset(preset);
  const sigma = o.anchorSigma ?? recipe.anchorSigma ?? 0;
  const kind = o.optimizer ?? recipe.optimizer ?? 'sgd';
  const lr = o.lr ?? recipe.lr ?? (kind === 'adam' ? 1e-3 : 5e-3);
  const batchSize = o.batchSize ?? recipe.batchSize;
  const { hold, trivial } = validationSetup(ds, 0, sigma);
  const model = createRadarOdeModel({ preset, channels: C, bins: F, frames: T, width: o.width, minChannels: o.minChannels, outputBias: o.outputBias, seed: o.seed }, tf);
  const stl = o.method.startsWith('stl-') ? STL.indexOf(o.method.slice(4)) : -1;
  const method = stl >= 0 ? createSingleTask(3, stl, STL[stl]!) : getMethod(o.method).create(3);
  const opt = new Optimizer(tf, kind === 'adam' ? { kind: 'adam', lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 } : { kind: 'sgd', lr, momentum: 0.937, weightDecay: 5e-4 });
  const stepper = new MtlStepper(tf, model, method, radarEcgTaskLoss, opt, { mode: 'param' });
  const source = (epoch: number, rng: Rng) =>
    (function* () {
      const s = `${rng.int(2 ** 31)}`;
      for (const b of ds.batches({ windows: hold.train, batchSize, seed: s, dropLast: true, placement: 'step', channels: C, anchorSigma: sigma }, epoch)) {
        yield {
          x: tf.tidy(() => tf.transpose(tf.tensor4d(b.x, [...b.xShape]), [0, 2, 3, 1])),
          targets: [tf.tensor2d(b.ecgShape, [b.size, 200]), tf.tensor1d(b.ppi, 'int32'), tf.tensor2d(b.anchor, [b.size, 800])],
        };
      }
    })();
  const trainer = new Trainer(stepper, source, Rng.fromSeed(`learning-check:${o.seed}`), lr, { kind: 'cosine', tMax: o.tMax ?? Math.max(1, o.epochs / 2), etaMin: 5e-5 });
  const val: TaskLosses[] = [];
  const summaries: EpochSummary[] = [];
  try {
    for (let e = 0; e < o.epochs; e++) {
      const cpu0 = process.cpuUsage();
      const summary = await trainer.runEpoch();
      const t0 = performance.now();
      const v = modelLosses(tf, ds, model, hold.val, C, sigma);
      const trainEval = modelLosses(tf, ds, model, hold.train.filter((_, i) => i % Math.max(1, Math.floor(hold.train.length / hold.val.length)) === 0), C, sigma);
      const cpu = process.cpuUsage(cpu0);
      summaries.push(summary);
      val.push(v);
      o.onEpoch?.({ epoch: e, summary, val: v, trainEval, evalSeconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
    }
  } finally {
    stepper.dispose();
    opt.dispose();
    model.dispose();
  }
  return { trainWindows: hold.train.length, valWindows: hold.val.length, trivial, val, summaries };
}
