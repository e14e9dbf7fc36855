/**
 * Streaming reader of an on-disk radar-ECG dataset (format.ts): seeded shuffled batches read with
 * positional reads (a window is one contiguous block), splits, validation hold-out, whole
 * recordings. Nothing is loaded up front except the manifest and, lazily, each trial's small
 * per-window metadata.
 *
 * Usage:
 *   const ds = RadarEcgDataset.open(dir);
 *   const { train, test } = ds.split('subject');               // trial ids
 *   const { train: tr, val } = ds.holdOut(train, { fraction: 0.1, seed: 1 });
 *   for (const b of ds.batches({ windows: tr, batchSize: 22, seed: 1 }, epoch)) { b.x; b.ppi; ... }
 *   ds.recording(test[0]);                                      // { ecg, rPeaks, fs }
 *   ds.close();
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DataError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { readNpy, toFloat64 } from '../npy.js';
import { fingerprintFiles, readManifest, trialFileList, type Manifest, type SplitDef, type TrialEntry } from './format.js';
import { abruptWindowSet, applySstNoise, isSstNoise, noiseLabel, windowNoiseRng, type NoiseCondition } from './noise.js';
import type { Placement } from './windows.js';

export interface WindowRef {
  readonly trial: string;
  /** Index of the window within the trial's placement. */
  readonly index: number;
}

export interface WindowMeta {
  readonly start: Int32Array;
  readonly frameStart: Int32Array;
  readonly cycleStart: Int32Array;
  readonly cycleLength: Int32Array;
  readonly cycleRPeak: Int32Array;
  readonly clamped: Uint8Array;
  readonly ecgMin: Float32Array;
  readonly ecgMax: Float32Array;
}

export interface BatchOptions {
  /** Window placement (default: the manifest's first, normally 'step'). */
  readonly placement?: Placement;
  /** Trials to draw from (default all); ignored when `windows` is given. */
  readonly trials?: readonly string[];
  readonly windows?: readonly WindowRef[];
  readonly batchSize: number;
  /** Shuffle per epoch (default true). */
  readonly shuffle?: boolean;
  /** Seed of the shuffle (default 0); epoch e uses the stream `${seed}:shuffle:${e}`. */
  readonly seed?: number | string;
  /** Drop a final partial batch (default false). */
  readonly dropLast?: boolean;
  /**
   * SST-domain noise: undefined = the manifest's condition (if it is an SST one), null = none.
   * Noise of a window depends only on (noiseSeed, epoch, trial, placement, index).
   */
  readonly noise?: NoiseCondition | null;
  readonly noiseSeed?: number | string;
  /** Keep only the first k channels (default all). */
  readonly channels?: number;
  /** Anchor target: each R peak as a Gaussian of σ samples, peak 1 ({@link widenAnchor}); default 0 = the stored 0/1 impulses. */
  readonly anchorSigma?: number;
}

/**
 * An impulse train widened into Gaussians of σ samples (peak 1, the maximum where two overlap), in
 * place over `rows` rows of `len` samples. σ = 0 leaves it unchanged. The radar input resolves a
 * beat to about one SST frame (33 ms at 30 frames/s), so a target that is 1 at one 5-ms sample and 0
 * at the next asks for a precision the input does not carry; under the MSE its best prediction is
 * almost the constant mean.
 */
export function widenAnchor(anchor: Float32Array, rows: number, len: number, sigma: number): Float32Array {
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new ConfigError('anchorSigma', sigma, 'a finite number ≥ 0 (samples)');
  if (sigma === 0) return anchor;
  const r = Math.ceil(4 * sigma);
  const kernel = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const row = new Float32Array(len);
  for (let b = 0; b < rows; b++) {
    const o = b * len;
    row.fill(0);
    for (let q = 0; q < len; q++) {
      if (anchor[o + q]! < 0.5) continue;
      for (let d = -r; d <= r; d++) if (q + d >= 0 && q + d < len) row[q + d] = Math.max(row[q + d]!, kernel[d + r]!);
    }
    anchor.set(row, o);
  }
  return anchor;
}

