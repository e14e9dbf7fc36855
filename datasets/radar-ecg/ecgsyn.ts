/**
 * Synthetic ECG from the dynamical model of McSharry, Clifford, Tarassenko and Smith (ECGSYN).
 *
 * Paper: "A dynamical model for generating synthetic electrocardiogram signals",
 * IEEE Transactions on Biomedical Engineering 50(3):289-294, 2003.
 *
 * Model. A point (x, y) circles the unit limit cycle at angular speed ω(t); its phase θ = atan2(y, x)
 * places five Gaussian events P, Q, R, S, T (angle θ_i, amplitude a_i, width b_i) on the cycle, and
 * the ECG is the third coordinate z:
 *
 *   dx/dt = αx − ωy,   dy/dt = αy + ωx,   α = 1 − √(x² + y²)
 *   dz/dt = −Σ_i a_i Δθ_i exp(−Δθ_i² / (2 b_i²)) − (z − z0(t)),   Δθ_i = (θ − θ_i) wrapped to [−π, π)
 *   z0(t) = A sin(2π f_resp t + φ)   (baseline wander from respiration)
 *
 * ω comes from an RR tachogram: RR(t) has the bimodal power spectrum
 * S(f) = σ_LF² G(f; f_LF, c_LF) + σ_HF² G(f; f_HF, c_HF) (G a unit-area Gaussian; Mayer waves near
 * 0.1 Hz, respiratory sinus arrhythmia at the breathing rate), σ_LF²/σ_HF² = the LF/HF ratio. It is
 * synthesised with amplitudes √S(f) and uniform random phases, then shifted and scaled to the mean
 * RR 60/meanHr and standard deviation 60·hrStd/meanHr². As in ECGSYN, ω is piecewise constant per beat:
 * a beat that starts (θ = θ_R) at time T_k lasts RR(T_k) with ω = 2π/RR(T_k). The event parameters
 * follow ECGSYN's heart-rate adjustment: with h = √(meanHr/60), every b_i is multiplied by h, θ_Q and
 * θ_S by h, θ_P and θ_T by √h.
 *
 * Integration: classical 4th-order Runge-Kutta at an internal rate that is an integer multiple of
 * `fs` and at least 1 kHz; a step that contains a beat boundary is split there. The first 5 s are a
 * discarded burn-in so z starts on its limit cycle. R-peak times are the θ = θ_R crossings of the
 * integrated state (exact up to the integrator's error, ~1e-9 s).
 *
 * Deviations from the paper's code: the output is shifted and scaled so that a noise-free beat at
 * the mean heart rate has its isoelectric level (just before P) at 0 mV and its R wave at
 * `rAmplitudeMv` (ECGSYN min-max scales the whole record to [−0.4, 1.2] mV), the wander amplitude is given in mV, the R-wave amplitude can be
 * modulated by respiration (`respAmpModulation`, 0 in the paper), and the tachogram is drawn at
 * 8 Hz over the record length rather than at 1 Hz over a fixed number of beats.
 */
import { ConfigError } from '../../src/errors.js';
import type { Rng } from '../../src/rng.js';
import { nextPow2, realFromHalfSpectrum } from './spectral.js';

export type WaveName = 'P' | 'Q' | 'R' | 'S' | 'T';
export const WAVE_NAMES: readonly WaveName[] = ['P', 'Q', 'R', 'S', 'T'];

/** One Gaussian event on the limit cycle, as stated at 60 bpm (before the heart-rate adjustment). */
export interface EcgWave {
  /** Angle on the cycle in degrees; R is the reference (0). */
  readonly thetaDeg: number;
  /** Amplitude a_i (model units; negative for Q and S). */
  readonly a: number;
  /** Width b_i in radians. */
  readonly b: number;
}

