/**
 * Radar cardiac-motion simulator: the signal model of radarODE / radarODE-MTL, driven by an ECG.
 *
 * Model (slides "Signal Model"): the chest displacement seen by the radar is
 *   x(t) = Σ_k v1_k(t) + Σ_k v2_k(t) + n_abr(t) + n_con(t),
 *   v_k(t) = a_k cos(2π f_k (t − T_k) + φ_k) exp(−(t − T_k)² / b_k²),
 * and the radar measures the phase Δφ(t) = 4π x(t) / λ (λ ≈ 3.9 mm at 77 GHz).
 *
 * Here:
 * - v1 (first mechanical event, valve closure at the start of systole) is centred T1 = R + EMD,
 *   the electromechanical delay (per subject 40–90 ms, per beat ±5 ms);
 * - v2 (second event, semilunar valve closure) is centred at the end of the T wave, found on the
 *   ECG by the trapezium-area method (Zhang et al., IEEE TBME 2006), with a Bazett fallback
 *   (R + 0.37 √RR s) when the T wave is too flat to locate;
 * - a, b, f are drawn per subject (a1 15–40 µm, f1 10–18 Hz, b1 35–60 ms; a2 0.4–0.9 a1,
 *   f2 6–12 Hz, b2 40–70 ms) and jittered per beat (±12 % amplitude, ±8 % width, ±6 % frequency,
 *   small phase jitter);
 * - respiration (part of the slow, large motion): rate 0.2–0.4 Hz (the ECG subject's breathing
 *   rate when given), peak amplitude 1.5–5 mm, 2nd/3rd harmonics (inhale/exhale asymmetry) and a
 *   slow random rate and depth modulation;
 * - 50 channels = chest points on a 5 × 10 grid (like MMECG's 50 beamformed points): each sees the
 *   two vibrations with a gain that falls off with its distance from the apex (v1) and the base
 *   (v2) source, a propagation delay (distance / 4–8 m/s), its own respiration gain, and its own
 *   white noise floor n_con (1–6 µm RMS, larger far from the heart).
 * n_abr (random body movement) is added separately by `noise.ts` (`addBodyMovement`).
 *
 * Output: unwrapped radar phase per channel at `fs` (default 200 Hz), channels × samples.
 *
 * Deviation from the slides: the carrier is cos(2π f (t − T) + φ) (locked to the event, with a
 * small random phase) rather than cos(2π f t) with absolute time; the phase is returned unwrapped
 * (a real FMCW pipeline unwraps the arctangent of I/Q).
 */
import { ConfigError } from '../../src/errors.js';
import type { Rng } from '../../src/rng.js';

/** Free-space wavelength at 77 GHz, mm. */
export const WAVELENGTH_77GHZ_MM = 299_792_458 / 77e9 * 1e3;

export interface ChannelProfile {
  /** Grid position on the chest (cm), for reference. */
  readonly xCm: number;
  readonly yCm: number;
  /** Gain of the first and second vibration at this point. */
  readonly gain1: number;
  readonly gain2: number;
  /** Propagation delays of the two vibrations to this point, s. */
  readonly delay1S: number;
  readonly delay2S: number;
  /** Respiration gain (chest vs. abdomen motion). */
  readonly respGain: number;
  /** White noise floor (n_con), µm RMS. */
  readonly noiseUm: number;
}

export interface RadarSubject {
  /** Electromechanical delay R → T1, s. */
  readonly emdS: number;
  readonly a1Um: number;
  readonly f1Hz: number;
  readonly b1S: number;
  readonly a2Um: number;
  readonly f2Hz: number;
  readonly b2S: number;
  /** Relative per-beat jitter (standard deviations) of amplitude, width, frequency; timing jitter in s. */
  readonly jitter: { readonly amp: number; readonly width: number; readonly freq: number; readonly timeS: number };
  readonly respHz: number;
  readonly respAmplitudeMm: number;
  /** Relative amplitudes of the 2nd and 3rd respiration harmonics. */
  readonly respHarmonics: readonly [number, number];
  /** Relative slow modulation of breathing rate and depth (0 = perfectly regular). */
  readonly respIrregularity: number;
  readonly channels: readonly ChannelProfile[];
}

