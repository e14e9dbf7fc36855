/**
 * Checkpoint files: a small binary container (`MTLCKPT1`, header length, JSON header, raw float32
 * tensors), written to a temporary name and renamed, so a crash never leaves a half-written
 * checkpoint under the real name.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type * as TF from '@tensorflow/tfjs';
import { DataError } from '../errors.js';

const MAGIC = 'MTLCKPT1';

export interface TensorRecord {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Checkpoint<H> {
  readonly header: H;
  readonly tensors: readonly TensorRecord[];
}

export function writeCheckpoint<H>(file: string, ckpt: Checkpoint<H>): void {
  const entries: { name: string; shape: readonly number[]; offset: number; length: number }[] = [];
  let offset = 0;
  for (const t of ckpt.tensors) {
    entries.push({ name: t.name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  const head = Buffer.from(JSON.stringify({ header: ckpt.header, tensors: entries }), 'utf8');
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(head.length, 8);
  pre.writeUInt32LE(ckpt.tensors.length, 12);
  const pad = Buffer.alloc((4 - ((16 + head.length) % 4)) % 4);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, pre);
    writeSync(fd, head);
    writeSync(fd, pad);
    for (const t of ckpt.tensors) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function readCheckpoint<H>(file: string): Checkpoint<H> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read checkpoint: ${(e as Error).message}`);
  }
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) throw new DataError(file, 'not an mtl-bench checkpoint');
  const headLen = buf.readUInt32LE(8);
  let parsed: { header: H; tensors: { name: string; shape: number[]; offset: number; length: number }[] };
  try {
    parsed = JSON.parse(buf.toString('utf8', 16, 16 + headLen));
  } catch {
    throw new DataError(file, 'corrupt checkpoint header');
  }
  const base = 16 + headLen + ((4 - ((16 + headLen) % 4)) % 4);
  const total = parsed.tensors.reduce((s, t) => s + t.length, 0);
  if (buf.length < base + total * 4) throw new DataError(file, `truncated checkpoint: needs ${base + total * 4} bytes, has ${buf.length}`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset + base, buf.byteOffset + base + total * 4));
  return { header: parsed.header, tensors: parsed.tensors.map((t) => ({ name: t.name, shape: t.shape, data: all.subarray(t.offset, t.offset + t.length) })) };
}

export function variableRecords(vars: readonly TF.Variable[], prefix: string): TensorRecord[] {
  return vars.map((v, i) => ({ name: `${prefix}/${i}`, shape: v.shape, data: Float32Array.from(v.dataSync()) }));
}

/** Assign saved values to variables in order; shapes must match. */
export function restoreVariables(tf: typeof TF, vars: readonly TF.Variable[], records: readonly TensorRecord[], prefix: string, file: string): void {
  const mine = records.filter((r) => r.name.startsWith(`${prefix}/`));
  if (mine.length !== vars.length) throw new DataError(file, `checkpoint holds ${mine.length} ${prefix} tensors, the model has ${vars.length}`);
  vars.forEach((v, i) => {
    const r = mine[i] as TensorRecord;
    if (r.shape.join('x') !== v.shape.join('x')) throw new DataError(file, `${prefix}/${i}: checkpoint shape [${r.shape.join(', ')}], model shape [${v.shape.join(', ')}]`);
    tf.tidy(() => v.assign(tf.tensor(r.data, v.shape, 'float32')));
  });
}
