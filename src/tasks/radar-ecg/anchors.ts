/**
 * Anchor (R-peak) evaluation of radarODE-MTL (radarode-mtl.md §5.2 steps 1–9, §5.3 step 1):
 * peaks are picked from each window's predicted 800-sample anchor train, shifted to recording
 * positions, merged across overlapping windows, and matched to the ground-truth R-peaks inside an
 * evaluation range with a 150-ms (30-sample) window.
 *
 * Definitions (`AnchorDefinition`):
 * - 'correct' (default): every merged run is kept; the median signed error of the matches (the
 *   offset) is subtracted and the peaks re-matched; timing error = mean |error| over the matched
 *   peaks; MDR = missed / evaluated peaks (both after the offset correction). The timing error is
 *   undefined (NaN) when fewer than {@link MIN_MATCHED_BEATS} peaks matched: with one match the
 *   offset correction alone makes it 0 ms, which says nothing about the model.
 * - 'reference-long-term' (`result_eval_longterm.ipynb`): as 'correct' but the timing error is
 *   divided by all evaluated peaks, matched or not (so misses lower it); the last merged run is
 *   dropped; the anchor train is first passed through the one-past-end `down_sample` grid.
 * - 'reference-single-cycle' (`result_eval_mtl.ipynb`, Table II): the timing-error denominator is
 *   len(R) − missed/len(R) (an operator-precedence slip, ≈ all R-peaks of the recording, not only
 *   the evaluated ones) with `missed` counted after the offset correction; MDR = misses before the
 *   offset correction / all R-peaks of the recording, and 100 % for a recording in which no peak
 *   was detected at all; same peak picking as 'reference-long-term'. (Checked against the
 *   notebook: R = [4000, 4200, 4400, 4600, 4800], peaks [4020, 4220, 4420, 4645, 4820] → 25.0 ms.)
 *
 * Deliberately kept in every definition (they are the reference's evaluation design, not slips):
 * the offset correction (disable with `removeOffset: false`), nearest-neighbour matching (two
 * R-peaks may match one prediction; impossible at physiological rates) and the strict `< 30`.
 */
import { ConfigError } from '../../errors.js';
import { MS_PER_SAMPLE, median, minMaxNormalise, onePastEndResample, type Series } from './signal.js';

export type AnchorDefinition = 'correct' | 'reference-long-term' | 'reference-single-cycle';
export const ANCHOR_DEFINITIONS: readonly AnchorDefinition[] = ['correct', 'reference-long-term', 'reference-single-cycle'];

/** Length of the anchor window (4 s at 200 Hz). */
export const ANCHOR_WINDOW = 800;
/** R-peaks counted by the evaluation: samples [3000, 30000] (15–150 s), both ends included. */
export const DEFAULT_EVAL_RANGE: readonly [number, number] = [3000, 30000];
/** Detection window: an R-peak is detected if a prediction lies strictly within 30 samples (150 ms). */
export const DEFAULT_TOLERANCE_SAMPLES = 30;
/** peakutils.indexes(thres = 0.75, min_dist = 40) on the min-max normalised anchor train. */
export const PEAK_THRESHOLD = 0.75;
export const PEAK_MIN_DISTANCE = 40;
/** The 'correct' timing error needs at least this many matched R-peaks in a recording; fewer gives NaN. */
export const MIN_MATCHED_BEATS = 10;
/** MMECG recording length (35,505 samples at 200 Hz). */
export const MMECG_RECORDING_LENGTH = 35505;

function isReference(d: AnchorDefinition): boolean {
  return d !== 'correct';
}

export function checkAnchorDefinition(d: string): AnchorDefinition {
  if (!(ANCHOR_DEFINITIONS as readonly string[]).includes(d)) {
    throw new ConfigError('anchor definition', d, `one of ${ANCHOR_DEFINITIONS.join(', ')}`);
  }
  return d as AnchorDefinition;
}

export interface FindPeaksOptions {
  /** Relative threshold: a peak must exceed min + threshold·(max − min). Default 0.75. */
  readonly threshold?: number;
  /** Among peaks closer than or at this distance only the highest survives. Default 40. */
  readonly minDistance?: number;
}

/**
 * Local maxima above a relative threshold with a minimum distance, the behaviour of
 * `peakutils.indexes`: a peak is where the first difference changes from + to −; a flat top counts
 * once, at its middle (left-middle for an even width); the end samples are never peaks; then,
 * highest first (ties: later index first), every other peak within `minDistance` is removed.
 */