export interface EcgSubject {
  readonly id: string;
  /** Mean heart rate in beats per minute (= 60 / mean RR). */
  readonly meanHr: number;
  /** Standard deviation of the heart rate in bpm (converted to an RR std of 60·hrStd/meanHr² s). */
  readonly hrStd: number;
  /** Power ratio of the LF (Mayer) to the HF (respiratory) component of the RR tachogram. */
  readonly lfHfRatio: number;
  /** Centre of the LF peak in Hz (~0.1). */
  readonly lfHz: number;
  /** Centre of the HF peak in Hz (respiratory sinus arrhythmia; usually the breathing rate). */
  readonly hfHz: number;
  /** Standard deviations (widths) of the LF and HF Gaussian peaks in Hz (ECGSYN: 0.01). */
  readonly lfWidthHz: number;
  readonly hfWidthHz: number;
  /** Event parameters at 60 bpm. */
  readonly waves: Readonly<Record<WaveName, EcgWave>>;
  /** Breathing rate in Hz: drives the baseline wander z0 and the amplitude modulation. */
  readonly respirationHz: number;
  /** Amplitude of the respiratory baseline wander, mV. */
  readonly baselineWanderMv: number;
  /** Relative modulation of the event amplitudes by respiration (0 = none, 0.05 = ±5%). */
  readonly respAmpModulation: number;
  /** R-wave amplitude of a noise-free beat at the mean heart rate, mV. */
  readonly rAmplitudeMv: number;
  /** Standard deviation of additive white measurement noise, mV. */
  readonly noiseMv: number;
}

export interface SyntheticEcg {
  readonly fs: number;
  /** ECG in mV, `round(durationS·fs)` samples. */
  readonly ecg: Float64Array;
  /** R-peak sample indices, round(rPeakTimes·fs), ascending, all inside the record. */
  readonly rPeaks: Int32Array;
  /** R-peak times in seconds from the first sample (the θ = θ_R crossings). */
  readonly rPeakTimes: Float64Array;
}

/** ECGSYN's default event parameters (60 bpm). */
export const ECGSYN_DEFAULT_WAVES: Readonly<Record<WaveName, EcgWave>> = {
  P: { thetaDeg: -70, a: 1.2, b: 0.25 },
  Q: { thetaDeg: -15, a: -5, b: 0.1 },
  R: { thetaDeg: 0, a: 30, b: 0.1 },
  S: { thetaDeg: 15, a: -7.5, b: 0.1 },
  T: { thetaDeg: 100, a: 0.75, b: 0.4 },
};

/**
 * A random plausible subject: mean HR 50–110 bpm, HR std 1.5–5 bpm, LF/HF 0.5–3 (log-uniform),
 * breathing 12–20 per minute, per-subject jitter of every event's angle, amplitude and width,
 * R amplitude 1.0–1.6 mV, wander 0.02–0.12 mV, noise 5–20 µV.
 *
 * Morphology spread between subjects (log-normal factors on ECGSYN's defaults, clipped): T
 * amplitude σ 0.45 in [0.3, 2.4], P amplitude σ 0.4 in [0.35, 2.2], Q and S depth σ 0.5 in
 * [0.25, 2.5], T and P widths σ 0.2, T angle ± 12°, P angle ± 8°. With R at 1.0–1.6 mV this spans
 * the normal lead-II ranges (T 0.1–0.8 mV, P 0.05–0.25 mV, Q up to a quarter of R, S 0–0.8 mV,
 * QT and PR intervals over their normal ranges), so the subjects' cycles differ as much as healthy
 * adults' do; with ECGSYN's narrower spread the mean cycle had PCC ≈ 0.9 with every subject's
 * cycle and the single-cycle task was solved by a constant.
 */
