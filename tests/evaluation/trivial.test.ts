/**
 * Trivial predictors against values computed by hand on small fixtures, and the anchor leak of the
 * reference's R-peak-centred windows: a constant anchor output with one spike at sample 400 is
 * perfect there, and misses most beats under the default (leak-free) evaluation.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { synthesizeDataset } from '../../datasets/radar-ecg/dataset.js';
import { perPixelPrior } from '../../src/tasks/nyuv2/task.js';
import { RADAR_ECG_PRESETS } from '../../src/tasks/radar-ecg/presets.js';
import { radarEcgTask, trivialOutputs } from '../../src/tasks/radar-ecg/task.js';
import { makeRegressionData } from '../../src/tasks/regression.js';
import { regressionTask } from '../../src/tasks/regression-task.js';
import { constantModel } from '../../src/tasks/trivial.js';
import { loadBackend } from '../../src/tf/backend.js';
import type { NyuBatch } from '../../datasets/nyuv2/loader.js';

const { tf } = await loadBackend();

t.test('radar-ECG: mean cycle, mean anchor train, mean-length class and prior class by hand', async (t) => {
  const ramp = Float32Array.from({ length: 200 }, (_, i) => 0.5 + (2 * i) / 199); // normalises to i/199
  const down = Float32Array.from({ length: 200 }, (_, i) => -3 * (i / 199)); // normalises to 1 − i/199
  const bump = Float32Array.from({ length: 200 }, (_, i) => (i === 50 ? 4 : 1)); // normalises to a spike at 50
  const spikes = (...at: number[]) => Uint8Array.from({ length: 800 }, (_, i) => (at.includes(i) ? 1 : 0));
  const targets = [
    { ecgShape: ramp, anchor: spikes(100), ppi: 149 },
    { ecgShape: down, anchor: spikes(300), ppi: 149 },
    { ecgShape: bump, anchor: spikes(100, 500), ppi: 199 },
  ];
  const ds = { windowTargets: (ref: { index: number }) => targets[ref.index]! };
  const refs = targets.map((_, index) => ({ trial: 'a', index }));
  const mean = trivialOutputs(ds, refs, 'mean');
  const [cycle, ppi, anchor] = mean.values as [Float32Array, Float32Array, Float32Array];
  t.same(mean.shapes, [[200], [260], [800]]);
  t.ok(Math.abs(cycle[0]! - (0 + 1 + 0) / 3) < 1e-6 && Math.abs(cycle[50]! - (50 / 199 + 149 / 199 + 1) / 3) < 1e-6 && Math.abs(cycle[199]! - 1 / 3) < 1e-6, 'mean of the normalised cycles');
  t.ok(Math.abs(anchor[100]! - 2 / 3) < 1e-7 && Math.abs(anchor[300]! - 1 / 3) < 1e-7 && Math.abs(anchor[500]! - 1 / 3) < 1e-7 && anchor[0] === 0, 'R-peak frequency per position');
  // Mean cycle length (150 + 150 + 200) / 3 = 166.7 → 167 samples → class 166.
  t.equal(ppi.indexOf(Math.max(...ppi)), 166, 'class of the mean cycle length');
  const prior = trivialOutputs(ds, refs, 'prior').values[1]!;
  t.equal(prior.indexOf(Math.max(...prior)), 149, 'most frequent class');
  t.ok(Math.abs(Math.exp(prior[199]!) - 2 / 263) < 1e-6, 'add-one smoothed prior: (1 + 1) / (3 + 260)');
  t.throws(() => trivialOutputs(ds, refs, 'median'), { name: 'ConfigError' });
});

t.test('NYUv2: majority class, mean valid depth and mean valid normal per pixel by hand', async (t) => {
  // 1 × 2 images (two pixels), three samples; label −1 is ignored, depth 0 and an all-zero normal are invalid.
  const sample = (label: number[], depth: number[], normal: number[]): NyuBatch => ({ indices: [0], size: 1, height: 1, width: 2, image: new Float32Array(6), label: Int32Array.from(label), depth: Float32Array.from(depth), normal: Float32Array.from(normal) });
  const batches = [sample([3, 5], [2, 0], [0, 0, 1, 0, 0, 0]), sample([3, -1], [4, 0], [1, 0, 0, 0, 0, 0]), sample([7, 5], [0, 0], [0, 0, 0, 0, 1, 0])];
  const model = perPixelPrior(tf, { height: 1, width: 2, epoch: function* () { yield* batches; } } as never);
  const [seg, depth, normal] = model.predict(tf.zeros([2, 1, 2, 3])).map((x) => Array.from(x.dataSync()));
  t.same([seg!.slice(0, 13).indexOf(Math.max(...seg!.slice(0, 13))), seg!.slice(13, 26).indexOf(Math.max(...seg!.slice(13, 26)))], [3, 5], 'majority class of each pixel');
  t.same(depth!.slice(0, 2), [3, 3], 'mean valid depth; a pixel never valid gets the global mean');
  t.ok(Math.abs(normal![0]! - Math.SQRT1_2) < 1e-6 && Math.abs(normal![2]! - Math.SQRT1_2) < 1e-6 && Math.abs(normal![4]! - 1) < 1e-6, 'mean valid normal, unit length');
  t.equal(depth!.length, 2 * 2, 'batch of two');
  model.dispose();
});

t.test('regression: the target mean of the training samples', async (t) => {
  const data = await regressionTask.prepareData(tf, 'ci', { dataDir: '', seed: 3 });
  const model = await data.trivialModel!('mean');
  const all = makeRegressionData({ tasks: 3, inputDim: 8, hidden: 32, samples: 384 + 192, seed: 3 });
  const nTrain = 384 - Math.floor(384 / 5);
  const res = await data.evaluate(model, 'test', { kind: 'clean' }, undefined as never);
  for (let k = 0; k < 3; k++) {
    const y = all.y[k]!;
    let m = 0;
    for (let i = 0; i < nTrain; i++) m += y[i]!;
    m /= nTrain;
    let mse = 0;
    for (let i = 384; i < 576; i++) mse += (y[i]! - m) ** 2;
    mse /= 192;
    t.ok(Math.abs(res[`task${k}/mse`]! - mse) < 1e-4 * mse, `task${k}: test MSE of the training mean ${mse.toFixed(4)}`);
  }
  model.dispose();
});

t.test('a constant anchor spike at sample 400: perfect under reference-rpeak, a real miss rate under the default', async (t) => {
  const p = RADAR_ECG_PRESETS.ci;
  const dir = join(mkdtempSync(join(tmpdir(), 'mtl-leak-')), 'ds');
  synthesizeDataset({ subjects: 3, minutes: 1, trialsPerSubject: 2, seed: 5, channels: p.channels, bins: p.bins, frames: p.frames }, dir);
  const anchor = new Float32Array(800);
  anchor[400] = 1;
  const shape = Float32Array.from({ length: 200 }, (_, i) => Math.exp(-(((i - 60) / 8) ** 2)));
  const ppi = new Float32Array(260);
  ppi[160] = 20;
  const model = constantModel(tf, ['shape', 'ppi', 'anchor'], { shapes: [[200], [260], [800]], values: [shape, ppi, anchor] });
  const score = async (evaluation: string) => {
    const data = await radarEcgTask.prepareData(tf, 'ci', { dataDir: '', seed: 0, dataPath: dir, evaluation });
    try {
      return await data.evaluate(model, 'test', { kind: 'clean' }, undefined as never);
    } finally {
      data.dispose?.();
    }
  };
  const leaky = await score('reference-rpeak');
  t.equal(leaky['anchor/mdrPercent'], 0, 'reference-rpeak: MDR 0 %');
  t.equal(leaky['anchor/timingErrorMs'], 0, 'reference-rpeak: timing error 0 ms');
  const fair = await score('leak-free');
  t.ok(fair['anchor/mdrPercent']! > 30, `leak-free: MDR ${fair['anchor/mdrPercent']!.toFixed(1)} % (windows every 0.8 s do not know where the beats are)`);
  t.ok(!(fair['anchor/timingErrorMs']! < 20), `leak-free: timing error ${fair['anchor/timingErrorMs']} ms reflects the misses`);
  for (const k of ['shape/loss', 'ppi/loss', 'anchor/loss']) t.ok(Number.isFinite(fair[k]) && fair[k]! > 0, `${k} reported`);
  model.dispose();
});