export interface Batch {
  readonly size: number;
  /** Normalised SST windows, [size, C, F, T]. */
  readonly x: Float32Array;
  readonly xShape: readonly [number, number, number, number];
  /** Target cycles resampled to 200 points, raw mV, [size, 200]. */
  readonly ecgShape: Float32Array;
  /** PPI class (cycle length − 1), [size]. */
  readonly ppi: Int32Array;
  /** R-peak impulse trains, [size, 800], 0/1. */
  readonly anchor: Float32Array;
  /** Range of each raw target cycle, mV (for RMSE scaling). */
  readonly ecgMin: Float32Array;
  readonly ecgMax: Float32Array;
  readonly refs: readonly WindowRef[];
}

export interface HoldOutOptions {
  /** Fraction of the units held out for validation (default 0.1; at least one unit). */
  readonly fraction?: number;
  /** Unit of the hold-out (default 'trial'; 'window' leaks overlapping windows across the split). */
  readonly by?: 'trial' | 'subject' | 'window';
  readonly seed?: number | string;
  readonly placement?: Placement;
}

interface NpyBlock {
  readonly fd: number;
  readonly dataStart: number;
  readonly shape: readonly number[];
}

const MAX_OPEN = 48;

export class RadarEcgDataset {
  readonly dir: string;
  readonly manifest: Manifest;
  private readonly trialMap = new Map<string, TrialEntry>();
  private readonly metaCache = new Map<string, WindowMeta>();
  private readonly open = new Map<string, NpyBlock>();
  private scratch = new Uint8Array(0);
  private window = new Float32Array(0);

  private constructor(dir: string, manifest: Manifest) {
    this.dir = dir;
    this.manifest = manifest;
    for (const t of manifest.trials) this.trialMap.set(t.id, t);
  }

  static open(dir: string): RadarEcgDataset {
    return new RadarEcgDataset(dir, readManifest(dir));
  }

  get trialIds(): string[] {
    return this.manifest.trials.map((t) => t.id);
  }

  /** Input shape [C, F, T] of one window. */
  get inputShape(): readonly [number, number, number] {
    const s = this.manifest.sst;
    return [s.channels, s.bins, s.frames];
  }

  trial(id: string): TrialEntry {
    const t = this.trialMap.get(id);
    if (!t) throw new ConfigError('trial', id, `one of the dataset's trials (${this.trialIds.slice(0, 8).join(', ')}${this.trialIds.length > 8 ? ', …' : ''})`);
    return t;
  }

  /** Names of the stored splits ('trial', 'subject', ...). */
  get splitNames(): string[] {
    return Object.keys(this.manifest.splits);
  }

  split(name: string): SplitDef {
    const s = this.manifest.splits[name];
    if (!s) throw new ConfigError('split', name, `one of ${this.splitNames.join(', ') || '(none stored)'}`);
    return s;
  }

  /** Leave-one-subject-out: all trials of `subject` as test. */
  leaveSubjectOut(subject: string): SplitDef {
    const test = this.manifest.trials.filter((t) => t.subject === subject).map((t) => t.id);
    if (test.length === 0) throw new ConfigError('subject', subject, `one of ${[...new Set(this.manifest.trials.map((t) => t.subject))].join(', ')}`);
    return { train: this.manifest.trials.filter((t) => t.subject !== subject).map((t) => t.id), test, description: `leave subject ${subject} out` };
  }

  private placementOf(p?: Placement): Placement {
    const pl = p ?? this.manifest.placements[0]!;
    if (!this.manifest.placements.includes(pl)) throw new ConfigError('placement', pl, `one of ${this.manifest.placements.join(', ')}`);
    return pl;
  }

  /** All windows of some trials (default all) in one placement, in trial then window order. */
  windowRefs(trials: readonly string[] = this.trialIds, placement?: Placement): WindowRef[] {
    const pl = this.placementOf(placement);
    const out: WindowRef[] = [];
    for (const id of trials) {
      const n = this.trial(id).windows[pl] ?? 0;
      for (let i = 0; i < n; i++) out.push({ trial: id, index: i });
    }
    return out;
  }