export function sampleSubject(rng: Rng, id: string): EcgSubject {
  const u = (lo: number, hi: number): number => lo + (hi - lo) * rng.uniform();
  // Log-normal factors, clipped; amplitudes of the narrow Q, R, S events go as a·b², so their
  // widths get little jitter to keep |S| and |Q| well below R.
  const logN = (sigma: number, lo = 0.6, hi = 1.6): number => Math.min(hi, Math.max(lo, Math.exp(sigma * rng.normal())));
  const meanHr = u(50, 110);
  const hrStd = u(1.5, 5);
  const lfHfRatio = Math.exp(u(Math.log(0.5), Math.log(3)));
  const lfHz = u(0.08, 0.12);
  const respirationHz = u(0.2, 0.33);
  const d = ECGSYN_DEFAULT_WAVES;
  const waves: Record<WaveName, EcgWave> = {
    P: { thetaDeg: d.P.thetaDeg + 8 * rng.normal(), a: d.P.a * logN(0.4, 0.35, 2.2), b: d.P.b * logN(0.2) },
    Q: { thetaDeg: d.Q.thetaDeg + 2 * rng.normal(), a: d.Q.a * logN(0.5, 0.25, 2.5), b: d.Q.b * logN(0.05) },
    R: { thetaDeg: 0, a: d.R.a * logN(0.1), b: d.R.b * logN(0.05) },
    S: { thetaDeg: d.S.thetaDeg + 2 * rng.normal(), a: d.S.a * logN(0.5, 0.25, 2.5), b: d.S.b * logN(0.05) },
    T: { thetaDeg: d.T.thetaDeg + 12 * rng.normal(), a: d.T.a * logN(0.45, 0.3, 2.4), b: d.T.b * logN(0.2) },
  };
  return {
    id,
    meanHr,
    hrStd,
    lfHfRatio,
    lfHz,
    hfHz: respirationHz,
    lfWidthHz: 0.01,
    hfWidthHz: 0.01,
    waves,
    respirationHz,
    baselineWanderMv: u(0.02, 0.12),
    respAmpModulation: u(0, 0.08),
    rAmplitudeMv: u(1.0, 1.6),
    noiseMv: u(0.005, 0.02),
  };
}

const BURN_IN_S = 5;
const TACHO_FS = 8;
const RR_MIN = 60 / 220;
const RR_MAX = 60 / 25;

/**
 * Synthesise `durationS` seconds of ECG at `fs` Hz (default 200). Deterministic for the state of
 * `rng` (it draws the tachogram phases, the respiration phase and the noise from forks of it).
 */