export function findPeaks(y: Series, options: FindPeaksOptions = {}): number[] {
  const threshold = options.threshold ?? PEAK_THRESHOLD;
  const minDistance = options.minDistance ?? PEAK_MIN_DISTANCE;
  const n = y.length;
  if (n < 3) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, y[i]!);
    hi = Math.max(hi, y[i]!);
  }
  const thres = threshold * (hi - lo) + lo;
  const dy = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) dy[i] = y[i + 1]! - y[i]!;
  // Flat runs of the first difference take the slope of their neighbours.
  const plateaus: [number, number][] = [];
  for (let i = 0; i < n - 1; i++) {
    if (dy[i] !== 0) continue;
    let j = i;
    while (j + 1 < n - 1 && dy[j + 1] === 0) j++;
    plateaus.push([i, j]);
    i = j;
  }
  if (plateaus.length === 1 && plateaus[0]![0] === 0 && plateaus[0]![1] === n - 2) return [];
  const original = Float64Array.from(dy);
  for (const [a, b] of plateaus) {
    if (a === 0) {
      for (let k = a; k <= b; k++) dy[k] = original[b + 1]!;
    } else if (b === n - 2) {
      for (let k = a; k <= b; k++) dy[k] = original[a - 1]!;
    } else {
      const mid = (a + b) / 2;
      for (let k = a; k <= b; k++) dy[k] = k < mid ? original[a - 1]! : original[b + 1]!;
    }
  }
  const peaks: number[] = [];
  for (let i = 1; i < n - 1; i++) if (dy[i]! < 0 && dy[i - 1]! > 0 && y[i]! > thres) peaks.push(i);
  if (peaks.length <= 1 || minDistance <= 1) return peaks;
  const order = [...peaks].sort((p, q) => y[q]! - y[p]! || q - p);
  const removed = new Uint8Array(n).fill(1);
  for (const p of peaks) removed[p] = 0;
  for (const p of order) {
    if (removed[p]) continue;
    for (let k = Math.max(0, p - minDistance); k <= Math.min(n - 1, p + minDistance); k++) removed[k] = 1;
    removed[p] = 0;
  }
  return peaks.filter((p) => !removed[p]);
}

export interface CombineOptions {
  /** Reproduce the reference loop, which never emits the last run (`combine_close_peaks`). */
  readonly dropLastRun?: boolean;
}

/**
 * Merge runs of sorted peaks whose consecutive gaps are < `maxGap` into their median. The
 * reference's loop stops one short and so silently drops the last run; `dropLastRun` reproduces it.
 */
export function combineClosePeaks(peaks: Series, maxGap = DEFAULT_TOLERANCE_SAMPLES, options: CombineOptions = {}): number[] {
  const runs: number[][] = [];
  let run: number[] = [];
  for (let i = 0; i < peaks.length; i++) {
    if (i > 0 && peaks[i]! < peaks[i - 1]!) throw new ConfigError('combineClosePeaks: peaks', `unsorted at index ${i}`, 'ascending peak positions');
    if (i > 0 && peaks[i]! - peaks[i - 1]! >= maxGap) {
      runs.push(run);
      run = [];
    }
    run.push(peaks[i]!);
  }
  if (run.length > 0) runs.push(run);
  if (options.dropLastRun) runs.pop();
  return runs.map((r) => median(r));
}

/** Where a window sits in the recording and what the anchor head predicted for it. */
export interface AnchorWindow {
  /** Recording index of the window's first sample (the reference: first R-peak of the cycle − 400). */
  readonly start: number;
  /** Predicted anchor train (800 samples, any scale). */
  readonly anchorPred: Series;
}

/**
 * All peaks of all windows as sorted recording positions (not merged): each window's anchor train
 * is min-max normalised, its peaks picked by {@link findPeaks} and shifted by the window start.
 * 'correct' keeps positions in [0, recordingLength); the reference definitions first pass the train
 * through the one-past-end `down_sample` grid and keep [0, recordingLength] (end included).
 */
export function collectAnchorPeaks(windows: readonly AnchorWindow[], recordingLength: number, definition: AnchorDefinition = 'correct'): number[] {
  checkAnchorDefinition(definition);
  const ref = isReference(definition);
  const all: number[] = [];
  for (const w of windows) {
    const train = ref ? onePastEndResample(w.anchorPred, ANCHOR_WINDOW) : w.anchorPred;
    for (const p of findPeaks(minMaxNormalise(train))) {
      const g = p + w.start;
      if (g >= 0 && (ref ? g <= recordingLength : g < recordingLength)) all.push(g);
    }
  }
  return all.sort((a, b) => a - b);
}

