/**
 * Cost of a multi-task training step on the radarODE-MTL model, through the same gradient plumbing
 * the runner uses: EW (one backward of the weighted sum) against gradient methods with one
 * backward per task (param mode) or per-task head backwards plus one encoder backward (rep mode).
 * Also measures F (the recorded forward) and B (one full backward) to state the bound
 * (F + nB) / (F + B), the aggregation math alone at the measured model size, and the process's
 * peak memory. Prints medians of several steps after a warm-up; ratios are against the EW step
 * measured in the same process.
 *
 *   node --import tsx benchmarks/mtl-step.ts [--presets ci,small] [--batch 22] [--steps 7] [--warmup 2]
 *        [--methods aligned-mtl,ega,mgda,cagrad] [--json]
 *   node --import tsx benchmarks/mtl-step.ts --presets paper --batch 22 --steps 1 --warmup 0 --methods ega
 *   node --import tsx benchmarks/mtl-step.ts --aggregation-only --m 23251508   # the math at paper scale
 *
 * MTL_BENCH_BACKEND selects the backend (default: the fastest available).
 */
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { getMethod } from '../optimizers/index.js';
import type { GradMode, MtlMethod } from '../optimizers/types.js';
import { Rng } from '../src/rng.js';
import { radarEcgTaskLoss } from '../src/tasks/radar-ecg/losses.js';
import { createRadarOdeModel } from '../src/tasks/radar-ecg/model.js';
import { RADAR_ECG_PRESETS, type RadarEcgPresetName } from '../src/tasks/radar-ecg/presets.js';
import { describeBackend, loadBackend } from '../src/tf/backend.js';
import { Optimizer } from '../src/tf/optim.js';
import { MtlStepper } from '../src/tf/plumbing.js';
import { RecordedForward } from '../src/tf/tape.js';
import { median, peakRssMb, syntheticBatch } from './lib/radar-ecg-batch.js';

const { values: opts } = parseArgs({
  options: {
    presets: { type: 'string', default: 'ci,small' },
    batch: { type: 'string', default: '22' },
    steps: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '2' },
    methods: { type: 'string', default: 'aligned-mtl,ega,mgda,cagrad' },
    'aggregation-only': { type: 'boolean', default: false },
    m: { type: 'string', default: '23251508' },
    json: { type: 'boolean', default: false },
  },
});

const peakMb = peakRssMb;
const steps = Number(opts.steps);
const warmup = Number(opts.warmup);
const batch = Number(opts.batch);
const methodIds = opts.methods!.split(',').filter(Boolean);

/** The aggregation math alone: n = 3 synthetic task gradients of m entries. */
function aggregationMs(id: string, m: number, mode: GradMode): number {
  const rng = Rng.fromSeed(`agg:${id}`);
  const G = Array.from({ length: 3 }, () => Float64Array.from({ length: m }, () => rng.normal()));
  const method = getMethod(id).create(3);
  if (method.kind !== 'gradient-aggregation') return 0;
  const times: number[] = [];
  for (let k = 0; k < 3; k++) {
    const hist = Array.from({ length: 6 }, () => Float64Array.from([1, 1, 1]));
    const t0 = performance.now();
    method.aggregate({ epoch: 4, losses: Float64Array.from([1, 2, 3]), lossHistory: hist, rng }, { mode, G });
    times.push(performance.now() - t0);
  }
  return median(times);
}

if (opts['aggregation-only']) {
  const m = Number(opts.m);
  const rows = methodIds.map((id) => ({ method: id, m, ms: aggregationMs(id, m, 'param') }));
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(`${r.method.padEnd(12)} n=3 m=${r.m.toLocaleString('en')}: aggregation ${r.ms.toFixed(0)} ms (median of 3)`);
  process.exit(0);
}

const backend = await loadBackend();
const { tf } = backend;

interface Row {
  preset: string;
  batch: number;
  method: string;
  mode: GradMode;
  stepMs: number;
  samplesPerS: number;
  ratioToEw: number;
  bound: number | null;
  aggregateMs: number;
  peakRssMb: number;
}

function inputs(preset: RadarEcgPresetName, rng: Rng): { x: TF.Tensor; targets: TF.Tensor[] } {
  return syntheticBatch(tf, preset, batch, rng);
}

