/**
 * Import of the real MMECG recordings (reference §2.1–2.4) into the on-disk format of format.ts.
 *
 * Inputs:
 * - trial files `{ID}.mat` (MATLAB v5/v7 or v7.3), anywhere up to two folders deep under the
 *   input directory (the reference keeps them in `obj{subject}_{status}_{ID}_/`), holding a struct
 *   `data` with `RCG` (samples × channels, 35505 × 50), `ECG` (samples, mV) and metadata (`id`,
 *   `age`, `gender`, `physistatus`, `posXYZ`); variables at the top level are accepted too;
 * - optionally the reference's preprocessed SST files `SST_obj{s}_{status}_{ID}_30Hz.mat`
 *   (v7.3, SST(channels, 71, T), already min-max normalised per recording), used instead of
 *   computing the SST; the frequency axis is flipped as the reference's Python loader does;
 * - or (`importReferenceSegments`) the reference's per-window segment folders (`data_seg_step`,
 *   `data_seg_sce_middle`: `sst_seg_i.npy`, `ecg_seg_i.npy` (raw cycle), `anchor_seg_i.npy`).
 *
 * Labels: R peaks by `detectRPeaks` on the 200 Hz ECG; windows and targets by windows.ts.
 * Subject and status: from the folder name, else the MMECG trial table below, else `data.id` /
 * `data.physistatus`. A file that cannot be read or fails a check is reported (DataError naming the
 * file and the problem) in the summary; the other files are still imported.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ConfigError, DataError } from '../../src/errors.js';
import { readNpy, toFloat64 } from '../npy.js';
import { buildDirAtomic } from '../../src/atomic.js';
import { defaultSplits, fingerprintFiles, FORMAT_NAME, FORMAT_VERSION, trialFileList, writeManifest, writeTrial, type Manifest, type SplitDef, type TrialEntry } from './format.js';
import { field, readMat, scalarText, type MatValue } from './mat.js';
import { detectRPeaks, resampleCycle } from './rpeaks.js';
import { sstTimeMajor } from './sst.js';
import { frameRateOf, normaliseChannels, PLACEMENTS, windowSpec, type Placement, type WindowLabels } from './windows.js';

export const MMECG_FS = 200;

/** Trial ID → subject and status (reference §2.1). */
export function mmecgTrialInfo(id: number): { subject: number; status: string } | null {
  const table: [number, number, number, string][] = [
    [1, 2, 1, 'NB'], [3, 4, 2, 'NB'], [5, 6, 5, 'IB'], [7, 12, 5, 'NB'], [13, 13, 5, 'SP'], [14, 16, 5, 'PE'],
    [17, 18, 9, 'IB'], [19, 22, 9, 'NB'], [23, 23, 10, 'IB'], [24, 24, 10, 'NB'], [25, 25, 10, 'PE'],
    [26, 27, 13, 'IB'], [28, 31, 13, 'NB'], [32, 37, 14, 'NB'], [38, 40, 14, 'PE'], [41, 43, 16, 'IB'],
    [44, 47, 16, 'NB'], [48, 49, 17, 'NB'], [50, 55, 17, 'SP'], [56, 56, 17, 'PE'], [57, 60, 29, 'IB'],
    [61, 67, 29, 'NB'], [68, 78, 29, 'SP'], [79, 79, 29, 'PE'], [80, 83, 30, 'IB'], [84, 88, 30, 'NB'],
    [89, 91, 30, 'PE'],
  ];
  for (const [lo, hi, subject, status] of table) if (id >= lo && id <= hi) return { subject, status };
  return null;
}

/** The reference's trial split: test IDs 75–85, train the other IDs ≤ 88 (89–91 unused). */
export const REFERENCE_TEST_IDS = [75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85];

export interface MmecgTrial {
  readonly file: string;
  /** Radar channels, channels × samples (row-major). */
  readonly rcg: Float32Array;
  readonly channels: number;
  readonly samples: number;
  readonly ecg: Float64Array;
  readonly meta: Record<string, string>;
}

