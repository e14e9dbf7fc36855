/**
 * The radar-ECG benchmark as a runner task: the radarODE-MTL model, its losses and training
 * settings, the synthetic (or imported) dataset, and the Table II / long-term evaluation.
 *
 * Data per preset: a synthetic dataset generated once into `<dataDir>/radar-ecg-<preset>-seed<s>-<version>`
 * (or a real dataset directory given as dataPath). Splits: the dataset's trial split gives test
 * trials; a tenth of the training trials (at least one) is held out as the validation split for
 * model selection. Training uses the 4-s windows of the sliding placement (every 0.8 s).
 *
 * Evaluation protocols (`evaluation`):
 * - `leak-free` (default): every metric is computed on the sliding windows over the whole test
 *   recordings, whose positions do not depend on the true R peaks: the shape metrics compare each
 *   window's predicted cycle with the cycle nearest its centre (the training target), the PPI error
 *   its predicted class with that cycle's length, and the anchor peaks of all windows are merged per
 *   recording and matched against every R peak in the evaluation range.
 * - `reference-rpeak`: one window per cardiac cycle with its R peak at sample 400, as the reference
 *   (`data_seg_sce_middle`). The window position gives the anchor away: a constant output with one
 *   spike at sample 400 scores a timing error of 0 ms and an MDR of 0 %. Kept to reproduce published
 *   numbers.
 * Either way metrics are scored per recording and aggregated by the median over recordings, and
 * `task/loss` holds each task's mean loss over the same windows.
 */
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { RadarEcgDataset, synthesizeDataset, type WindowRef } from '../../../datasets/radar-ecg/dataset.js';
import { widenAnchor } from '../../../datasets/radar-ecg/reader.js';
import type { Placement } from '../../../datasets/radar-ecg/windows.js';
import type { NoiseCondition as DataNoise } from '../../../datasets/radar-ecg/noise.js';
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../rng.js';
import type { MultiTaskModel } from '../../tf/model.js';
import type { Batch, BatchSource } from '../../train/trainer.js';
import { generateOnce } from '../cache.js';
import type { ExampleSeries, NoiseCondition, PreparedData, TaskDefinition, TrainingDefaults } from '../task.js';
import { constantModel, modeIndex, oneHotLogits } from '../trivial.js';
import { PPI_NUM_CLASSES, radarEcgTaskLoss } from './losses.js';
import { LONG_TERM_METRICS, RADAR_ECG_TASKS, TABLE2_METRICS } from './metric-spec.js';
import { aggregateTrials, evaluateTrial, longTermMetrics, assembleLongTermEcg, medianWorst, minMaxNormalise, type RadarEcgTrial, type RadarEcgWindow } from './metrics.js';
import { createRadarOdeModel } from './model.js';
import { RADAR_ECG_PRESETS, type RadarEcgPresetName } from './presets.js';

type Tf = typeof TF;