  /** Split training trials into train/validation windows (by trial by default). */
  holdOut(trials: readonly string[], o: HoldOutOptions = {}): { train: WindowRef[]; val: WindowRef[]; trainTrials: string[]; valTrials: string[] } {
    const fraction = o.fraction ?? 0.1;
    if (!(fraction > 0 && fraction < 1)) throw new ConfigError('holdOut.fraction', fraction, 'a fraction in (0, 1)');
    const rng = Rng.fromSeed(`${o.seed ?? 0}:holdout`);
    const by = o.by ?? 'trial';
    if (by === 'window') {
      const refs = rng.shuffle(this.windowRefs(trials, o.placement));
      const k = Math.max(1, Math.round(fraction * refs.length));
      const val = refs.slice(0, k).sort(byRef);
      const train = refs.slice(k).sort(byRef);
      return { train, val, trainTrials: [...trials], valTrials: [...trials] };
    }
    let valSet: Set<string>;
    if (by === 'subject') {
      const subjects = [...new Set(trials.map((id) => this.trial(id).subject))];
      if (subjects.length < 2) throw new ConfigError('holdOut.by', by, 'at least two subjects among the trials');
      const held = new Set(rng.shuffle(subjects).slice(0, Math.max(1, Math.round(fraction * subjects.length))));
      valSet = new Set(trials.filter((id) => held.has(this.trial(id).subject)));
    } else if (by === 'trial') {
      if (trials.length < 2) throw new ConfigError('holdOut.by', by, 'at least two trials');
      valSet = new Set(rng.shuffle([...trials]).slice(0, Math.max(1, Math.round(fraction * trials.length))));
    } else {
      throw new ConfigError('holdOut.by', by, "'trial', 'subject' or 'window'");
    }
    const trainTrials = trials.filter((id) => !valSet.has(id));
    const valTrials = trials.filter((id) => valSet.has(id));
    return { train: this.windowRefs(trainTrials, o.placement), val: this.windowRefs(valTrials, o.placement), trainTrials, valTrials };
  }

  /** Number of batches an epoch of `opts` yields. */
  batchCount(opts: BatchOptions): number {
    const n = this.refsOf(opts).length;
    return opts.dropLast ? Math.floor(n / opts.batchSize) : Math.ceil(n / opts.batchSize);
  }

  private refsOf(opts: BatchOptions): readonly WindowRef[] {
    return opts.windows ?? this.windowRefs(opts.trials ?? this.trialIds, opts.placement);
  }

