/**
 * NYUv2 as pre-processed by MTAN (Liu et al., CVPR 2019) and read by LibMTL's `examples/nyu`
 * (mtl-methods.md §5): `root/{train,val}/{image,label,depth,normal}/<i>.npy`, i = 0..N−1, where N
 * is the number of `*.npy` files in `image/` (795 train, 654 val; LibMTL uses `val/` as its test
 * split).
 *
 * Per sample, all H×W (288×384 in the real data; any size is accepted as long as every file of a
 * split agrees):
 * - image  H×W×3 float, RGB in [0, 1];
 * - label  H×W, integer-valued (any numeric dtype), classes 0..12, −1 = unlabelled (ignored);
 * - depth  H×W×1 float, metres, 0 = invalid;
 * - normal H×W×3 float, unit vectors, all-zero = invalid.
 * LibMTL moves channels first (NCHW); TF.js is channels-last, so arrays stay H×W×C.
 *
 * Every read is checked (shape, dtype, NaN/∞, ranges, unit normals) and a failure throws a
 * DataError naming the file. Batches stream from disk (one batch of files at a time) unless
 * `cache` is asked for; CPU presets can downscale on read ({@link resizeSample}).
 *
 * Deviation: validity of a normal is "some component ≠ 0". LibMTL's mask is "components do not sum
 * to 0", which also drops the (measure-zero) unit vectors whose components cancel.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DataError } from '../../src/errors.js';
import type { Rng } from '../../src/rng.js';
import { readNpy, type NpyArray } from '../npy.js';

export const NYUV2_CLASSES = 13;
export const NYUV2_IGNORE = -1;
export const NYUV2_SPLITS = ['train', 'val'] as const;
export type Nyuv2SplitName = (typeof NYUV2_SPLITS)[number];
export const NYUV2_KINDS = ['image', 'label', 'depth', 'normal'] as const;
export type Nyuv2Kind = (typeof NYUV2_KINDS)[number];
/** Size of the real pre-processed data. */
export const NYUV2_HEIGHT = 288;
export const NYUV2_WIDTH = 384;
/** Sample counts of the standard split. */
export const NYUV2_TRAIN_COUNT = 795;
export const NYUV2_VAL_COUNT = 654;

/** One sample, channels last, row-major. */
export interface NyuSample {
  readonly height: number;
  readonly width: number;
  /** H·W·3, RGB in [0, 1]. */
  readonly image: Float32Array;
  /** H·W, −1..12. */
  readonly label: Int32Array;
  /** H·W (the trailing ×1 of the file dropped), metres, 0 = invalid. */
  readonly depth: Float32Array;
  /** H·W·3, unit or all-zero. */
  readonly normal: Float32Array;
}

export interface Nyuv2CheckOptions {
  /** Tolerated | ‖n‖ − 1 | of a valid normal (default 0.05). */
  readonly normalTolerance?: number;
  /** Tolerated excursion of image values outside [0, 1] (default 1e-3). */
  readonly imageTolerance?: number;
  /** Largest plausible depth in metres (default 100; larger values suggest millimetres). */
  readonly maxDepth?: number;
}

const FLOAT_DTYPES = new Set(['f4', 'f8']);
const INT_DTYPES = new Set(['f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8']);

function dtypeCode(a: NpyArray): string {
  return a.dtype.slice(1);
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function expectShape(file: string, a: NpyArray, want: readonly number[]): void {
  if (a.shape.length !== want.length || a.shape.some((d, i) => d !== want[i])) {
    throw new DataError(file, `shape ${shapeStr(a.shape)}, expected ${shapeStr(want)}`);
  }
}

function expectDtype(file: string, a: NpyArray, allowed: Set<string>, what: string): void {
  if (!allowed.has(dtypeCode(a))) throw new DataError(file, `dtype ${JSON.stringify(a.dtype)}, expected ${what}`);
}

function numbers(a: NpyArray): ArrayLike<number> {
  const d = a.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, (v) => Number(v));
  return d;
}

function pixelAt(i: number, width: number, channels: number): string {
  const p = Math.floor(i / channels);
  return `pixel (row ${Math.floor(p / width)}, col ${p % width})`;
}