export function synthesizeEcg(subject: EcgSubject, durationS: number, rng: Rng, fs = 200): SyntheticEcg {
  validate(subject, durationS, fs);
  const tachoRng = rng.fork('tachogram');
  const respRng = rng.fork('respiration');
  const noiseRng = rng.fork('noise');

  const ev = adjustedEvents(subject);
  const up = Math.max(1, Math.ceil(1000 / fs));
  const h = 1 / (fs * up);
  const n = Math.round(durationS * fs);

  // Beat schedule: beat k starts at T_k (θ = θ_R) and lasts RR(T_k).
  const rrAt = tachogram(subject, durationS + BURN_IN_S + 3, tachoRng);
  const starts: number[] = [-BURN_IN_S];
  const omegas: number[] = [];
  const tEnd = (n - 1) / fs;
  while (starts[starts.length - 1]! <= tEnd) {
    const t0 = starts[starts.length - 1]!;
    const rr = rrAt(t0 + BURN_IN_S);
    omegas.push((2 * Math.PI) / rr);
    starts.push(t0 + rr);
  }

  // Template beat at the mean heart rate, no wander or modulation: fixes the mV scale and the
  // isoelectric level (z averages to 0 over a cycle, so the baseline between beats is below 0).
  const tpl = templateBeat(ev, (2 * Math.PI * subject.meanHr) / 60, h);
  const scale = subject.rAmplitudeMv / (tpl.rPeak - tpl.isoelectric);

  const respPhase = 2 * Math.PI * respRng.uniform();
  const wr = 2 * Math.PI * subject.respirationHz;
  const wanderA = subject.baselineWanderMv / scale;
  const mod = subject.respAmpModulation;
  const thR = ev.theta[2]!;

  const ecg = new Float64Array(n);
  const peakTimes: number[] = [];
  const s: State = { x: Math.cos(thR), y: Math.sin(thR), z: 0 };
  const k1 = newState();
  const k2 = newState();
  const k3 = newState();
  const k4 = newState();
  const tmp = newState();
  const rk4 = (t: number, dt: number, omega: number): void => {
    const r0 = Math.sin(wr * t + respPhase);
    const r1 = Math.sin(wr * (t + dt / 2) + respPhase);
    const r2 = Math.sin(wr * (t + dt) + respPhase);
    deriv(s, omega, ev, wanderA * r0, 1 + mod * r0, k1);
    axpy(s, k1, dt / 2, tmp);
    deriv(tmp, omega, ev, wanderA * r1, 1 + mod * r1, k2);
    axpy(s, k2, dt / 2, tmp);
    deriv(tmp, omega, ev, wanderA * r1, 1 + mod * r1, k3);
    axpy(s, k3, dt, tmp);
    deriv(tmp, omega, ev, wanderA * r2, 1 + mod * r2, k4);
    s.x += (dt / 6) * (k1.x + 2 * k2.x + 2 * k3.x + k4.x);
    s.y += (dt / 6) * (k1.y + 2 * k2.y + 2 * k3.y + k4.y);
    s.z += (dt / 6) * (k1.z + 2 * k2.z + 2 * k3.z + k4.z);
  };

  let beat = 0;
  const totalSteps = Math.round(BURN_IN_S / h) + (n - 1) * up;
  const firstOut = Math.round(BURN_IN_S / h);
  let t = -BURN_IN_S;
  for (let step = 1; step <= totalSteps; step++) {
    const tNext = -BURN_IN_S + step * h;
    // A beat boundary inside (t, tNext]: integrate to it, record the R crossing, switch ω.
    while (starts[beat + 1]! <= tNext && beat + 1 < omegas.length) {
      const tb = starts[beat + 1]!;
      if (tb > t) rk4(t, tb - t, omegas[beat]!);
      t = tb;
      beat++;
      const dTheta = wrap(Math.atan2(s.y, s.x) - thR);
      const tCross = tb - dTheta / omegas[beat]!;
      if (tCross >= 0 && tCross * fs < n - 0.5) peakTimes.push(tCross);
    }
    if (tNext > t) rk4(t, tNext - t, omegas[beat]!);
    t = tNext;
    if (step >= firstOut && (step - firstOut) % up === 0) ecg[(step - firstOut) / up] = s.z;
  }

  for (let i = 0; i < n; i++) ecg[i] = scale * (ecg[i]! - tpl.isoelectric) + subject.noiseMv * noiseRng.normal();
  const rPeakTimes = Float64Array.from(peakTimes);
  const rPeaks = Int32Array.from(peakTimes, (tp) => Math.round(tp * fs));
  return { fs, ecg, rPeaks, rPeakTimes };
}

interface State {
  x: number;
  y: number;
  z: number;
}
interface Events {
  theta: Float64Array;
  a: Float64Array;
  twoB2: Float64Array;
}

const newState = (): State => ({ x: 0, y: 0, z: 0 });

function axpy(s: State, k: State, c: number, out: State): void {
  out.x = s.x + c * k.x;
  out.y = s.y + c * k.y;
  out.z = s.z + c * k.z;
}

function wrap(d: number): number {
  const twoPi = 2 * Math.PI;
  let r = (d + Math.PI) % twoPi;
  if (r < 0) r += twoPi;
  return r - Math.PI;
}

/** Right-hand side; `z0` is the baseline, `gain` scales the event forcing (respiratory modulation). */
function deriv(s: State, omega: number, ev: Events, z0: number, gain: number, out: State): void {
  const alpha = 1 - Math.sqrt(s.x * s.x + s.y * s.y);
  out.x = alpha * s.x - omega * s.y;
  out.y = alpha * s.y + omega * s.x;
  const th = Math.atan2(s.y, s.x);
  let f = 0;
  for (let i = 0; i < 5; i++) {
    const d = wrap(th - ev.theta[i]!);
    f += ev.a[i]! * d * Math.exp((-d * d) / ev.twoB2[i]!);
  }
  out.z = -gain * f - (s.z - z0);
}

