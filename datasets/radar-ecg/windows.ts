/**
 * 4-s windows and the three radarODE-MTL targets (reference §2.3–2.4, `data_generation.ipynb`,
 * `spectrum_dataset.py`).
 *
 * Cycles: NeuroKit2-style epochs (`segmentCycles(..., { mode: 'reference' })`): cycle i starts
 * round(0.35 · mean RR) before R_i and ends where cycle i+1 starts, so its length is the RR
 * interval R_{i+1} − R_i; cycles shorter than 5 samples are dropped.
 *
 * Placements:
 * - `step` (`data_seg_step`): start_i = i · 160 for i < floor((N − 800) / 160); the target cycle is
 *   the one whose R peak is nearest the window centre (start + 400).
 * - `rpeak` (`data_seg_sce_middle`): one window per cycle, start = R_i − 400 (a start ≤ 0 becomes
 *   1, as in the reference), skipped when start + 800 > N.
 *
 * Targets per window:
 * - ECG shape: the target cycle resampled to 200 points with the reference's grid
 *   (np.interp(linspace(0, len, 200), arange(len), cycle)), raw mV; its min and max are kept;
 * - PPI class: cycle length − 1 (class c ⇔ c + 1 samples at 200 Hz); lengths above 260 are
 *   clamped to class 259 and flagged;
 * - anchor: 800 samples, 1 at every R peak inside the window, else 0.
 *
 * SST input: frames [floor(start · frameRate / fs), + frames) of the recording's SST, min-max
 * normalised to [0, 1] per channel over bins × frames (a constant channel becomes 0).
 *
 * Ambiguities (noted, not settled by the reference): the step count drops a final window that
 * would still fit (reference: (N − 800) // 160); ties in "nearest R peak" go to the earlier peak;
 * a window whose SST frames would run past the recording is dropped.
 */
import { ConfigError } from '../../src/errors.js';
import { resampleCycle, segmentCycles, type CycleSegment } from './rpeaks.js';

export type Placement = 'step' | 'rpeak';
export const PLACEMENTS: readonly Placement[] = ['step', 'rpeak'];

export interface WindowSpec {
  /** ECG sampling rate, Hz (200). */
  readonly fs: number;
  /** Window length in ECG samples (800 = 4 s). */
  readonly ecgSamples: number;
  /** Step of the sliding placement, samples (160 = 0.8 s). */
  readonly stepSamples: number;
  /** SST frames per window (120 at 30 Hz). */
  readonly frames: number;
  /** Points of the resampled cycle (200). */
  readonly cycleSamples: number;
  /** PPI classes (260). */
  readonly ppiClasses: number;
  /** Position of the R peak in an `rpeak` window (400). */
  readonly rPeakOffset: number;
}

export const DEFAULT_WINDOW_SPEC: WindowSpec = {
  fs: 200,
  ecgSamples: 800,
  stepSamples: 160,
  frames: 120,
  cycleSamples: 200,
  ppiClasses: 260,
  rPeakOffset: 400,
};

/** SST frame rate implied by a spec: frames per window / window seconds (30 Hz by default). */
export function frameRateOf(spec: WindowSpec): number {
  return (spec.frames * spec.fs) / spec.ecgSamples;
}

export function windowSpec(over: Partial<WindowSpec> = {}): WindowSpec {
  const s = { ...DEFAULT_WINDOW_SPEC, ...over };
  for (const [k, v] of Object.entries(s)) {
    if (!(Number.isInteger(v) && v > 0) && k !== 'fs') throw new ConfigError(`window.${k}`, v, 'a positive integer');
  }
  if (!(s.fs > 0)) throw new ConfigError('window.fs', s.fs, 'a sampling rate > 0 Hz');
  if (s.rPeakOffset >= s.ecgSamples) throw new ConfigError('window.rPeakOffset', s.rPeakOffset, `< ecgSamples (${s.ecgSamples})`);
  return s;
}

/** Per-window labels (columnar arrays, one entry per window). */
export interface WindowLabels {
  readonly placement: Placement;
  readonly count: number;
  /** First ECG sample of the window. */
  readonly start: Int32Array;
  /** First SST frame of the window. */
  readonly frameStart: Int32Array;
  /** Target cycle: first sample, length in samples, its R peak (all in recording samples). */
  readonly cycleStart: Int32Array;
  readonly cycleLength: Int32Array;
  readonly cycleRPeak: Int32Array;
  /** PPI class = min(length, ppiClasses) − 1. */
  readonly ppi: Int32Array;
  /** 1 when the cycle was longer than `ppiClasses` samples and its class was clamped. */
  readonly clamped: Uint8Array;
  /** Range of the raw target cycle, mV. */
  readonly ecgMin: Float32Array;
  readonly ecgMax: Float32Array;
  /** Resampled cycles, count × cycleSamples, mV. */
  readonly ecgShape: Float32Array;
  /** Anchor trains, count × ecgSamples, 0/1. */
  readonly anchor: Uint8Array;
}