export interface RadarOptions {
  /** Output sampling rate, Hz (default 200). */
  readonly fs?: number;
  /** Wavelength, mm (default 3.893, 77 GHz). */
  readonly wavelengthMm?: number;
}

/** One beat's two vibrations (times in s from the first sample). */
export interface RadarBeat {
  readonly t1: number;
  readonly a1Um: number;
  readonly b1S: number;
  readonly f1Hz: number;
  readonly phi1: number;
  readonly t2: number;
  readonly a2Um: number;
  readonly b2S: number;
  readonly f2Hz: number;
  readonly phi2: number;
}

export interface RadarRecording {
  readonly fs: number;
  readonly channels: number;
  readonly samples: number;
  readonly wavelengthMm: number;
  /** Unwrapped phase 4π x / λ in rad, channels × samples, row-major. */
  readonly phase: Float32Array;
  readonly beats: readonly RadarBeat[];
}

/** The ECG fields the simulator needs (a `SyntheticEcg` or an imported recording). */
export interface EcgDrive {
  readonly fs: number;
  readonly ecg: Float64Array;
  /** R-peak times in s from the first sample. */
  readonly rPeakTimes: ArrayLike<number>;
}

/** Draw a subject's mechanical parameters and `channels` chest points. */
export function sampleRadarSubject(rng: Rng, channels = 50, respHz?: number): RadarSubject {
  if (!Number.isInteger(channels) || channels < 1) throw new ConfigError('channels', channels, 'an integer ≥ 1');
  const u = (lo: number, hi: number): number => lo + (hi - lo) * rng.uniform();
  const a1Um = u(15, 40);
  // Chest grid: 5 columns × ceil(channels/5) rows, 2 cm pitch; sources near the apex and the base.
  const cols = 5;
  const rows = Math.ceil(channels / cols);
  const apex = { x: u(3, 6), y: u(0.6, 0.8) * rows * 2 };
  const base = { x: u(1, 4), y: u(0.2, 0.45) * rows * 2 };
  const spread = u(5, 9); // cm
  const speed1 = u(400, 800); // cm/s
  const speed2 = u(400, 800);
  const ch: ChannelProfile[] = [];
  for (let c = 0; c < channels; c++) {
    const xCm = (c % cols) * 2;
    const yCm = Math.floor(c / cols) * 2;
    const d1 = Math.hypot(xCm - apex.x, yCm - apex.y);
    const d2 = Math.hypot(xCm - base.x, yCm - base.y);
    const g = (d: number): number => Math.exp(-(d * d) / (2 * spread * spread)) * Math.exp(0.25 * rng.normal());
    const g1 = g(d1);
    const g2 = g(d2);
    ch.push({
      xCm,
      yCm,
      gain1: (rng.uniform() < 0.15 ? -1 : 1) * g1,
      gain2: (rng.uniform() < 0.15 ? -1 : 1) * g2,
      delay1S: d1 / speed1,
      delay2S: d2 / speed2,
      respGain: u(0.5, 1.2),
      noiseUm: u(1, 3) * (1 + 1.5 * Math.max(0, 1 - Math.max(g1, g2))),
    });
  }
  return {
    emdS: u(0.04, 0.09),
    a1Um,
    f1Hz: u(10, 18),
    b1S: u(0.035, 0.06),
    a2Um: a1Um * u(0.4, 0.9),
    f2Hz: u(6, 12),
    b2S: u(0.04, 0.07),
    jitter: { amp: 0.12, width: 0.08, freq: 0.06, timeS: 0.005 },
    respHz: respHz ?? u(0.2, 0.4),
    respAmplitudeMm: u(1.5, 5),
    respHarmonics: [u(0.1, 0.25), u(0.03, 0.1)],
    respIrregularity: u(0.03, 0.1),
    channels: ch,
  };
}

