/**
 * Does the radar-ECG model learn at a given scale, and what does an epoch cost? Generates a
 * synthetic dataset (cached under --data), trains one model with EW (or one task alone) through the
 * runner's plumbing, and prints per epoch the training losses, the validation losses and the
 * trivial predictors' validation losses (trivial-losses.ts), with the epoch's wall time. Before
 * training it prints two data diagnostics: the median share of the per-window SST range that the
 * cardiac band (≥ 5 Hz) reaches, and the median PCC of the training-mean cycle with each
 * validation cycle.
 *
 *   node --import tsx benchmarks/radar-ecg-learning.ts --preset cpu --channels 8 --bins 24 --frames 120 \
 *        --subjects 10 --minutes 3 --trials 3 --epochs 6 [--method ew|stl-shape|…] [--high-pass 3]
 *
 * The architecture and training recipe are the preset's (`--preset`, default ci); --width,
 * --min-channels, --output-bias, --optimizer sgd|adam, --lr, --batch and --anchor-sigma override
 * them. The validation split is a tenth of the trials (at least one), held out as the runner does.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RadarEcgDataset, synthesizeDataset } from '../datasets/radar-ecg/dataset.js';
import { trainAndCompare, validationSetup } from '../src/tasks/radar-ecg/learning-check.js';
import { pearson } from '../src/tasks/radar-ecg/signal.js';
import { loadBackend } from '../src/tf/backend.js';
import type { RadarEcgPresetName } from '../src/tasks/radar-ecg/presets.js';
import { radarEcgDataPreset } from '../src/tasks/radar-ecg/task.js';

const { values: o } = parseArgs({
  options: {
    preset: { type: 'string', default: 'ci' },
    channels: { type: 'string', default: '8' },
    bins: { type: 'string', default: '16' },
    frames: { type: 'string', default: '64' },
    width: { type: 'string' },
    'min-channels': { type: 'string' },
    'output-bias': { type: 'boolean' },
    subjects: { type: 'string', default: '4' },
    minutes: { type: 'string', default: '1' },
    trials: { type: 'string', default: '2' },
    'high-pass': { type: 'string', default: '3' },
    epochs: { type: 'string', default: '6' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    method: { type: 'string', default: 'ew' },
    'anchor-sigma': { type: 'string' },
    optimizer: { type: 'string' },
    seed: { type: 'string', default: '0' },
    data: { type: 'string', default: 'out/bench-data' },
    'diagnostics-only': { type: 'boolean', default: false },
  },
});
const num = (k: keyof typeof o): number => Number(o[k]);
const opt = (k: keyof typeof o): number | undefined => (o[k] === undefined ? undefined : Number(o[k]));
const [C, F, T] = [num('channels'), num('bins'), num('frames')];
const dir = join(o.data!, `radar-${C}x${F}x${T}-s${o.subjects}-m${o.minutes}-t${o.trials}-hp${o['high-pass']}`);
if (!existsSync(join(dir, 'manifest.json'))) {
  mkdirSync(dir, { recursive: true });
  const r = synthesizeDataset({ subjects: num('subjects'), minutes: num('minutes'), trialsPerSubject: num('trials'), seed: 1, channels: C, bins: F, frames: T, highPassHz: num('high-pass'), overwrite: true }, dir);
  console.log(`data: generated ${r.manifest.trials.length} trials in ${r.seconds.toFixed(1)} s`);
}
const ds = RadarEcgDataset.open(dir);
const { hold, train: tr, val: va, trivial: triv } = validationSetup(ds, 0, opt('anchor-sigma') ?? radarEcgDataPreset(o.preset as RadarEcgPresetName).anchorSigma ?? 0);
console.log(`data: ${dir}: ${hold.train.length} train windows, ${hold.val.length} val windows (${hold.valTrials.length} trials)`);

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
const meanCycle = new Float64Array(200);
for (let i = 0; i < tr.count * 200; i++) meanCycle[i % 200]! += tr.shape[i]! / tr.count;
const pccs = Array.from({ length: va.count }, (_, w) => pearson(meanCycle, va.shape.subarray(w * 200, (w + 1) * 200)));
const fmt = (l: { shape: number; ppi: number; anchor: number }): string => `shape ${l.shape.toFixed(4)}  ppi ${l.ppi.toFixed(3)}  anchor ${l.anchor.toFixed(5)}`;
console.log(`diagnostics: median cardiac-band (≥ 5 Hz) share of the window range ${med(shares).toFixed(2)}; median PCC(train-mean cycle, val cycle) ${med(pccs).toFixed(3)}`);
console.log(`trivial val losses: ${fmt(triv)}`);
if (o['diagnostics-only']) process.exit(0);

const { tf } = await loadBackend();
let cpuTotal = 0;
await trainAndCompare(tf, ds, {
  preset: o.preset as RadarEcgPresetName,
  method: o.method!,
  epochs: num('epochs'),
  seed: num('seed'),
  width: opt('width'),
  minChannels: opt('min-channels'),
  outputBias: o['output-bias'],
  optimizer: o.optimizer as 'sgd' | 'adam' | undefined,
  lr: opt('lr'),
  batchSize: opt('batch'),
  anchorSigma: opt('anchor-sigma'),
  onEpoch: ({ epoch, summary: s, val: v, trainEval, evalSeconds, cpuSeconds }) => {
    cpuTotal += cpuSeconds;
    const beats = (['shape', 'ppi', 'anchor'] as const).map((k) => (v[k] < triv[k] ? k : `(${k})`)).join(' ');
    console.log(
      `epoch ${epoch}: train ${Array.from(s.meanLosses, (x) => x.toFixed(4)).join(' ')} | train (eval mode) ${fmt(trainEval)} | val ${fmt(v)} | beats trivial: ${beats} | ${s.steps} steps ${s.seconds.toFixed(1)} s wall (median step ${s.stepMs.median.toFixed(0)} ms), val ${evalSeconds.toFixed(1)} s, epoch CPU ${cpuSeconds.toFixed(1)} s`,
    );
  },
});
console.log(`process CPU for ${o.epochs} epochs (training + validation losses): ${cpuTotal.toFixed(0)} s`);