/** Validate and convert the four arrays of one sample. Exported for the `check` command and tests. */
export function validateSample(files: Record<Nyuv2Kind, string>, arrays: Record<Nyuv2Kind, NpyArray>, height: number, width: number, opts: Nyuv2CheckOptions = {}): NyuSample {
  const normalTol = opts.normalTolerance ?? 0.05;
  const imageTol = opts.imageTolerance ?? 1e-3;
  const maxDepth = opts.maxDepth ?? 100;
  const n = height * width;

  const img = arrays.image;
  expectDtype(files.image, img, FLOAT_DTYPES, 'float32 or float64 RGB in [0, 1]');
  expectShape(files.image, img, [height, width, 3]);
  const iv = numbers(img);
  const image = new Float32Array(n * 3);
  for (let i = 0; i < iv.length; i++) {
    const v = iv[i] as number;
    if (!Number.isFinite(v)) throw new DataError(files.image, `non-finite value ${v} at ${pixelAt(i, width, 3)}`);
    if (v < -imageTol || v > 1 + imageTol) throw new DataError(files.image, `value ${v} at ${pixelAt(i, width, 3)} outside [0, 1] (images must be scaled to [0, 1])`);
    image[i] = v;
  }

  const lab = arrays.label;
  expectDtype(files.label, lab, INT_DTYPES, 'a numeric dtype holding integer classes');
  expectShape(files.label, lab, [height, width]);
  const lv = numbers(lab);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = lv[i] as number;
    if (!Number.isInteger(v) || v < NYUV2_IGNORE || v >= NYUV2_CLASSES) {
      throw new DataError(files.label, `label ${v} at ${pixelAt(i, width, 1)} out of range (expected an integer in −1..${NYUV2_CLASSES - 1}, −1 = ignored)`);
    }
    label[i] = v;
  }

  const dep = arrays.depth;
  expectDtype(files.depth, dep, FLOAT_DTYPES, 'float32 or float64 metres');
  expectShape(files.depth, dep, [height, width, 1]);
  const dv = numbers(dep);
  const depth = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = dv[i] as number;
    if (!Number.isFinite(v)) throw new DataError(files.depth, `non-finite depth ${v} at ${pixelAt(i, width, 1)}`);
    if (v < 0) throw new DataError(files.depth, `negative depth ${v} at ${pixelAt(i, width, 1)} (0 marks invalid pixels)`);
    if (v > maxDepth) throw new DataError(files.depth, `depth ${v} at ${pixelAt(i, width, 1)} above ${maxDepth} (expected metres)`);
    depth[i] = v;
  }

  const nor = arrays.normal;
  expectDtype(files.normal, nor, FLOAT_DTYPES, 'float32 or float64 unit vectors');
  expectShape(files.normal, nor, [height, width, 3]);
  const nv = numbers(nor);
  const normal = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    const x = nv[3 * p] as number;
    const y = nv[3 * p + 1] as number;
    const z = nv[3 * p + 2] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) throw new DataError(files.normal, `non-finite normal (${x}, ${y}, ${z}) at ${pixelAt(3 * p, width, 3)}`);
    if (x !== 0 || y !== 0 || z !== 0) {
      const len = Math.hypot(x, y, z);
      if (Math.abs(len - 1) > normalTol) {
        throw new DataError(files.normal, `normal (${x}, ${y}, ${z}) at ${pixelAt(3 * p, width, 3)} has length ${len.toFixed(4)} (expected unit length ±${normalTol}, or all zero for invalid)`);
      }
    }
    normal[3 * p] = x;
    normal[3 * p + 1] = y;
    normal[3 * p + 2] = z;
  }
  return { height, width, image, label, depth, normal };
}

function countNpy(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.npy'));
  } catch (e) {
    throw new DataError(dir, `cannot list directory: ${(e as Error).message}`);
  }
}

/**
 * One split folder (`root/train` or `root/val`). Opening lists the files and reads `image/0.npy`
 * to learn H×W (or checks it against `expected`); each {@link read} validates the four files.
 */
export class Nyuv2Split {
  private constructor(
    readonly dir: string,
    readonly split: Nyuv2SplitName,
    readonly count: number,
    readonly height: number,
    readonly width: number,
    private readonly check: Nyuv2CheckOptions,
  ) {}

