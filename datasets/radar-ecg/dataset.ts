/**
 * Radar-ECG datasets on disk: the synthetic generator and the public entry points.
 *
 * `synthesizeDataset(params, outDir)` draws subjects (ECGSYN ECG + radar mechanics), simulates each
 * trial's 50-channel radar phase at 200 Hz, optionally injects random body movement into the
 * displacement, takes the SST of every channel (71 log bins over 1–25 Hz at 30 Hz frames by
 * default), labels the ECG (R peaks from the generator, NeuroKit2-style cycles) and writes the
 * format of format.ts. Everything derives from `seed` through labelled streams, so subject k is the
 * same whatever the number of subjects, and equal parameters give byte-identical shards (and the
 * same fingerprint).
 *
 * Physiological status per trial (as MMECG: NB normal breath, IB irregular breath, SP sleep,
 * PE post-exercise), drawn with MMECG's frequencies 43:18:18:12 unless given:
 * IB ×4 breathing irregularity, ×1.3 depth; SP −8 bpm (not below 48), ×0.7 HR variability,
 * ×0.85 breathing rate, ×0.8 depth; PE +25 bpm (not above 130), ×1.4 breathing rate (≤ 0.5 Hz),
 * ×1.5 depth.
 *
 * Respiration suppression: before the SST every channel's phase goes through a zero-phase
 * Butterworth high-pass (`highPassHz`, default 3 Hz, order 4 applied forward and backward, i.e.
 * |H|² of order 4), as radar heartbeat pipelines remove the breathing component before the
 * time-frequency analysis. Breathing (0.2–0.5 Hz, harmonics up to ~1.5 Hz) moves the chest by
 * millimetres, the cardiac vibrations (6–18 Hz) by micrometres; without the filter the
 * respiration leakage at 1–1.5 Hz sets the range of the per-window min-max normalisation and
 * squeezes the heart band into a small part of it. At 1.5 Hz the filter attenuates by 2.6e2, at
 * 0.5 Hz by 1.7e6; `highPassHz: 0` keeps the raw phase.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { buildDirAtomicSync } from '../../src/atomic.js';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { sampleSubject, synthesizeEcg, type EcgSubject } from './ecgsyn.js';
import { defaultSplits, fingerprintFiles, FORMAT_NAME, FORMAT_VERSION, trialFileList, writeManifest, writeTrial, type Manifest, type TrialEntry } from './format.js';
import { addBodyMovement, bodyMovement, isSstNoise, noiseLabel, type NoiseCondition } from './noise.js';
import { sampleRadarSubject, simulateRadar, type RadarSubject } from './radar.js';
import { butterHighpassGain, zeroPhaseFilter } from './spectral.js';
import { sstTimeMajor } from './sst.js';
import { frameRateOf, PLACEMENTS, windowSpec, type Placement } from './windows.js';

export * from './format.js';
export { RadarEcgDataset, type Batch, type BatchOptions, type HoldOutOptions, type WindowMeta, type WindowRef } from './reader.js';
export type { Placement } from './windows.js';

export type TrialStatus = 'NB' | 'IB' | 'SP' | 'PE';
export const TRIAL_STATUSES: readonly TrialStatus[] = ['NB', 'IB', 'SP', 'PE'];

export interface SynthParams {
  readonly subjects: number;
  /** Recording minutes per subject, split evenly over its trials. */
  readonly minutes: number;
  readonly seed: number | string;
  readonly trialsPerSubject?: number;
  /** Radar channels (default 50). */
  readonly channels?: number;
  /** SST bins (default 71). */
  readonly bins?: number;
  /** SST frames per 4-s window (default 120, i.e. 30 Hz). */
  readonly frames?: number;
  readonly fmin?: number;
  readonly fmax?: number;
  readonly voices?: number;
  readonly placements?: readonly Placement[];
  /** Status of every trial, cycled (default: drawn per trial with MMECG's frequencies). */
  readonly statuses?: readonly TrialStatus[];
  /** Noise condition: SST-domain ones are recorded for the reader, body movement is baked in. */
  readonly noise?: NoiseCondition;
  readonly noiseSeed?: number | string;
  /** Zero-phase high-pass of the radar phase before the SST, Hz (default 3; 0 = off). */
  readonly highPassHz?: number;
  /** Also store the radar phase (float32 [C, samples]) per trial. */
  readonly keepRadar?: boolean;
  /** Replace an existing dataset directory. */
  readonly overwrite?: boolean;
  readonly onProgress?: (message: string) => void;
}

