/**
 * Speed-up of the wasm backend on several threads (`--threads`): training steps of the radarODE-MTL
 * model at one preset, each thread count in a fresh process, the counts alternating round by round
 * (1, 2, then 2, 1, ...) so that a change of machine load hits both alike. Each process runs its
 * warm-up steps, then times its steps; the table gives per thread count the median over rounds of
 * the per-process median step, and the speed-up as the median over rounds of the ratio of the two
 * processes of a round. The load average before and after is printed: the numbers mean something
 * only on an otherwise idle machine. `--kernels` also profiles one more step per process and
 * prints, per kernel, its time at each thread count: which kernels the threads speed up (XNNPACK's
 * convolutions and matrix products) and which they do not (JavaScript kernels, element-wise ops,
 * transposes), and so what bounds the speed-up.
 *
 *   node --import tsx benchmarks/threads.ts [--preset small] [--batch 22] [--threads 1,2]
 *        [--rounds 5] [--steps 4] [--warmup 2] [--method ew] [--kernels] [--json]
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { getMethod } from '../optimizers/index.js';
import { Rng } from '../src/rng.js';
import { radarEcgTaskLoss } from '../src/tasks/radar-ecg/losses.js';
import { createRadarOdeModel } from '../src/tasks/radar-ecg/model.js';
import { RADAR_ECG_PRESETS, type RadarEcgPresetName } from '../src/tasks/radar-ecg/presets.js';
import { loadBackend } from '../src/tf/backend.js';
import { Optimizer } from '../src/tf/optim.js';
import { MtlStepper } from '../src/tf/plumbing.js';

const { values: opts } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    batch: { type: 'string', default: '22' },
    threads: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    method: { type: 'string', default: 'ew' },
    json: { type: 'boolean', default: false },
    kernels: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

const median = (a: readonly number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
};
const preset = opts.preset as RadarEcgPresetName;
if (!(preset in RADAR_ECG_PRESETS)) throw new Error(`--preset: got ${preset}, expected one of ${Object.keys(RADAR_ECG_PRESETS).join(', ')}`);
const batch = Number(opts.batch);

/** One process: `warmup` + `steps` training steps on `threads` threads; prints the step times as JSON. */
async function child(threads: number): Promise<void> {
  const backend = await loadBackend('wasm', { threads });
  const { tf } = backend;
  const p = RADAR_ECG_PRESETS[preset];
  const rng = Rng.fromSeed('threads-bench');
  const x = tf.tensor4d(Float32Array.from({ length: batch * p.bins * p.frames * p.channels }, () => rng.uniform()), [batch, p.bins, p.frames, p.channels]);
  const targets: TF.Tensor[] = [
    tf.tensor2d(Float32Array.from({ length: batch * 200 }, (_, i) => Math.sin(i / 10)), [batch, 200]),
    tf.tensor1d(Int32Array.from({ length: batch }, () => 150 + rng.int(60)), 'int32'),
    tf.tensor2d(Float32Array.from({ length: batch * 800 }, (_, i) => (i % 160 === 0 ? 1 : 0)), [batch, 800]),
  ];
  const model = createRadarOdeModel({ preset, seed: 0 }, tf);
  const optimizer = new Optimizer(tf, { kind: 'sgd', lr: 1e-4, momentum: 0.937, weightDecay: 5e-4 });
  const stepper = new MtlStepper(tf, model, getMethod(opts.method!).create(3), radarEcgTaskLoss, optimizer, { mode: 'param' });
  const hist = Array.from({ length: 6 }, () => Float64Array.from([1, 1, 1]));
  const times: number[] = [];
  for (let k = 0; k < Number(opts.warmup) + Number(opts.steps); k++) {
    const t0 = performance.now();
    stepper.step({ x, targets, epoch: 4, lossHistory: hist, rng });
    if (k >= Number(opts.warmup)) times.push(performance.now() - t0);
  }
  const kernels: Record<string, number> = {};
  if (opts.kernels) {
    // Kernels called from other kernels are counted in both: the table is per kernel, not a partition.
    const prof = await tf.profile(() => void stepper.step({ x, targets, epoch: 4, lossHistory: hist, rng }));
    for (const k of prof.kernels) kernels[k.name] = (kernels[k.name] ?? 0) + Number(k.kernelTimeMs);
  }
  console.log(JSON.stringify({ threads: backend.threads, times, kernels }));
}

