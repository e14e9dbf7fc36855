/**
 * One measurement process of benchmarks/torch-side-by-side.ts: times radarODE-MTL EW training
 * steps and eval forwards in TF.js and prints one JSON line (the PyTorch twin is
 * benchmarks/torch/step.py).
 *
 *   node --import tsx benchmarks/lib/tfjs-step-worker.ts PRESET BATCH [--warmup 2] [--steps 5] [--kernel-steps 0]
 *
 * A step is the runner's EW step (MtlStepper: recorded forward, the three losses read back, one
 * backward of their sum, SGD momentum 0.937, weight decay 5e-4). With --kernel-steps N, N more
 * steps run under a KernelTimer and the per-kernel times and counts are added. MTL_BENCH_BACKEND
 * selects the backend.
 */
import { parseArgs } from 'node:util';
import { getMethod } from '../../optimizers/index.js';
import { Rng } from '../../src/rng.js';
import { radarEcgTaskLoss } from '../../src/tasks/radar-ecg/losses.js';
import { createRadarOdeModel } from '../../src/tasks/radar-ecg/model.js';
import type { RadarEcgPresetName } from '../../src/tasks/radar-ecg/presets.js';
import { loadBackend } from '../../src/tf/backend.js';
import { Optimizer } from '../../src/tf/optim.js';
import { MtlStepper } from '../../src/tf/plumbing.js';
import { KernelTimer } from './kernel-timer.js';
import { peakRssMb, syntheticBatch } from './radar-ecg-batch.js';
import { timeRuns } from './timing.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
    'kernel-steps': { type: 'string', default: '0' },
  },
});
const preset = positionals[0] as RadarEcgPresetName;
const batch = Number(positionals[1]);
const warmup = Number(opts.warmup);
const steps = Number(opts.steps);
const kernelSteps = Number(opts['kernel-steps']);

const backend = await loadBackend();
const { tf } = backend;
const model = createRadarOdeModel({ preset, seed: 0 }, tf);
const params = [...model.shared, ...model.heads.flat()].reduce((a, v) => a + v.size, 0);
const optimizer = new Optimizer(tf, { kind: 'sgd', lr: 1e-4, momentum: 0.937, weightDecay: 5e-4 });
const stepper = new MtlStepper(tf, model, getMethod('ew').create(3), radarEcgTaskLoss, optimizer, { mode: 'param' });
const rng = Rng.fromSeed('bench');
const { x, targets } = syntheticBatch(tf, preset, batch, rng);
const hist = Array.from({ length: 6 }, () => Float64Array.from([1, 1, 1]));

const step = (): void => {
  stepper.step({ x, targets, epoch: 4, lossHistory: hist, rng });
};
const forward = (): void => {
  const outs = tf.tidy(() => model.forward(x, false).outputs);
  for (const o of outs) o.dataSync();
  tf.dispose(outs);
};
const timed = (f: () => void): [number[], number[]] => {
  const { wall, cpu } = timeRuns(f, steps, warmup);
  return [wall, cpu];
};

const [stepMs, stepCpuMs] = timed(step);
const [forwardMs, forwardCpuMs] = timed(forward);
let kernels: { steps: number; wallMs: number; cpuMs: number; stats: ReturnType<KernelTimer['result']> } | undefined;
if (kernelSteps > 0) {
  const timer = new KernelTimer(tf, tf.getBackend());
  const { wallMs, cpuMs } = timer.run(() => {
    for (let i = 0; i < kernelSteps; i++) step();
  });
  kernels = { steps: kernelSteps, wallMs, cpuMs, stats: timer.result() };
}
console.log(JSON.stringify({ impl: 'tfjs', backend: backend.name, params, stepMs, forwardMs, stepCpuMs, forwardCpuMs, peakRssMb: peakRssMb(), kernels }));
