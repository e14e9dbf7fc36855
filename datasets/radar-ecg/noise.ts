/**
 * Noise conditions for the radar-ECG task.
 *
 * On the normalised SST window (reference `spectrum_dataset.py`, §6), per channel c:
 * - constant: P_c = mean(x_c²) over bins × frames; add i.i.d. N(0, P_c / 10^{SNR/10}) to every
 *   value (no clipping, no re-normalisation). Paper set: SNR ∈ {6, 3, 0, −1, −2, −3} dB.
 * - abrupt (body movement): on a fixed random 20 % of each trial's windows, frames
 *   F = min(int(duration · frameRate), frames − 1) starting uniformly in [0, frames − F), the same
 *   span for every channel; P_c is the power of channel c inside the span; noise only there.
 *   Mild = 0 dB, extensive = −9 dB, duration 1, 2 or 3 s (reference codes 111–113, 101–103).
 *
 * Physically modelled alternative (`bodyMovement`), injected into the radar displacement before
 * the SST: random body movements as large, smooth displacements: events at a Poisson rate, each a
 * raised-cosine transition of 2–15 mm to a new resting position over 0.5–2 s plus a transient
 * sway (one smooth bump, ±30 % of the step) and, while it lasts, extra tremor-like micro-motion
 * at 2–8 Hz; every channel sees the event with its own gain (0.6–1.4).
 *
 * Everything is seeded: a condition plus a seed fully determine the noise.
 */
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import type { RadarRecording } from './radar.js';

export type NoiseCondition =
  | { readonly kind: 'clean' }
  | { readonly kind: 'constant'; readonly snrDb: number }
  | { readonly kind: 'abrupt'; readonly durationS: number; readonly snrDb: number; readonly fraction: number }
  | { readonly kind: 'body-movement'; readonly ratePerMin: number; readonly maxStepMm: number };

export const PAPER_CONSTANT_SNRS_DB = [6, 3, 0, -1, -2, -3] as const;
export const ABRUPT_MILD_DB = 0;
export const ABRUPT_EXTENSIVE_DB = -9;

/**
 * Parse a condition: `clean`, `constant:<dB>`, `abrupt:mild|extensive:<seconds>`,
 * `body-movement[:<events per minute>[:<max step mm>]]`, or the reference's numeric `aug_snr`
 * code (< 100 constant, 100 clean, 101–103 extensive 1–3 s, 111–113 mild 1–3 s).
 */
export function parseNoiseCondition(spec: string | number): NoiseCondition {
  if (typeof spec === 'number' || /^-?\d+(\.\d+)?$/.test(spec)) {
    const v = Number(spec);
    if (v < 100) return { kind: 'constant', snrDb: v };
    if (v === 100) return { kind: 'clean' };
    const l = v % 100;
    if (l > 0 && l <= 10) return { kind: 'abrupt', durationS: l, snrDb: ABRUPT_EXTENSIVE_DB, fraction: 0.2 };
    if (l > 10 && l <= 20) return { kind: 'abrupt', durationS: l - 10, snrDb: ABRUPT_MILD_DB, fraction: 0.2 };
    throw new ConfigError('noise', spec, 'an aug_snr code < 100, 100, 101–110 or 111–120');
  }
  const parts = spec.split(':');
  const num = (s: string | undefined, field: string): number => {
    const v = Number(s);
    if (s === undefined || s === '' || !Number.isFinite(v)) throw new ConfigError(`noise ${field}`, s, 'a number');
    return v;
  };
  switch (parts[0]) {
    case 'clean':
      return { kind: 'clean' };
    case 'constant':
      return { kind: 'constant', snrDb: num(parts[1], 'SNR dB') };
    case 'abrupt': {
      const level = parts[1];
      if (level !== 'mild' && level !== 'extensive') throw new ConfigError('noise abrupt level', level, "'mild' (0 dB) or 'extensive' (−9 dB)");
      const durationS = num(parts[2], 'duration s');
      if (!(durationS > 0)) throw new ConfigError('noise abrupt duration', durationS, 'a duration > 0 s');
      return { kind: 'abrupt', durationS, snrDb: level === 'mild' ? ABRUPT_MILD_DB : ABRUPT_EXTENSIVE_DB, fraction: 0.2 };
    }
    case 'body-movement': {
      const ratePerMin = parts[1] === undefined ? 2 : num(parts[1], 'events per minute');
      const maxStepMm = parts[2] === undefined ? 15 : num(parts[2], 'max step mm');
      if (!(ratePerMin >= 0)) throw new ConfigError('noise body-movement rate', ratePerMin, 'a rate ≥ 0 per minute');
      if (!(maxStepMm >= 2)) throw new ConfigError('noise body-movement max step', maxStepMm, 'a step ≥ 2 mm');
      return { kind: 'body-movement', ratePerMin, maxStepMm };
    }
    default:
      throw new ConfigError('noise', spec, "clean, constant:<dB>, abrupt:mild|extensive:<s>, body-movement[:<per min>[:<mm>]] or an aug_snr code");
  }
}

