/**
 * Timing of the radarODE-MTL model: forward (eval mode) and forward + backward (training mode,
 * gradients of the sum of the three task losses for every variable, then commitBuffers) per preset
 * and batch size. Prints medians over runs of wall-clock and process CPU time (CPU time is
 * steadier on a shared machine) and the GFLOP/s of model arithmetic (forward FLOPs from the spec;
 * a training step counted as 3× the forward).
 *
 *   node --import tsx benchmarks/radar-ecg-model.ts [--presets ci,small] [--batches 8,22]
 *        [--runs 7] [--warmup 2] [--ode] [--deform ops] [--profile] [--json]
 *
 * MTL_BENCH_BACKEND selects the backend (default: the fastest available).
 */
import type * as TF from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { describeBackend, loadBackend } from '../src/tf/backend.js';
import { createRadarOdeModel } from '../src/tasks/radar-ecg/model.js';
import { RADAR_ECG_PRESETS, type RadarEcgPresetName } from '../src/tasks/radar-ecg/presets.js';
import type { DeformImpl } from '../src/tasks/radar-ecg/layers.js';
import { median } from './lib/radar-ecg-batch.js';
import { timeRuns } from './lib/timing.js';

const { values: opts } = parseArgs({
  options: {
    presets: { type: 'string', default: 'ci,small' },
    batches: { type: 'string', default: '8,22' },
    runs: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '2' },
    ode: { type: 'boolean', default: false },
    deform: { type: 'string', default: 'auto' },
    profile: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const backend = await loadBackend();
const { tf } = backend;


interface Row {
  preset: string;
  batch: number;
  params: number;
  mflopPerSample: number;
  forwardMs: number;
  forwardCpuMs: number;
  trainMs: number;
  trainCpuMs: number;
  forwardGflops: number;
  trainGflops: number;
}

function measure(f: () => void, runs: number, warmup: number): { wall: number; cpu: number } {
  const { wall, cpu } = timeRuns(f, runs, warmup);
  return { wall: median(wall), cpu: median(cpu) };
}

const rows: Row[] = [];
const runs = Number(opts.runs);
const warmup = Number(opts.warmup);
for (const preset of opts.presets.split(',') as RadarEcgPresetName[]) {
  if (!RADAR_ECG_PRESETS[preset]) throw new Error(`unknown preset ${preset}; one of ${Object.keys(RADAR_ECG_PRESETS).join(', ')}`);
  const model = createRadarOdeModel({ preset, ode: opts.ode, deformImpl: opts.deform as DeformImpl }, tf);
  const vars = [...model.shared, ...model.heads.flat()];
  for (const batch of opts.batches.split(',').map(Number)) {
    const x = tf.randomUniform([batch, ...model.spec.inputShape], 0, 1, 'float32', 1);
    const forward = (): void => {
      const outs = tf.tidy(() => model.forward(x, false).outputs);
      for (const o of outs) o.dataSync();
      tf.dispose(outs);
    };
    const train = (): void => {
      const { value, grads } = tf.variableGrads(() => tf.addN(model.forward(x, true).outputs.map((o) => tf.mean(tf.square(o)))) as TF.Scalar, vars);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
      model.commitBuffers();
    };
    const f = measure(forward, runs, warmup);
    const t = measure(train, runs, warmup);
    const flop = batch * model.counts.total.flops;
    const row: Row = {
      preset,
      batch,
      params: model.counts.total.params,
      mflopPerSample: model.counts.total.flops / 1e6,
      forwardMs: f.wall,
      forwardCpuMs: f.cpu,
      trainMs: t.wall,
      trainCpuMs: t.cpu,
      forwardGflops: flop / 1e6 / f.cpu,
      trainGflops: (3 * flop) / 1e6 / t.cpu,
    };
    rows.push(row);
    if (!opts.json) {
      console.log(
        `${preset.padEnd(6)} B=${String(batch).padStart(3)}  forward ${f.wall.toFixed(1).padStart(7)} ms (cpu ${f.cpu.toFixed(1).padStart(7)})  ${row.forwardGflops.toFixed(1).padStart(5)} GFLOP/s   ` +
          `fwd+bwd ${t.wall.toFixed(1).padStart(7)} ms (cpu ${t.cpu.toFixed(1).padStart(7)})  ${row.trainGflops.toFixed(1).padStart(5)} GFLOP/s`,
      );
    }
    if (opts.profile) {
      const p = await tf.profile(train);
      const agg = new Map<string, [number, number]>();
      for (const k of p.kernels) {
        const a = agg.get(k.name) ?? [0, 0];
        a[0] += k.kernelTimeMs as number;
        a[1]++;
        agg.set(k.name, a);
      }
      console.log(`  ${p.kernels.length} kernels per step; by time (nested kernels overlap): ${[...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 10).map(([k, [ms, n]]) => `${k} ${ms.toFixed(1)}ms/${n}`).join(', ')}`);
    }
    x.dispose();
  }
  model.dispose();
}

if (opts.json) {
  console.log(JSON.stringify({ backend: backend.name, runs, warmup, rows }, null, 2));
} else {
  console.log(`\n${describeBackend(backend)}; medians of ${runs} runs after ${warmup} warm-up; GFLOP/s from CPU time (training = 3 × forward FLOPs).`);
}
