/**
 * Experiment presets mirroring the paper: Table II (radar-ECG, the twelve optimizers with EGA's
 * temperature sweep, single-task baselines), Table III (NYUv2), the SNR and abrupt-noise tables,
 * each at paper scale and scaled down, and `ci` (every optimizer on the scaled-down task, minutes).
 * A preset is a raw config validated like a file; CLI flags override its fields.
 */
import { ConfigError } from '../errors.js';
import { methodGroup, registry } from '../../optimizers/index.js';
import { getTask } from '../tasks/index.js';
import { didYouMean } from '../suggest.js';

type Raw = Record<string, unknown>;

export const EGA_TEMPERATURES = [0.1, 0.5, 1.0, 1.5, 2.0];

/**
 * The warm-up epoch W of EGA and STCH for a run of `epochs` epochs (epochs 0..W are the warm-up):
 * the reference's 4 when the run is long (200 epochs in the paper), otherwise short enough that
 * the warm-up is at most a quarter of the run.
 */
export function warmupFor(epochs: number): number {
  return Math.min(4, Math.max(0, Math.floor(epochs / 4) - 1));
}

function entry(id: string, displayName: string, epochs: number, sweepEga: boolean): unknown {
  const warm = { warmupEpoch: warmupFor(epochs) };
  if (id === 'ega') return { method: 'EGA', params: { ...(sweepEga ? { T: EGA_TEMPERATURES } : {}), ...warm } };
  if (id === 'stch') return { method: 'STCH', params: warm };
  return displayName;
}

/** The twelve methods of the paper, EGA with its temperature sweep, warm-ups sized for `epochs`. */
export function paperOptimizers(epochs: number): unknown[] {
  return registry.filter((d) => methodGroup(d.id) === 'paper').map((d) => entry(d.id, d.displayName, epochs, true));
}

/** Every registered method (paper and extended); EGA at its default temperature unless swept. */
export function allOptimizers(epochs: number, sweepEga = false): unknown[] {
  return registry.map((d) => entry(d.id, d.displayName, epochs, sweepEga));
}

const SNR_DB = [6, 3, 0, -1, -2, -3];
const ABRUPT = [1, 2, 3].flatMap((s) => [0, -9].map((db) => `abrupt${s}s@${db}dB`));

/** Options that shape a preset's configs: `--epochs` resizes the warm-ups with the run. */
export interface PresetOptions {
  readonly epochs?: number;
}

/** The epochs a run of the task preset will have. */
function epochsOf(task: string, preset: string, o: PresetOptions): number {
  return o.epochs ?? getTask(task).training(preset).epochs;
}

const radar = (preset: string, o: PresetOptions, extra: Raw = {}): Raw => ({ task: 'radar-ecg', preset, optimizers: paperOptimizers(epochsOf('radar-ecg', preset, o)), singleTask: true, seeds: [0], ...extra });

/** The CPU benchmark: the `cpu` radar-ECG model, three seeds (see the README's radar-ECG CPU presets). */
const radarCpu = (name: string, o: PresetOptions, extra: Raw = {}): Raw => radar('cpu', o, { name, seeds: [0, 1, 2], ...extra });

