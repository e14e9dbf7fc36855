/**
 * MATLAB .mat reader: level-5 files (v5/v6/v7: miMATRIX elements, optionally zlib-compressed
 * miCOMPRESSED) parsed directly, and v7.3 files (HDF5 behind a 512-byte header) through h5wasm.
 *
 * Supported: numeric classes (double, single, int8…uint64) real and complex, logical, char, struct
 * (any size), cell. Sparse, object, function-handle and opaque values come back as
 * `{ kind: 'unsupported' }` without failing the file. Numeric data are returned as Float64Array in
 * MATLAB's column-major order with `dims` as MATLAB reports them (v7.3 shapes are reversed back).
 *
 * Level-5 layout (MathWorks "MAT-File Format", 2022): a 128-byte header (text, subsystem offset,
 * version 0x0100, endian indicator "IM" little / "MI" big), then data elements. A tag is
 * (type u32, bytes u32), or, when the upper half of the first word is non-zero, a "small element"
 * holding ≤ 4 bytes in the tag itself. Elements inside a matrix are padded to 8 bytes.
 * miMATRIX = array flags (class in the low byte, complex 0x800, logical 0x200), dimensions (int32),
 * name (int8), then the class data: real/imag parts; char data; struct field-name length + names +
 * one miMATRIX per element per field; one miMATRIX per cell.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { inflateSync } from 'node:zlib';
import { DataError } from '../../src/errors.js';

export type MatValue =
  | { readonly kind: 'numeric'; readonly mclass: string; readonly dims: number[]; readonly re: Float64Array; readonly im?: Float64Array }
  | { readonly kind: 'logical'; readonly dims: number[]; readonly data: Uint8Array }
  | { readonly kind: 'char'; readonly dims: number[]; readonly text: string }
  | { readonly kind: 'struct'; readonly dims: number[]; readonly fieldNames: string[]; readonly elements: Record<string, MatValue>[] }
  | { readonly kind: 'cell'; readonly dims: number[]; readonly cells: MatValue[] }
  | { readonly kind: 'unsupported'; readonly mclass: string; readonly dims: number[] };

const CLASS_NAMES: Record<number, string> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
  16: 'function',
  17: 'opaque',
};

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;

const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

/** Which kind of .mat a buffer holds. */
export function matVersion(head: Uint8Array): 'v5' | 'v7.3' | 'v4-or-unknown' {
  if (head.length >= 520 && isHdf5Signature(head, 512)) return 'v7.3';
  if (head.length >= 8 && isHdf5Signature(head, 0)) return 'v7.3';
  if (head.length >= 128) {
    const e = String.fromCharCode(head[126]!, head[127]!);
    if (e === 'IM' || e === 'MI') return 'v5';
  }
  return 'v4-or-unknown';
}

function isHdf5Signature(b: Uint8Array, at: number): boolean {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return sig.every((v, i) => b[at + i] === v);
}

