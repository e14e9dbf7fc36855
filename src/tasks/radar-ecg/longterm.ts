/**
 * Long-term ECG assembly and its metrics (radarode-mtl.md §5.3, `result_eval_longterm.ipynb`
 * cell 3): the predicted single-cycle shapes are stretched to the predicted cycle length and written
 * into a recording-length array with their maximum on an anchor; later beats overwrite earlier
 * ones; short gaps are interpolated. The result is scored against the recorded ECG over samples
 * [3000, 30000): RMSE in mV (both min-max normalised, then scaled by the recording's range there),
 * PCC on the raw signals, and the anchor timing error / MDR.
 *
 * 'correct' (default):
 * - anchors are the merged predicted peaks, minus the offset when `removeOffset` (as the timing
 *   error treats them), rounded to samples;
 * - a beat uses the window whose centre (start + 400) is nearest to its anchor;
 * - the cycle is stretched to the predicted length, argmax class + 1 samples, on the grid
 *   linspace(0, 199, L); beats that cross the recording ends are clipped;
 * - gaps (samples no beat wrote) of at most `maxGapSamples` between two written samples are filled
 *   by linear interpolation between them; longer gaps and the ends keep `fillValue`;
 * - timing error and MDR: the 'correct' anchor definition.
 *
 * 'reference' reproduces the notebook, including its slips:
 * - beats are placed at the **ground-truth** R-peaks in the evaluation range that have an unmerged
 *   predicted peak (minus offset) within < 50 samples, so the placement leaks the ground truth;
 * - the window is the one whose ground-truth cycle [cycleStart, cycleEnd) contains the anchor, and
 *   the last window is never used;
 * - the cycle is stretched to argmax class samples (one short), on the one-past-end grid;
 * - beats that would cross the recording ends are skipped;
 * - gaps are found by comparing with the sentinel 0.433, and filled by the notebook's loop
 *   (np.linspace(previous, next known within 30, j), which repeats both end values inside the gap);
 * - timing error and MDR: the 'reference-long-term' anchor definition.
 */
import { ConfigError } from '../../errors.js';
import {
  anchorMetrics,
  collectAnchorPeaks,
  combineClosePeaks,
  DEFAULT_EVAL_RANGE,
  DEFAULT_TOLERANCE_SAMPLES,
  MMECG_RECORDING_LENGTH,
  type AnchorMetrics,
} from './anchors.js';
import { argmax, linearResample, linspace, minMaxNormalise, onePastEndResample, pearson, rmse, valueRange } from './signal.js';
import type { EvalDefinition, RadarEcgTrial, RadarEcgWindow } from './types.js';

export interface LongTermOptions {
  readonly definition?: EvalDefinition;
  /** Evaluated R-peaks: inclusive range; signal metrics: [lo, hi). Default [3000, 30000]. */
  readonly evalRange?: readonly [number, number];
  /** Detection window of the anchor matching, samples (strict <). Default 30. */
  readonly toleranceSamples?: number;
  /** Reference placement: unmerged prediction within this many samples of a ground-truth peak. Default 50. */
  readonly placementToleranceSamples?: number;
  /** Value of samples no beat covers (the reference's sentinel). Default 0.433. */
  readonly fillValue?: number;
  /** Longest gap that is interpolated. Default 30 samples. */
  readonly maxGapSamples?: number;
  /** Subtract the median anchor offset (timing error and placement). Default true. */
  readonly removeOffset?: boolean;
}

export interface LongTermAssembly {
  /** The assembled recording, in the shape head's normalised units. */
  readonly signal: Float64Array;
  /** Anchor positions at which a beat was written. */
  readonly placed: readonly number[];
  readonly anchor: AnchorMetrics;
}

export interface LongTermMetrics {
  readonly rmseMv: number;
  readonly pcc: number;
  readonly timingErrorMs: number;
  readonly mdrPercent: number;
  readonly anchor: AnchorMetrics;
}

export const DEFAULT_FILL_VALUE = 0.433;
export const DEFAULT_PLACEMENT_TOLERANCE = 50;

function recordingLengthOf(trial: RadarEcgTrial): number {
  const n = trial.recordingLength ?? trial.ecg?.length ?? MMECG_RECORDING_LENGTH;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('trial.recordingLength', n, 'a positive integer');
  return n;
}

function nearestCentreWindow(windows: readonly RadarEcgWindow[], a: number): number {
  let best = -1;
  let bestDist = Infinity;
  windows.forEach((w, j) => {
    const d = Math.abs(w.start + w.anchorPred.length / 2 - a);
    if (d < bestDist) {
      best = j;
      bestDist = d;
    }
  });
  return best;
}

function containingCycleWindow(windows: readonly RadarEcgWindow[], a: number): number {
  for (let j = 0; j < windows.length; j++) {
    const w = windows[j]!;
    if (w.cycleStart === undefined || w.cycleEnd === undefined) {
      throw new ConfigError(`windows[${j}].cycleStart/cycleEnd`, undefined, 'ground-truth cycle bounds (needed by the reference assembly)');
    }
    if (w.cycleStart <= a && a < w.cycleEnd) return j;
  }
  return -1;
}

/**
 * Fill every run of unwritten samples of at most `maxGap` samples that has a written sample on both
 * sides by linear interpolation between those two samples; other samples are left as they are.
 */