export interface SynthResult {
  readonly manifest: Manifest;
  readonly seconds: number;
}

/**
 * Generate a synthetic dataset into `outDir` (must be new or empty unless `overwrite`); it is
 * built in a temporary directory beside it and replaces `outDir` only when complete.
 */
export function synthesizeDataset(params: SynthParams, outDir: string): SynthResult {
  const p = resolve(params);
  checkDir(outDir, params.overwrite ?? false);
  return buildDirAtomicSync(outDir, (tmp) => synthesizeInto(params, p, tmp));
}

function synthesizeInto(params: SynthParams, p: ReturnType<typeof resolve>, outDir: string): SynthResult {
  const t0 = performance.now();
  const spec = windowSpec({ frames: p.frames });
  const frameRate = frameRateOf(spec);
  const durationS = (p.minutes * 60) / p.trialsPerSubject;
  const noiseSeed = params.noiseSeed ?? `${p.seed}:noise`;
  const trials: TrialEntry[] = [];
  const subjects: Manifest['subjects'][number][] = [];
  let sstInfo: { frequencies: number[]; voices: number; omega0: number } | null = null;
  for (let s = 0; s < p.subjects; s++) {
    const sid = `s${String(s + 1).padStart(2, '0')}`;
    const subjRng = Rng.fromSeed(`${p.seed}:subject:${s}`);
    const ecgSubject = sampleSubject(subjRng.fork('ecg'), sid);
    const radarSubject = sampleRadarSubject(subjRng.fork('radar'), p.channels, ecgSubject.respirationHz);
    const ids: string[] = [];
    for (let k = 0; k < p.trialsPerSubject; k++) {
      const tid = `${sid}-t${k + 1}`;
      const trialRng = Rng.fromSeed(`${p.seed}:trial:${s}:${k}`);
      const status = p.statuses ? p.statuses[(s * p.trialsPerSubject + k) % p.statuses.length]! : drawStatus(trialRng.fork('status'));
      const [es, rs] = applyStatus(ecgSubject, radarSubject, status);
      const ecg = synthesizeEcg(es, durationS, trialRng.fork('ecg'), spec.fs);
      let radar = simulateRadar(ecg, rs, trialRng.fork('radar'), { fs: spec.fs });
      let extra: Record<string, unknown> = { meanHrTarget: round(es.meanHr), respirationHz: round(rs.respHz), emdS: round(rs.emdS) };
      if (p.noise.kind === 'body-movement') {
        const bm = bodyMovement(radar.samples, spec.fs, radar.channels, p.noise.ratePerMin, p.noise.maxStepMm, Rng.fromSeed(`${noiseSeed}:body-movement:${tid}`));
        radar = addBodyMovement(radar, bm);
        extra = { ...extra, bodyMovements: bm.events.map((e) => ({ startS: round(e.startS), durationS: round(e.durationS), stepMm: round(e.stepMm) })) };
      }
      const phase = p.highPassHz > 0 ? highPass(radar.phase, radar.channels, spec.fs, p.highPassHz) : radar.phase;
      const sst = sstTimeMajor(phase, radar.channels, { fs: spec.fs, fmin: p.fmin, fmax: p.fmax, bins: p.bins, voices: p.voices, frameRate });
      sstInfo ??= { frequencies: Array.from(sst.frequencies, round6), voices: sst.options.voices, omega0: sst.options.omega0 };
      trials.push(
        writeTrial(
          outDir,
          {
            id: tid,
            subject: sid,
            status,
            ecg: ecg.ecg,
            rPeaks: ecg.rPeaks,
            sstTimeMajor: { data: sst.data, frames: sst.frames },
            ...(params.keepRadar ? { radarPhase: radar.phase } : {}),
            extra,
          },
          { channels: p.channels, bins: p.bins, spec, placements: p.placements },
        ),
      );
      ids.push(tid);
      params.onProgress?.(`${tid} (${status}): ${ecg.rPeaks.length} beats, ${trials[trials.length - 1]!.windows.step ?? 0} step windows`);
    }
    subjects.push({ id: sid, trials: ids, meanHr: round(ecgSubject.meanHr), respirationHz: round(ecgSubject.respirationHz) });
  }
  const files = trials.flatMap(trialFileList);
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    source: {
      kind: 'synthetic',
      generator: 'radar-ecg-synth (ECGSYN + two-vibration radar model + SST)',
      params: { ...p, noise: noiseLabel(p.noise) },
      seed: p.seed,
    },
    fs: spec.fs,
    window: { ...spec, frameRate },
    sst: {
      layout: 'trial',
      channels: p.channels,
      bins: p.bins,
      frames: p.frames,
      frameRate,
      frequencies: sstInfo?.frequencies ?? null,
      fmin: p.fmin,
      fmax: p.fmax,
      voices: sstInfo?.voices ?? null,
      omega0: sstInfo?.omega0 ?? null,
      normalisation: 'per-window-channel-minmax',
    },
    placements: p.placements,
    noise: { condition: p.noise, seed: noiseSeed, appliedAt: p.noise.kind === 'clean' ? 'none' : isSstNoise(p.noise) ? 'reader' : 'radar' },
    shapes: { input: [p.channels, p.bins, p.frames], ecgShape: [spec.cycleSamples], ppiClasses: spec.ppiClasses, anchor: [spec.ecgSamples] },
    subjects,
    trials,
    splits: defaultSplits(trials, p.seed),
    fingerprint: fingerprintFiles(outDir, files),
  };
  writeManifest(outDir, manifest);
  return { manifest, seconds: (performance.now() - t0) / 1000 };
}