export interface AnchorMatchOptions {
  readonly definition?: AnchorDefinition;
  /** Inclusive range of ground-truth R-peak positions that are evaluated. Default [3000, 30000]. */
  readonly evalRange?: readonly [number, number];
  /** Detection window in samples (strict <). Default 30 (150 ms). */
  readonly toleranceSamples?: number;
  /** Subtract the median signed error of the matches before scoring. Default true (the reference). */
  readonly removeOffset?: boolean;
  /** 'correct' only: fewest matched peaks for a defined timing error. Default {@link MIN_MATCHED_BEATS}. */
  readonly minMatched?: number;
}

export interface AnchorMetrics {
  /** Timing error in ms under the chosen definition (NaN for 'correct' when nothing matched). */
  readonly timingErrorMs: number;
  /** Missed detection rate in percent. */
  readonly mdrPercent: number;
  /** Median signed error (prediction − truth) of the first-pass matches, in samples (0 if none). */
  readonly offsetSamples: number;
  readonly offsetMs: number;
  /** Ground-truth R-peaks inside the evaluation range. */
  readonly evaluated: number;
  /** Of those, matched after the offset correction. */
  readonly matched: number;
  /** Misses counted by the chosen MDR (pre-offset for 'reference-single-cycle'). */
  readonly missed: number;
}

/** Signed error of the nearest prediction (first one on ties), or NaN when there is none. */
function nearestError(sortedPreds: readonly number[], r: number, shift: number): number {
  let best = NaN;
  for (const p of sortedPreds) {
    const e = p - shift - r;
    if (Number.isNaN(best) || Math.abs(e) < Math.abs(best)) best = e;
  }
  return best;
}

/** Match merged predicted peaks against ground-truth R-peaks (see the module header). */
export function anchorMetrics(mergedPeaks: Series, rPeaks: Series, options: AnchorMatchOptions = {}): AnchorMetrics {
  const definition = checkAnchorDefinition(options.definition ?? 'correct');
  const [lo, hi] = options.evalRange ?? DEFAULT_EVAL_RANGE;
  const tol = options.toleranceSamples ?? DEFAULT_TOLERANCE_SAMPLES;
  if (!(tol > 0)) throw new ConfigError('anchorMetrics: toleranceSamples', tol, 'a positive number of samples');
  const preds = Array.from(mergedPeaks);
  const inRange: number[] = [];
  for (let i = 0; i < rPeaks.length; i++) if (rPeaks[i]! >= lo && rPeaks[i]! <= hi) inRange.push(rPeaks[i]!);
  const firstPass: number[] = [];
  for (const r of inRange) {
    const e = nearestError(preds, r, 0);
    if (Math.abs(e) < tol) firstPass.push(e);
  }
  const offset = firstPass.length > 0 ? median(firstPass) : 0;
  const shift = options.removeOffset === false ? 0 : offset;
  let sumAbs = 0;
  let matched = 0;
  for (const r of inRange) {
    const e = nearestError(preds, r, shift);
    if (Math.abs(e) < tol) {
      sumAbs += Math.abs(e);
      matched++;
    }
  }
  const evaluated = inRange.length;
  const missedAfter = evaluated - matched;
  const missedBefore = evaluated - firstPass.length;
  let timingSamples: number;
  let mdr: number;
  let missed: number;
  if (definition === 'correct') {
    timingSamples = matched > 0 && matched >= (options.minMatched ?? MIN_MATCHED_BEATS) ? sumAbs / matched : NaN;
    mdr = evaluated > 0 ? missedAfter / evaluated : NaN;
    missed = missedAfter;
  } else if (definition === 'reference-long-term') {
    timingSamples = sumAbs / evaluated;
    mdr = missedAfter / evaluated;
    missed = missedAfter;
  } else {
    const nAll = rPeaks.length;
    timingSamples = sumAbs / (nAll - missedAfter / nAll);
    mdr = preds.length === 0 ? 1 : missedBefore / nAll;
    missed = preds.length === 0 ? nAll : missedBefore;
  }
  return {
    timingErrorMs: timingSamples * MS_PER_SAMPLE,
    mdrPercent: 100 * mdr,
    offsetSamples: offset,
    offsetMs: offset * MS_PER_SAMPLE,
    evaluated,
    matched,
    missed,
  };
}