export function fillGaps(signal: Float64Array, written: Uint8Array, maxGap: number): void {
  const n = signal.length;
  let i = 0;
  while (i < n) {
    if (written[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && !written[j]) j++;
    // Gap [i, j); neighbours i − 1 and j.
    if (i > 0 && j < n && j - i <= maxGap) {
      const left = signal[i - 1]!;
      const right = signal[j]!;
      const span = j - (i - 1);
      for (let k = i; k < j; k++) signal[k] = left + ((right - left) * (k - (i - 1))) / span;
    }
    i = j;
  }
}

/**
 * The notebook's gap loop, same behaviour: each sample equal to the sentinel starts
 * np.linspace(previous sample, next non-sentinel value within `maxGap` (else the sentinel), j) over
 * the j samples up to that value, so the ramp repeats both end values; i runs over [1, n − maxGap).
 */
export function fillGapsReference(signal: Float64Array, sentinel: number, maxGap: number): void {
  const n = signal.length;
  for (let i = 1; i < n - maxGap; i++) {
    if (signal[i] !== sentinel) continue;
    let end = sentinel;
    let j = 0;
    for (j = 0; j < maxGap; j++) {
      if (signal[i + j] !== sentinel) {
        end = signal[i + j]!;
        break;
      }
    }
    if (j === maxGap) j = maxGap - 1;
    const ramp = linspace(signal[i - 1]!, end, j);
    signal.set(ramp, i);
  }
}

/** Assemble the long-term ECG of one recording from its per-window predictions. */
export function assembleLongTermEcg(trial: RadarEcgTrial, options: LongTermOptions = {}): LongTermAssembly {
  const definition = options.definition ?? 'correct';
  if (definition !== 'correct' && definition !== 'reference') {
    throw new ConfigError('long-term definition', definition, "'correct' or 'reference'");
  }
  const ref = definition === 'reference';
  const n = recordingLengthOf(trial);
  const evalRange = options.evalRange ?? DEFAULT_EVAL_RANGE;
  const tol = options.toleranceSamples ?? DEFAULT_TOLERANCE_SAMPLES;
  const fill = options.fillValue ?? DEFAULT_FILL_VALUE;
  const maxGap = options.maxGapSamples ?? DEFAULT_TOLERANCE_SAMPLES;
  const removeOffset = options.removeOffset ?? true;
  const { windows } = trial;

  const peaks = collectAnchorPeaks(windows, n, ref ? 'reference-long-term' : 'correct');
  const merged = combineClosePeaks(peaks, tol, { dropLastRun: ref });
  const anchor = anchorMetrics(merged, trial.rPeaks, {
    definition: ref ? 'reference-long-term' : 'correct',
    evalRange,
    toleranceSamples: tol,
    removeOffset,
  });
  const shift = removeOffset ? anchor.offsetSamples : 0;

  let anchors: number[];
  if (ref) {
    const placeTol = options.placementToleranceSamples ?? DEFAULT_PLACEMENT_TOLERANCE;
    anchors = [];
    for (let i = 0; i < trial.rPeaks.length; i++) {
      const r = trial.rPeaks[i]!;
      if (r < evalRange[0] || r > evalRange[1]) continue;
      if (peaks.some((p) => Math.abs(p - shift - r) < placeTol)) anchors.push(Math.trunc(r));
    }
  } else {
    anchors = merged.map((p) => Math.round(p - shift));
  }

  const signal = new Float64Array(n).fill(fill);
  const written = new Uint8Array(n);
  const placed: number[] = [];
  for (const a of anchors) {
    const j = ref ? containingCycleWindow(windows, a) : nearestCentreWindow(windows, a);
    if (j < 0 || (ref && j >= windows.length - 1)) continue;
    const w = windows[j]!;
    const cls = argmax(w.ppiLogits);
    const len = ref ? cls : cls + 1;
    if (len < 1) continue;
    const beat = ref ? onePastEndResample(w.shapePred, len) : linearResample(w.shapePred, len);
    const m = argmax(beat);
    const begin = a - m;
    if (ref && (begin < 0 || a + (len - m) > n)) continue;
    for (let k = 0; k < len; k++) {
      const idx = begin + k;
      if (idx < 0 || idx >= n) continue;
      signal[idx] = beat[k]!;
      written[idx] = 1;
    }
    placed.push(a);
  }
  if (ref) fillGapsReference(signal, fill, maxGap);
  else fillGaps(signal, written, maxGap);
  return { signal, placed, anchor };
}

/** Assemble and score one recording against its recorded ECG over [evalRange[0], evalRange[1]). */
export function longTermMetrics(trial: RadarEcgTrial, options: LongTermOptions = {}): LongTermMetrics {
  if (!trial.ecg) throw new ConfigError('trial.ecg', undefined, 'the recorded ECG in mV (long-term metrics compare against it)');
  const { signal, anchor } = assembleLongTermEcg(trial, options);
  const [lo, hi] = options.evalRange ?? DEFAULT_EVAL_RANGE;
  const from = Math.max(0, Math.ceil(lo));
  const to = Math.min(signal.length, trial.ecg.length, Math.ceil(hi));
  if (to - from < 2) throw new ConfigError('long-term evalRange', [lo, hi], `a range with at least 2 samples inside the recording (${signal.length})`);
  const truth = Float64Array.from(trial.ecg).subarray(from, to);
  const pred = signal.subarray(from, to);
  return {
    rmseMv: rmse(minMaxNormalise(truth), minMaxNormalise(pred)) * valueRange(truth),
    pcc: pearson(truth, pred),
    timingErrorMs: anchor.timingErrorMs,
    mdrPercent: anchor.mdrPercent,
    anchor,
  };
}