export interface DataPreset {
  readonly subjects: number;
  readonly minutes: number;
  readonly trialsPerSubject: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Learning rate (default the reference's 5e-3). */
  readonly lr?: number;
  /** The reference's SGD (momentum 0.937) or Adam (default SGD). */
  readonly optimizer?: 'sgd' | 'adam';
  /** Anchor target: R peaks as Gaussians of σ samples (reader.ts `widenAnchor`); default 0, the reference's 0/1 impulses. */
  readonly anchorSigma?: number;
}

/** Synthetic data and training length per model preset (paper: ~MMECG's 91 trials × 3 min, 200 epochs, batch 22). */
const DATA: Record<RadarEcgPresetName, DataPreset> = {
  paper: { subjects: 30, minutes: 9, trialsPerSubject: 3, epochs: 200, batchSize: 22 },
  small: { subjects: 8, minutes: 3, trialsPerSubject: 2, epochs: 30, batchSize: 22 },
  cpu: { subjects: 10, minutes: 3, trialsPerSubject: 3, epochs: 10, batchSize: 16, optimizer: 'adam', lr: 5e-3, anchorSigma: 8 },
  ci: { subjects: 4, minutes: 1, trialsPerSubject: 2, epochs: 4, batchSize: 8, optimizer: 'adam', lr: 5e-3, anchorSigma: 8 },
};

/** The synthetic data volume and training recipe of a model preset. */
export function radarEcgDataPreset(name: RadarEcgPresetName): DataPreset {
  return DATA[name];
}

const EVAL_BATCH = 32;
/** Version of the synthetic generator and its preprocessing, part of the cache directory's name. */
export const SYNTH_VERSION = 'v2';
/** The reference evaluates R peaks and samples in [3000, 30000] of a 35,505-sample recording; other lengths keep the proportions. */
const MMECG_LENGTH = 35505;

function presetOf(name: string): RadarEcgPresetName {
  if (!(name in RADAR_ECG_PRESETS)) throw new ConfigError('preset', name, `one of ${Object.keys(RADAR_ECG_PRESETS).join(', ')} for task radar-ecg`);
  return name as RadarEcgPresetName;
}

function dataNoise(c: NoiseCondition): DataNoise | null {
  switch (c.kind) {
    case 'clean':
      return null;
    case 'snr':
      return { kind: 'constant', snrDb: c.db };
    case 'abrupt':
      return { kind: 'abrupt', durationS: c.seconds, snrDb: c.db, fraction: c.fraction ?? 0.2 };
  }
}

function evalRange(n: number): [number, number] {
  return n === MMECG_LENGTH ? [3000, 30000] : [Math.round((3000 / MMECG_LENGTH) * n), Math.round((30000 / MMECG_LENGTH) * n)];
}

/** Model input [B, bins, frames, channels] from the reader's [B, channels, bins, frames]. */
function inputTensor(tf: Tf, b: { x: Float32Array; xShape: readonly [number, number, number, number] }): TF.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(b.x, [...b.xShape]), [0, 2, 3, 1]) as TF.Tensor4D);
}

function openOrGenerate(preset: RadarEcgPresetName, dataDir: string, seed: number, dataPath?: string): RadarEcgDataset {
  if (dataPath) {
    const ds = RadarEcgDataset.open(dataPath);
    const want = RADAR_ECG_PRESETS[preset];
    const [c, f, t] = ds.inputShape;
    if (c < want.channels || f !== want.bins || t !== want.frames) {
      throw new ConfigError('dataPath', dataPath, `a dataset with input ${want.channels}×${want.bins}×${want.frames} (channels×bins×frames) for preset ${preset}; it has ${c}×${f}×${t}`);
    }
    return ds;
  }
  // The generator version is part of the name: a cache made by an older generator is never reused.
  const dir = join(dataDir, `radar-ecg-${preset}-seed${seed}-${SYNTH_VERSION}`);
  generateOnce(dir, 'manifest.json', (tmp) => {
    const p = RADAR_ECG_PRESETS[preset];
    const d = DATA[preset];
    synthesizeDataset({ subjects: d.subjects, minutes: d.minutes, trialsPerSubject: d.trialsPerSubject, seed, channels: p.channels, bins: p.bins, frames: p.frames, overwrite: true }, tmp);
  });
  return RadarEcgDataset.open(dir);
}

/** Evaluation protocols; the first is the default. */
export const RADAR_ECG_EVALUATIONS = ['leak-free', 'reference-rpeak'] as const;
export type RadarEcgEvaluation = (typeof RADAR_ECG_EVALUATIONS)[number];

function placementOf(evaluation: string | undefined): Placement {
  if (evaluation === undefined || evaluation === 'leak-free') return 'step';
  if (evaluation === 'reference-rpeak') return 'rpeak';
  throw new ConfigError('evaluation', evaluation, `one of ${RADAR_ECG_EVALUATIONS.join(', ')} for task radar-ecg`);
}

interface Predictions {
  readonly shape: Float32Array;
  readonly ppi: Float32Array;
  readonly anchor: Float32Array;
  /** Sum over the batch of each task's loss (batch mean × size). */
  readonly lossSums: readonly number[];
}

