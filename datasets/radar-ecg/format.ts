/**
 * The on-disk radar-ECG dataset format (version 1): manifest, per-trial shards, fingerprint, splits.
 *
 * Layout of a dataset directory:
 *   manifest.json
 *   trials/<trial>/ecg.npy                 float64 [samples]        whole-recording ECG, mV
 *   trials/<trial>/rpeaks.npy              int32   [beats]          R-peak sample indices
 *   trials/<trial>/sst.npy                 float32 [frames, C, F]   |SST|, time-major   (layout 'trial')
 *   trials/<trial>/radar.npy               float32 [C, samples]     radar phase, rad    (optional)
 *   trials/<trial>/<placement>/X.npy       float32 [N, C, F, T]     normalised windows  (layout 'windows')
 *   trials/<trial>/<placement>/ecg_shape.npy float32 [N, 200]       target cycle, mV
 *   trials/<trial>/<placement>/ppi.npy     int32   [N]              PPI class (length − 1)
 *   trials/<trial>/<placement>/anchor.npy  uint8   [N, 800]         R-peak impulses
 *   trials/<trial>/<placement>/windows.json per-window metadata (columns)
 *
 * Layout 'trial' stores the recording's SST once and cuts (and min-max normalises) windows when
 * read: a window is one contiguous block of the time-major file, and the 80 %-overlapping `step`
 * windows cost no extra disk. Layout 'windows' stores ready windows (used for the reference's
 * preprocessed segments). The fingerprint is sha256 over "path\tsha256(file)\n" lines of every
 * shard, sorted by path.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, DataError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { encodeNpy } from '../npy.js';
import type { NoiseCondition } from './noise.js';
import { buildWindows, type Placement, type WindowLabels, type WindowSpec } from './windows.js';

export const FORMAT_NAME = 'mtl-bench.radar-ecg';
export const FORMAT_VERSION = 1;

export type SstLayout = 'trial' | 'windows';

export interface SstInfo {
  readonly layout: SstLayout;
  readonly channels: number;
  readonly bins: number;
  /** Frames per window. */
  readonly frames: number;
  readonly frameRate: number;
  /** Ascending bin centres in Hz (null when unknown, e.g. imported preprocessed SST). */
  readonly frequencies: readonly number[] | null;
  readonly fmin: number | null;
  readonly fmax: number | null;
  readonly voices: number | null;
  readonly omega0: number | null;
  readonly normalisation: 'per-window-channel-minmax';
  readonly note?: string;
}

export interface TrialFiles {
  readonly ecg: string;
  readonly rPeaks: string;
  readonly sst?: string;
  readonly radar?: string;
  readonly placements: Partial<Record<Placement, { readonly x?: string; readonly ecgShape: string; readonly ppi: string; readonly anchor: string; readonly windows: string }>>;
}

export interface TrialEntry {
  readonly id: string;
  readonly subject: string;
  /** Physiological status (MMECG: NB normal breath, IB irregular breath, SP sleep, PE post-exercise). */
  readonly status: string | null;
  readonly samples: number;
  /** SST frames of the whole recording (layout 'trial'), else 0. */
  readonly frames: number;
  readonly beats: number;
  readonly meanHrBpm: number;
  readonly windows: Partial<Record<Placement, number>>;
  /** Windows whose cycle was longer than the PPI classes (class clamped to the last one). */
  readonly clampedCycles: Partial<Record<Placement, number>>;
  readonly files: TrialFiles;
  readonly extra?: Record<string, unknown>;
}

export interface SplitDef {
  readonly train: readonly string[];
  readonly test: readonly string[];
  readonly description: string;
}

export interface Manifest {
  readonly format: typeof FORMAT_NAME;
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly source: { readonly kind: 'synthetic' | 'mmecg' | 'reference-segments'; readonly [k: string]: unknown };
  readonly fs: number;
  readonly window: WindowSpec & { readonly frameRate: number };
  readonly sst: SstInfo;
  readonly placements: readonly Placement[];
  /** Noise condition and seed: SST-domain conditions are applied by the reader, radar-domain ones were baked in. */
  readonly noise: { readonly condition: NoiseCondition; readonly seed: number | string; readonly appliedAt: 'reader' | 'radar' | 'none' };
  readonly shapes: { readonly input: readonly number[]; readonly ecgShape: readonly number[]; readonly ppiClasses: number; readonly anchor: readonly number[] };
  readonly subjects: readonly { readonly id: string; readonly trials: readonly string[]; readonly [k: string]: unknown }[];
  readonly trials: readonly TrialEntry[];
  readonly splits: Readonly<Record<string, SplitDef>>;
  readonly fingerprint: { readonly algorithm: 'sha256'; readonly value: string; readonly files: Readonly<Record<string, string>> };
}

