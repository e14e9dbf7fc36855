/**
 * Small numeric helpers shared by the radar-ECG evaluation (plain arrays, float64, no tfjs):
 * min-max normalisation, RMSE, Pearson correlation, median, argmax and the two resampling grids.
 */
import { ConfigError, ShapeError } from '../../errors.js';

export type Series = ArrayLike<number>;

/** Sampling rate of the MMECG ECG, the anchor train and the PPI classes. */
export const SAMPLE_RATE_HZ = 200;
export const MS_PER_SAMPLE = 1000 / SAMPLE_RATE_HZ;

/** Smallest and largest value of a series. */
function extent(x: Series): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** (x − min)/(max − min). A constant series (max = min) maps to zeros instead of NaN. */
export function minMaxNormalise(x: Series): Float64Array {
  const [lo, hi] = extent(x);
  const out = new Float64Array(x.length);
  const range = hi - lo;
  if (!(range > 0)) return out;
  for (let i = 0; i < x.length; i++) out[i] = (x[i]! - lo) / range;
  return out;
}

/** max − min. */
export function valueRange(x: Series): number {
  const [lo, hi] = extent(x);
  return hi - lo;
}

function checkSameLength(what: string, a: Series, b: Series): void {
  if (a.length !== b.length) throw new ShapeError(what, [a.length], [b.length]);
  if (a.length === 0) throw new ShapeError(what, ['n > 0'], [0]);
}

/** Root mean squared difference. */
export function rmse(a: Series, b: Series): number {
  checkSameLength('rmse: second series', a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

/** Pearson correlation coefficient; NaN when either series is constant (as numpy's corrcoef). */
export function pearson(a: Series, b: Series): number {
  checkSameLength('pearson: second series', a, b);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return sab / Math.sqrt(saa * sbb);
}

/** Median (mean of the two middle values for even n). NaN propagates, as in numpy. */
export function median(xs: Series): number {
  if (xs.length === 0) throw new ConfigError('median: sample', 0, 'at least one value');
  const s = Float64Array.from(xs);
  for (const v of s) if (Number.isNaN(v)) return NaN;
  s.sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : 0.5 * (s[mid - 1]! + s[mid]!);
}

/** Index of the first maximum. */
export function argmax(x: Series): number {
  if (x.length === 0) throw new ShapeError('argmax: series', ['n > 0'], [0]);
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** Linear interpolation of x (sample k at position k) at position t, clamped to the ends. */
function interpAt(x: Series, t: number): number {
  const last = x.length - 1;
  if (t <= 0) return x[0]!;
  if (t >= last) return x[last]!;
  const k = Math.floor(t);
  const f = t - k;
  return f === 0 ? x[k]! : x[k]! + f * (x[k + 1]! - x[k]!);
}

/**
 * Linear resampling to n points on the grid linspace(0, len − 1, n): first and last samples are
 * kept, the series is stretched evenly.
 */
export function linearResample(x: Series, n: number): Float64Array {
  if (x.length === 0) throw new ShapeError('linearResample: series', ['n > 0'], [0]);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('linearResample: length', n, 'an integer ≥ 1');
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = x[0]!;
    return out;
  }
  const step = (x.length - 1) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = interpAt(x, i * step);
  return out;
}

/**
 * The reference's `down_sample`: np.interp(linspace(0, len, n), arange(len), x). The grid ends one
 * index past the last sample, so the series is compressed by (len − 1)/len and its tail clamped to
 * the last value (radarode-mtl.md §8.4). Only used to reproduce the reference evaluation.
 */
export function onePastEndResample(x: Series, n: number): Float64Array {
  if (x.length === 0) throw new ShapeError('onePastEndResample: series', ['n > 0'], [0]);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('onePastEndResample: length', n, 'an integer ≥ 1');
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = x[0]!;
    return out;
  }
  const step = x.length / (n - 1);
  for (let i = 0; i < n; i++) out[i] = interpAt(x, i * step);
  return out;
}

/** numpy.linspace(start, stop, num) with the endpoint written exactly. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(Math.max(0, num));
  if (num <= 0) return out;
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  out[num - 1] = stop;
  return out;
}