/** A short label such as `constant:-3`, `abrupt:extensive:2`, `body-movement:2:15`. */
export function noiseLabel(c: NoiseCondition): string {
  switch (c.kind) {
    case 'clean':
      return 'clean';
    case 'constant':
      return `constant:${c.snrDb}`;
    case 'abrupt':
      return `abrupt:${c.snrDb === ABRUPT_MILD_DB ? 'mild' : c.snrDb === ABRUPT_EXTENSIVE_DB ? 'extensive' : `${c.snrDb}dB`}:${c.durationS}`;
    case 'body-movement':
      return `body-movement:${c.ratePerMin}:${c.maxStepMm}`;
  }
}

/** True when the condition acts on SST windows (constant or abrupt), not on the radar signal. */
export function isSstNoise(c: NoiseCondition): c is Extract<NoiseCondition, { kind: 'constant' | 'abrupt' }> {
  return c.kind === 'constant' || c.kind === 'abrupt';
}

/**
 * Add constant Gaussian noise in place to a window [channels × size] at `snrDb` per channel.
 * Returns the noise power added per channel.
 */
export function addConstantNoise(x: Float32Array, channels: number, size: number, snrDb: number, rng: Rng, offset = 0): Float64Array {
  const added = new Float64Array(channels);
  const ratio = 10 ** (snrDb / 10);
  for (let c = 0; c < channels; c++) {
    const a = offset + c * size;
    let p = 0;
    for (let i = a; i < a + size; i++) p += x[i]! * x[i]!;
    p /= size;
    const sd = Math.sqrt(p / ratio);
    added[c] = sd * sd;
    if (sd === 0) continue;
    for (let i = a; i < a + size; i++) x[i]! += sd * rng.normal();
  }
  return added;
}

export interface AbruptSpan {
  readonly startFrame: number;
  readonly frames: number;
}

/**
 * Add abrupt noise in place to a window [channels × bins × frames]: a span of
 * min(int(durationS · frameRate), frames − 1) frames at a uniform start in [0, frames − span).
 */
export function addAbruptNoise(
  x: Float32Array,
  channels: number,
  bins: number,
  frames: number,
  durationS: number,
  snrDb: number,
  frameRate: number,
  rng: Rng,
  offset = 0,
): AbruptSpan {
  const span = Math.max(1, Math.min(Math.trunc(durationS * frameRate), frames - 1));
  const startFrame = rng.int(frames - span);
  const ratio = 10 ** (snrDb / 10);
  for (let c = 0; c < channels; c++) {
    const a = offset + c * bins * frames;
    let p = 0;
    for (let k = 0; k < bins; k++) for (let t = startFrame; t < startFrame + span; t++) p += x[a + k * frames + t]! ** 2;
    p /= bins * span;
    const sd = Math.sqrt(p / ratio);
    if (sd === 0) continue;
    for (let k = 0; k < bins; k++) for (let t = startFrame; t < startFrame + span; t++) x[a + k * frames + t]! += sd * rng.normal();
  }
  return { startFrame, frames: span };
}

/** The fixed subset of window indices (fraction of n, at least 1 when n > 0) that get abrupt noise. */
export function abruptWindowSet(n: number, fraction: number, rng: Rng): Set<number> {
  if (!(fraction >= 0 && fraction <= 1)) throw new ConfigError('noise abrupt fraction', fraction, 'a fraction in [0, 1]');
  const k = n === 0 || fraction === 0 ? 0 : Math.max(1, Math.round(fraction * n));
  const idx = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return new Set(idx.slice(0, k));
}

/**
 * Apply an SST-domain condition to one normalised window, deterministically for
 * (seed, key): `key` names the window (e.g. `trial:placement:index:epoch`); `abrupt` says
 * whether the window is in the trial's abrupt subset.
 */