/** Read and check one trial file. */
export async function readMmecgTrial(file: string): Promise<MmecgTrial> {
  const vars = await readMat(file);
  const root = vars.data;
  const get = (name: string): MatValue | undefined => field(root, name) ?? vars[name];
  const rcgV = get('RCG');
  const ecgV = get('ECG');
  if (!rcgV) throw new DataError(file, 'no RCG variable (expected struct data with field RCG)');
  if (!ecgV) throw new DataError(file, 'no ECG variable (expected struct data with field ECG)');
  if (rcgV.kind !== 'numeric' || rcgV.dims.length !== 2) throw new DataError(file, `RCG must be a 2-D numeric matrix, got ${rcgV.kind} [${rcgV.dims.join('×')}]`);
  if (ecgV.kind !== 'numeric' || ecgV.dims.filter((d) => d !== 1).length > 1) throw new DataError(file, `ECG must be a numeric vector, got ${ecgV.kind} [${ecgV.dims.join('×')}]`);
  const [d0, d1] = rcgV.dims as [number, number];
  const samples = Math.max(d0, d1);
  const channels = Math.min(d0, d1);
  if (channels < 1 || samples < 4 * MMECG_FS) throw new DataError(file, `RCG [${d0}×${d1}] is too short (need ≥ ${4 * MMECG_FS} samples)`);
  if (ecgV.re.length !== samples) throw new DataError(file, `ECG has ${ecgV.re.length} samples, RCG has ${samples}`);
  const rcg = new Float32Array(channels * samples);
  if (d0 >= d1) {
    rcg.set(rcgV.re); // samples × channels, column-major: channel c is contiguous
  } else {
    for (let n = 0; n < samples; n++) for (let c = 0; c < channels; c++) rcg[c * samples + n] = rcgV.re[c + n * channels]!;
  }
  let bad = 0;
  for (const v of rcgV.re) if (!Number.isFinite(v)) bad++;
  if (bad > 0) throw new DataError(file, `RCG has ${bad} non-finite values`);
  const ecg = Float64Array.from(ecgV.re);
  const badEcg = ecg.reduce((a, v) => a + (Number.isFinite(v) ? 0 : 1), 0);
  if (badEcg > 0.01 * samples) throw new DataError(file, `ECG has ${badEcg} non-finite values`);
  const meta: Record<string, string> = {};
  for (const k of ['id', 'age', 'gender', 'physistatus']) {
    const t = scalarText(get(k));
    if (t !== undefined) meta[k] = t;
  }
  return { file, rcg, channels, samples, ecg, meta };
}

export interface MmecgImportOptions {
  readonly inDir: string;
  readonly outDir: string;
  /** Directory of the reference's SST_*_30Hz.mat files, used instead of computing the SST. */
  readonly sstDir?: string;
  readonly bins?: number;
  readonly frames?: number;
  readonly fmin?: number;
  readonly fmax?: number;
  readonly voices?: number;
  readonly placements?: readonly Placement[];
  readonly overwrite?: boolean;
  readonly seed?: number | string;
  readonly onProgress?: (message: string) => void;
}

export interface ImportSummary {
  readonly imported: readonly { file: string; trial: string; subject: string; status: string | null; samples: number; beats: number }[];
  readonly failed: readonly { file: string; problem: string }[];
  /** Null when nothing could be imported (no dataset is written then). */
  readonly manifest: Manifest | null;
  readonly seconds: number;
}

interface Found {
  readonly file: string;
  readonly id: string;
  readonly num: number | null;
  readonly subject: string | null;
  readonly status: string | null;
}

/** Trial files under `dir` (two levels), with what their names say. */
export function findTrialFiles(dir: string): Found[] {
  const out: Found[] = [];
  const walk = (d: string, depth: number, folder: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (depth < 2) walk(p, depth + 1, name);
        continue;
      }
      if (!name.toLowerCase().endsWith('.mat') || name.startsWith('SST_')) continue;
      const stem = name.slice(0, -4);
      const fm = /^obj(\d+)_([A-Za-z]+)_(\d+)_?$/.exec(folder);
      const num = /^\d+$/.test(stem) ? Number(stem) : fm ? Number(fm[3]) : null;
      const info = num !== null ? mmecgTrialInfo(num) : null;
      out.push({
        file: p,
        id: num !== null ? String(num) : stem.replace(/[^A-Za-z0-9_.-]/g, '_'),
        num,
        subject: fm ? `obj${fm[1]}` : info ? `obj${info.subject}` : null,
        status: fm ? fm[2]!.toUpperCase() : info?.status ?? null,
      });
    }
  };
  walk(dir, 0, '');
  return out;
}

/**
 * Import MMECG trial files; bad files are listed in `failed`, the rest is written into `o.outDir`,
 * built in a temporary directory that replaces it only when complete (not at all when nothing
 * could be imported).
 */