const TRIAL_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkTrialId(id: string): string {
  if (!TRIAL_ID.test(id)) throw new ConfigError('trial id', id, 'letters, digits, _ . - (max 64, not starting with . - _)');
  return id;
}

export interface TrialInput {
  readonly id: string;
  readonly subject: string;
  readonly status: string | null;
  readonly ecg: Float64Array;
  readonly rPeaks: Int32Array;
  /** Layout 'trial': time-major SST [frames, C, F]. */
  readonly sstTimeMajor?: { readonly data: Float32Array; readonly frames: number };
  /** Layout 'windows': ready windows per placement with their labels. */
  readonly windows?: Partial<Record<Placement, { readonly x: Float32Array; readonly labels: WindowLabels }>>;
  readonly radarPhase?: Float32Array;
  readonly extra?: Record<string, unknown>;
}

/** Write one trial's shards under `root/trials/<id>/`; returns its manifest entry. */
export function writeTrial(root: string, t: TrialInput, info: { channels: number; bins: number; spec: WindowSpec; placements: readonly Placement[] }): TrialEntry {
  checkTrialId(t.id);
  const rel = (p: string): string => `trials/${t.id}/${p}`;
  const put = (p: string, data: Float32Array | Float64Array | Int32Array | Uint8Array, shape: readonly number[]): string => {
    const file = join(root, rel(p));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, encodeNpy(data, shape));
    return rel(p);
  };
  const { channels, bins, spec } = info;
  const files: { ecg: string; rPeaks: string; sst?: string; radar?: string; placements: TrialFiles['placements'] } = {
    ecg: put('ecg.npy', t.ecg, [t.ecg.length]),
    rPeaks: put('rpeaks.npy', t.rPeaks, [t.rPeaks.length]),
    placements: {},
  };
  let frames = 0;
  if (t.sstTimeMajor) {
    frames = t.sstTimeMajor.frames;
    files.sst = put('sst.npy', t.sstTimeMajor.data, [frames, channels, bins]);
  }
  if (t.radarPhase) files.radar = put('radar.npy', t.radarPhase, [channels, t.radarPhase.length / channels]);
  const windows: Partial<Record<Placement, number>> = {};
  const clamped: Partial<Record<Placement, number>> = {};
  const placementFiles: Record<string, unknown> = {};
  for (const pl of info.placements) {
    let labels: WindowLabels;
    let x: Float32Array | undefined;
    const given = t.windows?.[pl];
    if (given) {
      labels = given.labels;
      x = given.x;
    } else {
      if (!t.sstTimeMajor) throw new ConfigError(`trial ${t.id} placement ${pl}`, 'no SST', 'a recording SST or ready windows');
      labels = buildWindows(t.ecg, t.rPeaks, frames, pl, spec);
    }
    const n = labels.count;
    windows[pl] = n;
    clamped[pl] = labels.clamped.reduce((a, b) => a + b, 0);
    const meta = {
      columns: ['start', 'frameStart', 'cycleStart', 'cycleLength', 'cycleRPeak', 'clamped', 'ecgMin', 'ecgMax'],
      start: Array.from(labels.start),
      frameStart: Array.from(labels.frameStart),
      cycleStart: Array.from(labels.cycleStart),
      cycleLength: Array.from(labels.cycleLength),
      cycleRPeak: Array.from(labels.cycleRPeak),
      clamped: Array.from(labels.clamped),
      ecgMin: Array.from(labels.ecgMin),
      ecgMax: Array.from(labels.ecgMax),
    };
    const winFile = join(root, rel(`${pl}/windows.json`));
    mkdirSync(dirname(winFile), { recursive: true });
    writeFileSync(winFile, JSON.stringify(meta));
    placementFiles[pl] = {
      ...(x ? { x: put(`${pl}/X.npy`, x, [n, channels, bins, spec.frames]) } : {}),
      ecgShape: put(`${pl}/ecg_shape.npy`, labels.ecgShape, [n, spec.cycleSamples]),
      ppi: put(`${pl}/ppi.npy`, labels.ppi, [n]),
      anchor: put(`${pl}/anchor.npy`, labels.anchor, [n, spec.ecgSamples]),
      windows: rel(`${pl}/windows.json`),
    };
  }
  files.placements = placementFiles as TrialFiles['placements'];
  const k = t.rPeaks.length;
  const meanHrBpm = k >= 2 ? (60 * spec.fs * (k - 1)) / (t.rPeaks[k - 1]! - t.rPeaks[0]!) : NaN;
  return {
    id: t.id,
    subject: t.subject,
    status: t.status,
    samples: t.ecg.length,
    frames,
    beats: k,
    meanHrBpm: Math.round(meanHrBpm * 100) / 100,
    windows,
    clampedCycles: clamped,
    files,
    ...(t.extra ? { extra: t.extra } : {}),
  };
}