  static open(root: string, split: Nyuv2SplitName, opts: Nyuv2CheckOptions & { expectedSize?: readonly [number, number] } = {}): Nyuv2Split {
    const dir = join(root, split);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(dir, `missing split folder (expected ${root}/{train,val}/{image,label,depth,normal}/<i>.npy)`);
    const listed = new Map<Nyuv2Kind, Set<string>>();
    for (const k of NYUV2_KINDS) {
      const kd = join(dir, k);
      if (!existsSync(kd)) throw new DataError(kd, 'missing folder');
      listed.set(k, new Set(countNpy(kd)));
    }
    const images = listed.get('image')!;
    if (images.size === 0) throw new DataError(join(dir, 'image'), 'no .npy files');
    // Every kind must hold the same indices: the largest index of any kind sets the count.
    let count = 0;
    for (const names of listed.values()) for (const n of names) if (/^\d+\.npy$/.test(n)) count = Math.max(count, Number(n.slice(0, -4)) + 1);
    for (let i = 0; i < count; i++) {
      for (const k of NYUV2_KINDS) {
        if (!listed.get(k)!.has(`${i}.npy`)) throw new DataError(join(dir, k, `${i}.npy`), `missing file (${split} has files up to index ${count - 1}, so indices 0..${count - 1} are expected of every kind)`);
      }
    }
    const [height, width, witness] = splitSize(dir, count);
    const exp = opts.expectedSize;
    if (exp && (exp[0] !== height || exp[1] !== width)) throw new DataError(witness, `image size ${height}×${width}, expected ${exp[0]}×${exp[1]} (the size of the other split)`);
    return new Nyuv2Split(dir, split, count, height, width, opts);
  }

  file(kind: Nyuv2Kind, i: number): string {
    return join(this.dir, kind, `${i}.npy`);
  }

  files(i: number): Record<Nyuv2Kind, string> {
    return { image: this.file('image', i), label: this.file('label', i), depth: this.file('depth', i), normal: this.file('normal', i) };
  }

  /** Read and validate sample i. */
  read(i: number): NyuSample {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new ConfigError(`${this.split} sample index`, i, `an integer in 0..${this.count - 1}`);
    const files = this.files(i);
    const arrays = {
      image: readNpy(files.image),
      label: readNpy(files.label),
      depth: readNpy(files.depth),
      normal: readNpy(files.normal),
    };
    return validateSample(files, arrays, this.height, this.width, this.check);
  }
}

/**
 * The image size of a split, by majority over the files of sample 0 and the images of samples
 * 1..4 (so one wrong file is blamed on itself when its sample is validated, not on every other
 * file); returns [H, W, a file of that size].
 */
function splitSize(dir: string, count: number): [number, number, string] {
  const votes = new Map<string, { n: number; h: number; w: number; file: string }>();
  const vote = (file: string, want: number): void => {
    let shape: readonly number[];
    try {
      shape = readNpy(file).shape;
    } catch {
      return;
    }
    if (shape.length !== (want === 0 ? 2 : 3) || (want > 0 && shape[2] !== want)) return;
    const key = `${shape[0]}x${shape[1]}`;
    const v = votes.get(key) ?? { n: 0, h: shape[0]!, w: shape[1]!, file };
    v.n++;
    votes.set(key, v);
  };
  vote(join(dir, 'image', '0.npy'), 3);
  vote(join(dir, 'label', '0.npy'), 0);
  vote(join(dir, 'depth', '0.npy'), 1);
  vote(join(dir, 'normal', '0.npy'), 3);
  for (let i = 1; i < Math.min(count, 5); i++) vote(join(dir, 'image', `${i}.npy`), 3);
  const best = [...votes.values()].sort((a, b) => b.n - a.n)[0];
  if (!best) {
    const first = join(dir, 'image', '0.npy');
    const a = readNpy(first);
    throw new DataError(first, `shape ${shapeStr(a.shape)}, expected [H, W, 3]`);
  }
  return [best.h, best.w, best.file];
}

export interface Nyuv2Dataset {
  readonly root: string;
  readonly train: Nyuv2Split;
  /** LibMTL's test split (the `val/` folder). */
  readonly test: Nyuv2Split;
}

/** Open both splits of a dataset root; both must share one image size. */
export function openNyuv2(root: string, opts: Nyuv2CheckOptions & { expectedSize?: readonly [number, number] } = {}): Nyuv2Dataset {
  const train = Nyuv2Split.open(root, 'train', opts);
  const test = Nyuv2Split.open(root, 'val', { ...opts, expectedSize: opts.expectedSize ?? [train.height, train.width] });
  return { root, train, test };
}

/**
 * Hold out a validation subset of the training indices (seeded). LibMTL has no validation split
 * (it selects the epoch on the test split); use this one for model selection instead.
 */
