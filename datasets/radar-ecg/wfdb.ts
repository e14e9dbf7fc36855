/**
 * PhysioNet WFDB records: header files (.hea), signal files in formats 212, 16 and 80, and
 * annotation files in the MIT format (.atr and friends). Enough to read the MIT-BIH Arrhythmia
 * Database; multi-segment records and other signal formats are refused with a DataError.
 *
 * Formats (WFDB "header(5)", "signal(5)", "annot(5)"):
 * - Header: a record line `name[/segments] nsig [fs[/counter[(base)]] [nsamp [time [date]]]]`, then one
 *   line per signal `file format[xspf][:skew][+offset] [gain[(baseline)][/units] [adcres [adczero
 *   [initval [checksum [blocksize [description]]]]]]]`; `#` lines are comments. Physical value =
 *   (adu − baseline) / gain; gain 0 or missing means 200 adu/mV; baseline defaults to adczero.
 * - Format 212: two 12-bit two's-complement samples in 3 bytes (byte 0 = low 8 bits of the first,
 *   low nibble of byte 1 = its high 4 bits, high nibble of byte 1 = high 4 bits of the second,
 *   byte 2 = its low 8 bits); signals of one file are interleaved frame by frame. −2048 marks an
 *   invalid sample (returned as NaN). Format 16: little-endian int16. Format 80: offset-binary byte.
 * - MIT annotations: little-endian 16-bit words, code A = word >> 10, I = word & 0x3ff. A = 1..49:
 *   an annotation of that code I samples after the previous one. A = 59 (SKIP): the next 4 bytes are
 *   a 32-bit time increment (high 16-bit word first). 60 (NUM), 61 (SUB), 62 (CHN) set the last
 *   annotation's num/subtype/channel to I; 63 (AUX): I bytes of text follow (padded to even).
 *   A word of 0 ends the file. num and chan carry over to following annotations, as in WFDB.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataError } from '../../src/errors.js';

export interface WfdbSignalSpec {
  readonly file: string;
  readonly format: number;
  readonly samplesPerFrame: number;
  readonly skew: number;
  readonly byteOffset: number;
  /** ADC units per physical unit. */
  readonly gain: number;
  readonly baseline: number;
  readonly units: string;
  readonly adcResolution: number;
  readonly adcZero: number;
  readonly initialValue: number | null;
  readonly checksum: number | null;
  readonly blockSize: number;
  readonly description: string;
}

export interface WfdbHeader {
  readonly record: string;
  readonly nSignals: number;
  readonly fs: number;
  /** Samples per signal; null when the header leaves it out (then the file size decides). */
  readonly nSamples: number | null;
  readonly baseTime: string | null;
  readonly baseDate: string | null;
  readonly signals: readonly WfdbSignalSpec[];
  readonly comments: readonly string[];
}

export interface WfdbRecord {
  readonly header: WfdbHeader;
  /** Digital values (adu) per signal. */
  readonly digital: readonly Int32Array[];
  /** Physical values per signal, in the signal's units (mV for ECG); invalid samples are NaN. */
  readonly physical: readonly Float64Array[];
}

export interface Annotation {
  /** Sample index (time) of the annotation. */
  readonly sample: number;
  /** MIT annotation code (1 = N, 5 = V, ...). */
  readonly code: number;
  readonly symbol: string;
  readonly subtype: number;
  readonly chan: number;
  readonly num: number;
  readonly aux: string | null;
}

const SKIP = 59;
const NUM = 60;
const SUB = 61;
const CHN = 62;
const AUX = 63;
const ACMAX = 49;

/** Mnemonics of the WFDB annotation codes 0..41 (standard `ecgcodes.h` table). */
const SYMBOLS: readonly string[] = [
  ' ', 'N', 'L', 'R', 'a', 'V', 'F', 'J', 'A', 'S', 'E', 'j', '/', 'Q', '~', '', '|', '', 's', 'T', '*', 'D', '"', '=', 'p', 'B',
  '^', 't', '+', 'u', '?', '!', '[', ']', 'e', 'n', '@', 'x', 'f', '(', ')', 'r',
];

/** Codes that WFDB counts as QRS complexes (`isqrs`): N L R a V F J A S E j / Q, B, ?, e, n, f, r. */
const BEAT_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 38, 41]);

export function isBeatCode(code: number): boolean {
  return BEAT_CODES.has(code);
}