export async function importMmecg(o: MmecgImportOptions): Promise<ImportSummary> {
  checkIn(o.inDir);
  checkOut(o.outDir, o.overwrite ?? false);
  return buildDirAtomic(o.outDir, (tmp) => importMmecgInto({ ...o, outDir: tmp }), (r) => r.manifest !== null);
}

function checkIn(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError('in', dir, 'an existing directory of MMECG .mat files');
}

async function importMmecgInto(o: MmecgImportOptions): Promise<ImportSummary> {
  const t0 = performance.now();
  if (!existsSync(o.inDir)) throw new ConfigError('in', o.inDir, 'an existing directory of MMECG .mat files');
  const spec = windowSpec({ frames: o.frames ?? 120 });
  const frameRate = frameRateOf(spec);
  const placements = [...(o.placements ?? PLACEMENTS)];
  const bins = o.bins ?? 71;
  const refSst = o.sstDir ? findReferenceSst(o.sstDir) : null;
  if (refSst && spec.frames !== 120) throw new ConfigError('frames', spec.frames, '120 (the reference SST files are at 30 Hz)');
  const found = findTrialFiles(o.inDir);
  if (found.length === 0) throw new DataError(o.inDir, 'no MMECG trial .mat files found (expected <n>.mat, or obj<k>_<STATUS>_<n>/ folders holding .mat files, up to two levels deep)');
  const failed: { file: string; problem: string }[] = [];
  const imported: ImportSummary['imported'][number][] = [];
  const trials: TrialEntry[] = [];
  let channels: number | null = null;
  let sstBins: number | null = refSst ? null : bins;
  let frequencies: number[] | null = null;
  let voices: number | null = null;
  const seen = new Set<string>();
  for (const f of found) {
    try {
      if (seen.has(f.id)) throw new DataError(f.file, `duplicate trial id ${f.id}`);
      const tr = await readMmecgTrial(f.file);
      if (channels !== null && tr.channels !== channels) throw new DataError(f.file, `${tr.channels} RCG channels, earlier trials have ${channels}`);
      const rPeaks = detectRPeaks(tr.ecg, MMECG_FS);
      if (rPeaks.length < 3) throw new DataError(f.file, `only ${rPeaks.length} R peaks detected in the ECG`);
      let sst: { data: Float32Array; frames: number; bins: number };
      if (refSst) {
        const sf = refSst.get(f.id);
        if (!sf) throw new DataError(f.file, `no reference SST file for trial ${f.id} in ${o.sstDir}`);
        sst = await readReferenceSst(sf, tr.samples, frameRate);
        if (sstBins !== null && sst.bins !== sstBins) throw new DataError(sf, `${sst.bins} frequency rows, earlier trials have ${sstBins}`);
        sstBins = sst.bins;
      } else {
        const s = sstTimeMajor(tr.rcg, tr.channels, { fs: MMECG_FS, bins, fmin: o.fmin, fmax: o.fmax, voices: o.voices, frameRate });
        sst = { data: s.data, frames: s.frames, bins };
        frequencies ??= Array.from(s.frequencies, (v) => Math.round(v * 1e6) / 1e6);
        voices ??= s.options.voices;
      }
      channels = tr.channels;
      const subject = f.subject ?? (tr.meta.id !== undefined ? `obj${tr.meta.id}` : 'unknown');
      const status = f.status ?? tr.meta.physistatus ?? null;
      const entry = writeTrial(
        o.outDir,
        { id: f.id, subject, status, ecg: tr.ecg, rPeaks, sstTimeMajor: { data: sst.data, frames: sst.frames }, extra: { sourceFile: relative(o.inDir, f.file), ...tr.meta } },
        { channels: tr.channels, bins: sst.bins, spec, placements },
      );
      trials.push(entry);
      seen.add(f.id);
      imported.push({ file: f.file, trial: f.id, subject, status, samples: tr.samples, beats: rPeaks.length });
      o.onProgress?.(`${basename(f.file)} → trial ${f.id} (${subject}, ${status ?? '?'}): ${rPeaks.length} beats`);
    } catch (e) {
      const problem = e instanceof DataError ? e.problem : (e as Error).message;
      failed.push({ file: e instanceof DataError ? e.file : f.file, problem });
      o.onProgress?.(`FAILED ${f.file}: ${problem}`);
    }
  }
  if (trials.length === 0) return { imported, failed, manifest: null, seconds: (performance.now() - t0) / 1000 };
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    source: {
      kind: 'mmecg',
      inputDir: o.inDir,
      sstDir: o.sstDir ?? null,
      files: imported.map((i) => relative(o.inDir, i.file)),
      failed,
      rPeakDetector: 'detectRPeaks (Pan-Tompkins), 200 Hz',
    },
    fs: MMECG_FS,
    window: { ...spec, frameRate },
    sst: {
      layout: 'trial',
      channels: channels!,
      bins: sstBins!,
      frames: spec.frames,
      frameRate,
      frequencies: refSst ? null : frequencies,
      fmin: refSst ? null : (o.fmin ?? 1),
      fmax: refSst ? null : (o.fmax ?? 25),
      voices: refSst ? null : voices,
      omega0: refSst ? null : 6,
      normalisation: 'per-window-channel-minmax',
      ...(refSst ? { note: "reference SST files (MATLAB wsst, 10 voices, upper 71 of 140 rows, band unrecorded), frequency axis flipped as the reference's loader does" } : {}),
    },
    placements,
    noise: { condition: { kind: 'clean' }, seed: o.seed ?? 0, appliedAt: 'none' },
    shapes: { input: [channels!, sstBins!, spec.frames], ecgShape: [spec.cycleSamples], ppiClasses: spec.ppiClasses, anchor: [spec.ecgSamples] },
    subjects: subjectsOf(trials),
    trials,
    splits: mmecgSplits(trials, o.seed ?? 0),
    fingerprint: fingerprintFiles(o.outDir, trials.flatMap(trialFileList)),
  };
  writeManifest(o.outDir, manifest);
  return { imported, failed, manifest, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Splits for MMECG trials: `trial` is the reference's (test IDs 75–85, train the other IDs ≤ 88),
 * `subject` holds out the subjects of those test trials (obj29, obj30) entirely; when none of the
 * reference test IDs is present, the generic seeded splits of format.ts are used.
 */
export function mmecgSplits(trials: readonly TrialEntry[], seed: number | string): Record<string, SplitDef> {
  const ids = trials.map((t) => t.id);
  const isTest = (id: string): boolean => REFERENCE_TEST_IDS.includes(Number(id));
  if (!ids.some(isTest)) return defaultSplits(trials, seed);
  const usable = trials.filter((t) => !(Number(t.id) >= 89 && Number(t.id) <= 91));
  const heldSubjects = new Set(trials.filter((t) => isTest(t.id)).map((t) => t.subject));
  return {
    trial: {
      train: usable.filter((t) => !isTest(t.id)).map((t) => t.id),
      test: usable.filter((t) => isTest(t.id)).map((t) => t.id),
      description: 'reference trial split (main.py): test IDs 75–85, train the other IDs ≤ 88; subjects 29 and 30 appear on both sides',
    },
    subject: {
      train: usable.filter((t) => !heldSubjects.has(t.subject)).map((t) => t.id),
      test: usable.filter((t) => heldSubjects.has(t.subject)).map((t) => t.id),
      description: `subject-independent: all trials of ${[...heldSubjects].join(', ')} held out`,
    },
  };
}

function subjectsOf(trials: readonly TrialEntry[]): Manifest['subjects'][number][] {
  const m = new Map<string, string[]>();
  for (const t of trials) m.set(t.subject, [...(m.get(t.subject) ?? []), t.id]);
  return [...m].map(([id, ts]) => ({ id, trials: ts }));
}

/** The output must be new, empty, or (with overwrite) an existing data set; it is replaced only at the end. */
function checkOut(dir: string, overwrite: boolean): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ConfigError('out', dir, 'a directory (this is a file)');
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!overwrite || !existsSync(join(dir, 'manifest.json'))) throw new ConfigError('out', dir, 'an empty or new directory (or --overwrite on an existing dataset)');
  }
}

