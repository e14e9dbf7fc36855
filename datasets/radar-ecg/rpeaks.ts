/**
 * R-peak detection, beat matching and cardiac-cycle segmentation for real or synthetic ECG.
 *
 * Detector (after Pan and Tompkins, "A real-time QRS detection algorithm", IEEE Trans. Biomed.
 * Eng. 32(3):230-236, 1985):
 * 1. zero-phase band-pass 5–15 Hz (order-3 Butterworth magnitude, applied in the frequency domain);
 * 2. five-point derivative, squaring, moving-window integration over 150 ms (centred);
 * 3. candidate peaks of the integrated signal, classified in time order with adaptive thresholds
 *    THR1 = NPK + 0.25 (SPK − NPK) (signal level SPK and noise level NPK are running averages with
 *    weight 1/8), a 200 ms refractory period, a T-wave test (a candidate 200–360 ms after a beat
 *    whose maximal slope is below half the beat's is noise), and search-back: when no beat has come
 *    for 1.66 × the mean of the last 8 RR intervals, the largest candidate above THR1/2 since the
 *    last beat is taken (with weight 1/4);
 * 4. each beat is moved to the R-wave extremum within ±80 ms in the 0.5–40 Hz filtered ECG; the
 *    polarity (upright or inverted R) is decided once per record from the median heights.
 *
 * Deviations from the paper: zero-phase filters (no group delay to undo); the integration window is
 * centred; thresholds live on the integrated signal only (the paper also runs a second set on the
 * band-passed signal); RR limits of 92–116 % for the "regular" average are not applied.
 */
import { ConfigError } from '../../src/errors.js';
import { butterBandpassGain, zeroPhaseFilter } from './spectral.js';

export interface RPeakOptions {
  /** Band of the detection filter in Hz (default [5, 15]). */
  readonly bandHz?: readonly [number, number];
  /** Moving-window integration length in s (default 0.15). */
  readonly integrationS?: number;
  /** Refractory period in s (default 0.2). */
  readonly refractoryS?: number;
  /** Beats closer than this to the previous one get the T-wave slope test, s (default 0.36). */
  readonly tWaveS?: number;
  /** Half-width of the refinement window in s (default 0.08). */
  readonly refineS?: number;
}

/** R-peak sample indices (ascending) of `ecg` sampled at `fs` Hz. Non-finite samples are held at the last finite value. */
export function detectRPeaks(ecg: Float64Array, fs: number, options: RPeakOptions = {}): Int32Array {
  if (!Number.isFinite(fs) || fs < 50) throw new ConfigError('fs', fs, 'a sampling rate ≥ 50 Hz');
  const [lowHz, highHzRaw] = options.bandHz ?? [5, 15];
  const highHz = Math.min(highHzRaw, 0.45 * fs);
  if (!(lowHz > 0 && lowHz < highHz)) throw new ConfigError('bandHz', options.bandHz, 'a band [low, high] with 0 < low < high');
  const refractory = Math.round((options.refractoryS ?? 0.2) * fs);
  const tWave = Math.round((options.tWaveS ?? 0.36) * fs);
  const refine = Math.max(1, Math.round((options.refineS ?? 0.08) * fs));
  const n = ecg.length;
  if (n < Math.round(fs)) return new Int32Array(0);

  const x = holdNonFinite(ecg);
  const bp = zeroPhaseFilter(x, fs, butterBandpassGain(lowHz, highHz, 3));
  const slope = derivative(bp, fs);
  const sq = Float64Array.from(slope, (v) => v * v);
  const mwi = movingAverage(sq, Math.max(1, Math.round((options.integrationS ?? 0.15) * fs)));

  const qrs = classify(mwi, slope, fs, refractory, tWave);
  if (qrs.length === 0) return new Int32Array(0);

  // Refine on a lightly filtered copy: baseline removed, high-frequency noise reduced, no delay.
  const wide = zeroPhaseFilter(x, fs, butterBandpassGain(0.5, Math.min(40, 0.45 * fs), 2));
  const up: number[] = [];
  const down: number[] = [];
  for (const p of qrs) {
    let mx = -Infinity;
    let mn = Infinity;
    for (let i = Math.max(0, p - refine); i <= Math.min(n - 1, p + refine); i++) {
      mx = Math.max(mx, wide[i]!);
      mn = Math.min(mn, wide[i]!);
    }
    up.push(mx);
    down.push(-mn);
  }
  const sign = median(up) >= median(down) ? 1 : -1;
  const refined: number[] = [];
  for (const p of qrs) {
    let best = p;
    for (let i = Math.max(0, p - refine); i <= Math.min(n - 1, p + refine); i++) if (sign * wide[i]! > sign * wide[best]!) best = i;
    const prev = refined.length ? refined[refined.length - 1]! : -Infinity;
    if (best - prev < refractory) {
      if (sign * wide[best]! > sign * wide[prev]!) refined[refined.length - 1] = best;
    } else {
      refined.push(best);
    }
  }
  return Int32Array.from(refined);
}

