/**
 * radarODE-MTL training steps in TF.js next to the same network in PyTorch (benchmarks/torch/),
 * one thread each, a fresh process per measurement, alternating the two (the order swaps every
 * round). Each process runs warm-up steps, then times K EW steps (forward, three losses, one
 * backward of their sum, SGD momentum 0.937 with weight decay) and K eval forwards.
 *
 *   node --import tsx benchmarks/torch-side-by-side.ts [--configs ci:8,ci:22,cpu:16,small:22] [--paper]
 *        [--rounds 5] [--steps 5] [--warmup 2] [--kernels] [--kernel-steps 2] [--python /usr/bin/python3]
 *        [--torch-dcn reference|torchvision] [--json]
 *
 * Prints per configuration: median step and forward ms of each, the median of the per-round ratios
 * TF.js / PyTorch, GFLOP/s (FLOPs counted analytically from the model's layer shapes: 2 per
 * multiply-add of every conv, linear and DCN sampling; a training step counted as 3 × the forward)
 * and the peak RSS (VmHWM) of each process. Parameter counts of the two models must be equal at
 * every preset, or it stops. --paper adds paper:2 (slow). --kernels runs one more TF.js process per
 * configuration with every kernel timed by name: the top kernels by time and count per step, and
 * the share of the step in GEMM/convolution kernels versus everything else (--rounds 0 runs only
 * that). PyTorch is skipped, with one line, when `python -c 'import torch'` fails. --torch-dcn
 * torchvision runs PyTorch's deformable convolutions with torchvision.ops.deform_conv2d (a fused
 * kernel) instead of the reference code's gather-based sampling.
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
const warmup = count('warmup', 0);
const kernelSteps = count('kernel-steps', 1);
const torchDcn = opts['torch-dcn'];
if (torchDcn !== 'reference' && torchDcn !== 'torchvision') die(`--torch-dcn: got ${JSON.stringify(torchDcn)}, expected reference or torchvision`);

interface Config {
  readonly preset: RadarEcgPresetName;
  readonly batch: number;
  readonly label: string;
}
const configs: Config[] = `${opts.configs}${opts.paper ? ',paper:2' : ''}`
  .split(',')
  .filter(Boolean)
  .map((c) => {
    const [preset, b] = c.split(':');
    if (!preset || !(preset in RADAR_ECG_PRESETS)) die(`--configs: got preset ${JSON.stringify(preset)} in ${JSON.stringify(c)}, expected one of ${Object.keys(RADAR_ECG_PRESETS).join(', ')}`);
    const batch = Number(b);
    if (!Number.isInteger(batch) || batch < 1) die(`--configs: got batch ${JSON.stringify(b)} in ${JSON.stringify(c)}, expected PRESET:BATCH with a positive integer batch`);
    return { preset: preset as RadarEcgPresetName, batch, label: `${preset} b${batch}` };
  });
if (!configs.length) die('--configs: no configuration given (PRESET:BATCH,...)');

interface Measurement {
  readonly params: number;
  readonly stepMs: number[];
  readonly forwardMs: number[];
  readonly peakRssMb: number;
  readonly kernels?: { steps: number; wallMs: number; stats: KernelStat[] };
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
  runJson(`TF.js ${c.label}`, process.execPath, ['--import', 'tsx', WORKER, c.preset, String(c.batch), '--warmup', String(warmup), '--steps', String(steps), ...extra]);
const torch = (c: Config): Measurement => runJson(`PyTorch ${c.label}`, opts.python, [TORCH_STEP, c.preset, String(c.batch), '--warmup', String(warmup), '--steps', String(steps), '--dcn', torchDcn]);

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
interface Row {
  config: string;
  preset: string;
  batch: number;
  params: number;
  gflopPerStep: number;
  tfjs: { stepMs: number; forwardMs: number; peakRssMb: number; stepGflops: number; forwardGflops: number };
  torch: { stepMs: number; forwardMs: number; peakRssMb: number; stepGflops: number; forwardGflops: number } | null;
  stepRatio: number | null;
  forwardRatio: number | null;
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
    if (!opts.json) process.stderr.write(`round ${r + 1}/${rounds} ${c.label}: TF.js ${median(a.stepMs).toFixed(1)} ms${b ? `, PyTorch ${median(b.stepMs).toFixed(1)} ms` : ''}\n`);
  }
}

const summary = (ms: (m: Measurement) => number[], ms2: Measurement[]): number => median(ms2.map((m) => median(ms(m))));
const rows: Row[] = [];
if (rounds > 0) {
  for (const c of configs) {
    const rs = results.get(c.label)!;
    const flop = c.batch * specCounts.get(c.preset)!.total.flops;
    const side = (ms: Measurement[]): Row['tfjs'] => {
      const stepMs = summary((m) => m.stepMs, ms);
      const forwardMs = summary((m) => m.forwardMs, ms);
      return { stepMs, forwardMs, peakRssMb: median(ms.map((m) => m.peakRssMb)), stepGflops: (3 * flop) / 1e6 / stepMs, forwardGflops: flop / 1e6 / forwardMs };
    };
    const t = rs.map((x) => x.tfjs);
    const p = rs.flatMap((x) => (x.torch ? [x.torch] : []));
    const pairs = rs.filter((x) => x.torch);
    rows.push({
      config: c.label,
      preset: c.preset,
      batch: c.batch,
      params: t[0]!.params,
      gflopPerStep: (3 * flop) / 1e9,
      tfjs: side(t),
      torch: p.length ? side(p) : null,
      stepRatio: pairs.length ? median(pairs.map((x) => median(x.tfjs.stepMs) / median(x.torch!.stepMs))) : null,
      forwardRatio: pairs.length ? median(pairs.map((x) => median(x.tfjs.forwardMs) / median(x.torch!.forwardMs))) : null,
      rounds: rs,
    });
  }
  const backendName = process.env.MTL_BENCH_BACKEND ?? 'wasm';
  log(`\nTF.js (${backendName}, one thread) vs PyTorch (one thread, ${torchDcn} DCN): ${rounds} rounds × (${warmup} warm-up + ${steps} timed) per process; medians; ratio = median over rounds of TF.js / PyTorch`);
  log('config     params     step ms TF.js / PyTorch   ratio   forward ms TF.js / PyTorch   ratio   GFLOP/s step      peak RSS MB');
  const f = (v: number | undefined, d = 1): string => (v === undefined ? '-' : v.toFixed(d));
  for (const r of rows) {
    log(
      `${r.config.padEnd(10)} ${r.params.toLocaleString('en').padStart(10)}  ${f(r.tfjs.stepMs).padStart(9)} / ${f(r.torch?.stepMs).padStart(9)}  ${r.stepRatio === null ? '   - ' : `${r.stepRatio.toFixed(2)}×`}  ` +
        `${f(r.tfjs.forwardMs).padStart(9)} / ${f(r.torch?.forwardMs).padStart(9)}       ${r.forwardRatio === null ? '   - ' : `${r.forwardRatio.toFixed(2)}×`}  ` +
        `${f(r.tfjs.stepGflops, 2).padStart(6)} / ${f(r.torch?.stepGflops, 2).padStart(6)}  ${f(r.tfjs.peakRssMb, 0).padStart(5)} / ${f(r.torch?.peakRssMb, 0).padStart(5)}`,
    );
  }
  log('GFLOP/s: FLOPs counted analytically from the layer shapes (2 per multiply-add of conv, linear and DCN sampling; a step = 3 × forward), over the median wall time.');
}

// ---- kernels ----
type Kind = 'GEMM/conv' | 'DCN sampling' | 'other kernels';
const kindOf = (name: string): Kind => (GEMM_KERNELS.test(name) ? 'GEMM/conv' : /Deform/.test(name) ? 'DCN sampling' : 'other kernels');
interface KernelReport {
  config: string;
  steps: number;
  wallMsPerStep: number;
  callsPerStep: number;
  gflopPerStep: number;
  /** The step's analytic FLOPs over the time in GEMM/conv kernels. */
  gemmGflops: number;
  split: Record<Kind | 'outside kernels', number>;
  top: { name: string; kind: Kind; msPerStep: number; callsPerStep: number }[];
}
const kernelReports: KernelReport[] = [];
if (opts.kernels) {
  for (const c of configs) {
    const m = tfjs(c, ['--kernel-steps', String(kernelSteps)]);
    const k = m.kernels!;
    const per = (v: number): number => v / k.steps;
    const split = { 'GEMM/conv': 0, 'DCN sampling': 0, 'other kernels': 0, 'outside kernels': 0 };
    for (const s of k.stats) split[kindOf(s.name)] += per(s.ms);
    const inside = split['GEMM/conv'] + split['DCN sampling'] + split['other kernels'];
    split['outside kernels'] = Math.max(0, per(k.wallMs) - inside);
    const rep: KernelReport = {
      config: c.label,
      steps: k.steps,
      wallMsPerStep: per(k.wallMs),
      callsPerStep: per(k.stats.reduce((a, s) => a + s.count, 0)),
      gflopPerStep: (3 * c.batch * specCounts.get(c.preset)!.total.flops) / 1e9,
      gemmGflops: (3 * c.batch * specCounts.get(c.preset)!.total.flops) / 1e6 / split['GEMM/conv'],
      split,
      top: k.stats.map((s) => ({ name: s.name, kind: kindOf(s.name), msPerStep: per(s.ms), callsPerStep: per(s.count) })),
    };
    kernelReports.push(rep);
    const pct = (v: number): string => `${v.toFixed(1)} ms (${((100 * v) / rep.wallMsPerStep).toFixed(0)}%)`;
    log(`\nkernels, ${c.label}: ${rep.callsPerStep.toFixed(0)} kernel calls per EW step, ${rep.wallMsPerStep.toFixed(1)} ms per step under the kernel timer (${k.steps} steps)`);
    log(`  GEMM/conv ${pct(split['GEMM/conv'])}, DCN sampling ${pct(split['DCN sampling'])}, other kernels ${pct(split['other kernels'])}, outside kernels ${pct(split['outside kernels'])} (autodiff, dispatch, JS)`);
    log(`  GEMM/conv kernels run the step's ${rep.gflopPerStep.toFixed(2)} GFLOP at ${rep.gemmGflops.toFixed(1)} GFLOP/s`);
    log('  kernel                          ms/step  calls/step  kind');
    for (const t of rep.top.slice(0, 15)) log(`  ${t.name.padEnd(30)} ${t.msPerStep.toFixed(2).padStart(8)}  ${t.callsPerStep.toFixed(0).padStart(10)}  ${t.kind}`);
  }
}

if (opts.json) console.log(JSON.stringify({ rounds, steps, warmup, pytorch: haveTorch, torchDcn, rows, kernels: kernelReports }, null, 2));
