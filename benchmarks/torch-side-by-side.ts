/**
 * radarODE-MTL training steps in TF.js next to the same network in PyTorch (benchmarks/torch/),
 * one thread each, a fresh process per measurement, alternating the two (the order swaps every
 * round). Each process runs warm-up steps, then times K EW steps (forward, three losses, one
 * backward of their sum, SGD momentum 0.937 with weight decay) and K eval forwards: K = --steps,
 * or --large-steps after at most one warm-up at the small and paper presets (a PyTorch step with the
 * reference DCN takes about a minute at small b22 here).
 *
 *   node --import tsx benchmarks/torch-side-by-side.ts [--configs ci:8,ci:22,cpu:16,small:22] [--paper]
 *        [--rounds 5] [--steps 5] [--large-steps 2] [--warmup 2] [--kernels] [--kernel-steps 2] [--python /usr/bin/python3]
 *        [--torch-dcn reference|torchvision|conv] [--json]
 *
 * Prints per configuration: median step and forward ms of each, wall-clock and process CPU time
 * (steadier on a shared machine), the median of the per-round ratios TF.js / PyTorch, GFLOP/s
 * (FLOPs counted analytically from the model's layer shapes: 2 per multiply-add of every conv,
 * linear and DCN sampling; a training step counted as 3 × the forward; over CPU time) and the peak
 * RSS (VmHWM) of each process. Parameter counts of the two models must be equal at
 * every preset, or it stops. --paper adds paper:2 (slow). --kernels runs one more TF.js process per
 * configuration with every kernel timed by name: the top kernels by time and count per step, and
 * the share of the step in GEMM/convolution kernels versus everything else (--rounds 0 runs only
 * that). PyTorch is skipped, with one line, when `python -c 'import torch'` fails. --torch-dcn
 * torchvision runs PyTorch's deformable convolutions with torchvision.ops.deform_conv2d (a fused
 * kernel) instead of the reference code's gather-based sampling; --torch-dcn conv replaces the
 * sampling by a plain 3×3 conv (not the model: PyTorch's time without any DCN sampling cost).
 * MTL_BENCH_BACKEND selects the TF.js backend (default here: wasm).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveRadarOdeConfig } from '../src/tasks/radar-ecg/model.js';
import { RADAR_ECG_PRESETS, type RadarEcgPresetName } from '../src/tasks/radar-ecg/presets.js';
import { buildRadarOdeSpec, countSpec } from '../src/tasks/radar-ecg/spec.js';
import { GEMM_KERNELS, type KernelStat } from './lib/kernel-timer.js';
import { median } from './lib/radar-ecg-batch.js';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'lib', 'tfjs-step-worker.ts');
const TORCH_STEP = join(here, 'torch', 'step.py');
const TORCH_MODEL = join(here, 'torch', 'radarode_mtl.py');

function die(msg: string, code = 2): never {
  console.error(`torch-side-by-side: ${msg}`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      configs: { type: 'string', default: 'ci:8,ci:22,cpu:16,small:22' },
      paper: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '5' },
      steps: { type: 'string', default: '5' },
      'large-steps': { type: 'string', default: '2' },
      warmup: { type: 'string', default: '2' },
      kernels: { type: 'boolean', default: false },
      'kernel-steps': { type: 'string', default: '2' },
      python: { type: 'string', default: '/usr/bin/python3' },
      'torch-dcn': { type: 'string', default: 'reference' },
      json: { type: 'boolean', default: false },
    },
  });
} catch (e) {
  die((e as Error).message);
}
const opts = parsed.values;

function count(name: string, min: number): number {
  const raw = opts[name as keyof typeof opts] as string;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) die(`--${name}: got ${JSON.stringify(raw)}, expected an integer ≥ ${min}`);
  return v;
}
const rounds = count('rounds', 0);
const steps = count('steps', 1);
const largeSteps = count('large-steps', 1);
const warmup = count('warmup', 0);
const kernelSteps = count('kernel-steps', 1);
const torchDcn = opts['torch-dcn'];
if (!['reference', 'torchvision', 'conv'].includes(torchDcn)) die(`--torch-dcn: got ${JSON.stringify(torchDcn)}, expected reference, torchvision or conv`);

interface Config {
  readonly preset: RadarEcgPresetName;
  readonly batch: number;
  readonly label: string;
  /** Timed calls and warm-up calls per process. */
  readonly steps: number;
  readonly warmup: number;
}
const LARGE = new Set<RadarEcgPresetName>(['small', 'paper']);
const configs: Config[] = `${opts.configs}${opts.paper ? ',paper:2' : ''}`
  .split(',')
  .filter(Boolean)
  .map((c) => {
    const [preset, b] = c.split(':');
    if (!preset || !(preset in RADAR_ECG_PRESETS)) die(`--configs: got preset ${JSON.stringify(preset)} in ${JSON.stringify(c)}, expected one of ${Object.keys(RADAR_ECG_PRESETS).join(', ')}`);
    const batch = Number(b);
    if (!Number.isInteger(batch) || batch < 1) die(`--configs: got batch ${JSON.stringify(b)} in ${JSON.stringify(c)}, expected PRESET:BATCH with a positive integer batch`);
    const large = LARGE.has(preset as RadarEcgPresetName);
    return { preset: preset as RadarEcgPresetName, batch, label: `${preset} b${batch}`, steps: large ? largeSteps : steps, warmup: large ? Math.min(warmup, 1) : warmup };
  });