  /** Batches of one epoch, shuffled deterministically by (seed, epoch). */
  *batches(opts: BatchOptions, epoch = 0): Generator<Batch> {
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) throw new ConfigError('batchSize', opts.batchSize, 'an integer ≥ 1');
    const pl = this.placementOf(opts.placement);
    const refs = [...this.refsOf(opts)];
    if (opts.shuffle ?? true) Rng.fromSeed(`${opts.seed ?? 0}:shuffle:${epoch}`).shuffle(refs);
    const noise = opts.noise === undefined ? (isSstNoise(this.manifest.noise.condition) ? this.manifest.noise.condition : null) : opts.noise;
    const noiseSeed = opts.noiseSeed ?? this.manifest.noise.seed;
    const abruptSets = new Map<string, Set<number>>();
    const [C0, F, T] = this.inputShape;
    const C = opts.channels ?? C0;
    if (!(Number.isInteger(C) && C >= 1 && C <= C0)) throw new ConfigError('channels', opts.channels, `an integer in [1, ${C0}]`);
    const cs = this.manifest.window.cycleSamples;
    const es = this.manifest.window.ecgSamples;
    const per = C * F * T;
    for (let b0 = 0; b0 < refs.length; b0 += opts.batchSize) {
      const size = Math.min(opts.batchSize, refs.length - b0);
      if (size < opts.batchSize && opts.dropLast) break;
      const batchRefs = refs.slice(b0, b0 + size);
      const x = new Float32Array(size * per);
      const ecgShape = new Float32Array(size * cs);
      const ppi = new Int32Array(size);
      const anchor = new Float32Array(size * es);
      const ecgMin = new Float32Array(size);
      const ecgMax = new Float32Array(size);
      batchRefs.forEach((r, i) => {
        this.readInput(r, pl, x, i * per, C);
        const t = this.readTargets(r, pl);
        ecgShape.set(t.ecgShape, i * cs);
        for (let q = 0; q < es; q++) anchor[i * es + q] = t.anchor[q]!;
        ppi[i] = t.ppi;
        const m = this.windowMeta(r.trial, pl);
        ecgMin[i] = m.ecgMin[r.index]!;
        ecgMax[i] = m.ecgMax[r.index]!;
        if (noise && isSstNoise(noise)) {
          let abrupt = false;
          if (noise.kind === 'abrupt') {
            let set = abruptSets.get(r.trial);
            if (!set) {
              set = abruptWindowSet(this.trial(r.trial).windows[pl] ?? 0, noise.fraction, Rng.fromSeed(`${noiseSeed}:abrupt-set:${r.trial}:${pl}`));
              abruptSets.set(r.trial, set);
            }
            abrupt = set.has(r.index);
          }
          const rng = windowNoiseRng(noiseSeed, `${noiseLabel(noise)}:${epoch}:${r.trial}:${pl}:${r.index}`);
          applySstNoise(x, { channels: C, bins: F, frames: T }, noise, this.manifest.window.frameRate, rng, abrupt, i * per);
        }
      });
      widenAnchor(anchor, size, es, opts.anchorSigma ?? 0);
      yield { size, x, xShape: [size, C, F, T], ecgShape, ppi, anchor, ecgMin, ecgMax, refs: batchRefs };
    }
  }

  /** One normalised window [C, F, T] (no noise). */
  readWindow(ref: WindowRef, placement?: Placement): Float32Array {
    const [C, F, T] = this.inputShape;
    const out = new Float32Array(C * F * T);
    this.readInput(ref, this.placementOf(placement), out, 0, C);
    return out;
  }

  private readInput(ref: WindowRef, pl: Placement, out: Float32Array, offset: number, keep: number): void {
    const t = this.trial(ref.trial);
    const n = t.windows[pl] ?? 0;
    if (!(ref.index >= 0 && ref.index < n)) throw new ConfigError(`window index of trial ${ref.trial}`, ref.index, `an index in [0, ${n})`);
    const [C, F, T] = this.inputShape;
    const pf = t.files.placements[pl];
    if (this.manifest.sst.layout === 'windows') {
      if (!pf?.x) throw new DataError(join(this.dir, 'manifest.json'), `trial ${t.id} has no ${pl}/X.npy`);
      const blk = this.block(pf.x, 4);
      const per = C * F * T;
      const src = this.readFloats(blk, pf.x, ref.index * per, keep * F * T);
      out.set(src, offset);
      return;
    }
    if (!t.files.sst) throw new DataError(join(this.dir, 'manifest.json'), `trial ${t.id} has no sst.npy`);
    const blk = this.block(t.files.sst, 4);
    const f0 = this.windowMeta(t.id, pl).frameStart[ref.index]!;
    const cf = C * F;
    const src = this.readFloats(blk, t.files.sst, f0 * cf, T * cf);
    const kf = keep * F;
    // Transpose in a small cache-resident buffer, then one sequential copy into the batch.
    if (this.window.length < kf * T) this.window = new Float32Array(kf * T);
    const win = this.window;
    for (let tt = 0; tt < T; tt++) {
      const s = tt * cf;
      for (let i = 0; i < kf; i++) win[i * T + tt] = src[s + i]!;
    }
    // Per-channel min-max, written straight into the batch (one pass over the batch memory).
    const size = F * T;
    for (let c = 0; c < keep; c++) {
      const a = c * size;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = a; i < a + size; i++) {
        const v = win[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const inv = hi > lo ? 1 / (hi - lo) : 0;
      const o = offset + a;
      for (let i = 0; i < size; i++) out[o + i] = (win[a + i]! - lo) * inv;
    }
  }

  /** The three targets of one window, without reading its input: the cycle (raw mV, 200 points), anchor train, PPI class. */
  windowTargets(ref: WindowRef, placement?: Placement): { ecgShape: Float32Array; anchor: Uint8Array; ppi: number } {
    return this.readTargets(ref, this.placementOf(placement));
  }

  private readTargets(ref: WindowRef, pl: Placement): { ecgShape: Float32Array; anchor: Uint8Array; ppi: number } {
    const pf = this.trial(ref.trial).files.placements[pl]!;
    const cs = this.manifest.window.cycleSamples;
    const es = this.manifest.window.ecgSamples;
    const ecgShape = this.readFloats(this.block(pf.ecgShape, 4), pf.ecgShape, ref.index * cs, cs).slice();
    const ab = this.block(pf.anchor, 1);
    const anchor = new Uint8Array(es);
    this.readBytes(ab, pf.anchor, ab.dataStart + ref.index * es, anchor);
    const pb = this.block(pf.ppi, 4);
    const tmp = new Uint8Array(4);
    this.readBytes(pb, pf.ppi, pb.dataStart + ref.index * 4, tmp);
    return { ecgShape, anchor, ppi: new DataView(tmp.buffer).getInt32(0, true) };
  }

  /** Per-window metadata of a trial (start sample, SST frame, target cycle, clamped, ECG range). */
  windowMeta(trial: string, placement?: Placement): WindowMeta {
    const pl = this.placementOf(placement);
    const key = `${trial}\0${pl}`;
    const hit = this.metaCache.get(key);
    if (hit) return hit;
    const pf = this.trial(trial).files.placements[pl];
    if (!pf) throw new DataError(join(this.dir, 'manifest.json'), `trial ${trial} has no ${pl} windows`);
    const file = join(this.dir, pf.windows);
    let j: Record<string, number[]>;
    try {
      j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number[]>;
    } catch (e) {
      throw new DataError(file, `cannot read window metadata: ${(e as Error).message}`);
    }
    const col = <A extends Int32Array | Uint8Array | Float32Array>(name: string, make: (v: number[]) => A): A => {
      const v = j[name];
      if (!Array.isArray(v)) throw new DataError(file, `missing column ${name}`);
      return make(v);
    };
    const meta: WindowMeta = {
      start: col('start', (v) => Int32Array.from(v)),
      frameStart: col('frameStart', (v) => Int32Array.from(v)),
      cycleStart: col('cycleStart', (v) => Int32Array.from(v)),
      cycleLength: col('cycleLength', (v) => Int32Array.from(v)),
      cycleRPeak: col('cycleRPeak', (v) => Int32Array.from(v)),
      clamped: col('clamped', (v) => Uint8Array.from(v)),
      ecgMin: col('ecgMin', (v) => Float32Array.from(v)),
      ecgMax: col('ecgMax', (v) => Float32Array.from(v)),
    };
    this.metaCache.set(key, meta);
    return meta;
  }

  /** Whole-recording ECG (mV) and R peaks of a trial, for long-term assembly and evaluation. */
  recording(trial: string): { fs: number; ecg: Float64Array; rPeaks: Int32Array } {
    const t = this.trial(trial);
    const ecg = toFloat64(readNpy(join(this.dir, t.files.ecg)));
    const rp = readNpy(join(this.dir, t.files.rPeaks));
    return { fs: this.manifest.fs, ecg, rPeaks: Int32Array.from(rp.data as ArrayLike<number>) };
  }

  /** All PPI classes of some trials in one placement (for class balance). */
  ppiClasses(trials: readonly string[] = this.trialIds, placement?: Placement): Int32Array {
    const pl = this.placementOf(placement);
    const parts = trials.map((id) => {
      const f = this.trial(id).files.placements[pl];
      return f ? Int32Array.from(readNpy(join(this.dir, f.ppi)).data as ArrayLike<number>) : new Int32Array(0);
    });
    const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Recompute the fingerprint from the shards; `ok` when it matches the manifest. */
  verify(): { ok: boolean; expected: string; actual: string; changed: string[] } {
    const files = this.manifest.trials.flatMap(trialFileList);
    const fp = fingerprintFiles(this.dir, files);
    const changed = Object.keys(fp.files).filter((f) => fp.files[f] !== this.manifest.fingerprint.files[f]);
    return { ok: fp.value === this.manifest.fingerprint.value, expected: this.manifest.fingerprint.value, actual: fp.value, changed };
  }

  close(): void {
    for (const b of this.open.values()) closeSync(b.fd);
    this.open.clear();
  }

  private block(rel: string, itemSize: number): NpyBlock {
    const hit = this.open.get(rel);
    if (hit) {
      this.open.delete(rel);
      this.open.set(rel, hit);
      return hit;
    }
    const file = join(this.dir, rel);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw new DataError(file, `cannot open shard: ${(e as Error).message}`);
    }
    const head = new Uint8Array(4096);
    const got = readSync(fd, head, 0, head.length, 0);
    const h = parseNpyHeader(head.subarray(0, got), file);
    if (h.itemSize !== itemSize) {
      closeSync(fd);
      throw new DataError(file, `dtype ${h.descr} has ${h.itemSize}-byte items, expected ${itemSize}`);
    }
    const blk = { fd, dataStart: h.dataStart, shape: h.shape };
    if (this.open.size >= MAX_OPEN) {
      const [oldKey, old] = this.open.entries().next().value as [string, NpyBlock];
      closeSync(old.fd);
      this.open.delete(oldKey);
    }
    this.open.set(rel, blk);
    return blk;
  }

  private readFloats(blk: NpyBlock, rel: string, itemOffset: number, count: number): Float32Array {
    const bytes = count * 4;
    if (this.scratch.byteLength < bytes) this.scratch = new Uint8Array(bytes);
    const view = new Uint8Array(this.scratch.buffer, 0, bytes);
    this.readBytes(blk, rel, blk.dataStart + itemOffset * 4, view);
    return new Float32Array(this.scratch.buffer, 0, count);
  }

  private readBytes(blk: NpyBlock, rel: string, pos: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(blk.fd, into, done, into.length - done, pos + done);
      if (n === 0) throw new DataError(join(this.dir, rel), `truncated shard: wanted ${into.length} bytes at offset ${pos}`);
      done += n;
    }
  }
}

