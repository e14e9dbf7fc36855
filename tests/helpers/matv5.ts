/**
 * Minimal MATLAB level-5 MAT-file writer for tests: one struct variable whose fields are double
 * matrices (column-major data with MATLAB dims) or char rows, optionally zlib-compressed
 * (miCOMPRESSED), little-endian.
 */
import { deflateSync } from 'node:zlib';

export type MatField = { readonly dims: readonly number[]; readonly data: ArrayLike<number> } | string;

const MI_INT8 = 1;
const MI_UINT16 = 4;
const MI_INT32 = 5;
const MI_UINT32 = 6;
const MI_DOUBLE = 9;
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;

function element(type: number, payload: Buffer, pad = true): Buffer {
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(payload.length, 4);
  const padding = pad ? (8 - (payload.length % 8)) % 8 : 0;
  return Buffer.concat([tag, payload, Buffer.alloc(padding)]);
}

function int32s(v: readonly number[]): Buffer {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeInt32LE(x, 4 * i));
  return b;
}

function matrix(name: string, classId: number, dims: readonly number[], body: Buffer[]): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(classId, 0);
  return element(MI_MATRIX, Buffer.concat([element(MI_UINT32, flags), element(MI_INT32, int32s(dims)), element(MI_INT8, Buffer.from(name, 'latin1')), ...body]));
}

function fieldMatrix(f: MatField): Buffer {
  if (typeof f === 'string') {
    const b = Buffer.alloc(2 * f.length);
    for (let i = 0; i < f.length; i++) b.writeUInt16LE(f.charCodeAt(i), 2 * i);
    return matrix('', 4, [1, f.length], [element(MI_UINT16, b)]);
  }
  const b = Buffer.alloc(8 * f.data.length);
  for (let i = 0; i < f.data.length; i++) b.writeDoubleLE(f.data[i]!, 8 * i);
  return matrix('', 6, f.dims, [element(MI_DOUBLE, b)]);
}

/** A MAT v5 file holding `struct name` with the given fields. */
export function encodeMatV5Struct(name: string, fields: Record<string, MatField>, compress = false): Buffer {
  const names = Object.keys(fields);
  const width = 32;
  const nameBuf = Buffer.alloc(width * names.length);
  names.forEach((n, i) => nameBuf.write(n, i * width, 'latin1'));
  const lenTag = Buffer.alloc(8);
  lenTag.writeUInt32LE((4 << 16) | MI_INT32, 0); // small element: 4 bytes of int32
  lenTag.writeInt32LE(width, 4);
  const body = [lenTag, element(MI_INT8, nameBuf), ...names.map((n) => fieldMatrix(fields[n]!))];
  const m = matrix(name, 2, [1, 1], body);
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, written by mtl-bench tests', 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  return Buffer.concat([header, compress ? element(MI_COMPRESSED, deflateSync(m), false) : m]);
}