/** Reference SST files by trial id. */
export function findReferenceSst(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const r = /^SST_obj\d+_[A-Za-z]+_(\d+)_30Hz\.mat$/.exec(name);
    if (r) m.set(String(Number(r[1])), join(dir, name));
  }
  return m;
}

/** Read SST(C, F, T) from a reference file → time-major [T, C, F], frequency ascending (flipped). */
export async function readReferenceSst(file: string, samples: number, frameRate: number): Promise<{ data: Float32Array; frames: number; bins: number }> {
  const vars = await readMat(file);
  const v = vars.SST ?? Object.values(vars).find((x) => x.kind === 'numeric' && x.dims.length === 3);
  if (!v || v.kind !== 'numeric' || v.dims.length !== 3) throw new DataError(file, 'no 3-D numeric SST variable');
  const [C, F, T] = v.dims as [number, number, number];
  const expected = Math.ceil((samples * frameRate) / MMECG_FS);
  if (Math.abs(T - expected) > 2) throw new DataError(file, `SST has ${T} frames, the ECG implies ${expected} at ${frameRate} Hz`);
  const data = new Float32Array(T * C * F);
  for (let t = 0; t < T; t++) for (let k = 0; k < F; k++) for (let c = 0; c < C; c++) data[(t * C + c) * F + (F - 1 - k)] = v.re[c + C * (k + F * t)]!;
  return { data, frames: T, bins: F };
}