if (!configs.length) die('--configs: no configuration given (PRESET:BATCH,...)');

interface Measurement {
  readonly params: number;
  readonly stepMs: number[];
  readonly forwardMs: number[];
  readonly stepCpuMs: number[];
  readonly forwardCpuMs: number[];
  readonly peakRssMb: number;
  readonly kernels?: { steps: number; wallMs: number; cpuMs: number; stats: KernelStat[] };
}

const env = { ...process.env, MTL_BENCH_BACKEND: process.env.MTL_BENCH_BACKEND ?? 'wasm', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

function runJson(what: string, cmd: string, args: string[]): Measurement {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const last = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    const tail = (r.stderr || r.error?.message || '').trim().split('\n').slice(-5).join('\n  ');
    die(`${what} failed (exit ${r.status ?? r.signal}):\n  ${tail}`, 1);
  }
  return JSON.parse(last) as Measurement;
}

const tfjs = (c: Config, extra: string[] = []): Measurement =>
  runJson(`TF.js ${c.label}`, process.execPath, ['--import', 'tsx', WORKER, c.preset, String(c.batch), '--warmup', String(c.warmup), '--steps', String(c.steps), ...extra]);
const torch = (c: Config): Measurement => runJson(`PyTorch ${c.label}`, opts.python, [TORCH_STEP, c.preset, String(c.batch), '--warmup', String(c.warmup), '--steps', String(c.steps), '--dcn', torchDcn]);

// ---- PyTorch available? Parameter counts equal? ----
const probe = spawnSync(opts.python, ['-c', torchDcn === 'torchvision' ? 'import torch, torchvision' : 'import torch'], { encoding: 'utf8' });
const haveTorch = probe.status === 0;
const log = (s: string): void => {
  if (!opts.json) console.log(s);
};
if (!haveTorch) {
  const why = (probe.stderr || probe.error?.message || '').trim().split('\n').pop();
  console.error(`PyTorch skipped: ${opts.python} could not import torch${torchDcn === 'torchvision' ? ' and torchvision' : ''} (${why}); timing TF.js only`);
}
const presets = [...new Set(configs.map((c) => c.preset))];
const specCounts = new Map(presets.map((p) => [p, countSpec(buildRadarOdeSpec(resolveRadarOdeConfig({ preset: p })))]));
if (haveTorch) {
  const r = spawnSync(opts.python, [TORCH_MODEL, ...presets], { encoding: 'utf8' });
  if (r.status !== 0) die(`PyTorch model failed to build: ${(r.stderr || '').trim().split('\n').pop()}`, 1);
  const torchCounts = JSON.parse(r.stdout) as Record<string, number>;
  for (const p of presets) {
    const mine = specCounts.get(p)!.total.params;
    if (torchCounts[p] !== mine) die(`parameter counts differ at preset ${p}: TF.js ${mine}, PyTorch ${torchCounts[p]}`, 1);
  }
  log(`parameter counts equal: ${presets.map((p) => `${p} ${specCounts.get(p)!.total.params.toLocaleString('en')}`).join(', ')}`);
}