/**
 * End of each T wave (s) for beats 0 … K−2 (beat k needs R_{k+1}); the last beat uses the mean RR.
 * Trapezium-area method: T_end maximises A(t) = Σ_{τ ∈ [t − w, t]} (ecg(τ) − ecg(t)) (sign by the
 * T-wave polarity) over t from the T peak to the peak + 0.25 s, w = 60 ms.
 */
export function tWaveEnds(ecg: Float64Array, fs: number, rPeakTimes: ArrayLike<number>): Float64Array {
  const k = rPeakTimes.length;
  const out = new Float64Array(k);
  let meanRr = 0.8;
  if (k >= 2) meanRr = (rPeakTimes[k - 1]! - rPeakTimes[0]!) / (k - 1);
  const w = Math.max(2, Math.round(0.06 * fs));
  for (let i = 0; i < k; i++) {
    const r = rPeakTimes[i]!;
    const rr = i + 1 < k ? rPeakTimes[i + 1]! - r : meanRr;
    const bazett = r + 0.37 * Math.sqrt(rr);
    const lo = Math.round((r + Math.min(0.1, 0.2 * rr)) * fs);
    const hi = Math.min(ecg.length - 1, Math.round((r + 0.6 * rr) * fs));
    out[i] = bazett;
    if (hi - lo < 4 || lo < 0) continue;
    // T peak: largest deviation from the level at the search start, after the S wave settles.
    let mean = 0;
    for (let j = lo; j <= hi; j++) mean += ecg[j]!;
    mean /= hi - lo + 1;
    let peak = lo;
    for (let j = lo; j <= hi; j++) if (Math.abs(ecg[j]! - mean) > Math.abs(ecg[peak]! - mean)) peak = j;
    const sign = ecg[peak]! >= mean ? 1 : -1;
    const stop = Math.min(ecg.length - 1, peak + Math.round(0.25 * fs), Math.round((r + 0.85 * rr) * fs));
    let best = -Infinity;
    let bestJ = -1;
    for (let j = peak + 1; j <= stop; j++) {
      let a = 0;
      for (let q = Math.max(peak, j - w); q < j; q++) a += sign * (ecg[q]! - ecg[j]!);
      if (a > best) {
        best = a;
        bestJ = j;
      }
    }
    const tEnd = bestJ / fs;
    if (bestJ > 0 && tEnd > r + 0.12 && tEnd < r + 0.85 * rr) out[i] = tEnd;
  }
  return out;
}

/** Per-beat vibration parameters tied to the ECG's R peaks and T-wave ends. */
export function radarBeats(drive: EcgDrive, subject: RadarSubject, rng: Rng): RadarBeat[] {
  const ends = tWaveEnds(drive.ecg, drive.fs, drive.rPeakTimes);
  const j = subject.jitter;
  const beats: RadarBeat[] = [];
  const pos = (s: number): number => Math.max(0.5, 1 + s * rng.normal());
  for (let i = 0; i < drive.rPeakTimes.length; i++) {
    const r = drive.rPeakTimes[i]!;
    beats.push({
      t1: r + subject.emdS + j.timeS * rng.normal(),
      a1Um: subject.a1Um * pos(j.amp),
      b1S: subject.b1S * pos(j.width),
      f1Hz: subject.f1Hz * pos(j.freq),
      phi1: 0.3 * rng.normal(),
      t2: ends[i]! + j.timeS * rng.normal(),
      a2Um: subject.a2Um * pos(j.amp),
      b2S: subject.b2S * pos(j.width),
      f2Hz: subject.f2Hz * pos(j.freq),
      phi2: 0.3 * rng.normal(),
    });
  }
  return beats;
}

