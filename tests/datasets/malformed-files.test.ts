/**
 * Property tests of the data readers on damaged input: every malformed variant of a valid .npy,
 * .mat (MMECG), WFDB record, NYUv2 directory and experiment config (truncations at many offsets,
 * byte flips, wrong dtype/shape/header fields, empty, a directory instead of a file) is refused
 * with a one-line MtlBenchError naming the file (or field), and no existing file changes. The
 * readers are called in-process for the many variants; a sample runs through real `mtl-bench`
 * processes (exit 2, one line on stderr, nothing written).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { encodeNpy } from '../../datasets/npy.js';
import { writeNyuv2Fixture } from '../../datasets/nyuv2/fixture.js';
import { NYUV2_KINDS, openNyuv2 } from '../../datasets/nyuv2/loader.js';
import { readMmecgTrial } from '../../datasets/radar-ecg/mmecg.js';
import { readAnnotations, readWfdbRecord } from '../../datasets/radar-ecg/wfdb.js';
import { rpeaksFromNpy } from '../../src/commands/data-rpeaks.js';
import { loadConfigFile } from '../../src/run/config.js';
import { changedFiles, hashTree, oneLineProblem, rng, runCliAll, truncations } from '../helpers/malformed.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-malformed-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const USAGE = new Set(['DataError', 'ConfigError', 'ShapeError']);

/** Why calling `f` is not a clean refusal naming `name` (null when it is). */
async function refusal(f: () => unknown, name: string): Promise<string | null> {
  try {
    await f();
    return 'accepted';
  } catch (e) {
    const err = e as Error;
    if (!USAGE.has(err.name)) return `${err.name}: ${err.message}`;
    if (err.message.includes('\n')) return `several lines: ${err.message}`;
    if (!err.message.includes(name)) return `does not name ${name}: ${err.message}`;
    return null;
  }
}

/** Write each variant (name → bytes) as `<dir>/<name><ext>`; returns the paths. */
function writeVariants(sub: string, ext: string, variants: Record<string, Buffer | string>): string[] {
  const d = join(dir, sub);
  mkdirSync(d, { recursive: true });
  return Object.entries(variants).map(([n, b]) => {
    const f = join(d, `${n}${ext}`);
    writeFileSync(f, b);
    return f;
  });
}

function flips(bytes: Buffer, count: number, seed: number, range: [number, number]): Buffer[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => {
    const b = Buffer.from(bytes);
    const k = 1 + Math.floor(r() * 4);
    for (let i = 0; i < k; i++) b[range[0] + Math.floor(r() * (range[1] - range[0]))] ^= 1 + Math.floor(r() * 255);
    return b;
  });
}

// A valid ECG .npy: 10 s at 200 Hz.
const ecg = Float32Array.from({ length: 2000 }, (_, i) => Math.exp(-(((i % 160) - 80) ** 2) / 8) + 0.05 * Math.sin(i / 30));
const npyBytes = encodeNpy(ecg, [ecg.length]);
const npyHeaderLen = 10 + npyBytes.readUInt16LE(8);