// ---------------------------------------------------------------------------------------------
// Reference per-window segments

export interface SegmentImportOptions {
  /** A `data_seg_*` directory with `obj{s}_{status}_{ID}_` trial folders. */
  readonly inDir: string;
  readonly outDir: string;
  /** Placement the segments were cut with (default: 'rpeak' for *sce_middle*, else 'step'). */
  readonly placement?: Placement;
  /** Directory of the raw `{ID}.mat` files, for the whole-recording ECG and R peaks. */
  readonly rawDir?: string;
  readonly overwrite?: boolean;
  readonly seed?: number | string;
  readonly onProgress?: (message: string) => void;
}

/** Import the reference's `sst_seg_i` / `ecg_seg_i` / `anchor_seg_i` windows (layout 'windows'). */
export async function importReferenceSegments(o: SegmentImportOptions): Promise<ImportSummary> {
  checkIn(o.inDir);
  const folders = readdirSync(o.inDir).filter((f) => /^obj(\d+)_([A-Za-z]+)_(\d+)_?$/.test(f));
  if (folders.length === 0) throw new DataError(o.inDir, 'no reference segment folders found (expected obj<k>_<STATUS>_<n>/ folders holding sst_seg_<i>.npy, ecg_seg_<i>.npy, anchor_seg_<i>.npy)');
  checkOut(o.outDir, o.overwrite ?? false);
  return buildDirAtomic(o.outDir, (tmp) => importSegmentsInto({ ...o, outDir: tmp }), (r) => r.manifest !== null);
}