export function holdOut(count: number, valCount: number, rng: Rng): { train: number[]; val: number[] } {
  if (!Number.isInteger(valCount) || valCount < 0 || valCount >= count) throw new ConfigError('validation hold-out', valCount, `an integer in 0..${count - 1}`);
  const idx = rng.shuffle(Array.from({ length: count }, (_, i) => i));
  const val = idx.slice(0, valCount).sort((a, b) => a - b);
  const train = idx.slice(valCount).sort((a, b) => a - b);
  return { train, val };
}

// ---------------------------------------------------------------------------------------------
// Downscaling

/** Per output index: source index ranges and weights of an area (box) filter from n to m ≤ n. */
function areaWeights(n: number, m: number): { idx: Int32Array; w: Float64Array; start: Int32Array } {
  const scale = n / m;
  const idx: number[] = [];
  const w: number[] = [];
  const start = new Int32Array(m + 1);
  for (let o = 0; o < m; o++) {
    start[o] = idx.length;
    const a = o * scale;
    const b = (o + 1) * scale;
    for (let s = Math.floor(a); s < Math.min(n, Math.ceil(b)); s++) {
      const ov = Math.min(b, s + 1) - Math.max(a, s);
      if (ov > 1e-12) {
        idx.push(s);
        w.push(ov / scale);
      }
    }
  }
  start[m] = idx.length;
  return { idx: Int32Array.from(idx), w: Float64Array.from(w), start };
}

/** Nearest source index of each output index (pixel centres: floor((o + ½)·n/m)). */
function nearest(n: number, m: number): Int32Array {
  const out = new Int32Array(m);
  for (let o = 0; o < m; o++) out[o] = Math.min(n - 1, Math.floor(((o + 0.5) * n) / m));
  return out;
}

/**
 * Downscale a sample to h×w (h ≤ H, w ≤ W; any ratio):
 * - image: area average (exact box filter with fractional overlaps);
 * - label, depth: nearest (pixel centres), so classes stay classes and 0 stays "invalid";
 * - normal: valid iff its nearest source normal is valid (matching depth validity); the value is
 *   the area average of the valid source normals, renormalised to unit length.
 */
export function resizeSample(s: NyuSample, h: number, w: number): NyuSample {
  if (h === s.height && w === s.width) return s;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1 || h > s.height || w > s.width) {
    throw new ConfigError('downscale size', `${h}×${w}`, `positive integers no larger than the data (${s.height}×${s.width})`);
  }
  const H = s.height;
  const W = s.width;
  const ry = areaWeights(H, h);
  const rx = areaWeights(W, w);
  const ny = nearest(H, h);
  const nx = nearest(W, w);
  const image = new Float32Array(h * w * 3);
  const label = new Int32Array(h * w);
  const depth = new Float32Array(h * w);
  const normal = new Float32Array(h * w * 3);
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      const o = oy * w + ox;
      let r = 0;
      let g = 0;
      let b = 0;
      let nxs = 0;
      let nys = 0;
      let nzs = 0;
      for (let a = ry.start[oy]!; a < ry.start[oy + 1]!; a++) {
        const sy = ry.idx[a]!;
        const wy = ry.w[a]!;
        for (let c = rx.start[ox]!; c < rx.start[ox + 1]!; c++) {
          const p = sy * W + rx.idx[c]!;
          const wt = wy * rx.w[c]!;
          r += wt * s.image[3 * p]!;
          g += wt * s.image[3 * p + 1]!;
          b += wt * s.image[3 * p + 2]!;
          const vx = s.normal[3 * p]!;
          const vy = s.normal[3 * p + 1]!;
          const vz = s.normal[3 * p + 2]!;
          if (vx !== 0 || vy !== 0 || vz !== 0) {
            nxs += wt * vx;
            nys += wt * vy;
            nzs += wt * vz;
          }
        }
      }
      image[3 * o] = r;
      image[3 * o + 1] = g;
      image[3 * o + 2] = b;
      const q = ny[oy]! * W + nx[ox]!;
      label[o] = s.label[q]!;
      depth[o] = s.depth[q]!;
      const qx = s.normal[3 * q]!;
      const qy = s.normal[3 * q + 1]!;
      const qz = s.normal[3 * q + 2]!;
      if (qx !== 0 || qy !== 0 || qz !== 0) {
        const len = Math.hypot(nxs, nys, nzs);
        // The nearest normal is valid and inside the box, so the sum is non-zero unless valid
        // normals cancel; fall back to the nearest one then.
        const [ux, uy, uz] = len > 1e-6 ? [nxs / len, nys / len, nzs / len] : [qx, qy, qz];
        normal[3 * o] = ux;
        normal[3 * o + 1] = uy;
        normal[3 * o + 2] = uz;
      }
    }
  }
  return { height: h, width: w, image, label, depth, normal };
}