function predict(tf: Tf, model: MultiTaskModel, x: TF.Tensor4D, targets: readonly TF.Tensor[]): Predictions {
  const outs = tf.tidy(() => {
    const rep = model.encode(x, false);
    const preds = RADAR_ECG_TASKS.map((_, t) => model.head(t, rep, false));
    const losses = tf.stack(preds.map((p, t) => radarEcgTaskLoss(t, p, targets[t]!)));
    return [...preds, losses];
  }) as [TF.Tensor, TF.Tensor, TF.Tensor, TF.Tensor];
  const n = x.shape[0];
  const [shape, ppi, anchor, losses] = outs.map((t) => t.dataSync() as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
  tf.dispose(outs);
  return { shape, ppi, anchor, lossSums: Array.from(losses, (l) => l * n) };
}

interface EvaluationSet {
  readonly trials: RadarEcgTrial[];
  /** Mean loss per task over every window. */
  readonly losses: readonly number[];
}

/** Predictions for every evaluation window of some trials, grouped into the metric module's trial records. */
function evaluationTrials(tf: Tf, ds: RadarEcgDataset, model: MultiTaskModel, trials: readonly string[], noise: NoiseCondition, noiseSeed: string, placement: Placement, anchorSigma: number): EvaluationSet {
  const out: RadarEcgTrial[] = [];
  const lossSums = RADAR_ECG_TASKS.map(() => 0);
  let count = 0;
  for (const id of trials) {
    const refs: WindowRef[] = ds.windowRefs([id], placement);
    if (refs.length === 0) continue;
    const meta = ds.windowMeta(id, placement);
    const windows: RadarEcgWindow[] = [];
    for (const b of ds.batches({ windows: refs, batchSize: EVAL_BATCH, shuffle: false, placement, noise: dataNoise(noise), noiseSeed, channels: ds.inputShape[0], anchorSigma }, 0)) {
      const x = inputTensor(tf, b);
      const targets = [tf.tensor2d(b.ecgShape, [b.size, 200]), tf.tensor1d(b.ppi, 'int32'), tf.tensor2d(b.anchor, [b.size, 800])];
      const p = predict(tf, model, x, targets);
      tf.dispose([x, ...targets]);
      p.lossSums.forEach((l, t) => (lossSums[t]! += l));
      count += b.size;
      b.refs.forEach((r, i) => {
        windows.push({
          start: meta.start[r.index]!,
          anchorPred: p.anchor.subarray(i * 800, (i + 1) * 800),
          shapePred: p.shape.subarray(i * 200, (i + 1) * 200),
          shapeTrue: b.ecgShape.subarray(i * 200, (i + 1) * 200),
          ppiLogits: p.ppi.subarray(i * 260, (i + 1) * 260),
          cycleLength: meta.cycleLength[r.index]!,
          cycleStart: meta.cycleStart[r.index]!,
          cycleEnd: meta.cycleStart[r.index]! + meta.cycleLength[r.index]!,
        });
      });
    }
    const rec = ds.recording(id);
    out.push({ rPeaks: rec.rPeaks, ecg: rec.ecg, recordingLength: rec.ecg.length, windows });
  }
  return { trials: out, losses: lossSums.map((l) => l / Math.max(1, count)) };
}

/**
 * The constant outputs a sceptic tries first, from the training windows alone: the mean min-max
 * normalised cycle (the shape loss's optimum among constants), the mean anchor train (the anchor
 * loss's optimum: the training set's R-peak frequency at each position of a window), and for the
 * PPI either the class of the mean cycle length (the optimum of the PPI error, an RMSE) or the
 * training prior (log class frequencies: the most frequent class, and the cross-entropy optimum).
 */
export function trivialOutputs(ds: Pick<RadarEcgDataset, 'windowTargets'>, train: readonly WindowRef[], which: string, anchorSigma = 0): { shapes: number[][]; values: Float32Array[] } {
  const shape = new Float64Array(200);
  const anchor = new Float64Array(800);
  const counts = new Float64Array(PPI_NUM_CLASSES);
  let lengthSum = 0;
  for (const ref of train) {
    const t = ds.windowTargets(ref, 'step');
    const cyc = minMaxNormalise(t.ecgShape);
    for (let i = 0; i < 200; i++) shape[i]! += cyc[i]!;
    const a = widenAnchor(Float32Array.from(t.anchor), 1, 800, anchorSigma);
    for (let i = 0; i < 800; i++) anchor[i]! += a[i]!;
    counts[t.ppi]!++;
    lengthSum += t.ppi + 1;
  }
  const n = Math.max(1, train.length);
  let ppi: Float32Array;
  if (which === 'mean') {
    ppi = oneHotLogits(PPI_NUM_CLASSES, Math.min(PPI_NUM_CLASSES, Math.max(1, Math.round(lengthSum / n))) - 1);
  } else if (which === 'prior') {
    // log of add-one-smoothed class frequencies: argmax is the most frequent class.
    ppi = Float32Array.from(counts, (c) => Math.log((c + 1) / (n + PPI_NUM_CLASSES)));
    ppi[modeIndex(counts)]! += 1e-3;
  } else {
    throw new ConfigError('trivial predictor', which, 'mean or prior for task radar-ecg');
  }
  return {
    shapes: [[200], [PPI_NUM_CLASSES], [800]],
    values: [Float32Array.from(shape, (v) => v / n), ppi, Float32Array.from(anchor, (v) => v / n)],
  };
}

export const radarEcgTask: TaskDefinition = {
  id: 'radar-ecg',
  displayName: 'Radar-based ECG reconstruction (radarODE-MTL)',
  taskNames: RADAR_ECG_TASKS,
  metrics: [
    ...TABLE2_METRICS.map((m) => ({ task: m.task, name: m.name, higherIsBetter: m.higherIsBetter, unit: m.unit })),
  ],
  presets: (Object.keys(RADAR_ECG_PRESETS) as RadarEcgPresetName[]).map((name) => ({ name, description: RADAR_ECG_PRESETS[name].description, paperScale: name === 'paper' })),
  noiseKinds: ['clean', 'snr', 'abrupt'],
  evaluations: RADAR_ECG_EVALUATIONS,
  trivialPredictors: [
    { id: 'mean', label: 'training mean', description: 'the mean normalised training cycle, the class of the mean training cycle length, the mean training anchor train' },
    { id: 'prior', label: 'prior class', description: 'the mean normalised training cycle, the training prior of the PPI classes (its most frequent class), the mean training anchor train' },
  ],
  training: (preset): TrainingDefaults => {
    const d = DATA[presetOf(preset)];
    return {
      optimizer:
        d.optimizer === 'adam'
          ? { kind: 'adam', lr: d.lr ?? 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 }
          : { kind: 'sgd', lr: d.lr ?? 5e-3, momentum: 0.937, weightDecay: 5e-4 },
      // The reference: CosineAnnealingLR(T_max = 100, eta_min = 5e-5) over 200 epochs; shorter presets keep T_max = epochs / 2.
      schedule: { kind: 'cosine', tMax: Math.max(1, d.epochs / 2), etaMin: 5e-5 },
      epochs: d.epochs,
      batchSize: d.batchSize,
    };
  },
  prepareData: async (tf, presetName, { dataDir, seed, dataPath, evaluation }): Promise<PreparedData> => {
    const preset = presetOf(presetName);
    const placement = placementOf(evaluation);
    const ds = openOrGenerate(preset, dataDir, seed, dataPath);
    const channels = RADAR_ECG_PRESETS[preset].channels;
    const anchorSigma = DATA[preset].anchorSigma ?? 0;
    const splitName = ds.splitNames.includes('trial') ? 'trial' : ds.splitNames[0]!;
    const split = ds.split(splitName);
    const hold = ds.holdOut(split.train, { fraction: 0.1, by: 'trial', seed, placement: 'step' });
    const trialsOf = { val: hold.valTrials, test: [...split.test] };
    const evaluate = (model: MultiTaskModel, which: 'val' | 'test', noise: NoiseCondition, rng: Rng): Record<string, number> => {
      void rng;
      const { trials, losses } = evaluationTrials(tf, ds, model, trialsOf[which], noise, `${which}:${JSON.stringify(noise)}`, placement, anchorSigma);
      const t2 = aggregateTrials(trials.map((t) => evaluateTrial(t, { evalRange: evalRange(t.recordingLength!) })));
      const out: Record<string, number> = {};
      for (const m of TABLE2_METRICS) out[`${m.task}/${m.name}`] = t2[m.name];
      out['ppi/hrErrorBpm'] = t2.hrErrorBpm;
      const lt = trials.map((t) => longTermMetrics(t, { evalRange: evalRange(t.recordingLength!) }));
      for (const m of LONG_TERM_METRICS) out[`longterm/${m.name}`] = medianWorst(lt.map((r) => r[m.name]), m.higherIsBetter);
      RADAR_ECG_TASKS.forEach((t, k) => (out[`${t}/loss`] = losses[k]!));
      return out;
    };
    return {
      fingerprint: ds.manifest.fingerprint.value.slice(0, 16),
      describe: `${dataPath ? 'imported' : 'synthetic'} radar-ECG ${ds.inputShape.join('×')}, ${ds.trialIds.length} trials (${split.train.length - hold.valTrials.length} train, ${hold.valTrials.length} val, ${split.test.length} test; split ${splitName})`,
      trainBatches: (batchSize, noise): BatchSource =>
        function* (epoch, rng): Generator<Batch> {
          const seed = `${rng.int(2 ** 31)}`;
          for (const b of ds.batches({ windows: hold.train, batchSize, seed, dropLast: true, placement: 'step', noise: dataNoise(noise), noiseSeed: `train:${seed}`, channels, anchorSigma }, epoch)) {
            yield {
              x: inputTensor(tf, b),
              targets: [tf.tensor2d(b.ecgShape, [b.size, 200]), tf.tensor1d(b.ppi, 'int32'), tf.tensor2d(b.anchor, [b.size, 800])],
            };
          }
        },
      evaluate,
      examples: (model, noise): Record<string, ExampleSeries> => {
        const id = trialsOf.test[0];
        if (!id) return {};
        const [trial] = evaluationTrials(tf, ds, model, [id], noise, `examples:${JSON.stringify(noise)}`, placement, anchorSigma).trials;
        if (!trial) return {};
        const out: Record<string, ExampleSeries> = {};
        trial.windows.slice(0, 3).forEach((w, i) => {
          const truth = Array.from(w.shapeTrue!);
          const lo = Math.min(...truth);
          const hi = Math.max(...truth);
          out[`cycle${i + 1}`] = { unit: 'mV', series: { reference: truth, reconstructed: Array.from(w.shapePred, (v) => lo + v * (hi - lo)) } };
        });
        const asm = assembleLongTermEcg(trial, { evalRange: evalRange(trial.recordingLength!) });
        const ecg = Float64Array.from(trial.ecg!);
        const from = Math.floor(ecg.length / 3);
        const to = Math.min(ecg.length, from + 2000);
        const lo = Math.min(...Array.from(ecg.subarray(from, to)));
        const hi = Math.max(...Array.from(ecg.subarray(from, to)));
        out.longterm = {
          sampleRate: 200,
          unit: 'mV',
          series: { reference: Array.from(ecg.subarray(from, to)), reconstructed: Array.from(asm.signal.subarray(from, to), (v) => lo + v * (hi - lo)) },
          markers: {
            'reference R peaks': Array.from(trial.rPeaks).filter((p) => p >= from && p < to).map((p) => p - from),
            'predicted anchors': asm.placed.filter((p) => p >= from && p < to).map((p) => p - from),
          },
        };
        return out;
      },
      trivialModel: (id) => constantModel(tf, RADAR_ECG_TASKS, trivialOutputs(ds, hold.train, id, anchorSigma)),
      dispose: () => ds.close(),
    };
  },
  createModel: (tf: Tf, preset, seed) => createRadarOdeModel({ preset: presetOf(preset), seed }, tf),
  lossFn: () => radarEcgTaskLoss,
};