if (opts.child !== undefined) {
  await child(Number(opts.child));
} else {
  const counts = opts.threads!.split(',').map(Number);
  const rounds = Number(opts.rounds);
  const self = fileURLToPath(import.meta.url);
  const passOn = ['--preset', preset, '--batch', String(batch), '--steps', opts.steps!, '--warmup', opts.warmup!, '--method', opts.method!, ...(opts.kernels ? ['--kernels'] : [])];
  const before = loadavg();
  const perCount = new Map<number, number[]>(counts.map((n) => [n, []]));
  const ratios: number[] = [];
  const kernelMs = new Map<number, Map<string, number[]>>(counts.map((n) => [n, new Map()]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...counts].reverse() : counts;
    const round = new Map<number, number>();
    for (const n of order) {
      const res = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', String(n), ...passOn], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (res.status !== 0) throw new Error(`child on ${n} thread(s) exited with ${res.status ?? res.signal}: ${res.stderr.slice(-500)}`);
      const got = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { threads: number; times: number[]; kernels: Record<string, number> };
      for (const [k, ms] of Object.entries(got.kernels)) {
        const per = kernelMs.get(n)!;
        per.set(k, [...(per.get(k) ?? []), ms]);
      }
      if (got.threads !== n) throw new Error(`asked for ${n} thread(s), the backend runs ${got.threads}`);
      const m = median(got.times);
      perCount.get(n)!.push(m);
      round.set(n, m);
      if (!opts.json) console.error(`round ${r + 1}/${rounds}: ${n} thread(s) ${m.toFixed(0)} ms/step (load ${loadavg()[0]!.toFixed(2)})`);
    }
    ratios.push(round.get(counts[0]!)! / round.get(counts.at(-1)!)!);
  }
  const after = loadavg();
  const summary = {
    preset,
    batch,
    method: opts.method,
    cores: cpus().length,
    rounds,
    steps: Number(opts.steps),
    warmup: Number(opts.warmup),
    loadBefore: before.map((x) => +x.toFixed(2)),
    loadAfter: after.map((x) => +x.toFixed(2)),
    medianStepMs: Object.fromEntries([...perCount].map(([n, ms]) => [n, +median(ms).toFixed(1)])),
    speedup: +median(ratios).toFixed(3),
    ratios: ratios.map((x) => +x.toFixed(3)),
    /** Amdahl: the share p of the single-threaded step that the threads would have to split perfectly to give this speed-up. */
    parallelShare: 0,
    kernels: [] as { kernel: string; ms: Record<number, number> }[],
  };
  const n1 = counts[0]!;
  const nk = counts.at(-1)!;
  summary.parallelShare = +((1 - 1 / summary.speedup) / (1 - n1 / nk)).toFixed(3);
  if (opts.kernels) {
    const names = [...kernelMs.get(n1)!.keys()].sort((a, b) => median(kernelMs.get(n1)!.get(b)!) - median(kernelMs.get(n1)!.get(a)!));
    summary.kernels = names.slice(0, 15).map((k) => ({ kernel: k, ms: Object.fromEntries(counts.map((n) => [n, +median(kernelMs.get(n)!.get(k) ?? [0]).toFixed(1)])) }));
  }
  if (opts.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`${preset}, batch ${batch}, ${opts.method} step, wasm backend; ${rounds} rounds of fresh processes, median of ${opts.steps} steps after ${opts.warmup} warm-up each`);
    console.log(`load average (1/5/15 min) before ${summary.loadBefore.join(' ')}, after ${summary.loadAfter.join(' ')} on ${summary.cores} cores`);
    for (const [n, ms] of Object.entries(summary.medianStepMs)) console.log(`${String(n).padStart(2)} thread(s): ${ms.toFixed(1).padStart(8)} ms/step`);
    console.log(`speed-up ${n1} → ${nk} threads: ${summary.speedup.toFixed(2)}× (median of the per-round ratios ${summary.ratios.join(', ')}); Amdahl's parallel share p = ${summary.parallelShare.toFixed(2)}`);
    if (opts.kernels) {
      console.log(`kernel (profiled step, ms; nested kernels count in their callers too)${counts.map((n) => `  ${n} thr`.padStart(9)).join('')}   ratio`);
      for (const k of summary.kernels) console.log(`${k.kernel.slice(0, 44).padEnd(44)}${counts.map((n) => k.ms[n]!.toFixed(0).padStart(9)).join('')}  ${(k.ms[n1]! / Math.max(k.ms[nk]!, 1e-9)).toFixed(2).padStart(6)}`);
    }
  }
}