async function importSegmentsInto(o: SegmentImportOptions): Promise<ImportSummary> {
  const t0 = performance.now();
  const placement: Placement = o.placement ?? (/sce_middle/.test(o.inDir) ? 'rpeak' : 'step');
  const spec = windowSpec();
  const raw = o.rawDir ? new Map(findTrialFiles(o.rawDir).map((f) => [f.id, f.file])) : new Map<string, string>();
  const failed: { file: string; problem: string }[] = [];
  const imported: ImportSummary['imported'][number][] = [];
  const trials: TrialEntry[] = [];
  let shape: [number, number, number] | null = null;
  for (const folder of readdirSync(o.inDir).sort()) {
    const m = /^obj(\d+)_([A-Za-z]+)_(\d+)_?$/.exec(folder);
    const dir = join(o.inDir, folder);
    if (!m || !statSync(dir).isDirectory()) continue;
    try {
      const id = String(Number(m[3]));
      const xs: Float32Array[] = [];
      const cycles: Float64Array[] = [];
      const anchors: Uint8Array[] = [];
      for (let i = 0; existsSync(join(dir, `sst_seg_${i}.npy`)); i++) {
        const x = readNpy(join(dir, `sst_seg_${i}.npy`));
        if (x.shape.length !== 3) throw new DataError(join(dir, `sst_seg_${i}.npy`), `expected a 3-D window, got shape [${x.shape.join(', ')}]`);
        const s = x.shape as [number, number, number];
        if (shape && s.some((d, j) => d !== shape![j])) throw new DataError(join(dir, `sst_seg_${i}.npy`), `shape [${s.join(', ')}] differs from [${shape.join(', ')}]`);
        shape ??= s;
        const xf = Float32Array.from(toFloat64(x));
        normaliseChannels(xf, s[0], s[1] * s[2]);
        xs.push(xf);
        cycles.push(toFloat64(readNpy(join(dir, `ecg_seg_${i}.npy`))));
        const a = toFloat64(readNpy(join(dir, `anchor_seg_${i}.npy`)));
        if (a.length !== spec.ecgSamples) throw new DataError(join(dir, `anchor_seg_${i}.npy`), `anchor has ${a.length} samples, expected ${spec.ecgSamples}`);
        anchors.push(Uint8Array.from(a, (v) => (v > 0.5 ? 1 : 0)));
      }
      if (xs.length === 0) throw new DataError(dir, 'no sst_seg_0.npy');
      const labels = segmentLabels(cycles, anchors, placement, spec);
      let ecg: Float64Array = new Float64Array(0);
      let rPeaks: Int32Array = new Int32Array(0);
      const rawFile = raw.get(id);
      if (rawFile) {
        const tr = await readMmecgTrial(rawFile);
        ecg = tr.ecg;
        rPeaks = detectRPeaks(ecg, MMECG_FS);
      }
      const [C, F, T] = shape!;
      const x = new Float32Array(xs.length * C * F * T);
      xs.forEach((w, i) => x.set(w, i * C * F * T));
      const subject = `obj${m[1]}`;
      trials.push(writeTrial(o.outDir, { id, subject, status: m[2]!.toUpperCase(), ecg, rPeaks, windows: { [placement]: { x, labels } }, extra: { sourceFolder: folder } }, { channels: C, bins: F, spec: { ...spec, frames: T }, placements: [placement] }));
      imported.push({ file: dir, trial: id, subject, status: m[2]!.toUpperCase(), samples: ecg.length, beats: rPeaks.length });
      o.onProgress?.(`${folder}: ${xs.length} windows`);
    } catch (e) {
      failed.push({ file: e instanceof DataError ? e.file : dir, problem: e instanceof DataError ? e.problem : (e as Error).message });
    }
  }
  if (trials.length === 0 || !shape) return { imported, failed, manifest: null, seconds: (performance.now() - t0) / 1000 };
  const [C, F, T] = shape;
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    source: { kind: 'reference-segments', inputDir: o.inDir, rawDir: o.rawDir ?? null, failed },
    fs: MMECG_FS,
    window: { ...spec, frames: T, frameRate: (T * spec.fs) / spec.ecgSamples },
    sst: { layout: 'windows', channels: C, bins: F, frames: T, frameRate: (T * spec.fs) / spec.ecgSamples, frequencies: null, fmin: null, fmax: null, voices: null, omega0: null, normalisation: 'per-window-channel-minmax', note: 'reference segments; window starts unknown for rpeak placement (−1)' },
    placements: [placement],
    noise: { condition: { kind: 'clean' }, seed: o.seed ?? 0, appliedAt: 'none' },
    shapes: { input: [C, F, T], ecgShape: [spec.cycleSamples], ppiClasses: spec.ppiClasses, anchor: [spec.ecgSamples] },
    subjects: subjectsOf(trials),
    trials,
    splits: mmecgSplits(trials, o.seed ?? 0),
    fingerprint: fingerprintFiles(o.outDir, trials.flatMap(trialFileList)),
  };
  writeManifest(o.outDir, manifest);
  return { imported, failed, manifest, seconds: (performance.now() - t0) / 1000 };
}

function segmentLabels(cycles: Float64Array[], anchors: Uint8Array[], placement: Placement, spec: ReturnType<typeof windowSpec>): WindowLabels {
  const n = cycles.length;
  const lab = {
    placement,
    count: n,
    start: new Int32Array(n),
    frameStart: new Int32Array(n).fill(-1),
    cycleStart: new Int32Array(n).fill(-1),
    cycleLength: new Int32Array(n),
    cycleRPeak: new Int32Array(n).fill(-1),
    ppi: new Int32Array(n),
    clamped: new Uint8Array(n),
    ecgMin: new Float32Array(n),
    ecgMax: new Float32Array(n),
    ecgShape: new Float32Array(n * spec.cycleSamples),
    anchor: new Uint8Array(n * spec.ecgSamples),
  };
  cycles.forEach((cy, i) => {
    lab.start[i] = placement === 'step' ? i * spec.stepSamples : -1;
    lab.cycleLength[i] = cy.length;
    lab.ppi[i] = Math.min(cy.length, spec.ppiClasses) - 1;
    lab.clamped[i] = cy.length > spec.ppiClasses ? 1 : 0;
    lab.ecgMin[i] = Math.min(...cy);
    lab.ecgMax[i] = Math.max(...cy);
    lab.ecgShape.set(resampleCycle(cy, spec.cycleSamples, 'reference'), i * spec.cycleSamples);
    lab.anchor.set(anchors[i]!, i * spec.ecgSamples);
  });
  return lab;
}