// ---- timing rounds ----
const METRICS = ['stepMs', 'stepCpuMs', 'forwardMs', 'forwardCpuMs'] as const;
type Metric = (typeof METRICS)[number];
const METRIC_LABEL: Record<Metric, string> = { stepMs: 'EW step, wall', stepCpuMs: 'EW step, CPU', forwardMs: 'forward, wall', forwardCpuMs: 'forward, CPU' };
interface Side {
  /** Median over rounds of each process's median, ms. */
  readonly ms: Record<Metric, number>;
  /** Analytic FLOPs over the median CPU time (step = 3 × forward). */
  readonly stepGflops: number;
  readonly forwardGflops: number;
  readonly peakRssMb: number;
}
interface Row {
  config: string;
  preset: string;
  batch: number;
  params: number;
  gflopPerStep: number;
  tfjs: Side;
  torch: Side | null;
  /** Median over rounds of TF.js / PyTorch (the two processes of one round). */
  ratio: Record<Metric, number> | null;
  rounds: { tfjs: Measurement; torch: Measurement | null }[];
}
const results = new Map<string, { tfjs: Measurement; torch: Measurement | null }[]>(configs.map((c) => [c.label, []]));
for (let r = 0; r < rounds; r++) {
  for (const c of configs) {
    let a: Measurement;
    let b: Measurement | null = null;
    if (haveTorch && r % 2 === 1) {
      b = torch(c);
      a = tfjs(c);
    } else {
      a = tfjs(c);
      if (haveTorch) b = torch(c);
    }
    if (b && a.params !== b.params) die(`parameter counts differ at ${c.label}: TF.js model ${a.params}, PyTorch ${b.params}`, 1);
    results.get(c.label)!.push({ tfjs: a, torch: b });
    if (!opts.json) process.stderr.write(`round ${r + 1}/${rounds} ${c.label}: EW step TF.js ${median(a.stepMs).toFixed(1)} ms${b ? `, PyTorch ${median(b.stepMs).toFixed(1)} ms` : ''}\n`);
  }
}

const rows: Row[] = [];
if (rounds > 0) {
  for (const c of configs) {
    const rs = results.get(c.label)!;
    const flop = c.batch * specCounts.get(c.preset)!.total.flops;
    const side = (ms: Measurement[]): Side => {
      const m = Object.fromEntries(METRICS.map((k) => [k, median(ms.map((x) => median(x[k])))])) as Record<Metric, number>;
      return { ms: m, stepGflops: (3 * flop) / 1e6 / m.stepCpuMs, forwardGflops: flop / 1e6 / m.forwardCpuMs, peakRssMb: median(ms.map((x) => x.peakRssMb)) };
    };
    const pairs = rs.filter((x) => x.torch);
    rows.push({
      config: c.label,
      preset: c.preset,
      batch: c.batch,
      params: rs[0]!.tfjs.params,
      gflopPerStep: (3 * flop) / 1e9,
      tfjs: side(rs.map((x) => x.tfjs)),
      torch: pairs.length ? side(pairs.map((x) => x.torch!)) : null,
      ratio: pairs.length ? (Object.fromEntries(METRICS.map((k) => [k, median(pairs.map((x) => median(x.tfjs[k]) / median(x.torch![k])))])) as Record<Metric, number>) : null,
      rounds: rs,
    });
  }
  const backendName = process.env.MTL_BENCH_BACKEND ?? 'wasm';
  log(`\nTF.js (${backendName}, one thread) vs PyTorch (one thread, ${torchDcn} DCN): ${rounds} rounds`);
  log('ms: median over rounds of each process\'s median; ratio: median over rounds of TF.js / PyTorch; GFLOP/s: analytic FLOPs / CPU time');
  const f = (v: number | undefined, d = 1): string => (v === undefined ? '-' : v.toFixed(d));
  for (const r of rows) {
    const c = configs.find((x) => x.label === r.config)!;
    log(`\n${r.config}: ${r.params.toLocaleString('en')} parameters, ${r.gflopPerStep.toFixed(3)} GFLOP per step; ${c.warmup} warm-up + ${c.steps} timed calls per process`);
    log(`  ${''.padEnd(16)} ${'TF.js'.padStart(10)} ${'PyTorch'.padStart(10)}  ratio`);
    for (const k of METRICS) log(`  ${METRIC_LABEL[k].padEnd(16)} ${f(r.tfjs.ms[k]).padStart(10)} ${f(r.torch?.ms[k]).padStart(10)}  ${r.ratio ? `${r.ratio[k].toFixed(2)}×` : '-'}`);
    log(`  ${'GFLOP/s step'.padEnd(16)} ${f(r.tfjs.stepGflops, 2).padStart(10)} ${f(r.torch?.stepGflops, 2).padStart(10)}`);
    log(`  ${'GFLOP/s forward'.padEnd(16)} ${f(r.tfjs.forwardGflops, 2).padStart(10)} ${f(r.torch?.forwardGflops, 2).padStart(10)}`);
    log(`  ${'peak RSS MB'.padEnd(16)} ${f(r.tfjs.peakRssMb, 0).padStart(10)} ${f(r.torch?.peakRssMb, 0).padStart(10)}  ${r.torch ? `${(r.tfjs.peakRssMb / r.torch.peakRssMb).toFixed(2)}×` : '-'}`);
  }
  log('\nFLOPs are counted from the layer shapes: 2 per multiply-add of every conv, linear and DCN sampling; a step is 3 × the forward.');
}

