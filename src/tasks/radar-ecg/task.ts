/**
 * The radar-ECG benchmark as a runner task: the radarODE-MTL model, its losses and training
 * settings, the synthetic (or imported) dataset, and the Table II / long-term evaluation.
 *
 * Data per preset: a synthetic dataset generated once into `<dataDir>/radar-ecg-<preset>-seed<s>`
 * (or a real dataset directory given as dataPath). Splits: the dataset's trial split gives test
 * trials; a tenth of the training trials (at least one) is held out as the validation split for
 * model selection. Training uses the 0.8-s sliding windows; evaluation uses one window per cardiac
 * cycle with its R peak at sample 400 (the reference's `data_seg_sce_middle`), scored per recording
 * and aggregated by the median over recordings as the reference does.
 */
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { RadarEcgDataset, synthesizeDataset, type WindowRef } from '../../../datasets/radar-ecg/dataset.js';
import type { NoiseCondition as DataNoise } from '../../../datasets/radar-ecg/noise.js';
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../rng.js';
import type { MultiTaskModel } from '../../tf/model.js';
import type { Batch, BatchSource } from '../../train/trainer.js';
import { generateOnce } from '../cache.js';
import type { ExampleSeries, NoiseCondition, PreparedData, TaskDefinition, TrainingDefaults } from '../task.js';
import { radarEcgTaskLoss } from './losses.js';
import { LONG_TERM_METRICS, RADAR_ECG_TASKS, TABLE2_METRICS } from './metric-spec.js';
import { aggregateTrials, evaluateTrial, longTermMetrics, assembleLongTermEcg, type RadarEcgTrial, type RadarEcgWindow } from './metrics.js';
import { createRadarOdeModel } from './model.js';
import { RADAR_ECG_PRESETS, type RadarEcgPresetName } from './presets.js';

type Tf = typeof TF;

interface DataPreset {
  readonly subjects: number;
  readonly minutes: number;
  readonly trialsPerSubject: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** SGD learning rate (default the reference's 5e-3). */
  readonly lr?: number;
}

/** Synthetic data and training length per model preset (paper: ~MMECG's 91 trials × 3 min, 200 epochs, batch 22). */
const DATA: Record<RadarEcgPresetName, DataPreset> = {
  paper: { subjects: 30, minutes: 9, trialsPerSubject: 3, epochs: 200, batchSize: 22 },
  small: { subjects: 8, minutes: 3, trialsPerSubject: 2, epochs: 30, batchSize: 22 },
  cpu: { subjects: 10, minutes: 3, trialsPerSubject: 3, epochs: 14, batchSize: 16, lr: 0.05 },
  ci: { subjects: 4, minutes: 1, trialsPerSubject: 2, epochs: 4, batchSize: 8 },
};

const EVAL_BATCH = 32;
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
  const dir = join(dataDir, `radar-ecg-${preset}-seed${seed}`);
  generateOnce(dir, 'manifest.json', (tmp) => {
    const p = RADAR_ECG_PRESETS[preset];
    const d = DATA[preset];
    synthesizeDataset({ subjects: d.subjects, minutes: d.minutes, trialsPerSubject: d.trialsPerSubject, seed, channels: p.channels, bins: p.bins, frames: p.frames, overwrite: true }, tmp);
  });
  return RadarEcgDataset.open(dir);
}

function predict(tf: Tf, model: MultiTaskModel, x: TF.Tensor4D): { shape: Float32Array; ppi: Float32Array; anchor: Float32Array } {
  const [shape, ppi, anchor] = tf.tidy(() => {
    const rep = model.encode(x, false);
    return RADAR_ECG_TASKS.map((_, t) => model.head(t, rep, false));
  }) as [TF.Tensor, TF.Tensor, TF.Tensor];
  const out = { shape: shape.dataSync() as Float32Array, ppi: ppi.dataSync() as Float32Array, anchor: anchor.dataSync() as Float32Array };
  tf.dispose([shape, ppi, anchor]);
  return out;
}