function classify(mwi: Float64Array, slope: Float64Array, fs: number, refractory: number, tWave: number): number[] {
  const n = mwi.length;
  // Candidates: local maxima, thinned so that none lies within 100 ms of a higher one.
  const raw: number[] = [];
  // Local maxima, counting the record's ends (a beat cut by the edge still peaks there).
  for (let i = 0; i < n; i++) if ((i === 0 || mwi[i]! > mwi[i - 1]!) && (i === n - 1 || mwi[i]! >= mwi[i + 1]!)) raw.push(i);
  const cand = thin(raw, mwi, Math.round(0.1 * fs));

  const learn = Math.min(n, Math.round(2 * fs));
  let peakMax = 0;
  let mean = 0;
  for (let i = 0; i < learn; i++) {
    peakMax = Math.max(peakMax, mwi[i]!);
    mean += mwi[i]!;
  }
  mean /= learn;
  let spk = peakMax / 3;
  let npk = mean / 2;
  let thr1 = npk + 0.25 * (spk - npk);

  const slopeWin = Math.round(0.075 * fs);
  const maxSlope = (p: number): number => {
    let m = 0;
    for (let i = Math.max(0, p - slopeWin); i <= Math.min(n - 1, p + slopeWin); i++) m = Math.max(m, Math.abs(slope[i]!));
    return m;
  };

  const beats: number[] = [];
  const rr: number[] = [];
  let lastSlope = 0;
  let pending: number[] = []; // noise candidates since the last beat, for search-back
  const accept = (p: number, weight: number): void => {
    spk = weight * mwi[p]! + (1 - weight) * spk;
    if (beats.length) {
      rr.push(p - beats[beats.length - 1]!);
      if (rr.length > 8) rr.shift();
    }
    beats.push(p);
    lastSlope = maxSlope(p);
    pending = pending.filter((q) => q > p);
  };
  const rrMean = (): number => (rr.length ? rr.reduce((a, b) => a + b, 0) / rr.length : fs);

  const searchBack = (now: number): boolean => {
    const last = beats[beats.length - 1]!;
    if (now - last <= 1.66 * rrMean()) return false;
    let best = -1;
    for (const q of pending) if (q - last >= refractory && q < now && mwi[q]! > thr1 / 2 && (best < 0 || mwi[q]! > mwi[best]!)) best = q;
    if (best < 0) return false;
    accept(best, 0.25);
    thr1 = npk + 0.25 * (spk - npk);
    return true;
  };

  for (const p of cand) {
    while (beats.length && searchBack(p));
    const since = beats.length ? p - beats[beats.length - 1]! : Infinity;
    if (since < refractory) continue;
    const h = mwi[p]!;
    let isBeat = h > thr1;
    if (isBeat && since < tWave && maxSlope(p) < 0.5 * lastSlope) isBeat = false;
    if (isBeat) accept(p, 0.125);
    else {
      npk = 0.125 * h + 0.875 * npk;
      pending.push(p);
    }
    thr1 = npk + 0.25 * (spk - npk);
  }
  while (beats.length && searchBack(n)); // a pause at the end of the record
  return beats;
}