/** Every shard path of a trial entry. */
export function trialFileList(t: TrialEntry): string[] {
  const out = [t.files.ecg, t.files.rPeaks];
  if (t.files.sst) out.push(t.files.sst);
  if (t.files.radar) out.push(t.files.radar);
  for (const p of Object.values(t.files.placements)) {
    if (!p) continue;
    if (p.x) out.push(p.x);
    out.push(p.ecgShape, p.ppi, p.anchor, p.windows);
  }
  return out;
}

export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** sha256 over "path\tsha\n" lines (sorted by path) and the per-file hashes. */
export function fingerprintFiles(root: string, files: readonly string[]): Manifest['fingerprint'] {
  const sorted = [...new Set(files)].sort();
  const per: Record<string, string> = {};
  const h = createHash('sha256');
  for (const f of sorted) {
    let d: string;
    try {
      d = sha256File(join(root, f));
    } catch (e) {
      throw new DataError(join(root, f), `cannot read shard: ${(e as Error).message}`);
    }
    per[f] = d;
    h.update(`${f}\t${d}\n`);
  }
  return { algorithm: 'sha256', value: h.digest('hex'), files: per };
}

export function writeManifest(root: string, m: Manifest): void {
  writeFileSync(join(root, 'manifest.json'), `${JSON.stringify(m, null, 1)}\n`);
}

export function readManifest(root: string): Manifest {
  const file = join(root, 'manifest.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, `cannot read: ${(e as Error).message}`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new DataError(file, `not valid JSON: ${(e as Error).message}`);
  }
  if (m.format !== FORMAT_NAME) throw new DataError(file, `format is ${JSON.stringify(m.format)}, expected ${JSON.stringify(FORMAT_NAME)}`);
  if (m.formatVersion !== FORMAT_VERSION) throw new DataError(file, `format version ${m.formatVersion} is not supported (expected ${FORMAT_VERSION})`);
  if (!Array.isArray(m.trials) || !m.sst || !m.window) throw new DataError(file, 'missing trials, sst or window section');
  return m;
}

// ---------------------------------------------------------------------------------------------
// Splits

/**
 * Default splits for a set of trials:
 * - `subject`: hold out max(1, round(subjects / 6)) subjects (seeded), all their trials in test;
 * - `trial`: hold out max(1, round(trials / 8)) trials (seeded; ≈ the reference's 11 of 88), so
 *   held-out subjects may also appear in training, as in the reference.
 * With a single subject only the `trial` split exists.
 */
export function defaultSplits(trials: readonly { id: string; subject: string }[], seed: number | string): Record<string, SplitDef> {
  const ids = trials.map((t) => t.id);
  const out: Record<string, SplitDef> = {};
  const subjects = [...new Set(trials.map((t) => t.subject))];
  if (subjects.length >= 2) {
    const k = Math.max(1, Math.round(subjects.length / 6));
    const held = new Set(Rng.fromSeed(`${seed}:split:subject`).shuffle([...subjects]).slice(0, k));
    out.subject = {
      train: trials.filter((t) => !held.has(t.subject)).map((t) => t.id),
      test: trials.filter((t) => held.has(t.subject)).map((t) => t.id),
      description: `subject-independent: held-out subjects ${[...held].join(', ')}`,
    };
  }
  if (ids.length >= 2) {
    const k = Math.max(1, Math.round(ids.length / 8));
    const held = new Set(Rng.fromSeed(`${seed}:split:trial`).shuffle([...ids]).slice(0, k));
    out.trial = {
      train: ids.filter((i) => !held.has(i)),
      test: ids.filter((i) => held.has(i)),
      description: `trial-level (reference-style): ${k} random held-out trials; their subjects may appear in training`,
    };
  }
  return out;
}