/** Respiratory displacement (mm) at `fs`, n samples; slow random rate/depth modulation. */
export function respiration(subject: RadarSubject, n: number, fs: number, rng: Rng): Float64Array {
  const out = new Float64Array(n);
  const irr = subject.respIrregularity;
  // Slow modulations: sums of three random sinusoids below 0.05 Hz.
  const mods = Array.from({ length: 6 }, () => ({ f: 0.005 + 0.045 * rng.uniform(), p: 2 * Math.PI * rng.uniform(), a: rng.normal() / Math.sqrt(3) }));
  const ph2 = 2 * Math.PI * rng.uniform();
  const ph3 = 2 * Math.PI * rng.uniform();
  let phase = 2 * Math.PI * rng.uniform();
  const [h2, h3] = subject.respHarmonics;
  for (let i = 0; i < n; i++) {
    const t = i / fs;
    let rateMod = 0;
    let depthMod = 0;
    for (let m = 0; m < 3; m++) rateMod += mods[m]!.a * Math.sin(2 * Math.PI * mods[m]!.f * t + mods[m]!.p);
    for (let m = 3; m < 6; m++) depthMod += mods[m]!.a * Math.sin(2 * Math.PI * mods[m]!.f * t + mods[m]!.p);
    const f = subject.respHz * Math.max(0.3, 1 + 2 * irr * rateMod);
    phase += (2 * Math.PI * f) / fs;
    const depth = subject.respAmplitudeMm * Math.max(0.1, 1 + 3 * irr * depthMod);
    out[i] = depth * (Math.sin(phase) + h2 * Math.sin(2 * phase + ph2) + h3 * Math.sin(3 * phase + ph3));
  }
  return out;
}

/**
 * Simulate the multichannel radar phase for an ECG recording (length and rate taken from the
 * ECG unless `fs` differs, in which case the duration is kept).
 */
export function simulateRadar(drive: EcgDrive, subject: RadarSubject, rng: Rng, opts: RadarOptions = {}): RadarRecording {
  const fs = opts.fs ?? 200;
  const lambda = opts.wavelengthMm ?? WAVELENGTH_77GHZ_MM;
  if (!(fs > 0)) throw new ConfigError('radar.fs', fs, 'a sampling rate > 0 Hz');
  if (!(lambda > 0)) throw new ConfigError('radar.wavelengthMm', lambda, 'a wavelength > 0 mm');
  const n = Math.round((drive.ecg.length / drive.fs) * fs);
  const nCh = subject.channels.length;
  const beats = radarBeats(drive, subject, rng.fork('beats'));
  const resp = respiration(subject, n, fs, rng.fork('respiration'));
  const noiseRng = rng.fork('noise');
  const phase = new Float32Array(nCh * n);
  const x = new Float64Array(n);
  const k = (4 * Math.PI) / lambda; // rad per mm
  for (let c = 0; c < nCh; c++) {
    const ch = subject.channels[c]!;
    for (let i = 0; i < n; i++) x[i] = ch.respGain * resp[i]! + 1e-3 * ch.noiseUm * noiseRng.normal();
    for (const b of beats) {
      addVibration(x, fs, b.t1 + ch.delay1S, 1e-3 * b.a1Um * ch.gain1, b.b1S, b.f1Hz, b.phi1);
      addVibration(x, fs, b.t2 + ch.delay2S, 1e-3 * b.a2Um * ch.gain2, b.b2S, b.f2Hz, b.phi2);
    }
    const row = c * n;
    for (let i = 0; i < n; i++) phase[row + i] = k * x[i]!;
  }
  return { fs, channels: nCh, samples: n, wavelengthMm: lambda, phase, beats };
}

/** x += a cos(2π f (t − T) + φ) exp(−(t − T)²/b²) over |t − T| ≤ 4b (a in mm). */
function addVibration(x: Float64Array, fs: number, T: number, a: number, b: number, f: number, phi: number): void {
  const i0 = Math.max(0, Math.ceil((T - 4 * b) * fs));
  const i1 = Math.min(x.length - 1, Math.floor((T + 4 * b) * fs));
  for (let i = i0; i <= i1; i++) {
    const d = i / fs - T;
    x[i]! += a * Math.cos(2 * Math.PI * f * d + phi) * Math.exp(-(d * d) / (b * b));
  }
}
