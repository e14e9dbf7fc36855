/**
 * Train the radarODE-MTL model on a radar-ECG dataset through the runner's plumbing (SGD with
 * momentum 0.937, weight decay 5e-4, cosine schedule T_max = epochs / 2) and compare its
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
import { modelLosses, trivialLosses, windowTargets, type TaskLosses, type WindowTargets } from './trivial-losses.js';

type Tf = typeof TF;

export interface LearningCheckOptions {
  readonly width: number;
  /** 'ew', any registered method id, or 'stl-shape' | 'stl-ppi' | 'stl-anchor'. */
  readonly method: string;
  readonly lr: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Cosine T_max in epochs (default epochs / 2); a larger value trains the first epochs of a longer run. */
  readonly tMax?: number;
  readonly onEpoch?: (e: { epoch: number; summary: EpochSummary; val: TaskLosses; evalSeconds: number; cpuSeconds: number }) => void;
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
export function validationSetup(ds: RadarEcgDataset, seed: number): { hold: ReturnType<RadarEcgDataset['holdOut']>; train: WindowTargets; val: WindowTargets; trivial: TaskLosses } {
  const split = ds.split(ds.splitNames.includes('trial') ? 'trial' : ds.splitNames[0]!);
  const hold = ds.holdOut(split.train, { fraction: 0.1, by: 'trial', seed, placement: 'step' });
  const train = windowTargets(ds, hold.train);
  const val = windowTargets(ds, hold.val);
  return { hold, train, val, trivial: trivialLosses(train, val) };
}

export async function trainAndCompare(tf: Tf, ds: RadarEcgDataset, o: LearningCheckOptions): Promise<LearningCheckResult> {
  const [C, F, T] = ds.inputShape;
  const { hold, trivial } = validationSetup(ds, 0);
  const model = createRadarOdeModel({ preset: 'ci', channels: C, bins: F, frames: T, width: o.width, seed: o.seed }, tf);
  const stl = o.method.startsWith('stl-') ? STL.indexOf(o.method.slice(4)) : -1;
  const method = stl >= 0 ? createSingleTask(3, stl, STL[stl]!) : getMethod(o.method).create(3);
  const opt = new Optimizer(tf, { kind: 'sgd', lr: o.lr, momentum: 0.937, weightDecay: 5e-4 });
  const stepper = new MtlStepper(tf, model, method, radarEcgTaskLoss, opt, { mode: 'param' });
  const source = (epoch: number, rng: Rng) =>
    (function* () {
      const s = `${rng.int(2 ** 31)}`;
      for (const b of ds.batches({ windows: hold.train, batchSize: o.batchSize, seed: s, dropLast: true, placement: 'step', channels: C }, epoch)) {
        yield {
          x: tf.tidy(() => tf.transpose(tf.tensor4d(b.x, [...b.xShape]), [0, 2, 3, 1])),
          targets: [tf.tensor2d(b.ecgShape, [b.size, 200]), tf.tensor1d(b.ppi, 'int32'), tf.tensor2d(b.anchor, [b.size, 800])],
        };
      }
    })();
  const trainer = new Trainer(stepper, source, Rng.fromSeed(`learning-check:${o.seed}`), o.lr, { kind: 'cosine', tMax: o.tMax ?? Math.max(1, o.epochs / 2), etaMin: 5e-5 });
  const val: TaskLosses[] = [];
  const summaries: EpochSummary[] = [];
  try {
    for (let e = 0; e < o.epochs; e++) {
      const cpu0 = process.cpuUsage();
      const summary = await trainer.runEpoch();
      const t0 = performance.now();
      const v = modelLosses(tf, ds, model, hold.val, C);
      const cpu = process.cpuUsage(cpu0);
      summaries.push(summary);
      val.push(v);
      o.onEpoch?.({ epoch: e, summary, val: v, evalSeconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
    }
  } finally {
    stepper.dispose();
    opt.dispose();
    model.dispose();
  }
  return { trainWindows: hold.train.length, valWindows: hold.val.length, trivial, val, summaries };
}
