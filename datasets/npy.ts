/**
 * NumPy .npy files (format versions 1.0, 2.0, 3.0): read any little- or big-endian numeric dtype
 * (f2 excluded), bool, C or Fortran order; write float32/float64/int32/uint8 in C order.
 * Errors name the file and what was wrong.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../src/atomic.js';
import { DataError } from '../src/errors.js';

export type NpyData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface NpyArray {
  /** numpy dtype descriptor as found in the file, e.g. `<f4`, `>i8`, `|u1`. */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Values in C (row-major) order, native byte order. Fortran files are transposed on read. */
  readonly data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface Kind {
  readonly size: number;
  readonly make: (n: number) => NpyData;
  readonly get: (v: DataView, off: number, little: boolean) => number | bigint;
}

const KINDS: Record<string, Kind> = {
  f4: { size: 4, make: (n) => new Float32Array(n), get: (v, o, l) => v.getFloat32(o, l) },
  f8: { size: 8, make: (n) => new Float64Array(n), get: (v, o, l) => v.getFloat64(o, l) },
  i1: { size: 1, make: (n) => new Int8Array(n), get: (v, o) => v.getInt8(o) },
  u1: { size: 1, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o) },
  b1: { size: 1, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o) },
  i2: { size: 2, make: (n) => new Int16Array(n), get: (v, o, l) => v.getInt16(o, l) },
  u2: { size: 2, make: (n) => new Uint16Array(n), get: (v, o, l) => v.getUint16(o, l) },
  i4: { size: 4, make: (n) => new Int32Array(n), get: (v, o, l) => v.getInt32(o, l) },
  u4: { size: 4, make: (n) => new Uint32Array(n), get: (v, o, l) => v.getUint32(o, l) },
  i8: { size: 8, make: (n) => new BigInt64Array(n), get: (v, o, l) => v.getBigInt64(o, l) },
  u8: { size: 8, make: (n) => new BigUint64Array(n), get: (v, o, l) => v.getBigUint64(o, l) },
};

export function parseNpy(buf: Uint8Array, file = '<buffer>'): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw new DataError(file, 'not a .npy file (missing the \\x93NUMPY magic)');
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new DataError(file, 'truncated .npy header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new DataError(file, `unsupported .npy format version ${major}.${buf[7]} (expected 1.0, 2.0 or 3.0)`);
  }
  if (start + headerLen > buf.length) throw new DataError(file, `truncated .npy header (needs ${headerLen} bytes)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeStr === undefined) throw new DataError(file, `malformed .npy header: ${header.trim()}`);
  const shape = shapeStr
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DataError(file, `malformed shape (${shapeStr})`);
  const order = descr[0];
  const code = descr.slice(1).replace('?', 'b1');
  const kind = KINDS[descr === '|b1' || descr === '?' ? 'b1' : code];
  if (!kind || !['<', '>', '|', '='].includes(order ?? '')) throw new DataError(file, `unsupported dtype ${JSON.stringify(descr)} (expected a numeric or bool dtype)`);
  const little = order !== '>';
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const need = count * kind.size;
  if (buf.length - dataStart < need) {
    throw new DataError(file, `truncated data: shape [${shape.join(', ')}] of ${descr} needs ${need} bytes, file has ${buf.length - dataStart}`);
  }
  const out = kind.make(count);
  const strides = cOrderIndexMap(shape, fortran === 'True');
  for (let i = 0; i < count; i++) {
    (out as unknown as (number | bigint)[])[strides ? strides[i]! : i] = kind.get(view, dataStart + i * kind.size, little);
  }
  return { dtype: descr, shape, data: out };
}

/** For a Fortran-order file, the C-order destination of the i-th stored element (else null). */
function cOrderIndexMap(shape: readonly number[], fortran: boolean): Int32Array | null {
  if (!fortran || shape.length < 2) return null;
  const count = shape.reduce((a, b) => a * b, 1);
  const cStrides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const map = new Int32Array(count);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let off = 0;
    for (let k = 0; k < shape.length; k++) off += idx[k]! * cStrides[k]!;
    map[i] = off;
    for (let k = 0; k < shape.length; k++) {
      idx[k]!++;
      if (idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return map;
}

export function readNpy(file: string): NpyArray {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read: ${(e as Error).message}`);
  }
  return parseNpy(buf, file);
}

/** Values as float64, whatever the stored dtype. */
/**
 * A 1-D signal of a .npy file as float64: shape [n], [1, n] or [n, 1], at least one sample, every
 * value finite; errors name the file and the first bad sample index.
 */
export function readSignal1d(file: string, what: string): Float64Array {
  const arr = readNpy(file);
  const longAxes = arr.shape.filter((d) => d !== 1);
  if (longAxes.length > 1 || arr.shape.length === 0) throw new DataError(file, `expected a 1-D ${what}, got shape [${arr.shape.join(', ')}]`);
  const x = toFloat64(arr);
  if (x.length === 0) throw new DataError(file, `empty ${what} (shape [${arr.shape.join(', ')}]); expected at least one sample`);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) throw new DataError(file, `sample ${i} is ${v}; expected a finite ${what}`);
  }
  return x;
}

export function toFloat64(a: NpyArray): Float64Array {
  if (a.data instanceof Float64Array) return a.data;
  return Float64Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
}

export function toFloat32(a: NpyArray): Float32Array {
  if (a.data instanceof Float32Array) return a.data;
  return Float32Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
}

export function encodeNpy(data: Float32Array | Float64Array | Int32Array | Uint8Array, shape: readonly number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new DataError('<npy encode>', `shape [${shape.join(', ')}] holds ${count} values, data has ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : '|u1';
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from(MAGIC).copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  // Copy through a fresh buffer so the bytes are little-endian on every host (x86 and ARM are LE).
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

/** Write a .npy file atomically (temporary file + rename). */
export function writeNpy(file: string, data: Float32Array | Float64Array | Int32Array | Uint8Array, shape: readonly number[]): void {
  writeFileAtomicSync(file, encodeNpy(data, shape), { fsync: false });
}