interface Resolved {
  subjects: number;
  minutes: number;
  seed: number | string;
  trialsPerSubject: number;
  channels: number;
  bins: number;
  frames: number;
  fmin: number;
  fmax: number;
  voices: number;
  placements: Placement[];
  statuses: TrialStatus[] | null;
  noise: NoiseCondition;
  highPassHz: number;
}

function resolve(p: SynthParams): Resolved {
  const int = (field: string, v: number | undefined, def: number, lo: number, hi: number): number => {
    const x = v ?? def;
    if (!(Number.isInteger(x) && x >= lo && x <= hi)) throw new ConfigError(field, v, `an integer in [${lo}, ${hi}]`);
    return x;
  };
  if (!(p.minutes > 0 && p.minutes <= 600)) throw new ConfigError('minutes', p.minutes, 'minutes per subject in (0, 600]');
  if (typeof p.seed !== 'number' && typeof p.seed !== 'string') throw new ConfigError('seed', p.seed, 'a number or string');
  const placements = [...(p.placements ?? PLACEMENTS)];
  for (const pl of placements) if (!PLACEMENTS.includes(pl)) throw new ConfigError('placements', pl, `one of ${PLACEMENTS.join(', ')}`);
  if (placements.length === 0) throw new ConfigError('placements', placements, 'at least one placement');
  for (const s of p.statuses ?? []) if (!TRIAL_STATUSES.includes(s)) throw new ConfigError('statuses', s, `one of ${TRIAL_STATUSES.join(', ')}`);
  const r: Resolved = {
    subjects: int('subjects', p.subjects, 0, 1, 1000),
    minutes: p.minutes,
    seed: p.seed,
    trialsPerSubject: int('trialsPerSubject', p.trialsPerSubject, 1, 1, 100),
    channels: int('channels', p.channels, 50, 1, 512),
    bins: int('bins', p.bins, 71, 2, 512),
    frames: int('frames', p.frames, 120, 8, 800),
    fmin: p.fmin ?? 1,
    fmax: p.fmax ?? 25,
    voices: int('voices', p.voices, 10, 1, 64),
    placements,
    statuses: p.statuses ? [...p.statuses] : null,
    noise: p.noise ?? { kind: 'clean' },
    highPassHz: p.highPassHz ?? DEFAULT_HIGH_PASS_HZ,
  };
  if (!(r.highPassHz >= 0 && r.highPassHz < r.fmax)) throw new ConfigError('highPassHz', p.highPassHz, `a cut-off in [0, ${r.fmax}) Hz (0 = off)`);
  if ((r.minutes * 60) / r.trialsPerSubject < 8) throw new ConfigError('minutes', p.minutes, `at least ${(8 * r.trialsPerSubject) / 60} (8 s per trial)`);
  return r;
}