/**
 * Place windows on a recording of `nSamples` ECG samples (with `totalFrames` SST frames) and build
 * the targets from the ECG and its R peaks.
 */
export function buildWindows(ecg: Float64Array, rPeaks: ArrayLike<number>, totalFrames: number, placement: Placement, spec: WindowSpec = DEFAULT_WINDOW_SPEC): WindowLabels {
  const n = ecg.length;
  const peaks = Int32Array.from(rPeaks).sort();
  const cycles = segmentCycles(ecg, peaks, { mode: 'reference', minLength: 5 });
  const frameRate = frameRateOf(spec);
  const picks: { start: number; cycle: CycleSegment }[] = [];
  const fits = (start: number): boolean =>
    start >= 0 && start + spec.ecgSamples <= n && frameOf(start, frameRate, spec.fs) + spec.frames <= totalFrames;
  if (placement === 'step') {
    const count = Math.floor((n - spec.ecgSamples) / spec.stepSamples);
    let c = 0;
    for (let i = 0; i < count && cycles.length > 0; i++) {
      const start = i * spec.stepSamples;
      if (!fits(start)) continue;
      const centre = start + spec.ecgSamples / 2;
      while (c + 1 < cycles.length && Math.abs(cycles[c + 1]!.rPeak - centre) < Math.abs(cycles[c]!.rPeak - centre)) c++;
      picks.push({ start, cycle: cycles[c]! });
    }
  } else if (placement === 'rpeak') {
    for (const cycle of cycles) {
      let start = cycle.rPeak - spec.rPeakOffset;
      if (start <= 0) start = 1;
      if (!fits(start)) continue;
      picks.push({ start, cycle });
    }
  } else {
    throw new ConfigError('placement', placement, `one of ${PLACEMENTS.join(', ')}`);
  }
  const count = picks.length;
  const out = {
    placement,
    count,
    start: new Int32Array(count),
    frameStart: new Int32Array(count),
    cycleStart: new Int32Array(count),
    cycleLength: new Int32Array(count),
    cycleRPeak: new Int32Array(count),
    ppi: new Int32Array(count),
    clamped: new Uint8Array(count),
    ecgMin: new Float32Array(count),
    ecgMax: new Float32Array(count),
    ecgShape: new Float32Array(count * spec.cycleSamples),
    anchor: new Uint8Array(count * spec.ecgSamples),
  };
  let p = 0;
  for (let w = 0; w < count; w++) {
    const { start, cycle } = picks[w]!;
    const len = cycle.end - cycle.start;
    out.start[w] = start;
    out.frameStart[w] = frameOf(start, frameRate, spec.fs);
    out.cycleStart[w] = cycle.start;
    out.cycleLength[w] = len;
    out.cycleRPeak[w] = cycle.rPeak;
    out.ppi[w] = Math.min(len, spec.ppiClasses) - 1;
    out.clamped[w] = len > spec.ppiClasses ? 1 : 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of cycle.samples) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    out.ecgMin[w] = lo;
    out.ecgMax[w] = hi;
    out.ecgShape.set(resampleCycle(cycle.samples, spec.cycleSamples, 'reference'), w * spec.cycleSamples);
    while (p > 0 && peaks[p - 1]! >= start) p--;
    while (p < peaks.length && peaks[p]! < start) p++;
    for (let q = p; q < peaks.length && peaks[q]! < start + spec.ecgSamples; q++) out.anchor[w * spec.ecgSamples + peaks[q]! - start] = 1;
  }
  return out;
}

function frameOf(start: number, frameRate: number, fs: number): number {
  return Math.floor((start * frameRate) / fs + 1e-9);
}

/**
 * Copy frames [frameStart, frameStart + frames) of a time-major SST ([totalFrames, channels, bins])
 * into `out` as channels × bins × frames and min-max normalise each channel to [0, 1].
 */
export function cutWindow(sstTimeMajor: Float32Array, channels: number, bins: number, frameStart: number, frames: number, out: Float32Array, outOffset = 0): void {
  const cf = channels * bins;
  for (let t = 0; t < frames; t++) {
    const src = (frameStart + t) * cf;
    for (let i = 0; i < cf; i++) out[outOffset + i * frames + t] = sstTimeMajor[src + i]!;
  }
  normaliseChannels(out, channels, bins * frames, outOffset);
}

/** In place: each of `channels` consecutive blocks of `size` values → (v − min)/(max − min). */
export function normaliseChannels(x: Float32Array, channels: number, size: number, offset = 0): void {
  for (let c = 0; c < channels; c++) {
    const a = offset + c * size;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = a; i < a + size; i++) {
      const v = x[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi - lo;
    if (!(range > 0)) {
      x.fill(0, a, a + size);
      continue;
    }
    const inv = 1 / range;
    for (let i = a; i < a + size; i++) x[i] = (x[i]! - lo) * inv;
  }
}
