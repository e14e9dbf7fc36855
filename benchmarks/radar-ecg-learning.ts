/**
 * Does the radar-ECG model learn at a given scale, and what does an epoch cost? Generates a
 * synthetic dataset (cached under --data), trains one model with EW (or one task alone) through the
 * runner's plumbing, and prints per epoch the training losses, the validation losses and the
 * trivial predictors' validation losses (trivial-losses.ts), with the epoch's wall time. Before
 * training it prints two data diagnostics: the median share of the per-window SST range that the
 * cardiac band (≥ 5 Hz) reaches, and the median PCC of the training-mean cycle with each
 * validation cycle.
 *
 *   node --import tsx benchmarks/radar-ecg-learning.ts --channels 8 --bins 16 --frames 64 --width 0.03125 \
 *        --subjects 4 --minutes 1 --trials 2 --epochs 6 --lr 0.05 --batch 8 [--method ew|stl-shape|…] [--high-pass 3]
 *
 * The validation split is a tenth of the trials (at least one), held out as the runner does.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RadarEcgDataset, synthesizeDataset } from '../datasets/radar-ecg/dataset.js';
import { getMethod } from '../optimizers/index.js';
import { Rng } from '../src/rng.js';
import { createSingleTask } from '../src/run/single-task.js';
import { radarEcgTaskLoss } from '../src/tasks/radar-ecg/losses.js';
import { createRadarOdeModel } from '../src/tasks/radar-ecg/model.js';
import { pearson } from '../src/tasks/radar-ecg/signal.js';
import { modelLosses, trivialLosses, windowTargets } from '../src/tasks/radar-ecg/trivial-losses.js';
import { loadBackend } from '../src/tf/backend.js';
import { Optimizer } from '../src/tf/optim.js';
import { MtlStepper } from '../src/tf/plumbing.js';
import { Trainer } from '../src/train/trainer.js';

const { values: o } = parseArgs({
  options: {
    channels: { type: 'string', default: '8' },
    bins: { type: 'string', default: '16' },
    frames: { type: 'string', default: '64' },
    width: { type: 'string', default: '0.03125' },
    subjects: { type: 'string', default: '4' },
    minutes: { type: 'string', default: '1' },
    trials: { type: 'string', default: '2' },
    'high-pass': { type: 'string', default: '3' },
    epochs: { type: 'string', default: '6' },
    lr: { type: 'string', default: '0.05' },
    batch: { type: 'string', default: '8' },
    method: { type: 'string', default: 'ew' },
    seed: { type: 'string', default: '0' },
    data: { type: 'string', default: 'out/bench-data' },
    'diagnostics-only': { type: 'boolean', default: false },
  },
});
const num = (k: keyof typeof o): number => Number(o[k]);
const [C, F, T] = [num('channels'), num('bins'), num('frames')];
const dir = join(o.data!, `radar-${C}x${F}x${T}-s${o.subjects}-m${o.minutes}-t${o.trials}-hp${o['high-pass']}`);
if (!existsSync(join(dir, 'manifest.json'))) {
  mkdirSync(dir, { recursive: true });
  const r = synthesizeDataset({ subjects: num('subjects'), minutes: num('minutes'), trialsPerSubject: num('trials'), seed: 1, channels: C, bins: F, frames: T, highPassHz: num('high-pass'), overwrite: true }, dir);
  console.log(`data: generated ${r.manifest.trials.length} trials in ${r.seconds.toFixed(1)} s`);
}
const ds = RadarEcgDataset.open(dir);
const split = ds.split('trial');
const hold = ds.holdOut(split.train, { fraction: 0.1, by: 'trial', seed: 0, placement: 'step' });
console.log(`data: ${dir}: ${hold.train.length} train windows, ${hold.val.length} val windows (${hold.valTrials.length} trials), ${split.test.length} test trials`);

// Diagnostics: cardiac-band share of the normalised SST range, mean-cycle PCC.
const freqs = ds.manifest.sst.frequencies ?? [];
const k5 = freqs.findIndex((f) => f >= 5);
const shares: number[] = [];
for (const b of ds.batches({ windows: hold.val, batchSize: 32, shuffle: false, placement: 'step', channels: C }, 0)) {
  for (let w = 0; w < b.size; w++) {
    for (let c = 0; c < C; c++) {
      const base = (w * C + c) * F * T;
      let hi = 0;
      for (let i = k5 * T; i < F * T; i++) hi = Math.max(hi, b.x[base + i]!);
      shares.push(hi);
    }
  }
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const tr = windowTargets(ds, hold.train);
const va = windowTargets(ds, hold.val);
const meanCycle = new Float64Array(200);
for (let i = 0; i < tr.count * 200; i++) meanCycle[i % 200]! += tr.shape[i]! / tr.count;
const pccs = Array.from({ length: va.count }, (_, w) => pearson(meanCycle, va.shape.subarray(w * 200, (w + 1) * 200)));
const triv = trivialLosses(tr, va);
const fmt = (l: { shape: number; ppi: number; anchor: number }): string => `shape ${l.shape.toFixed(4)}  ppi ${l.ppi.toFixed(3)}  anchor ${l.anchor.toFixed(5)}`;
console.log(`diagnostics: median cardiac-band (≥ 5 Hz) share of the window range ${med(shares).toFixed(2)}; median PCC(train-mean cycle, val cycle) ${med(pccs).toFixed(3)}`);
console.log(`trivial val losses: ${fmt(triv)}`);
if (o['diagnostics-only']) process.exit(0);

const { tf } = await loadBackend();
const seed = num('seed');
const model = createRadarOdeModel({ preset: 'ci', channels: C, bins: F, frames: T, width: num('width'), seed }, tf);
const method = o.method!.startsWith('stl-') ? createSingleTask(3, ['shape', 'ppi', 'anchor'].indexOf(o.method!.slice(4)), o.method!.slice(4)) : getMethod(o.method!).create(3);
const opt = new Optimizer(tf, { kind: 'sgd', lr: num('lr'), momentum: 0.937, weightDecay: 5e-4 });
const stepper = new MtlStepper(tf, model, method, radarEcgTaskLoss, opt, { mode: 'param' });
const batch = num('batch');
const epochs = num('epochs');
const source = (epoch: number, rng: Rng) =>
  (function* () {
    const s = `${rng.int(2 ** 31)}`;
    for (const b of ds.batches({ windows: hold.train, batchSize: batch, seed: s, dropLast: true, placement: 'step', channels: C }, epoch)) {
      yield {
        x: tf.tidy(() => tf.transpose(tf.tensor4d(b.x, [...b.xShape]), [0, 2, 3, 1])),
        targets: [tf.tensor2d(b.ecgShape, [b.size, 200]), tf.tensor1d(b.ppi, 'int32'), tf.tensor2d(b.anchor, [b.size, 800])],
      };
    }
  })();
const trainer = new Trainer(stepper, source, Rng.fromSeed(`bench:${seed}`), num('lr'), { kind: 'cosine', tMax: Math.max(1, epochs / 2), etaMin: 5e-5 });
let trainS = 0;
for (let e = 0; e < epochs; e++) {
  const s = trainer.runEpoch();
  trainS += s.seconds;
  const t0 = performance.now();
  const v = modelLosses(tf, ds, model, hold.val, C);
  const evalS = (performance.now() - t0) / 1000;
  const beats = (['shape', 'ppi', 'anchor'] as const).map((k) => (v[k] < triv[k] ? k : `(${k})`)).join(' ');
  console.log(`epoch ${e}: train ${Array.from(s.meanLosses, (x) => x.toFixed(4)).join(' ')} | val ${fmt(v)} | beats trivial: ${beats} | ${s.steps} steps ${s.seconds.toFixed(1)} s (median step ${s.stepMs.median.toFixed(0)} ms), val loss ${evalS.toFixed(1)} s`);
}
console.log(`training ${trainS.toFixed(0)} s over ${epochs} epochs`);