/** Read every variable of a .mat file (v5 or v7.3). Errors are DataErrors naming the file. */
export async function readMat(file: string): Promise<Record<string, MatValue>> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read: ${(e as Error).message}`);
  }
  const v = matVersion(buf);
  if (v === 'v5') return parseMatV5(buf, file);
  if (v === 'v7.3') return readMatV73(file);
  throw new DataError(file, buf.length < 128 ? `too short for a MAT-file (${buf.length} bytes)` : 'not a MAT-file v5/v7/v7.3 (no "IM"/"MI" endian indicator, no HDF5 signature); v4 files are not supported');
}

// ---------------------------------------------------------------------------------------------
// Level 5

class Cursor {
  constructor(
    readonly view: DataView,
    readonly le: boolean,
    readonly file: string,
  ) {}
}

interface Element {
  readonly type: number;
  readonly start: number;
  readonly bytes: number;
  /** Offset just past the element (padded inside matrices). */
  readonly next: number;
}

function readTag(c: Cursor, at: number, end: number, padded: boolean): Element {
  if (at + 8 > end) throw new DataError(c.file, `truncated data element tag at byte ${at} (need 8 bytes, ${end - at} left)`);
  const w0 = c.view.getUint32(at, c.le);
  const small = w0 >>> 16;
  if (small !== 0) {
    const type = w0 & 0xffff;
    if (small > 4) throw new DataError(c.file, `corrupt small data element at byte ${at} (${small} bytes)`);
    return { type, start: at + 4, bytes: small, next: at + 8 };
  }
  const bytes = c.view.getUint32(at + 4, c.le);
  const start = at + 8;
  if (start + bytes > end) throw new DataError(c.file, `truncated data element at byte ${at}: ${bytes} bytes declared, ${end - start} available`);
  const next = padded ? start + Math.ceil(bytes / 8) * 8 : start + bytes;
  return { type: w0, start, bytes, next: Math.min(next, end) };
}

/** Parse a level-5 MAT-file held in memory. */
export function parseMatV5(buf: Uint8Array, file = '<buffer>'): Record<string, MatValue> {
  if (buf.length < 128) throw new DataError(file, `truncated MAT-file header (${buf.length} of 128 bytes)`);
  const e = String.fromCharCode(buf[126]!, buf[127]!);
  if (e !== 'IM' && e !== 'MI') throw new DataError(file, 'missing endian indicator ("IM"/"MI") at byte 126');
  const c = new Cursor(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), e === 'IM', file);
  const out: Record<string, MatValue> = {};
  let at = 128;
  while (at < buf.length) {
    if (buf.length - at < 8) break; // trailing padding
    const el = readTag(c, at, buf.length, false);
    if (el.type === MI.COMPRESSED) {
      let raw: Buffer;
      try {
        raw = inflateSync(buf.subarray(el.start, el.start + el.bytes));
      } catch (err) {
        throw new DataError(file, `corrupt or truncated compressed element at byte ${at}: ${(err as Error).message}`);
      }
      const inner = new Cursor(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), c.le, file);
      const iel = readTag(inner, 0, raw.length, false);
      if (iel.type === MI.MATRIX) {
        const [name, v] = parseMatrix(inner, iel);
        out[name] = v;
      }
    } else if (el.type === MI.MATRIX) {
      const [name, v] = parseMatrix(c, el);
      out[name] = v;
    }
    at = el.start + el.bytes;
  }
  return out;
}

function parseMatrix(c: Cursor, el: Element): [string, MatValue] {
  if (el.bytes === 0) return ['', { kind: 'numeric', mclass: 'double', dims: [0, 0], re: new Float64Array(0) }];
  const end = el.start + el.bytes;
  const flagsEl = readTag(c, el.start, end, true);
  if (flagsEl.type !== MI.UINT32 || flagsEl.bytes < 8) throw new DataError(c.file, `matrix at byte ${el.start}: bad array-flags subelement`);
  const flags = c.view.getUint32(flagsEl.start, c.le);
  const classId = flags & 0xff;
  const complex = (flags & 0x800) !== 0;
  const logical = (flags & 0x200) !== 0;
  const dimsEl = readTag(c, flagsEl.next, end, true);
  const dims = Array.from(numbers(c, dimsEl));
  const nameEl = readTag(c, dimsEl.next, end, true);
  const name = new TextDecoder('latin1').decode(new Uint8Array(c.view.buffer, c.view.byteOffset + nameEl.start, nameEl.bytes));
  const count = dims.reduce((a, b) => a * b, 1);
  const mclass = CLASS_NAMES[classId] ?? `class${classId}`;
  let at = nameEl.next;
  if (classId >= 6 && classId <= 15) {
    const reEl = readTag(c, at, end, true);
    const re = numbers(c, reEl);
    if (re.length !== count) throw new DataError(c.file, `variable ${name || '(field)'}: ${re.length} values for dims [${dims.join('×')}]`);
    if (logical) return [name, { kind: 'logical', dims, data: Uint8Array.from(re) }];
    if (complex) {
      const im = numbers(c, readTag(c, reEl.next, end, true));
      return [name, { kind: 'numeric', mclass, dims, re, im }];
    }
    return [name, { kind: 'numeric', mclass, dims, re }];
  }
  if (classId === 4) {
    const d = readTag(c, at, end, true);
    let codes: number[];
    if (d.type === MI.UTF8 || d.type === MI.UINT8 || d.type === MI.INT8) {
      codes = Array.from(new TextDecoder('utf-8').decode(new Uint8Array(c.view.buffer, c.view.byteOffset + d.start, d.bytes)), (ch) => ch.codePointAt(0)!);
    } else {
      codes = Array.from(numbers(c, d));
    }
    return [name, { kind: 'char', dims, text: charText(codes, dims) }];
  }
  if (classId === 2) {
    const lenEl = readTag(c, at, end, true);
    const fieldLen = numbers(c, lenEl)[0] ?? 0;
    const namesEl = readTag(c, lenEl.next, end, true);
    const fieldNames: string[] = [];
    if (fieldLen > 0) {
      for (let o = 0; o + fieldLen <= namesEl.bytes; o += fieldLen) {
        const bytes = new Uint8Array(c.view.buffer, c.view.byteOffset + namesEl.start + o, fieldLen);
        const z = bytes.indexOf(0);
        fieldNames.push(new TextDecoder('latin1').decode(z >= 0 ? bytes.subarray(0, z) : bytes));
      }
    }
    at = namesEl.next;
    const elements: Record<string, MatValue>[] = [];
    for (let i = 0; i < count; i++) {
      const rec: Record<string, MatValue> = {};
      for (const f of fieldNames) {
        const sub = readTag(c, at, end, true);
        rec[f] = sub.type === MI.MATRIX ? parseMatrix(c, sub)[1] : { kind: 'unsupported', mclass: `type${sub.type}`, dims: [] };
        at = sub.next;
      }
      elements.push(rec);
    }
    return [name, { kind: 'struct', dims, fieldNames, elements }];
  }
  if (classId === 1) {
    const cells: MatValue[] = [];
    for (let i = 0; i < count; i++) {
      const sub = readTag(c, at, end, true);
      cells.push(sub.type === MI.MATRIX ? parseMatrix(c, sub)[1] : { kind: 'unsupported', mclass: `type${sub.type}`, dims: [] });
      at = sub.next;
    }
    return [name, { kind: 'cell', dims, cells }];
  }
  return [name, { kind: 'unsupported', mclass, dims }];
}

function numbers(c: Cursor, el: Element): Float64Array {
  const size = MI_SIZE[el.type];
  if (size === undefined) throw new DataError(c.file, `unexpected data type ${el.type} at byte ${el.start}`);
  const n = Math.floor(el.bytes / size);
  const out = new Float64Array(n);
  const v = c.view;
  const le = c.le;
  let o = el.start;
  switch (el.type) {
    case MI.DOUBLE:
      for (let i = 0; i < n; i++, o += 8) out[i] = v.getFloat64(o, le);
      break;
    case MI.SINGLE:
      for (let i = 0; i < n; i++, o += 4) out[i] = v.getFloat32(o, le);
      break;
    case MI.INT8:
      for (let i = 0; i < n; i++, o += 1) out[i] = v.getInt8(o);
      break;
    case MI.UINT8:
    case MI.UTF8:
      for (let i = 0; i < n; i++, o += 1) out[i] = v.getUint8(o);
      break;
    case MI.INT16:
      for (let i = 0; i < n; i++, o += 2) out[i] = v.getInt16(o, le);
      break;
    case MI.UINT16:
    case MI.UTF16:
      for (let i = 0; i < n; i++, o += 2) out[i] = v.getUint16(o, le);
      break;
    case MI.INT32:
      for (let i = 0; i < n; i++, o += 4) out[i] = v.getInt32(o, le);
      break;
    case MI.UINT32:
    case MI.UTF32:
      for (let i = 0; i < n; i++, o += 4) out[i] = v.getUint32(o, le);
      break;
    case MI.INT64:
      for (let i = 0; i < n; i++, o += 8) out[i] = Number(v.getBigInt64(o, le));
      break;
    case MI.UINT64:
      for (let i = 0; i < n; i++, o += 8) out[i] = Number(v.getBigUint64(o, le));
      break;
  }
  return out;
}

/** Column-major char codes → text; rows of a 2-D char array joined by newlines. */
function charText(codes: ArrayLike<number>, dims: number[]): string {
  const rows = dims.length >= 2 ? dims[0]! : 1;
  if (rows <= 1) return String.fromCodePoint(...Array.from(codes));
  const cols = Math.floor(codes.length / rows);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const line: number[] = [];
    for (let k = 0; k < cols; k++) line.push(codes[r + k * rows]!);
    lines.push(String.fromCodePoint(...line).trimEnd());
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// v7.3 (HDF5)

type H5 = typeof import('h5wasm/node').default;
interface H5Errors {
  activate_throwing_error_handler?: () => number;
  deactivate_throwing_error_handler?: () => number;
}
let h5: Promise<{ mod: H5; errors: H5Errors }> | null = null;

async function loadH5(): Promise<{ mod: H5; errors: H5Errors }> {
  h5 ??= (async () => {
    const mod = (await import('h5wasm/node')).default;
    const errors = (await mod.ready) as unknown as H5Errors;
    return { mod, errors };
  })();
  return h5;
}

/** Read a MATLAB v7.3 file (scalar structs, numeric, logical, char; references unsupported). */
export async function readMatV73(file: string): Promise<Record<string, MatValue>> {
  const { mod, errors } = await loadH5();
  // HDF5 errors become exceptions (with the library's message) instead of stderr dumps.
  errors.activate_throwing_error_handler?.();
  let f: InstanceType<H5['File']>;
  try {
    f = new mod.File(resolvePath(file), 'r');
  } catch (e) {
    errors.deactivate_throwing_error_handler?.();
    throw new DataError(file, `cannot open as HDF5 / MAT v7.3: ${h5Message(e)}`);
  }
  try {
    const out: Record<string, MatValue> = {};
    for (const key of f.keys()) {
      if (key.startsWith('#')) continue;
      out[key] = h5Value(f.get(key), `/${key}`, file);
    }
    return out;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(file, `corrupt MAT v7.3 content: ${h5Message(e)}`);
  } finally {
    try {
      f.close();
    } catch {
      // already failed; the DataError above says why
    }
    errors.deactivate_throwing_error_handler?.();
  }
}

/** The most specific line of an HDF5 error stack ("truncated file: eof = …"), else the message. */
function h5Message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => /^#\d+:/.test(l));
  const last = lines[lines.length - 1];
  return last ? last.replace(/^#\d+:.*?\(\):\s*/, '') : text.split('\n')[0]!;
}

interface H5Node {
  readonly type?: string;
  attrs?: Record<string, { value: unknown }>;
  keys?: () => string[];
  get?: (name: string) => unknown;
  shape?: number[] | null;
  value?: unknown;
}

function h5Value(node: unknown, path: string, file: string): MatValue {
  const n = node as H5Node | null;
  if (!n) return { kind: 'unsupported', mclass: 'missing', dims: [] };
  const cls = attrText(n, 'MATLAB_class') ?? (n.keys ? 'struct' : 'double');
  if (n.keys && n.get) {
    if (cls !== 'struct') return { kind: 'unsupported', mclass: cls, dims: [] };
    const rec: Record<string, MatValue> = {};
    const names = n.keys();
    for (const k of names) rec[k] = h5Value(n.get(k), `${path}/${k}`, file);
    return { kind: 'struct', dims: [1, 1], fieldNames: names, elements: [rec] };
  }
  const shape = (n.shape ?? []).slice();
  const dims = shape.length === 0 ? [1, 1] : shape.reverse();
  if (attrNumber(n, 'MATLAB_empty') === 1) return { kind: 'numeric', mclass: cls, dims: dims.map(() => 0), re: new Float64Array(0) };
  const value = n.value;
  if (!(ArrayBuffer.isView(value) || typeof value === 'number' || typeof value === 'bigint')) return { kind: 'unsupported', mclass: cls, dims };
  const arr = typeof value === 'number' || typeof value === 'bigint' ? [value] : (value as unknown as ArrayLike<number | bigint>);
  const re = Float64Array.from(arr as ArrayLike<number | bigint>, (x) => Number(x));
  if (cls === 'char') return { kind: 'char', dims, text: charText(re, dims) };
  if (cls === 'logical') return { kind: 'logical', dims, data: Uint8Array.from(re) };
  if (cls === 'cell' || cls === 'function_handle') return { kind: 'unsupported', mclass: cls, dims };
  void file;
  void path;
  return { kind: 'numeric', mclass: cls, dims, re };
}

function attrText(n: H5Node, name: string): string | undefined {
  const a = n.attrs?.[name];
  if (!a) return undefined;
  const v = a.value;
  if (typeof v === 'string') return v;
  if (ArrayBuffer.isView(v)) return new TextDecoder('latin1').decode(v as Uint8Array).replace(/\0+$/, '');
  return String(v);
}

function attrNumber(n: H5Node, name: string): number | undefined {
  const a = n.attrs?.[name];
  if (!a) return undefined;
  const v = a.value as unknown;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v)) return Number((v as unknown as ArrayLike<number>)[0]);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Helpers for callers

/** A struct field (scalar struct), or undefined. */
export function field(v: MatValue | undefined, name: string): MatValue | undefined {
  if (!v || v.kind !== 'struct' || v.elements.length === 0) return undefined;
  return v.elements[0]![name];
}

/** Text of a char value, or the number of a scalar numeric, as a string; undefined otherwise. */
export function scalarText(v: MatValue | undefined): string | undefined {
  if (!v) return undefined;
  if (v.kind === 'char') return v.text;
  if (v.kind === 'numeric' && v.re.length === 1) return String(v.re[0]);
  return undefined;
}