t.test('.npy: truncations, broken headers, wrong dtype/shape, non-finite values, empty, a directory', async (t) => {
  const header = (dict: string): Buffer => {
    const h = Buffer.from(dict.padEnd(npyHeaderLen - 11, ' ') + '\n');
    return Buffer.concat([npyBytes.subarray(0, 8), Buffer.from([h.length & 0xff, h.length >> 8]), h, npyBytes.subarray(npyHeaderLen)]);
  };
  const v: Record<string, Buffer | string> = { empty: Buffer.alloc(0), text: 'not numpy\n' };
  for (const n of truncations(npyBytes.length, [1, 5, 6, 8, 9, 10, npyHeaderLen - 1, npyHeaderLen, npyHeaderLen + 1, npyBytes.length - 1], 14, 3)) v[`trunc-${n}`] = npyBytes.subarray(0, n);
  v['dtype-complex'] = header("{'descr': '<c8', 'fortran_order': False, 'shape': (2000,), }");
  v['dtype-object'] = header("{'descr': '|O', 'fortran_order': False, 'shape': (2000,), }");
  v['dtype-unicode'] = header("{'descr': '<U4', 'fortran_order': False, 'shape': (2000,), }");
  v['shape-2d'] = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1000), }");
  v['shape-more'] = header("{'descr': '<f4', 'fortran_order': False, 'shape': (4000,), }");
  v['shape-negative'] = header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2000,), }");
  v['shape-empty'] = Buffer.concat([encodeNpy(new Float32Array(0), [0])]);
  v['header-garbage'] = header('{descr: f4 shape 2000');
  v['header-no-shape'] = header("{'descr': '<f4', 'fortran_order': False, }");
  v['version-9'] = Buffer.concat([npyBytes.subarray(0, 6), Buffer.from([9, 0]), npyBytes.subarray(8)]);
  v['magic'] = Buffer.concat([Buffer.from('XNUMPY'), npyBytes.subarray(6)]);
  v['header-len-huge'] = Buffer.concat([npyBytes.subarray(0, 8), Buffer.from([0xff, 0xff]), npyBytes.subarray(10)]);
  for (const [i, bad] of [NaN, Infinity, -Infinity].entries()) {
    const x = Float32Array.from(ecg);
    x[100 + 37 * i] = bad;
    v[`nonfinite-${i}`] = encodeNpy(x, [x.length]);
  }
  const files = writeVariants('npy', '.npy', v);
  mkdirSync(join(dir, 'npy', 'directory.npy'));
  files.push(join(dir, 'npy', 'directory.npy'));
  const before = hashTree(dir);
  for (const f of files) t.equal(await refusal(() => rpeaksFromNpy(f, 200), f), null, f);
  // Non-finite values are reported with their sample index.
  t.throws(() => rpeaksFromNpy(join(dir, 'npy', 'nonfinite-1.npy'), 200), { message: /nonfinite-1\.npy: sample 137 is Infinity/ });
  // Random flips in the header: refused cleanly, or read (a flip in padding is harmless).
  let refused = 0;
  for (const [i, b] of flips(npyBytes, 40, 5, [0, npyHeaderLen]).entries()) {
    const f = join(dir, 'npy', `flip-${i}.npy`);
    writeFileSync(f, b);
    const p = await refusal(() => rpeaksFromNpy(f, 200), f);
    if (p === null) refused++;
    else t.equal(p, 'accepted', `flip ${i}`);
  }
  t.ok(refused > 20, `${refused} of 40 header flips refused`);
  t.same(changedFiles(before, hashTree(dir)), []);
});

t.test('.mat (MMECG trial): truncations and byte flips are refused naming the file', async (t) => {
  const fixture = fileURLToPath(new URL('../fixtures/mmecg/7.mat', import.meta.url));
  const mat = readFileSync(fixture);
  await readMmecgTrial(fixture); // the original reads
  const v: Record<string, Buffer | string> = { empty: Buffer.alloc(0), text: 'MATLAB 5.0 MAT-file? no.' };
  for (const n of truncations(mat.length, [1, 100, 127, 128, 129, 135, 136, 200, mat.length - 1], 16, 9)) v[`trunc-${n}`] = mat.subarray(0, n);
  // The endianness indicator and the first data element's type.
  v['endian'] = Buffer.concat([mat.subarray(0, 126), Buffer.from('XY'), mat.subarray(128)]);
  v['element-type'] = Buffer.concat([mat.subarray(0, 128), Buffer.from([0x63, 0, 0, 0]), mat.subarray(132)]);
  const files = writeVariants('mat', '.mat', v);
  const before = hashTree(dir);
  for (const f of files) t.equal(await refusal(() => readMmecgTrial(f), f), null, f);
  // Flips anywhere: refused cleanly or read, never another error.
  for (const [i, b] of flips(mat, 30, 17, [128, mat.length]).entries()) {
    const f = join(dir, 'mat', `flip-${i}.mat`);
    writeFileSync(f, b);
    const p = await refusal(() => readMmecgTrial(f), f);
    t.ok(p === null || p === 'accepted', `flip ${i}: ${p}`);
  }
  t.same(changedFiles(before, hashTree(dir)), []);
});