/** Event angles and widths after ECGSYN's mean-heart-rate adjustment. */
function adjustedEvents(subject: EcgSubject): Events {
  const hf = Math.sqrt(subject.meanHr / 60);
  const hf2 = Math.sqrt(hf);
  const thetaScale: Record<WaveName, number> = { P: hf2, Q: hf, R: 1, S: hf, T: hf2 };
  const theta = new Float64Array(5);
  const a = new Float64Array(5);
  const twoB2 = new Float64Array(5);
  WAVE_NAMES.forEach((w, i) => {
    const e = subject.waves[w];
    theta[i] = ((e.thetaDeg * Math.PI) / 180) * thetaScale[w];
    a[i] = e.a;
    const b = e.b * hf;
    twoB2[i] = 2 * b * b;
  });
  return { theta, a, twoB2 };
}

/**
 * Six beats at constant ω without wander; from the last one, the peak z and the isoelectric level
 * (z just before the P wave, 3 widths ahead of θ_P).
 */
function templateBeat(ev: Events, omega: number, h: number): { rPeak: number; isoelectric: number } {
  const s: State = { x: Math.cos(ev.theta[2]!), y: Math.sin(ev.theta[2]!), z: 0 };
  const k1 = newState();
  const k2 = newState();
  const k3 = newState();
  const k4 = newState();
  const tmp = newState();
  const period = (2 * Math.PI) / omega;
  const steps = Math.ceil((6 * period) / h);
  const lastStart = steps - Math.ceil(period / h);
  let peak = -Infinity;
  const thIso = ev.theta[0]! - 3 * Math.sqrt(ev.twoB2[0]! / 2);
  let isoDist = Infinity;
  let iso = 0;
  for (let i = 0; i < steps; i++) {
    deriv(s, omega, ev, 0, 1, k1);
    axpy(s, k1, h / 2, tmp);
    deriv(tmp, omega, ev, 0, 1, k2);
    axpy(s, k2, h / 2, tmp);
    deriv(tmp, omega, ev, 0, 1, k3);
    axpy(s, k3, h, tmp);
    deriv(tmp, omega, ev, 0, 1, k4);
    s.x += (h / 6) * (k1.x + 2 * k2.x + 2 * k3.x + k4.x);
    s.y += (h / 6) * (k1.y + 2 * k2.y + 2 * k3.y + k4.y);
    s.z += (h / 6) * (k1.z + 2 * k2.z + 2 * k3.z + k4.z);
    if (i >= lastStart) {
      if (s.z > peak) peak = s.z;
      const dist = Math.abs(wrap(Math.atan2(s.y, s.x) - thIso));
      if (dist < isoDist) {
        isoDist = dist;
        iso = s.z;
      }
    }
  }
  return { rPeak: peak, isoelectric: iso };
}

/**
 * RR(t) in seconds for t in [0, spanS]: spectral synthesis at 8 Hz with random phases, scaled to the
 * subject's mean and standard deviation, linearly interpolated, clipped to 25–220 bpm.
 */