/** Default respiration-suppressing high-pass cut-off, Hz. */
export const DEFAULT_HIGH_PASS_HZ = 3;
const HIGH_PASS_ORDER = 4;

/** Each channel's row of a channels × samples phase through the zero-phase Butterworth high-pass. */
function highPass(phase: Float32Array, channels: number, fs: number, cutHz: number): Float32Array {
  const n = phase.length / channels;
  const out = new Float32Array(phase.length);
  const gain = butterHighpassGain(cutHz, HIGH_PASS_ORDER);
  for (let c = 0; c < channels; c++) out.set(zeroPhaseFilter(Float64Array.from(phase.subarray(c * n, (c + 1) * n)), fs, gain), c * n);
  return out;
}

function checkDir(dir: string, overwrite: boolean): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ConfigError('out', dir, 'a directory (this is a file)');
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!overwrite) throw new ConfigError('out', dir, 'an empty or new directory (or overwrite)');
    if (!existsSync(join(dir, 'manifest.json'))) throw new ConfigError('out', dir, 'a dataset directory (with manifest.json) to overwrite, or an empty one');
  }
}

function drawStatus(rng: Rng): TrialStatus {
  const u = rng.uniform() * 91;
  return u < 43 ? 'NB' : u < 61 ? 'IB' : u < 79 ? 'SP' : 'PE';
}

/** Subject parameters adjusted for a trial's physiological status. */
export function applyStatus(e: EcgSubject, r: RadarSubject, status: TrialStatus): [EcgSubject, RadarSubject] {
  switch (status) {
    case 'NB':
      return [e, r];
    case 'IB':
      return [e, { ...r, respIrregularity: r.respIrregularity * 4, respAmplitudeMm: r.respAmplitudeMm * 1.3 }];
    case 'SP': {
      const resp = r.respHz * 0.85;
      return [
        { ...e, meanHr: Math.max(48, e.meanHr - 8), hrStd: e.hrStd * 0.7, respirationHz: resp, hfHz: resp },
        { ...r, respHz: resp, respAmplitudeMm: r.respAmplitudeMm * 0.8, respIrregularity: r.respIrregularity * 0.5 },
      ];
    }
    case 'PE': {
      const resp = Math.min(0.5, r.respHz * 1.4);
      return [
        { ...e, meanHr: Math.min(130, e.meanHr + 25), respirationHz: resp, hfHz: resp },
        { ...r, respHz: resp, respAmplitudeMm: r.respAmplitudeMm * 1.5 },
      ];
    }
  }
}

const round = (v: number): number => Math.round(v * 1000) / 1000;
const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;