/** Keep each candidate only if no higher one lies within `dist` samples. */
function thin(idx: number[], v: Float64Array, dist: number): number[] {
  const order = [...idx].sort((a, b) => v[b]! - v[a]!);
  const kept = new Uint8Array(v.length);
  const out: number[] = [];
  for (const i of order) {
    let ok = true;
    for (let j = Math.max(0, i - dist); j <= Math.min(v.length - 1, i + dist); j++) {
      if (kept[j]) {
        ok = false;
        break;
      }
    }
    if (ok) {
      kept[i] = 1;
      out.push(i);
    }
  }
  return out.sort((a, b) => a - b);
}

function holdNonFinite(x: Float64Array): Float64Array {
  let firstFinite = x.findIndex((v) => Number.isFinite(v));
  if (firstFinite < 0) firstFinite = 0;
  const y = new Float64Array(x.length);
  let last = Number.isFinite(x[firstFinite]!) ? x[firstFinite]! : 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) last = v;
    y[i] = last;
  }
  return y;
}

/** Five-point centred derivative (fs/8)(−x[n−2] − 2x[n−1] + 2x[n+1] + x[n+2]). */
function derivative(x: Float64Array, fs: number): Float64Array {
  const n = x.length;
  const d = new Float64Array(n);
  const at = (i: number): number => x[Math.min(n - 1, Math.max(0, i))]!;
  for (let i = 0; i < n; i++) d[i] = (fs / 8) * (-at(i - 2) - 2 * at(i - 1) + 2 * at(i + 1) + at(i + 2));
  return d;
}

/** Centred moving average over `w` samples (shorter at the ends). */
function movingAverage(x: Float64Array, w: number): Float64Array {
  const n = x.length;
  const cs = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cs[i + 1] = cs[i]! + x[i]!;
  const lo = Math.floor((w - 1) / 2);
  const hi = w - 1 - lo;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - lo);
    const b = Math.min(n - 1, i + hi);
    y[i] = (cs[b + 1]! - cs[a]!) / (b - a + 1);
  }
  return y;
}