export function applySstNoise(
  x: Float32Array,
  shape: { channels: number; bins: number; frames: number },
  condition: NoiseCondition,
  frameRate: number,
  rng: Rng,
  abrupt: boolean,
  offset = 0,
): void {
  if (condition.kind === 'constant') addConstantNoise(x, shape.channels, shape.bins * shape.frames, condition.snrDb, rng, offset);
  else if (condition.kind === 'abrupt' && abrupt) {
    addAbruptNoise(x, shape.channels, shape.bins, shape.frames, condition.durationS, condition.snrDb, frameRate, rng, offset);
  }
}

export interface BodyMovementEvent {
  /** Onset time, s. */
  readonly startS: number;
  readonly durationS: number;
  /** Net change of the resting position, mm (signed). */
  readonly stepMm: number;
  /** Peak of the transient sway, mm (signed). */
  readonly swayMm: number;
  /** RMS of the tremor-like micro-motion during the event, mm. */
  readonly tremorMm: number;
}

export interface BodyMovement {
  /** Common displacement, mm, one value per sample. */
  readonly displacementMm: Float64Array;
  /** Per-channel gain applied to the common displacement. */
  readonly channelGains: Float64Array;
  readonly events: readonly BodyMovementEvent[];
}

/** Draw random body movements for `n` samples at `fs` Hz and `channels` chest points. */
export function bodyMovement(n: number, fs: number, channels: number, ratePerMin: number, maxStepMm: number, rng: Rng): BodyMovement {
  const displacementMm = new Float64Array(n);
  const events: BodyMovementEvent[] = [];
  const durationS = n / fs;
  let t = (-Math.log(1 - rng.uniform()) * 60) / Math.max(ratePerMin, 1e-9);
  while (ratePerMin > 0 && t < durationS) {
    const dur = 0.5 + 1.5 * rng.uniform();
    const stepMm = (rng.uniform() < 0.5 ? -1 : 1) * (2 + (maxStepMm - 2) * rng.uniform());
    const swayMm = 0.3 * stepMm * (2 * rng.uniform() - 1);
    const tremorMm = 0.05 + 0.25 * rng.uniform();
    const tremorHz = 2 + 6 * rng.uniform();
    const tremorPhase = 2 * Math.PI * rng.uniform();
    events.push({ startS: t, durationS: dur, stepMm, swayMm, tremorMm });
    const i0 = Math.max(0, Math.floor(t * fs));
    for (let i = i0; i < n; i++) {
      const u = (i / fs - t) / dur;
      if (u >= 1) {
        displacementMm[i]! += stepMm;
        continue;
      }
      if (u < 0) continue;
      const ramp = 0.5 - 0.5 * Math.cos(Math.PI * u);
      const bump = Math.sin(Math.PI * u) ** 2;
      const tremor = Math.SQRT2 * tremorMm * Math.sin(Math.PI * u) * Math.sin(2 * Math.PI * tremorHz * (i / fs - t) + tremorPhase);
      displacementMm[i]! += stepMm * ramp + swayMm * bump + tremor;
    }
    t += dur + (-Math.log(1 - rng.uniform()) * 60) / ratePerMin;
  }
  const channelGains = Float64Array.from({ length: channels }, () => 0.6 + 0.8 * rng.uniform());
  return { displacementMm, channelGains, events };
}

/** Return a copy of `rec` with a body movement added to every channel's phase (4π d / λ). */
export function addBodyMovement(rec: RadarRecording, bm: BodyMovement): RadarRecording {
  if (bm.displacementMm.length !== rec.samples || bm.channelGains.length !== rec.channels) {
    throw new ConfigError('body movement', `${bm.channelGains.length} × ${bm.displacementMm.length}`, `${rec.channels} × ${rec.samples} (channels × samples)`);
  }
  const k = (4 * Math.PI) / rec.wavelengthMm;
  const phase = Float32Array.from(rec.phase);
  for (let c = 0; c < rec.channels; c++) {
    const g = k * bm.channelGains[c]!;
    const row = c * rec.samples;
    for (let i = 0; i < rec.samples; i++) phase[row + i]! += g * bm.displacementMm[i]!;
  }
  return { ...rec, phase };
}

/** Seeded generator for the noise of one window (independent of batch order). */
export function windowNoiseRng(seed: number | string, key: string): Rng {
  return Rng.fromSeed(`${seed}:noise:${key}`);
}