function tachogram(subject: EcgSubject, spanS: number, rng: Rng): (t: number) => number {
  const len = Math.ceil(spanS * TACHO_FS) + 2;
  const size = nextPow2(Math.max(1024, len));
  const half = size / 2;
  const amp = new Float64Array(half + 1);
  const phase = new Float64Array(half + 1);
  const gauss = (f: number, mu: number, sd: number): number => Math.exp(-((f - mu) ** 2) / (2 * sd * sd)) / Math.sqrt(2 * Math.PI * sd * sd);
  for (let k = 1; k < half; k++) {
    const f = (k * TACHO_FS) / size;
    const s = subject.lfHfRatio * gauss(f, subject.lfHz, subject.lfWidthHz) + gauss(f, subject.hfHz, subject.hfWidthHz);
    amp[k] = Math.sqrt(s);
    phase[k] = 2 * Math.PI * rng.uniform();
  }
  const raw = realFromHalfSpectrum(amp, phase, size).subarray(0, len);
  let mean = 0;
  for (const v of raw) mean += v;
  mean /= len;
  let varSum = 0;
  for (const v of raw) varSum += (v - mean) ** 2;
  const sd = Math.sqrt(varSum / len);
  const rrMean = 60 / subject.meanHr;
  const rrStd = (60 * subject.hrStd) / (subject.meanHr * subject.meanHr);
  const rr = Float64Array.from(raw, (v) => rrMean + (sd > 0 ? (rrStd * (v - mean)) / sd : 0));
  return (t) => {
    const p = Math.min(len - 1, Math.max(0, t * TACHO_FS));
    const i = Math.min(len - 2, Math.floor(p));
    const v = rr[i]! + (p - i) * (rr[i + 1]! - rr[i]!);
    return Math.min(RR_MAX, Math.max(RR_MIN, v));
  };
}

function validate(s: EcgSubject, durationS: number, fs: number): void {
  const check = (field: string, v: number, ok: boolean, expected: string): void => {
    if (!Number.isFinite(v) || !ok) throw new ConfigError(field, v, expected);
  };
  check('durationS', durationS, durationS > 0, 'a duration > 0 s');
  check('fs', fs, fs >= 50 && fs <= 10000, 'a sampling rate in [50, 10000] Hz');
  check(`subject(${s.id}).meanHr`, s.meanHr, s.meanHr >= 25 && s.meanHr <= 220, 'a heart rate in [25, 220] bpm');
  check(`subject(${s.id}).hrStd`, s.hrStd, s.hrStd >= 0 && s.hrStd < s.meanHr / 2, 'a value in [0, meanHr/2) bpm');
  check(`subject(${s.id}).lfHfRatio`, s.lfHfRatio, s.lfHfRatio > 0, 'a ratio > 0');
  check(`subject(${s.id}).lfHz`, s.lfHz, s.lfHz > 0 && s.lfHz < 0.5, 'a frequency in (0, 0.5) Hz');
  check(`subject(${s.id}).hfHz`, s.hfHz, s.hfHz > 0 && s.hfHz < 0.5, 'a frequency in (0, 0.5) Hz');
  check(`subject(${s.id}).lfWidthHz`, s.lfWidthHz, s.lfWidthHz > 0, 'a width > 0 Hz');
  check(`subject(${s.id}).hfWidthHz`, s.hfWidthHz, s.hfWidthHz > 0, 'a width > 0 Hz');
  check(`subject(${s.id}).respirationHz`, s.respirationHz, s.respirationHz >= 0, 'a frequency ≥ 0 Hz');
  check(`subject(${s.id}).baselineWanderMv`, s.baselineWanderMv, s.baselineWanderMv >= 0, 'an amplitude ≥ 0 mV');
  check(`subject(${s.id}).respAmpModulation`, s.respAmpModulation, s.respAmpModulation >= 0 && s.respAmpModulation < 1, 'a value in [0, 1)');
  check(`subject(${s.id}).rAmplitudeMv`, s.rAmplitudeMv, s.rAmplitudeMv > 0, 'an amplitude > 0 mV');
  check(`subject(${s.id}).noiseMv`, s.noiseMv, s.noiseMv >= 0, 'a noise level ≥ 0 mV');
  for (const w of WAVE_NAMES) {
    const e = s.waves?.[w];
    if (!e) throw new ConfigError(`subject(${s.id}).waves.${w}`, e, 'an event {thetaDeg, a, b}');
    check(`subject(${s.id}).waves.${w}.thetaDeg`, e.thetaDeg, Math.abs(e.thetaDeg) < 180, 'an angle in (−180, 180) degrees');
    check(`subject(${s.id}).waves.${w}.a`, e.a, true, 'a finite amplitude');
    check(`subject(${s.id}).waves.${w}.b`, e.b, e.b > 0, 'a width > 0 rad');
  }
}