/** Predictions for every evaluation window of some trials, grouped into the metric module's trial records. */
function evaluationTrials(tf: Tf, ds: RadarEcgDataset, model: MultiTaskModel, trials: readonly string[], noise: NoiseCondition, noiseSeed: string): RadarEcgTrial[] {
  const out: RadarEcgTrial[] = [];
  for (const id of trials) {
    const refs: WindowRef[] = ds.windowRefs([id], 'rpeak');
    if (refs.length === 0) continue;
    const meta = ds.windowMeta(id, 'rpeak');
    const windows: RadarEcgWindow[] = [];
    for (const b of ds.batches({ windows: refs, batchSize: EVAL_BATCH, shuffle: false, placement: 'rpeak', noise: dataNoise(noise), noiseSeed, channels: ds.inputShape[0] }, 0)) {
      const x = inputTensor(tf, b);
      const p = predict(tf, model, x);
      x.dispose();
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
  return out;
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
  training: (preset): TrainingDefaults => {
    const d = DATA[presetOf(preset)];
    return {
      optimizer: { kind: 'sgd', lr: d.lr ?? 5e-3, momentum: 0.937, weightDecay: 5e-4 },
      // The reference: CosineAnnealingLR(T_max = 100, eta_min = 5e-5) over 200 epochs; shorter presets keep T_max = epochs / 2.
      schedule: { kind: 'cosine', tMax: Math.max(1, d.epochs / 2), etaMin: 5e-5 },
      epochs: d.epochs,
      batchSize: d.batchSize,
    };
  },
  prepareData: async (tf, presetName, { dataDir, seed, dataPath }): Promise<PreparedData> => {
    const preset = presetOf(presetName);
    const ds = openOrGenerate(preset, dataDir, seed, dataPath);
    const channels = RADAR_ECG_PRESETS[preset].channels;
    const splitName = ds.splitNames.includes('trial') ? 'trial' : ds.splitNames[0]!;
    const split = ds.split(splitName);
    const hold = ds.holdOut(split.train, { fraction: 0.1, by: 'trial', seed, placement: 'step' });
    const trialsOf = { val: hold.valTrials, test: [...split.test] };
    const evaluate = (model: MultiTaskModel, which: 'val' | 'test', noise: NoiseCondition, rng: Rng): Record<string, number> => {
      void rng;
      const trials = evaluationTrials(tf, ds, model, trialsOf[which], noise, `${which}:${JSON.stringify(noise)}`);
      const t2 = aggregateTrials(trials.map((t) => evaluateTrial(t, { evalRange: evalRange(t.recordingLength!) })));
      const out: Record<string, number> = {};
      for (const m of TABLE2_METRICS) out[`${m.task}/${m.name}`] = t2[m.name];
      out['ppi/hrErrorBpm'] = t2.hrErrorBpm;
      const lt = trials.map((t) => longTermMetrics(t, { evalRange: evalRange(t.recordingLength!) }));
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
      for (const m of LONG_TERM_METRICS) out[`longterm/${m.name}`] = med(lt.map((r) => r[m.name]));
      return out;
    };
    return {
      fingerprint: ds.manifest.fingerprint.value.slice(0, 16),
      describe: `${dataPath ? 'imported' : 'synthetic'} radar-ECG ${ds.inputShape.join('×')}, ${ds.trialIds.length} trials (${split.train.length - hold.valTrials.length} train, ${hold.valTrials.length} val, ${split.test.length} test; split ${splitName})`,
      trainBatches: (batchSize, noise): BatchSource =>
        function* (epoch, rng): Generator<Batch> {
          const seed = `${rng.int(2 ** 31)}`;
          for (const b of ds.batches({ windows: hold.train, batchSize, seed, dropLast: true, placement: 'step', noise: dataNoise(noise), noiseSeed: `train:${seed}`, channels }, epoch)) {
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
        const [trial] = evaluationTrials(tf, ds, model, [id], noise, `examples:${JSON.stringify(noise)}`);
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
      dispose: () => ds.close(),
    };
  },
  createModel: (tf: Tf, preset, seed) => createRadarOdeModel({ preset: presetOf(preset), seed }, tf),
  lossFn: () => radarEcgTaskLoss,
};