function timeSteps(preset: RadarEcgPresetName, method: MtlMethod, mode: GradMode): { ms: number; agg: number } {
  const model = createRadarOdeModel({ preset, seed: 0 }, tf);
  const optimizer = new Optimizer(tf, { kind: 'sgd', lr: 1e-4, momentum: 0.937, weightDecay: 5e-4 });
  const stepper = new MtlStepper(tf, model, method, radarEcgTaskLoss, optimizer, { mode });
  const rng = Rng.fromSeed('bench');
  const { x, targets } = inputs(preset, rng);
  const hist = Array.from({ length: 6 }, () => Float64Array.from([1, 1, 1]));
  const times: number[] = [];
  const aggs: number[] = [];
  for (let k = 0; k < warmup + steps; k++) {
    const t0 = performance.now();
    const r = stepper.step({ x, targets, epoch: 4, lossHistory: hist, rng });
    if (k >= warmup) {
      times.push(performance.now() - t0);
      aggs.push(r.timings.aggregate);
    }
  }
  tf.dispose([x, ...targets]);
  stepper.dispose();
  optimizer.dispose();
  model.dispose();
  return { ms: median(times), agg: median(aggs) };
}

/** F: the recorded forward with the three losses; B: one backward of their sum to every variable. */
function forwardBackward(preset: RadarEcgPresetName): { F: number; B: number } {
  const model = createRadarOdeModel({ preset, seed: 0 }, tf);
  const { x, targets } = inputs(preset, Rng.fromSeed('fb'));
  const vars = [...model.shared, ...model.heads.flat()];
  const F: number[] = [];
  const B: number[] = [];
  for (let k = 0; k < warmup + steps; k++) {
    const t0 = performance.now();
    const rec = RecordedForward.record(tf, () => {
      const rep = model.encode(x, true);
      return tf.stack(model.taskNames.map((_, t) => radarEcgTaskLoss(t, model.head(t, rep, true), targets[t]!)));
    });
    rec.outputs.dataSync();
    const t1 = performance.now();
    const g = rec.backward(rec.outputs, vars);
    for (const t of g) t.dataSync();
    const t2 = performance.now();
    tf.dispose(g);
    rec.dispose();
    model.commitBuffers();
    if (k >= warmup) {
      F.push(t1 - t0);
      B.push(t2 - t1);
    }
  }
  tf.dispose([x, ...targets]);
  model.dispose();
  return { F: median(F), B: median(B) };
}

const rows: Row[] = [];
for (const preset of opts.presets!.split(',') as RadarEcgPresetName[]) {
  if (!(preset in RADAR_ECG_PRESETS)) throw new Error(`unknown preset ${preset}`);
  const { F, B } = forwardBackward(preset);
  const ew = timeSteps(preset, getMethod('ew').create(3), 'param');
  rows.push({ preset, batch, method: 'ew', mode: 'param', stepMs: ew.ms, samplesPerS: (1000 * batch) / ew.ms, ratioToEw: 1, bound: null, aggregateMs: ew.agg, peakRssMb: peakMb() });
  for (const id of methodIds) {
    const def = getMethod(id);
    const modes: GradMode[] = def.capabilities.repMode ? ['param', 'rep'] : ['param'];
    for (const mode of modes) {
      const r = timeSteps(preset, def.create(3), mode);
      const bound = mode === 'param' ? (1.1 * (F + 3 * B)) / (F + B) : 1.15;
      rows.push({ preset, batch, method: id, mode, stepMs: r.ms, samplesPerS: (1000 * batch) / r.ms, ratioToEw: r.ms / ew.ms, bound, aggregateMs: r.agg, peakRssMb: peakMb() });
    }
  }
  if (!opts.json) console.log(`${preset}, batch ${batch}: F = ${F.toFixed(1)} ms, B = ${B.toFixed(1)} ms, (F + 3B)/(F + B) = ${((F + 3 * B) / (F + B)).toFixed(2)}`);
}
if (opts.json) console.log(JSON.stringify({ backend: backend.name, steps, warmup, rows }, null, 2));
else {
  console.log(`${describeBackend(backend)}; medians of ${steps} steps after ${warmup} warm-up; wall-clock ms`);
  console.log('preset  batch  method       mode   step ms  samples/s  ×EW   target  aggregate ms  peak RSS MB');
  for (const r of rows) {
    console.log(
      `${r.preset.padEnd(7)} ${String(r.batch).padStart(5)}  ${r.method.padEnd(12)} ${r.mode.padEnd(5)} ${r.stepMs.toFixed(1).padStart(8)} ${r.samplesPerS.toFixed(1).padStart(10)} ${r.ratioToEw.toFixed(2).padStart(5)}  ${r.bound === null ? '  -   ' : `≤${r.bound.toFixed(2)}`} ${r.aggregateMs.toFixed(2).padStart(12)} ${r.peakRssMb.toFixed(0).padStart(12)}`,
    );
  }
}