function byRef(a: WindowRef, b: WindowRef): number {
  return a.trial < b.trial ? -1 : a.trial > b.trial ? 1 : a.index - b.index;
}

/** Parse just the header of a little-endian, C-order .npy file. */
export function parseNpyHeader(buf: Uint8Array, file: string): { descr: string; shape: number[]; dataStart: number; itemSize: number } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (buf.length < 12 || magic.some((b, i) => buf[i] !== b)) throw new DataError(file, 'not a .npy file');
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const [len, start] = major === 1 ? [dv.getUint16(8, true), 10] : [dv.getUint32(8, true), 12];
  if (start + len > buf.length) throw new DataError(file, 'npy header longer than 4 KiB or truncated');
  const header = new TextDecoder('latin1').decode(buf.subarray(start, start + len));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeStr === undefined) throw new DataError(file, `malformed .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new DataError(file, 'Fortran-order shard (expected C order)');
  const sizes: Record<string, number> = { '<f4': 4, '<i4': 4, '|u1': 1, '<f8': 8, '|b1': 1 };
  const itemSize = sizes[descr];
  if (itemSize === undefined) throw new DataError(file, `unsupported shard dtype ${descr}`);
  const shape = shapeStr
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  return { descr, shape, dataStart: start + len, itemSize };
}
