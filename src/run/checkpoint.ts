/**
 * Checkpoint files: a small binary container, written to a temporary name, fsynced and renamed,
 * so a crash never leaves a half-written checkpoint under the real name.
 *
 * Layout: `MTLCKPT2`, u32 header length, u32 tensor count, SHA-256 of everything after these 48
 * bytes and of the first 16, the JSON header (non-finite numbers and -0 encoded so they survive), padding to 4 bytes,
 * the raw float32 tensors. Reading verifies the length, the checksum and the run key, so a
 * damaged, truncated or foreign file is refused with a one-line DataError instead of being used.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type * as TF from '@tensorflow/tfjs';
import { DataError } from '../errors.js';

const MAGIC = 'MTLCKPT2';
const PREFIX = 48;

export interface TensorRecord {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Checkpoint<H> {
  readonly header: H;
  readonly tensors: readonly TensorRecord[];
}

/** Every checkpoint header names the run it belongs to. */
export interface KeyedHeader {
  readonly key: string;
}

const NONFINITE = '$number';

/** JSON that keeps NaN, ±Infinity and -0 (plain JSON turns them into null or 0). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? { [NONFINITE]: Object.is(v, -0) ? '-0' : String(v) } : v));
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === NONFINITE) return Number((v as Record<string, string>)[NONFINITE]);
    }
    return v;
  }) as T;
}

export function writeCheckpoint<H extends KeyedHeader>(file: string, ckpt: Checkpoint<H>): void {
  const entries: { name: string; shape: readonly number[]; offset: number; length: number }[] = [];
  let offset = 0;
  for (const t of ckpt.tensors) {
    entries.push({ name: t.name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  const head = Buffer.from(encodeJson({ header: ckpt.header, tensors: entries }), 'utf8');
  const pad = Buffer.alloc((4 - ((PREFIX + head.length) % 4)) % 4);
  const body = [head, pad, ...ckpt.tensors.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
  const pre = Buffer.alloc(PREFIX);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(head.length, 8);
  pre.writeUInt32LE(ckpt.tensors.length, 12);
  const hash = createHash('sha256').update(pre.subarray(0, 16));
  for (const b of body) hash.update(b);
  hash.digest().copy(pre, 16);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, pre);
    for (const b of body) writeSync(fd, b);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Read and verify a checkpoint of run `key`; any defect is a DataError naming the file. */
export function readCheckpoint<H extends KeyedHeader>(file: string, key: string): Checkpoint<H> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.length < PREFIX || buf.toString('latin1', 0, 8) !== MAGIC) throw new DataError(file, `not an mtl-bench checkpoint (expected a file starting with ${MAGIC})`);
  const headLen = buf.readUInt32LE(8);
  if (PREFIX + headLen > buf.length) throw new DataError(file, `truncated checkpoint: header of ${headLen} bytes, file of ${buf.length}`);
  const digest = createHash('sha256').update(buf.subarray(0, 16)).update(buf.subarray(PREFIX)).digest();
  if (!digest.equals(buf.subarray(16, PREFIX))) throw new DataError(file, 'checkpoint checksum mismatch (the file is damaged or truncated)');
  let parsed: { header: H; tensors: { name: string; shape: number[]; offset: number; length: number }[] };
  try {
    parsed = decodeJson(buf.toString('utf8', PREFIX, PREFIX + headLen));
  } catch {
    throw new DataError(file, 'corrupt checkpoint header');
  }
  if (parsed.tensors.length !== buf.readUInt32LE(12)) throw new DataError(file, 'corrupt checkpoint header (tensor count)');
  if (parsed.header?.key !== key) throw new DataError(file, `checkpoint of another run (${String(parsed.header?.key)}), expected ${key}`);
  const base = PREFIX + headLen + ((4 - ((PREFIX + headLen) % 4)) % 4);
  const total = parsed.tensors.reduce((s, t) => s + t.length, 0);
  if (buf.length !== base + total * 4) throw new DataError(file, `checkpoint size ${buf.length} bytes, expected ${base + total * 4}`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset + base, buf.byteOffset + base + total * 4));
  return { header: parsed.header, tensors: parsed.tensors.map((t) => ({ name: t.name, shape: t.shape, data: all.subarray(t.offset, t.offset + t.length) })) };
}

export function variableRecords(vars: readonly TF.Variable[], prefix: string): TensorRecord[] {
  return vars.map((v, i) => ({ name: `${prefix}/${i}`, shape: v.shape, data: Float32Array.from(v.dataSync()) }));
}

/** Check that saved tensors fit the variables (count and shapes), without assigning anything. */
export function checkVariables(vars: readonly TF.Variable[], records: readonly TensorRecord[], prefix: string, file: string): void {
  const mine = records.filter((r) => r.name.startsWith(`${prefix}/`));
  if (mine.length !== vars.length) throw new DataError(file, `checkpoint holds ${mine.length} ${prefix} tensors, the model has ${vars.length}`);
  vars.forEach((v, i) => {
    const r = mine[i] as TensorRecord;
    if (r.shape.join('x') !== v.shape.join('x')) throw new DataError(file, `${prefix}/${i}: checkpoint shape [${r.shape.join(', ')}], model shape [${v.shape.join(', ')}]`);
  });
}

/** Assign saved values to variables in order; shapes must match. */
export function restoreVariables(tf: typeof TF, vars: readonly TF.Variable[], records: readonly TensorRecord[], prefix: string, file: string): void {
  checkVariables(vars, records, prefix, file);
  const mine = records.filter((r) => r.name.startsWith(`${prefix}/`));
  vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor((mine[i] as TensorRecord).data, v.shape, 'float32'))));
}