// ---- kernels ----
type Kind = 'GEMM/conv' | 'DCN sampling' | 'other kernels';
const kindOf = (name: string): Kind => (GEMM_KERNELS.test(name) ? 'GEMM/conv' : /Deform/.test(name) ? 'DCN sampling' : 'other kernels');
interface KernelReport {
  config: string;
  steps: number;
  /** Per step, under the kernel timer. */
  wallMsPerStep: number;
  cpuMsPerStep: number;
  callsPerStep: number;
  gflopPerStep: number;
  /** CPU ms per step by kind; 'outside kernels' is the rest of the step's CPU time. */
  split: Record<Kind | 'outside kernels', number>;
  /** The step's analytic FLOPs over the CPU time in GEMM/conv kernels. */
  gemmGflops: number;
  top: { name: string; kind: Kind; cpuMsPerStep: number; wallMsPerStep: number; callsPerStep: number }[];
}
const kernelReports: KernelReport[] = [];
if (opts.kernels) {
  for (const c of configs) {
    const m = tfjs(c, ['--kernel-steps', String(kernelSteps)]);
    const k = m.kernels!;
    const per = (v: number): number => v / k.steps;
    const split = { 'GEMM/conv': 0, 'DCN sampling': 0, 'other kernels': 0, 'outside kernels': 0 };
    for (const s of k.stats) split[kindOf(s.name)] += per(s.cpuMs);
    const inside = split['GEMM/conv'] + split['DCN sampling'] + split['other kernels'];
    split['outside kernels'] = Math.max(0, per(k.cpuMs) - inside);
    const gflop = (3 * c.batch * specCounts.get(c.preset)!.total.flops) / 1e9;
    const rep: KernelReport = {
      config: c.label,
      steps: k.steps,
      wallMsPerStep: per(k.wallMs),
      cpuMsPerStep: per(k.cpuMs),
      callsPerStep: per(k.stats.reduce((a, s) => a + s.count, 0)),
      gflopPerStep: gflop,
      split,
      gemmGflops: (gflop * 1e3) / split['GEMM/conv'],
      top: k.stats.map((s) => ({ name: s.name, kind: kindOf(s.name), cpuMsPerStep: per(s.cpuMs), wallMsPerStep: per(s.ms), callsPerStep: per(s.count) })),
    };
    kernelReports.push(rep);
    const pct = (v: number): string => `${v.toFixed(1)} ms (${((100 * v) / rep.cpuMsPerStep).toFixed(0)}%)`;
    log(`\nkernels, ${c.label}: ${rep.callsPerStep.toFixed(0)} kernel calls per EW step; ${rep.cpuMsPerStep.toFixed(1)} ms CPU (${rep.wallMsPerStep.toFixed(1)} ms wall) per step under the kernel timer (${k.steps} steps; ${median(m.stepCpuMs).toFixed(1)} ms CPU per step untimed: the difference is the timer’s own cost)`);
    log(`  CPU time: GEMM/conv ${pct(split['GEMM/conv'])}, DCN sampling ${pct(split['DCN sampling'])}, other kernels ${pct(split['other kernels'])}, outside kernels ${pct(split['outside kernels'])} (autodiff, dispatch, JS, GC)`);
    log(`  GEMM/conv kernels run the step's ${rep.gflopPerStep.toFixed(2)} GFLOP at ${rep.gemmGflops.toFixed(1)} GFLOP/s`);
    log('  kernel                          CPU ms/step  wall ms/step  calls/step  kind');
    for (const t of rep.top.slice(0, 15)) {
      log(`  ${t.name.padEnd(30)} ${t.cpuMsPerStep.toFixed(2).padStart(12)}  ${t.wallMsPerStep.toFixed(2).padStart(12)}  ${t.callsPerStep.toFixed(0).padStart(10)}  ${t.kind}`);
    }
  }
}

if (opts.json) console.log(JSON.stringify({ rounds, configs, pytorch: haveTorch, torchDcn, rows, kernels: kernelReports }, null, 2));