export function annotationSymbol(code: number): string {
  return SYMBOLS[code] || `[${code}]`;
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read: ${(e as Error).message}`);
  }
}

/** Parse header text; `file` is only used in error messages. */
export function parseWfdbHeader(text: string, file = '<header>'): WfdbHeader {
  const comments: string[] = [];
  const lines: { no: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const s = raw.trim();
    if (s === '') return;
    if (s.startsWith('#')) comments.push(s.slice(1).trim());
    else lines.push({ no: i + 1, text: s });
  });
  const recLine = lines[0];
  if (!recLine) throw new DataError(file, 'bad header: no record line');
  const rf = recLine.text.split(/\s+/);
  const [nameField, nsigField, fsField, nsampField] = rf;
  if (!nameField || nsigField === undefined) throw new DataError(file, `bad header line ${recLine.no}: expected "record nsig [fs [nsamp]]", got "${recLine.text}"`);
  if (nameField.includes('/')) throw new DataError(file, `multi-segment record "${nameField}" is not supported`);
  const nSignals = intField(nsigField, file, recLine.no, 'number of signals');
  if (nSignals < 0 || nSignals > 4096) throw new DataError(file, `bad header line ${recLine.no}: number of signals ${nSignals} out of range`);
  let fs = 250;
  if (fsField !== undefined) {
    const m = /^([0-9.eE+-]+)(?:\/[0-9.eE+-]+(?:\([0-9.eE+-]+\))?)?$/.exec(fsField);
    fs = m ? Number(m[1]) : NaN;
    if (!Number.isFinite(fs) || fs <= 0) throw new DataError(file, `bad header line ${recLine.no}: sampling frequency "${fsField}" is not a positive number`);
  }
  let nSamples: number | null = null;
  if (nsampField !== undefined) {
    nSamples = intField(nsampField, file, recLine.no, 'number of samples');
    if (nSamples < 0) throw new DataError(file, `bad header line ${recLine.no}: negative number of samples`);
    if (nSamples === 0) nSamples = null;
  }
  const signals: WfdbSignalSpec[] = [];
  for (let s = 0; s < nSignals; s++) {
    const line = lines[1 + s];
    if (!line) throw new DataError(file, `bad header: ${nSignals} signals declared, ${s} signal lines found`);
    signals.push(parseSignalLine(line.text, line.no, file));
  }
  return { record: nameField, nSignals, fs, nSamples, baseTime: rf[4] ?? null, baseDate: rf[5] ?? null, signals, comments };
}

function intField(v: string, file: string, line: number, what: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new DataError(file, `bad header line ${line}: ${what} "${v}" is not an integer`);
  return Number(v);
}

function parseSignalLine(text: string, no: number, file: string): WfdbSignalSpec {
  const f = text.split(/\s+/);
  const [name, fmtField, gainField, resField, zeroField, initField, sumField, blockField] = f;
  if (!name || !fmtField) throw new DataError(file, `bad header line ${no}: expected "file format ...", got "${text}"`);
  const fm = /^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$/.exec(fmtField);
  if (!fm) throw new DataError(file, `bad header line ${no}: signal format "${fmtField}" is not of the form N[xSPF][:SKEW][+OFFSET]`);
  const format = Number(fm[1]);
  const adcZero = zeroField !== undefined ? intField(zeroField, file, no, 'ADC zero') : 0;
  let gain = 200;
  let baseline = adcZero;
  let units = 'mV';
  if (gainField !== undefined) {
    const gm = /^([0-9.eE+-]+)(?:\(([+-]?\d+)\))?(?:\/(\S+))?$/.exec(gainField);
    if (!gm) throw new DataError(file, `bad header line ${no}: gain "${gainField}" is not of the form GAIN[(BASELINE)][/UNITS]`);
    const g = Number(gm[1]);
    if (!Number.isFinite(g) || g < 0) throw new DataError(file, `bad header line ${no}: gain "${gm[1]}" is not a number ≥ 0`);
    if (g > 0) gain = g;
    if (gm[2] !== undefined) baseline = Number(gm[2]);
    if (gm[3] !== undefined) units = gm[3];
  }
  return {
    file: name,
    format,
    samplesPerFrame: fm[2] ? Number(fm[2]) : 1,
    skew: fm[3] ? Number(fm[3]) : 0,
    byteOffset: fm[4] ? Number(fm[4]) : 0,
    gain,
    baseline,
    units,
    adcResolution: resField !== undefined ? intField(resField, file, no, 'ADC resolution') : format === 212 ? 12 : format === 80 ? 8 : 16,
    adcZero,
    initialValue: initField !== undefined ? intField(initField, file, no, 'initial value') : null,
    checksum: sumField !== undefined ? intField(sumField, file, no, 'checksum') : null,
    blockSize: blockField !== undefined ? intField(blockField, file, no, 'block size') : 0,
    description: f.slice(8).join(' '),
  };
}

export function readWfdbHeader(file: string): WfdbHeader {
  return parseWfdbHeader(readBytes(file).toString('latin1'), file);
}

const BYTES_PER_SAMPLE: Record<number, number> = { 212: 1.5, 16: 2, 80: 1 };

/**
 * Read a record: `recordPath` is the path without extension (e.g. `.../mitdb/100`); the header is
 * `recordPath.hea` and the signal files are looked up next to it. Checksums in the header are
 * verified when the whole signal is read.
 */
export function readWfdbRecord(recordPath: string): WfdbRecord {
  const hea = `${recordPath}.hea`;
  const header = readWfdbHeader(hea);
  const dir = dirname(hea);
  // Group signals by file, in order of first appearance.
  const groups = new Map<string, number[]>();
  header.signals.forEach((s, i) => {
    const g = groups.get(s.file);
    if (g) g.push(i);
    else groups.set(s.file, [i]);
  });
  const digital: Int32Array[] = new Array(header.nSignals);
  for (const [fileName, idx] of groups) {
    const specs = idx.map((i) => header.signals[i]!);
    const first = specs[0]!;
    const path = join(dir, fileName);
    for (const s of specs) {
      if (!(s.format in BYTES_PER_SAMPLE)) throw new DataError(hea, `signal "${s.description || s.file}": format ${s.format} is not supported (212, 16, 80 are)`);
      if (s.format !== first.format) throw new DataError(hea, `signals in ${fileName} mix formats ${first.format} and ${s.format}`);
      if (s.samplesPerFrame !== 1) throw new DataError(hea, `signal "${s.description || s.file}": ${s.samplesPerFrame} samples per frame is not supported`);
      if (s.skew !== 0) throw new DataError(hea, `signal "${s.description || s.file}": skew is not supported`);
    }
    const buf = readBytes(path);
    const data = buf.subarray(first.byteOffset);
    const nsig = specs.length;
    const bytesPerFrame = BYTES_PER_SAMPLE[first.format]! * nsig;
    let nFrames: number;
    if (header.nSamples !== null) {
      nFrames = header.nSamples;
      const need = Math.ceil(nFrames * bytesPerFrame);
      if (data.length < need) throw new DataError(path, `truncated: ${nFrames} samples of ${nsig} signal(s) in format ${first.format} need ${need} bytes after offset ${first.byteOffset}, file has ${data.length}`);
    } else {
      nFrames = Math.floor(data.length / bytesPerFrame);
    }
    const values = decode(data, first.format, nFrames * nsig);
    for (let k = 0; k < nsig; k++) {
      const out = new Int32Array(nFrames);
      for (let i = 0; i < nFrames; i++) out[i] = values[i * nsig + k]!;
      digital[idx[k]!] = out;
    }
  }
  const physical = header.signals.map((s, i) => {
    const d = digital[i]!;
    const invalid = s.format === 212 ? -2048 : s.format === 16 ? -32768 : -128;
    const p = new Float64Array(d.length);
    for (let j = 0; j < d.length; j++) p[j] = d[j] === invalid ? NaN : (d[j]! - s.baseline) / s.gain;
    return p;
  });
  header.signals.forEach((s, i) => {
    const d = digital[i]!;
    if (s.checksum !== null && header.nSamples !== null) {
      let sum = 0;
      for (let j = 0; j < d.length; j++) sum = (sum + d[j]!) & 0xffff;
      const signed = sum >= 0x8000 ? sum - 0x10000 : sum;
      const want = ((s.checksum % 0x10000) + 0x10000) % 0x10000;
      if (sum !== want) throw new DataError(join(dir, s.file), `checksum mismatch for signal ${i} (${s.description || 'unnamed'}): header says ${s.checksum}, data give ${signed}`);
    }
  });
  return { header, digital, physical };
}

function decode(data: Uint8Array, format: number, count: number): Int32Array {
  const out = new Int32Array(count);
  if (format === 212) {
    for (let i = 0, b = 0; i < count; i += 2, b += 3) {
      const b0 = data[b]!;
      const b1 = data[b + 1]!;
      const v0 = b0 | ((b1 & 0x0f) << 8);
      out[i] = v0 >= 0x800 ? v0 - 0x1000 : v0;
      if (i + 1 < count) {
        const v1 = data[b + 2]! | ((b1 & 0xf0) << 4);
        out[i + 1] = v1 >= 0x800 ? v1 - 0x1000 : v1;
      }
    }
  } else if (format === 16) {
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < count; i++) out[i] = v.getInt16(2 * i, true);
  } else {
    for (let i = 0; i < count; i++) out[i] = data[i]! - 128;
  }
  return out;
}

/** Parse MIT-format annotation bytes; `file` is only used in error messages. */
export function parseMitAnnotations(buf: Uint8Array, file = '<annotations>'): Annotation[] {
  const anns: Annotation[] = [];
  type Mutable = { -readonly [K in keyof Annotation]: Annotation[K] };
  let last: Mutable | null = null;
  let time = 0;
  let chan = 0;
  let num = 0;
  let pos = 0;
  const word = (at: number): number => buf[at]! | (buf[at + 1]! << 8);
  for (;;) {
    if (pos >= buf.length) break; // end of data without the terminating 0 word (tolerated, as WFDB does)
    if (pos + 2 > buf.length) throw new DataError(file, `truncated annotation file: odd trailing byte at offset ${pos}`);
    const w = word(pos);
    pos += 2;
    const a = w >> 10;
    const i = w & 0x3ff;
    if (a === 0 && i === 0) break;
    if (a === SKIP) {
      if (pos + 4 > buf.length) throw new DataError(file, `truncated annotation file: SKIP at offset ${pos - 2} lacks its 4-byte interval`);
      const hi = word(pos);
      const lo = word(pos + 2);
      pos += 4;
      time += ((hi << 16) | lo) >> 0;
      if (time < 0) throw new DataError(file, `bad annotation file: SKIP at offset ${pos - 6} moves time before 0`);
    } else if (a === NUM || a === SUB || a === CHN || a === AUX) {
      if (!last) throw new DataError(file, `bad annotation file: modifier code ${a} at offset ${pos - 2} precedes any annotation`);
      if (a === NUM) last.num = num = i >= 512 ? i - 1024 : i;
      else if (a === SUB) last.subtype = i;
      else if (a === CHN) last.chan = chan = i;
      else {
        const padded = i + (i & 1);
        if (pos + padded > buf.length) throw new DataError(file, `truncated annotation file: AUX at offset ${pos - 2} announces ${i} bytes, ${buf.length - pos} left`);
        let end = pos + i;
        const nul = buf.subarray(pos, end).indexOf(0);
        if (nul >= 0) end = pos + nul;
        last.aux = Buffer.from(buf.subarray(pos, end)).toString('latin1');
        pos += padded;
      }
    } else if (a <= ACMAX) {
      time += i;
      last = { sample: time, code: a, symbol: annotationSymbol(a), subtype: 0, chan, num, aux: null };
      anns.push(last);
    } else {
      throw new DataError(file, `bad annotation file: unknown code ${a} at offset ${pos - 2} (not an MIT-format annotation file?)`);
    }
  }
  return anns;
}

export function readAnnotations(file: string): Annotation[] {
  return parseMitAnnotations(readBytes(file), file);
}

/** Sample indices of the beat annotations (WFDB's `isqrs` codes), in file order. */
export function beatSamples(anns: readonly Annotation[]): Int32Array {
  return Int32Array.from(anns.filter((a) => isBeatCode(a.code)).map((a) => a.sample));
}

/** Index of the signal whose description (e.g. "MLII") or number matches; DataError if none. */
export function signalIndex(header: WfdbHeader, which: string | number, file = `${header.record}.hea`): number {
  if (typeof which === 'number' || /^\d+$/.test(which)) {
    const k = Number(which);
    if (k >= 0 && k < header.nSignals) return k;
  } else {
    const k = header.signals.findIndex((s) => s.description === which);
    if (k >= 0) return k;
  }
  const names = header.signals.map((s, i) => `${i}:${s.description || '?'}`).join(', ');
  throw new DataError(basename(file), `no signal "${which}" (signals: ${names})`);
}