/** Format 212 encoding: pairs of 12-bit two's-complement samples in 3 bytes. */
function encode212(v: number[]): Buffer {
  const out = Buffer.alloc(Math.ceil((v.length * 3) / 2));
  for (let i = 0, b = 0; i < v.length; i += 2, b += 3) {
    const a = v[i]! & 0xfff;
    const c = i + 1 < v.length ? v[i + 1]! & 0xfff : 0;
    out[b] = a & 0xff;
    out[b + 1] = ((a >> 8) & 0x0f) | ((c >> 4) & 0xf0);
    if (i + 1 < v.length) out[b + 2] = c & 0xff;
  }
  return out;
}

t.test('WFDB: damaged headers, signal files and annotation files name the file', async (t) => {
  const d = join(dir, 'wfdb');
  mkdirSync(d);
  const n = 720;
  const s0 = Array.from(ecg.subarray(0, n), (x) => Math.round(x * 200));
  const s1 = s0.map((x) => -x);
  const inter: number[] = [];
  s0.forEach((x, i) => inter.push(x, s1[i]!));
  const dat = encode212(inter);
  const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
  const hea = `r 2 360 ${n}\nr.dat 212 200 11 1024 ${s0[0]} ${sum(s0)} 0 MLII\nr.dat 212 200 11 1024 ${s1[0]} ${sum(s1)} 0 V5\n`;
  // Annotations: a normal beat (code 1) every 160 samples, then the end marker.
  const atr = Buffer.from([...Array.from({ length: 4 }, (_, i) => { const w = (1 << 10) | (i === 0 ? 80 : 160); return [w & 0xff, w >> 8]; }).flat(), 0, 0]);
  const write = (name: string, h: string | Buffer, dt: Buffer, a: Buffer): string => {
    const rd = join(d, name);
    mkdirSync(rd);
    writeFileSync(join(rd, 'r.hea'), h);
    writeFileSync(join(rd, 'r.dat'), dt);
    writeFileSync(join(rd, 'r.atr'), a);
    return join(rd, 'r');
  };
  const ok = write('ok', hea, dat, atr);
  t.equal(readWfdbRecord(ok).digital[0]!.length, n);
  t.equal(readAnnotations(`${ok}.atr`).length, 4);
  const bad: { rec: string; file: string; read: 'record' | 'atr' }[] = [];
  for (const len of truncations(dat.length, [0, 1, 2, dat.length - 1], 8, 21)) bad.push({ rec: write(`dat-${len}`, hea, dat.subarray(0, len), atr), file: 'r.dat', read: 'record' });
  for (const [i, b] of flips(dat, 8, 23, [0, dat.length]).entries()) bad.push({ rec: write(`datflip-${i}`, hea, b, atr), file: 'r.dat', read: 'record' });
  const heas = ['', 'r\n', 'r two 360\n', `r 2 -360 ${n}\nr.dat 212 200 11 1024\nr.dat 212 200 11 1024\n`, `r 2 360 ${n}\nr.dat 212 200 11 1024\n`, `r 2 360 ${n}\nr.dat 999 200\nr.dat 999 200\n`, `r 2 360 ${n}\nr.dat 212 x/mV\nr.dat 212 200\n`, `r 2 360 ${n}\nmissing.dat 212 200 11 1024\nmissing.dat 212 200 11 1024\n`];
  heas.forEach((h, i) => bad.push({ rec: write(`hea-${i}`, h, dat, atr), file: h.includes('missing') ? 'missing.dat' : 'r.hea', read: 'record' }));
  for (const len of [1, 3, 5]) bad.push({ rec: write(`atr-${len}`, hea, dat, atr.subarray(0, len)), file: 'r.atr', read: 'atr' });
  mkdirSync(join(d, 'dir-hea', 'r.hea'), { recursive: true });
  bad.push({ rec: join(d, 'dir-hea', 'r'), file: 'r.hea', read: 'record' });
  const before = hashTree(dir);
  for (const b of bad) {
    const f = b.read === 'record' ? () => readWfdbRecord(b.rec) : () => readAnnotations(`${b.rec}.atr`);
    t.equal(await refusal(f, join(b.rec, '..', b.file).replace(/\/r\/\.\.\//, '/')), null, `${b.rec} (${b.file})`);
  }
  t.same(changedFiles(before, hashTree(dir)), []);
});

t.test('NYUv2 directory: missing, truncated, mis-shaped or misplaced files name the file', async (t) => {
  const base = join(dir, 'nyu-base');
  writeNyuv2Fixture({ out: base, trainSamples: 3, valSamples: 2, height: 8, width: 12, seed: 1 });
  const readAll = (root: string): void => {
    const ds = openNyuv2(root);
    for (const sp of [ds.train, ds.test]) for (let i = 0; i < sp.count; i++) sp.read(i);
  };
  readAll(base);
  const cases: { name: string; blame: string; damage: (root: string) => void }[] = [];
  for (const split of ['train', 'val']) {
    for (const k of NYUV2_KINDS) {
      for (const i of [0, 1]) {
        const rel = join(split, k, `${i}.npy`);
        cases.push({ name: `trunc-${split}-${k}-${i}`, blame: rel, damage: (r) => writeFileSync(join(r, rel), readFileSync(join(r, rel)).subarray(0, 60)) });
        cases.push({ name: `shape-${split}-${k}-${i}`, blame: rel, damage: (r) => writeFileSync(join(r, rel), encodeNpy(new Float32Array(7 * 12 * 3), k === 'label' ? [21, 12] : [7, 12, 3].slice(0, k === 'depth' ? 2 : 3).concat(k === 'depth' ? [3] : []))) });
      }
      cases.push({ name: `missing-${split}-${k}`, blame: join(split, k, '1.npy'), damage: (r) => rmSync(join(r, split, k, '1.npy')) });
    }
    cases.push({ name: `nosplit-${split}`, blame: split, damage: (r) => rmSync(join(r, split), { recursive: true }) });
    cases.push({ name: `nokind-${split}`, blame: join(split, 'depth'), damage: (r) => rmSync(join(r, split, 'depth'), { recursive: true }) });
  }
  cases.push({ name: 'empty-image', blame: join('train', 'image', '0.npy'), damage: (r) => writeFileSync(join(r, 'train', 'image', '0.npy'), '') });
  for (const c of cases) {
    const root = join(dir, `nyu-${c.name}`);
    cpSync(base, root, { recursive: true });
    c.damage(root);
    const before = hashTree(root);
    t.equal(await refusal(() => readAll(root), join(root, c.blame)), null, c.name);
    t.same(changedFiles(before, hashTree(root)), [], `${c.name}: unchanged`);
  }
});

t.test('experiment configs: every malformed file or field is named', async (t) => {
  const good = 'name: x\ntask: regression\npreset: ci\noptimizers: [EW]\nseeds: [0]\n';
  loadConfigFile(writeVariants('cfg-ok', '.yaml', { good })[0]!);
  const variants: Record<string, string> = {
    empty: '',
    list: '- EW\n- UW\n',
    scalar: '42\n',
    'bad-yaml': 'name: [x\n',
    tabs: 'name: x\n\ttask: regression\n',
    unknown: `${good}colour: blue\n`,
    'task-type': good.replace('task: regression', 'task: 7'),
    'task-unknown': good.replace('task: regression', 'task: weather'),
    'optimizer-unknown': good.replace('[EW]', '[NoSuchMethod]'),
    'param-range': good.replace('[EW]', '[{ method: CAGrad, params: { c: -1 } }]'),
    'seeds-type': good.replace('[0]', 'zero'),
    'epochs-negative': `${good}epochs: -3\n`,
    'epochs-huge': `${good}epochs: 1e400\n`,
    'noise-bad': `${good}noise: { eval: [loud] }\n`,
  };
  const files = writeVariants('cfg', '.yaml', variants);
  files.push(...writeVariants('cfg', '.json', { 'json-bad': '{"name": "x",', 'json-array': '[1, 2]' }));
  mkdirSync(join(dir, 'cfg', 'directory.yaml'));
  files.push(join(dir, 'cfg', 'directory.yaml'));
  const before = hashTree(dir);
  for (const f of files) t.equal(await refusal(() => loadConfigFile(f), f), null, f);
  t.same(changedFiles(before, hashTree(dir)), []);
});

t.test('the CLI on malformed data files: exit 2, one line naming the file, outputs untouched (real processes)', async (t) => {
  const out = join(dir, 'cli-out');
  mkdirSync(out);
  writeFileSync(join(out, 'peaks.json'), '{"previous": true}\n');
  writeFileSync(join(out, 'sst.npy'), 'previous');
  const matDir = join(dir, 'cli-mat');
  mkdirSync(matDir);
  writeFileSync(join(matDir, '7.mat'), readFileSync(fileURLToPath(new URL('../fixtures/mmecg/7.mat', import.meta.url))).subarray(0, 5000));
  const emptyDir = join(dir, 'cli-nomat');
  mkdirSync(emptyDir);
  writeFileSync(join(emptyDir, 'notes.txt'), 'no trials here\n');
  const dataset = join(dir, 'cli-dataset');
  mkdirSync(dataset);
  writeFileSync(join(dataset, 'manifest.json'), '{"previous": "dataset"}\n');
  const nyu = join(dir, 'cli-nyu');
  cpSync(join(dir, 'nyu-base'), nyu, { recursive: true });
  writeFileSync(join(nyu, 'train', 'image', '0.npy'), encodeNpy(new Float32Array(6 * 12 * 3), [6, 12, 3]));
  const cases: { args: string[]; name: string }[] = [
    { args: ['data', 'rpeaks', '--in', join(dir, 'npy', 'trunc-9.npy'), '--fs', '200', '--out', join(out, 'peaks.json')], name: 'trunc-9.npy' },
    { args: ['data', 'rpeaks', '--in', join(dir, 'npy', 'nonfinite-0.npy'), '--fs', '200', '--out', join(out, 'peaks.json')], name: 'sample 100' },
    { args: ['data', 'rpeaks', '--in', join(dir, 'npy', 'shape-empty.npy'), '--fs', '200'], name: 'shape-empty.npy' },
    { args: ['data', 'sst', '--in', join(dir, 'npy', 'shape-empty.npy'), '--fs', '200', '--out', join(out, 'sst.npy')], name: 'shape-empty.npy' },
    { args: ['data', 'sst', '--in', join(dir, 'npy', 'directory.npy'), '--fs', '200', '--out', join(out, 'sst.npy')], name: 'directory.npy' },
    { args: ['data', 'radar-ecg', 'import', '--in', matDir, '--out', dataset, '--overwrite', '--quiet'], name: matDir },
    { args: ['data', 'radar-ecg', 'import', '--in', emptyDir, '--out', join(dir, 'cli-new-dataset'), '--quiet'], name: emptyDir },
    { args: ['data', 'nyuv2', 'check', '--root', nyu], name: join(nyu, 'train', 'image', '0.npy') },
    { args: ['data', 'wfdb-eval', '--record', join(dir, 'wfdb', 'dat-1', 'r')], name: join(dir, 'wfdb', 'dat-1', 'r.dat') },
    { args: ['run', '--config', join(dir, 'cfg', 'param-range.yaml'), '--db', join(out, 'new.sqlite')], name: 'params.c' },
  ];
  const before = hashTree(dir);
  const res = await runCliAll(dir, cases.map((c) => c.args));
  res.forEach((r, i) => {
    t.equal(r.status, 2, `${r.args.join(' ')}: exit 2 (${r.stderr.slice(0, 200)})`);
    t.equal(oneLineProblem(r.stderr, cases[i]!.name), null, r.args.slice(0, 3).join(' '));
  });
  t.same(changedFiles(before, hashTree(dir)), [], 'no existing file changed');
  const after = hashTree(dir);
  t.same(Object.keys(after).filter((k) => !(k in before)), [], 'no file created');
});

