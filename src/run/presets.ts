/**
 * Experiment presets mirroring the paper: Table II (radar-ECG, the twelve optimizers with EGA's
 * temperature sweep, single-task baselines), Table III (NYUv2), the SNR and abrupt-noise tables,
 * each at paper scale and scaled down, and `ci` (every optimizer on the scaled-down task, minutes).
 * A preset is a raw config validated like a file; CLI flags override its fields.
 */
import { ConfigError } from '../errors.js';
import { methodGroup, registry } from '../../optimizers/index.js';
import { didYouMean } from '../suggest.js';

type Raw = Record<string, unknown>;

export const EGA_TEMPERATURES = [0.1, 0.5, 1.0, 1.5, 2.0];

/** EGA and STCH get `warmupEpoch: auto`: a warm-up sized to the run (see `warmupFor` in config.ts). */
function entry(id: string, displayName: string, sweepEga: boolean): unknown {
  const warm = { warmupEpoch: 'auto' };
  if (id === 'ega') return { method: 'EGA', params: { ...(sweepEga ? { T: EGA_TEMPERATURES } : {}), ...warm } };
  if (id === 'stch') return { method: 'STCH', params: warm };
  return displayName;
}

/** The twelve methods of the paper, EGA with its temperature sweep. */
export function paperOptimizers(): unknown[] {
  return registry.filter((d) => methodGroup(d.id) === 'paper').map((d) => entry(d.id, d.displayName, true));
}

/** Every registered method (paper and extended); EGA at its default temperature unless swept. */
export function allOptimizers(sweepEga = false): unknown[] {
  return registry.map((d) => entry(d.id, d.displayName, sweepEga));
}

const SNR_DB = [6, 3, 0, -1, -2, -3];
const ABRUPT = [1, 2, 3].flatMap((s) => [0, -9].map((db) => `abrupt${s}s@${db}dB`));

const radar = (preset: string, extra: Raw = {}): Raw => ({ task: 'radar-ecg', preset, optimizers: paperOptimizers(), singleTask: true, seeds: [0], ...extra });

/** The CPU benchmark: the `cpu` radar-ECG model, three seeds (see the README's radar-ECG CPU presets). */
const radarCpu = (name: string, extra: Raw = {}): Raw => radar('cpu', { name, seeds: [0, 1, 2], ...extra });

const PRESETS: Record<string, { readonly description: string; readonly build: () => Raw | Raw[] }> = {
  table2: { description: 'Table II at paper scale: radar-ECG, full model (23.25 M shared parameters), 12 optimizers + EGA T sweep + single-task baselines, 200 epochs (GPU)', build: () => radar('paper', { name: 'table2' }) },
  'table2-small': { description: 'Table II on the scaled-down radar-ECG model (CPU: about a day on 2 cores with --jobs 2)', build: () => radar('small', { name: 'table2-small' }) },
  'table2-ci': { description: 'Table II on the CI-size radar-ECG model (minutes)', build: () => radar('ci', { name: 'table2-ci' }) },
  'table2-cpu': { description: 'Table II on the CPU benchmark model: 12 optimizers + EGA T sweep + single-task baselines, 3 seeds (projected 3.3 h on 2 cores with --jobs 2)', build: () => radarCpu('table2-cpu') },
  'snr-cpu': { description: 'The SNR table on the CPU benchmark model, 3 seeds', build: () => radarCpu('snr-cpu', { singleTask: false, noise: { eval: ['clean', ...SNR_DB.map((d) => `snr${d}dB`)] } }) },
  'abrupt-cpu': { description: 'The abrupt-noise table on the CPU benchmark model, 3 seeds', build: () => radarCpu('abrupt-cpu', { singleTask: false, noise: { eval: ['clean', ...ABRUPT] } }) },
  table3: { description: 'Table III at paper scale: NYUv2, ResNet-50 dilated + DeepLab heads, 12 optimizers + single-task baselines (GPU)', build: () => ({ name: 'table3', task: 'nyuv2', preset: 'paper', optimizers: paperOptimizers(), singleTask: true, seeds: [0] }) },
  'table3-small': { description: 'Table III on the scaled-down NYUv2 model and fixture or downscaled data', build: () => ({ name: 'table3-small', task: 'nyuv2', preset: 'small', optimizers: paperOptimizers(), singleTask: true, seeds: [0] }) },
  snr: { description: 'Constant Gaussian noise at 6, 3, 0, -1, -2, -3 dB SNR on the radar-ECG test set (paper scale)', build: () => radar('paper', { name: 'snr', singleTask: false, noise: { eval: ['clean', ...SNR_DB.map((d) => `snr${d}dB`)] } }) },
  'snr-small': { description: 'The SNR table on the scaled-down radar-ECG model', build: () => radar('small', { name: 'snr-small', singleTask: false, noise: { eval: ['clean', ...SNR_DB.map((d) => `snr${d}dB`)] } }) },
  abrupt: { description: 'Abrupt (body-movement) noise of 1, 2, 3 s at 0 and -9 dB on 20% of the radar-ECG test windows (paper scale)', build: () => radar('paper', { name: 'abrupt', singleTask: false, noise: { eval: ['clean', ...ABRUPT] } }) },
  'abrupt-small': { description: 'The abrupt-noise table on the scaled-down radar-ECG model', build: () => radar('small', { name: 'abrupt-small', singleTask: false, noise: { eval: ['clean', ...ABRUPT] } }) },
  ci: {
    description: 'Every registered optimizer and the single-task baselines on the CI-size radar-ECG and NYUv2 tasks, a few epochs each (minutes on 2 cores with --jobs 2)',
    build: () => [
      { name: 'ci-radar-ecg', task: 'radar-ecg', preset: 'ci', optimizers: allOptimizers(), singleTask: true, seeds: [0], noise: { eval: ['clean', 'snr0dB', 'abrupt2s@-9dB'] } },
      { name: 'ci-nyuv2', task: 'nyuv2', preset: 'ci', optimizers: allOptimizers(), singleTask: true, seeds: [0] },
    ],
  },
  'regression-ci': {
    description: 'Every registered optimizer on the small conflicting regression problem (seconds)',
    build: () => ({ name: 'regression-ci', task: 'regression', preset: 'ci', optimizers: allOptimizers(), singleTask: true, seeds: [0, 1] }),
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function presetDescription(name: string): string {
  return PRESETS[name]?.description ?? '';
}

/** The experiment configs of a preset (most presets are one experiment; `ci` covers both tasks). */
export function presetConfigs(name: string): Raw[] {
  const p = PRESETS[name];
  if (!p) throw new ConfigError('--preset', name, `one of ${presetNames().join(', ')}${didYouMean(name, presetNames())}`);
  const built = p.build();
  return Array.isArray(built) ? built : [built];
}