const PRESETS: Record<string, { readonly description: string; readonly build: (o: PresetOptions) => Raw | Raw[] }> = {
  table2: { description: 'Table II at paper scale: radar-ECG, full model (23.25 M shared parameters), 12 optimizers + EGA T sweep + single-task baselines, 200 epochs (GPU)', build: (o) => radar('paper', o, { name: 'table2' }) },
  'table2-small': { description: 'Table II on the scaled-down radar-ECG model (CPU: about a day on 2 cores with --jobs 2)', build: (o) => radar('small', o, { name: 'table2-small' }) },
  'table2-ci': { description: 'Table II on the CI-size radar-ECG model (minutes)', build: (o) => radar('ci', o, { name: 'table2-ci' }) },
  'table2-cpu': { description: 'Table II on the CPU benchmark model: 12 optimizers + EGA T sweep + single-task baselines, 3 seeds (projected 3.3 h on 2 cores with --jobs 2)', build: (o) => radarCpu('table2-cpu', o) },
  'snr-cpu': { description: 'The SNR table on the CPU benchmark model, 3 seeds', build: (o) => radarCpu('snr-cpu', o, { singleTask: false, noise: { eval: ['clean', ...SNR_DB.map((d) => `snr${d}dB`)] } }) },
  'abrupt-cpu': { description: 'The abrupt-noise table on the CPU benchmark model, 3 seeds', build: (o) => radarCpu('abrupt-cpu', o, { singleTask: false, noise: { eval: ['clean', ...ABRUPT] } }) },
  table3: { description: 'Table III at paper scale: NYUv2, ResNet-50 dilated + DeepLab heads, 12 optimizers + single-task baselines (GPU)', build: (o) => ({ name: 'table3', task: 'nyuv2', preset: 'paper', optimizers: paperOptimizers(epochsOf('nyuv2', 'paper', o)), singleTask: true, seeds: [0] }) },
  'table3-small': { description: 'Table III on the scaled-down NYUv2 model and fixture or downscaled data', build: (o) => ({ name: 'table3-small', task: 'nyuv2', preset: 'small', optimizers: paperOptimizers(epochsOf('nyuv2', 'small', o)), singleTask: true, seeds: [0] }) },
  snr: { description: 'Constant Gaussian noise at 6, 3, 0, -1, -2, -3 dB SNR on the radar-ECG test set (paper scale)', build: (o) => radar('paper', o, { name: 'snr', singleTask: false, noise: { eval: ['clean', ...SNR_DB.map((d) => `snr${d}dB`)] } }) },
  'snr-small': { description: 'The SNR table on the scaled-down radar-ECG model', build: (o) => radar('small', o, { name: 'snr-small', singleTask: false, noise: { eval: ['clean', ...SNR_DB.map((d) => `snr${d}dB`)] } }) },
  abrupt: { description: 'Abrupt (body-movement) noise of 1, 2, 3 s at 0 and -9 dB on 20% of the radar-ECG test windows (paper scale)', build: (o) => radar('paper', o, { name: 'abrupt', singleTask: false, noise: { eval: ['clean', ...ABRUPT] } }) },
  'abrupt-small': { description: 'The abrupt-noise table on the scaled-down radar-ECG model', build: (o) => radar('small', o, { name: 'abrupt-small', singleTask: false, noise: { eval: ['clean', ...ABRUPT] } }) },
  ci: {
    description: 'Every registered optimizer and the single-task baselines on the CI-size radar-ECG and NYUv2 tasks, a few epochs each (minutes on 2 cores with --jobs 2)',
    build: (o) => [
      { name: 'ci-radar-ecg', task: 'radar-ecg', preset: 'ci', optimizers: allOptimizers(epochsOf('radar-ecg', 'ci', o)), singleTask: true, seeds: [0], noise: { eval: ['clean', 'snr0dB', 'abrupt2s@-9dB'] } },
      { name: 'ci-nyuv2', task: 'nyuv2', preset: 'ci', optimizers: allOptimizers(epochsOf('nyuv2', 'ci', o)), singleTask: true, seeds: [0] },
    ],
  },
  'regression-ci': {
    description: 'Every registered optimizer on the small conflicting regression problem (seconds)',
    build: (o) => ({ name: 'regression-ci', task: 'regression', preset: 'ci', optimizers: allOptimizers(epochsOf('regression', 'ci', o)), singleTask: true, seeds: [0, 1] }),
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function presetDescription(name: string): string {
  return PRESETS[name]?.description ?? '';
}

/** The experiment configs of a preset (most presets are one experiment; `ci` covers both tasks). */
export function presetConfigs(name: string, o: PresetOptions = {}): Raw[] {
  const p = PRESETS[name];
  if (!p) throw new ConfigError('--preset', name, `one of ${presetNames().join(', ')}${didYouMean(name, presetNames())}`);
  const built = p.build(o);
  return Array.isArray(built) ? built : [built];
}