function median(v: number[]): number {
  if (v.length === 0) return 0;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Mean heart rate in bpm from R-peak indices (60·fs / mean RR); NaN with fewer than 2 peaks. */
export function heartRateBpm(rPeaks: ArrayLike<number>, fs: number): number {
  if (rPeaks.length < 2) return NaN;
  return (60 * fs * (rPeaks.length - 1)) / (rPeaks[rPeaks.length - 1]! - rPeaks[0]!);
}

export interface BeatMatch {
  /** Reference beats with a detection within the window. */
  readonly tp: number;
  /** Reference beats without a detection. */
  readonly fn: number;
  /** Detections without a reference beat. */
  readonly fp: number;
  /** Se = TP / (TP + FN). */
  readonly sensitivity: number;
  /** +P = TP / (TP + FP). */
  readonly positivePredictivity: number;
  /** Mean |detected − reference| over the matched pairs, s. */
  readonly meanAbsErrorS: number;
}

/**
 * Beat-by-beat comparison as in ANSI/AAMI EC57: a detection matches a reference beat when they are
 * at most `windowS` apart (150 ms by default); each beat and each detection is used at most once,
 * closest pairs first. Both inputs are sample indices at `fs` Hz.
 */
export function matchBeats(reference: ArrayLike<number>, detected: ArrayLike<number>, fs: number, windowS = 0.15): BeatMatch {
  if (!(windowS > 0)) throw new ConfigError('windowS', windowS, 'a window > 0 s');
  const ref = Float64Array.from(reference).sort();
  const det = Float64Array.from(detected).sort();
  const win = windowS * fs;
  const pairs: [number, number, number][] = [];
  let lo = 0;
  for (let i = 0; i < ref.length; i++) {
    while (lo < det.length && det[lo]! < ref[i]! - win) lo++;
    for (let j = lo; j < det.length && det[j]! <= ref[i]! + win; j++) pairs.push([Math.abs(det[j]! - ref[i]!), i, j]);
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const usedR = new Uint8Array(ref.length);
  const usedD = new Uint8Array(det.length);
  let tp = 0;
  let err = 0;
  for (const [d, i, j] of pairs) {
    if (usedR[i] || usedD[j]) continue;
    usedR[i] = 1;
    usedD[j] = 1;
    tp++;
    err += d;
  }
  const fn = ref.length - tp;
  const fp = det.length - tp;
  return {
    tp,
    fn,
    fp,
    sensitivity: ref.length ? tp / ref.length : NaN,
    positivePredictivity: det.length ? tp / det.length : NaN,
    meanAbsErrorS: tp ? err / tp / fs : NaN,
  };
}

export interface CycleSegment {
  /** First sample of the cycle. */
  readonly start: number;
  /** One past the last sample. */
  readonly end: number;
  /** The R peak inside the cycle. */
  readonly rPeak: number;
  /** View of `ecg[start:end]`. */
  readonly samples: Float64Array;
}

export interface SegmentOptions {
  /**
   * `'r-to-r'`: cycle i runs from R_i to R_{i+1}. `'reference'` (default): as radarODE's labels
   * (NeuroKit2 `ecg_segment` epochs): every cycle starts `preRFraction` × the mean RR before its R
   * peak and ends where the next one starts, so R sits at about 35 % of the cycle.
   */
  readonly mode?: 'r-to-r' | 'reference';
  /** Fraction of the mean RR before the R peak, `'reference'` mode (default 0.35). */
  readonly preRFraction?: number;
  /** Cycles shorter than this many samples are dropped (default 5, as in the reference). */
  readonly minLength?: number;
}

/**
 * Split `ecg` into cardiac cycles between successive R peaks. N peaks give at most N − 1 cycles;
 * cycles that would start before the record are dropped.
 */
export function segmentCycles(ecg: Float64Array, rPeaks: ArrayLike<number>, options: SegmentOptions = {}): CycleSegment[] {
  const mode = options.mode ?? 'reference';
  const frac = options.preRFraction ?? 0.35;
  const minLength = options.minLength ?? 5;
  if (!(frac >= 0 && frac < 1)) throw new ConfigError('preRFraction', frac, 'a fraction in [0, 1)');
  const peaks = Array.from(rPeaks).sort((a, b) => a - b);
  if (peaks.length < 2) return [];
  const meanRr = (peaks[peaks.length - 1]! - peaks[0]!) / (peaks.length - 1);
  const shift = mode === 'reference' ? Math.round(frac * meanRr) : 0;
  const out: CycleSegment[] = [];
  for (let i = 0; i + 1 < peaks.length; i++) {
    const start = peaks[i]! - shift;
    const end = Math.min(ecg.length, peaks[i + 1]! - shift);
    if (start < 0 || end - start < minLength) continue;
    out.push({ start, end, rPeak: peaks[i]!, samples: ecg.subarray(start, end) });
  }
  return out;
}

/**
 * Resample a cycle to `n` points (default 200) by linear interpolation. `grid: 'inclusive'`
 * (default) spans the first to the last sample; `'reference'` reproduces radarODE's loader,
 * np.interp(linspace(0, len, n), arange(len), x), whose grid ends one sample past the end (the
 * tail is held at the last value).
 */
export function resampleCycle(cycle: ArrayLike<number>, n = 200, grid: 'inclusive' | 'reference' = 'inclusive'): Float64Array {
  const len = cycle.length;
  if (len === 0) throw new ConfigError('cycle', [], 'at least one sample');
  if (!(Number.isInteger(n) && n >= 2)) throw new ConfigError('n', n, 'an integer ≥ 2');
  const span = grid === 'reference' ? len : len - 1;
  const y = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const p = Math.min(len - 1, (k * span) / (n - 1));
    const i = Math.min(len - 2, Math.floor(p));
    if (i < 0) y[k] = cycle[0]!;
    else y[k] = cycle[i]! + (p - i) * (cycle[i + 1]! - cycle[i]!);
  }
  return y;
}