// ---------------------------------------------------------------------------------------------
// Batches

/** A batch in NHWC layout, ready for tf.tensor4d (label: tensor3d int32). */
export interface NyuBatch {
  readonly indices: readonly number[];
  readonly size: number;
  readonly height: number;
  readonly width: number;
  /** B·H·W·3 */
  readonly image: Float32Array;
  /** B·H·W */
  readonly label: Int32Array;
  /** B·H·W (·1) */
  readonly depth: Float32Array;
  /** B·H·W·3 */
  readonly normal: Float32Array;
}

export interface NyuBatchOptions {
  readonly batchSize: number;
  /** Shuffle the order each epoch with the Rng given to {@link NyuBatchReader.epoch} (default true). */
  readonly shuffle?: boolean;
  /** Drop the last incomplete batch (default true, as LibMTL's training loader). */
  readonly dropLast?: boolean;
  /** Downscale every sample to this size on read. */
  readonly size?: { readonly height: number; readonly width: number };
  /** Keep the (downscaled) samples in memory after their first read (default false: stream). */
  readonly cache?: boolean;
}

/** Streams batches of a subset of one split, reading (and validating) the files batch by batch. */
export class NyuBatchReader {
  readonly height: number;
  readonly width: number;
  private readonly cache: Map<number, NyuSample> | null;

  constructor(
    readonly split: Nyuv2Split,
    readonly indices: readonly number[],
    readonly options: NyuBatchOptions,
  ) {
    const bs = options.batchSize;
    if (!Number.isInteger(bs) || bs < 1) throw new ConfigError('batchSize', bs, 'a positive integer');
    if (indices.length === 0) throw new ConfigError(`${split.split} indices`, [], 'at least one sample');
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= split.count) throw new ConfigError(`${split.split} index`, i, `an integer in 0..${split.count - 1}`);
    }
    this.height = options.size?.height ?? split.height;
    this.width = options.size?.width ?? split.width;
    if (this.height > split.height || this.width > split.width) {
      throw new ConfigError('downscale size', `${this.height}×${this.width}`, `no larger than the data (${split.height}×${split.width})`);
    }
    this.cache = options.cache ? new Map() : null;
  }

  get stepsPerEpoch(): number {
    const n = this.indices.length;
    const bs = this.options.batchSize;
    return (this.options.dropLast ?? true) ? Math.floor(n / bs) : Math.ceil(n / bs);
  }

  sample(i: number): NyuSample {
    const hit = this.cache?.get(i);
    if (hit) return hit;
    const s = resizeSample(this.split.read(i), this.height, this.width);
    this.cache?.set(i, s);
    return s;
  }

  /** The batches of one epoch. `rng` is required when shuffling. */
  *epoch(rng?: Rng): Generator<NyuBatch> {
    const order = [...this.indices];
    if (this.options.shuffle ?? true) {
      if (!rng) throw new ConfigError('NyuBatchReader.epoch: rng', undefined, 'an Rng when shuffle is on');
      rng.shuffle(order);
    }
    const bs = this.options.batchSize;
    const dropLast = this.options.dropLast ?? true;
    for (let s = 0; s < order.length; s += bs) {
      const ids = order.slice(s, s + bs);
      if (ids.length < bs && dropLast) break;
      yield this.batch(ids);
    }
  }

  /** Assemble the given sample indices into one batch. */
  batch(ids: readonly number[]): NyuBatch {
    const hw = this.height * this.width;
    const b = ids.length;
    const image = new Float32Array(b * hw * 3);
    const label = new Int32Array(b * hw);
    const depth = new Float32Array(b * hw);
    const normal = new Float32Array(b * hw * 3);
    ids.forEach((i, k) => {
      const s = this.sample(i);
      image.set(s.image, k * hw * 3);
      label.set(s.label, k * hw);
      depth.set(s.depth, k * hw);
      normal.set(s.normal, k * hw * 3);
    });
    return { indices: [...ids], size: b, height: this.height, width: this.width, image, label, depth, normal };
  }
}
