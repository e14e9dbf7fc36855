/**
 * Spectral helpers for the radar-ECG data tools, on `Float64Array` with fft.js doing the transforms:
 * zero-phase filtering in the frequency domain, Butterworth magnitude responses, a real inverse
 * transform from a half spectrum, and a one-sided periodogram.
 *
 * Zero-phase filtering multiplies the spectrum by a real, non-negative gain. With the gain
 * |H(f)|² of an order-n Butterworth filter this is the analogue counterpart of filtfilt (forward
 * and backward passes of the order-n filter): no delay, so detected peaks keep their timing.
 * The signal is mirrored at both ends before the transform (like filtfilt's odd padding) so the
 * circular wrap of the FFT does not leak one end of the record into the other.
 */
import FFT from 'fft.js';

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

const plans = new Map<number, FFT>();
function plan(size: number): FFT {
  let p = plans.get(size);
  if (!p) {
    p = new FFT(size);
    if (plans.size > 8) plans.clear();
    plans.set(size, p);
  }
  return p;
}

/** A real gain as a function of frequency in Hz (must be finite and ≥ 0 on [0, fs/2]). */
export type GainFn = (fHz: number) => number;

/** |H(f)|² of an order-`order` Butterworth low-pass at `cutHz` (the gain of filtfilt). */
export function butterLowpassGain(cutHz: number, order: number): GainFn {
  return (f) => 1 / (1 + Math.pow(f / cutHz, 2 * order));
}

/** |H(f)|² of an order-`order` Butterworth high-pass at `cutHz`. */
export function butterHighpassGain(cutHz: number, order: number): GainFn {
  return (f) => (f === 0 ? 0 : 1 / (1 + Math.pow(cutHz / f, 2 * order)));
}

/** Product of a high-pass at `lowHz` and a low-pass at `highHz`; either side may be disabled with 0 / Infinity. */
export function butterBandpassGain(lowHz: number, highHz: number, order: number): GainFn {
  const hp = lowHz > 0 ? butterHighpassGain(lowHz, order) : () => 1;
  const lp = Number.isFinite(highHz) ? butterLowpassGain(highHz, order) : () => 1;
  return (f) => hp(f) * lp(f);
}

/**
 * Zero-phase filter: mirror-pad by `padS` seconds (capped at the signal length), transform, multiply
 * by `gain`, transform back. Output has the input's length.
 */
export function zeroPhaseFilter(x: Float64Array, fs: number, gain: GainFn, padS = 1): Float64Array {
  const n = x.length;
  if (n === 0) return new Float64Array(0);
  const pad = Math.min(n - 1, Math.max(0, Math.round(padS * fs)));
  const size = nextPow2(Math.max(4, n + 2 * pad + 2));
  const buf = new Float64Array(size);
  const first = x[0]!;
  const last = x[n - 1]!;
  // Layout: [signal | odd mirror of the tail | constant fill | odd mirror of the head], circularly.
  buf.set(x, 0);
  for (let i = 1; i <= pad; i++) buf[n - 1 + i] = 2 * last - x[n - 1 - i]!;
  for (let i = 1; i <= pad; i++) buf[size - i] = 2 * first - x[i]!;
  const tailEnd = n + pad; // first free index after the tail mirror
  const headStart = size - pad; // first index of the head mirror
  const tailVal = pad > 0 ? buf[n - 1 + pad]! : last;
  const headVal = pad > 0 ? buf[size - pad]! : first;
  const mid = (tailEnd + headStart) >> 1;
  for (let i = tailEnd; i < mid; i++) buf[i] = tailVal;
  for (let i = mid; i < headStart; i++) buf[i] = headVal;

  const f = plan(size);
  const spec = new Float64Array(2 * size);
  f.realTransform(spec, buf);
  const half = size / 2;
  for (let k = 0; k <= half; k++) {
    const g = gain((k * fs) / size);
    spec[2 * k] = spec[2 * k]! * g;
    spec[2 * k + 1] = spec[2 * k + 1]! * g;
  }
  f.completeSpectrum(spec);
  const out = new Float64Array(2 * size);
  f.inverseTransform(out, spec);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = out[2 * i]!;
  return y;
}

/**
 * Real signal of length `size` (a power of two) whose spectrum bins k = 0..size/2 have the given
 * amplitudes and phases (the conjugate-symmetric half is implied). Bin k's amplitude A contributes
 * (2A/size)·cos(2πkn/size + φ) for 0 < k < size/2.
 */
export function realFromHalfSpectrum(amplitude: Float64Array, phase: Float64Array, size: number): Float64Array {
  const spec = new Float64Array(2 * size);
  for (let k = 0; k <= size / 2; k++) {
    spec[2 * k] = amplitude[k]! * Math.cos(phase[k]!);
    spec[2 * k + 1] = amplitude[k]! * Math.sin(phase[k]!);
  }
  // DC and Nyquist bins of a real signal are real.
  spec[1] = 0;
  spec[size + 1] = 0;
  const f = plan(size);
  f.completeSpectrum(spec);
  const out = new Float64Array(2 * size);
  f.inverseTransform(out, spec);
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) y[i] = out[2 * i]!;
  return y;
}

/**
 * One-sided periodogram of `x` (mean removed, zero-padded to a power of two ≥ `minSize`):
 * frequencies in Hz and power |X(f)|² (unnormalised; compare bands, not absolute levels).
 */
export function periodogram(x: Float64Array, fs: number, minSize = 0): { freq: Float64Array; power: Float64Array } {
  const size = nextPow2(Math.max(4, x.length, minSize));
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length || 1;
  const buf = new Float64Array(size);
  for (let i = 0; i < x.length; i++) buf[i] = x[i]! - mean;
  const f = plan(size);
  const spec = new Float64Array(2 * size);
  f.realTransform(spec, buf);
  const half = size / 2;
  const freq = new Float64Array(half + 1);
  const power = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    freq[k] = (k * fs) / size;
    power[k] = spec[2 * k]! ** 2 + spec[2 * k + 1]! ** 2;
  }
  return { freq, power };
}
