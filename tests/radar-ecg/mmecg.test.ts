import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { DataError } from '../../src/errors.js';
import { writeNpy } from '../../datasets/npy.js';
import { RadarEcgDataset } from '../../datasets/radar-ecg/dataset.js';
import { field, parseMatV5, readMat } from '../../datasets/radar-ecg/mat.js';
import { importMmecg, importReferenceSegments, mmecgSplits, mmecgTrialInfo, readMmecgTrial } from '../../datasets/radar-ecg/mmecg.js';
import { encodeMatV5Struct } from '../helpers/matv5.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'mmecg');
const root = mkdtempSync(join(tmpdir(), 'mtl-mmecg-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('independently written v5 (scipy, compressed) and v7.3 (h5py) fixtures read the same', async (t) => {
  const a = await readMmecgTrial(join(fixtures, '7.mat'));
  const b = await readMmecgTrial(join(fixtures, '8.mat'));
  t.equal(a.channels, 3);
  t.equal(a.samples, 2000);
  t.same(a.rcg, b.rcg, 'RCG (samples × channels, column-major) identical');
  t.same(a.ecg, b.ecg);
  t.same(a.meta, { id: '5', age: '31', gender: 'M', physistatus: 'NB' });
  t.same(b.meta, a.meta);
  const raw = await readMat(join(fixtures, '7.mat'));
  const pos = field(raw.data, 'posXYZ');
  t.ok(pos?.kind === 'numeric' && pos.dims.join() === '3,3' && pos.re[1] === 3, 'column-major posXYZ');
});

t.test('the test writer round-trips through the v5 reader (plain and compressed, either RCG orientation)', async (t) => {
  const rcgCN = { dims: [2, 900], data: Float64Array.from({ length: 1800 }, (_, i) => (i % 2) * 1000 + Math.floor(i / 2)) };
  for (const compress of [false, true]) {
    const buf = encodeMatV5Struct('data', { RCG: rcgCN, ECG: { dims: [1, 900], data: new Float64Array(900).fill(0.5) }, physistatus: 'SP' }, compress);
    const v = parseMatV5(buf, 'mem.mat');
    const rcg = field(v.data, 'RCG');
    t.ok(rcg?.kind === 'numeric' && rcg.dims.join() === '2,900');
    t.equal(field(v.data, 'physistatus')?.kind === 'char' && (field(v.data, 'physistatus') as { text: string }).text, 'SP');
    const file = join(root, `rt${compress ? 'c' : ''}.mat`);
    writeFileSync(file, buf);
    const tr = await readMmecgTrial(file);
    t.equal(tr.channels, 2);
    t.equal(tr.rcg[1], 1, 'channel 0, sample 1');
    t.equal(tr.rcg[900 + 5], 1005, 'channel 1, sample 5 (transposed from channels × samples)');
  }
});

t.test('import: good files imported, bad files reported with their name and problem', async (t) => {
  const inDir = join(root, 'in');
  mkdirSync(join(inDir, 'obj9_IB_17_'), { recursive: true });
  copyFileSync(join(fixtures, '7.mat'), join(inDir, '7.mat'));
  copyFileSync(join(fixtures, '8.mat'), join(inDir, 'obj9_IB_17_', '17.mat'));
  const whole = readFileSync(join(fixtures, '7.mat'));
  writeFileSync(join(inDir, '9.mat'), whole.subarray(0, Math.floor(whole.length / 2)));
  const v73 = readFileSync(join(fixtures, '8.mat'));
  writeFileSync(join(inDir, '10.mat'), v73.subarray(0, 3000));
  writeFileSync(join(inDir, '11.mat'), 'this is not a MAT-file at all, just some text that is long enough to have a header....'.repeat(3));
  writeFileSync(
    join(inDir, '12.mat'),
    encodeMatV5Struct('data', { RCG: { dims: [1000, 2], data: new Float64Array(2000) }, ECG: { dims: [999, 1], data: new Float64Array(999) } }),
  );
  writeFileSync(join(inDir, '13.mat'), encodeMatV5Struct('data', { ECG: { dims: [1000, 1], data: new Float64Array(1000) } }, true));
  const out = join(root, 'out');
  const s = await importMmecg({ inDir, outDir: out, bins: 16, frames: 120, seed: 1 });
  t.same(s.imported.map((i) => i.trial).sort(), ['17', '7']);
  const failed = new Map(s.failed.map((f) => [f.file.split('/').pop(), f.problem]));
  t.same([...failed.keys()].sort(), ['10.mat', '11.mat', '12.mat', '13.mat', '9.mat']);
  t.match(failed.get('9.mat'), /truncated|corrupt/);
  t.match(failed.get('10.mat'), /HDF5|v7\.3|corrupt/);
  t.match(failed.get('11.mat'), /not a MAT-file/);
  t.match(failed.get('12.mat'), /ECG has 999 samples, RCG has 1000/);
  t.match(failed.get('13.mat'), /no RCG/);
  t.rejects(readMmecgTrial(join(inDir, '9.mat')), DataError, 'a DataError');
  const m = s.manifest!;
  t.equal(m.source.kind, 'mmecg');
  const t17 = m.trials.find((x) => x.id === '17')!;
  t.equal(t17.subject, 'obj9', 'subject from the folder name');
  t.equal(t17.status, 'IB');
  const t7 = m.trials.find((x) => x.id === '7')!;
  t.same([t7.subject, t7.status], ['obj5', 'NB'], 'subject and status from the MMECG table');
  t.ok(t7.beats >= 11 && t7.beats <= 13, `${t7.beats} R peaks detected in 10 s at 72 bpm`);
  const ds = RadarEcgDataset.open(out);
  t.ok(ds.verify().ok);
  const rec = ds.recording('7');
  const rr = Array.from(rec.rPeaks.slice(1), (r, i) => r - rec.rPeaks[i]!);
  t.ok(rr.every((d) => Math.abs(d - 167) < 25), `RR intervals ≈ 167 samples: ${rr.join(' ')}`);
  const b = ds.batches({ batchSize: 4, shuffle: false }).next().value!;
  t.same(b.xShape, [4, 3, 16, 120]);
  ds.close();
});

t.test('reference splits: test IDs 75–85, PE 89–91 unused', async (t) => {
  t.same(mmecgTrialInfo(80), { subject: 30, status: 'IB' });
  t.same(mmecgTrialInfo(13), { subject: 5, status: 'SP' });
  const trials = [1, 57, 75, 79, 85, 86, 88, 90].map((id) => ({ id: String(id), subject: `obj${mmecgTrialInfo(id)!.subject}` }) as never);
  const s = mmecgSplits(trials, 0);
  t.same(s.trial!.test, ['75', '79', '85']);
  t.same(s.trial!.train, ['1', '57', '86', '88']);
  t.same(s.subject!.train, ['1'], 'subjects 29 and 30 held out entirely');
});

t.test('reference SST files (v7.3, SST(C, F, T)) are used instead of computing the SST', async (t) => {
  await h5wasm.ready;
  const sstDir = join(root, 'sst');
  mkdirSync(sstDir, { recursive: true });
  const C = 3;
  const F = 8;
  const T = 300;
  // MATLAB column-major SST(c, k, t) = 100 k + c (t ignored) → HDF5 shape [T, F, C].
  const data = new Float64Array(C * F * T);
  for (let tt = 0; tt < T; tt++) for (let k = 0; k < F; k++) for (let c = 0; c < C; c++) data[c + C * (k + F * tt)] = 100 * k + c + 0.001 * tt;
  const f = new h5wasm.File(join(sstDir, 'SST_obj5_NB_7_30Hz.mat'), 'w');
  const d = f.create_dataset({ name: 'SST', data, shape: [T, F, C], dtype: '<d' });
  d.create_attribute('MATLAB_class', 'double');
  f.close();
  const inDir = join(root, 'in2');
  mkdirSync(inDir, { recursive: true });
  copyFileSync(join(fixtures, '7.mat'), join(inDir, '7.mat'));
  const s = await importMmecg({ inDir, outDir: join(root, 'out2'), sstDir });
  t.same(s.failed, []);
  const ds = RadarEcgDataset.open(join(root, 'out2'));
  t.same(ds.inputShape, [3, 8, 120]);
  t.equal(ds.manifest.sst.frequencies, null, 'band of the reference SST is unknown');
  const x = ds.readWindow({ trial: '7', index: 0 });
  // Flipped frequency axis: stored bin 0 is the reference's last row (k = 7), the largest values.
  t.ok(x[0 * 120 + 5]! > x[7 * 120 + 5]!, 'frequency axis flipped as the reference loader does');
  ds.close();
});

t.test('reference per-window segments (layout windows)', async (t) => {
  const seg = join(root, 'data_seg_step', 'obj5_NB_7_');
  mkdirSync(seg, { recursive: true });
  for (let i = 0; i < 3; i++) {
    writeNpy(join(seg, `sst_seg_${i}.npy`), Float64Array.from({ length: 2 * 4 * 120 }, (_, j) => (j * (i + 1)) % 17), [2, 4, 120]);
    writeNpy(join(seg, `ecg_seg_${i}.npy`), Float64Array.from({ length: 150 + i }, (_, j) => Math.sin(j / 10)), [150 + i]);
    const a = new Float64Array(800);
    a[400] = 1;
    writeNpy(join(seg, `anchor_seg_${i}.npy`), a, [800]);
  }
  const s = await importReferenceSegments({ inDir: join(root, 'data_seg_step'), outDir: join(root, 'out3'), rawDir: fixtures });
  t.same(s.failed, []);
  const ds = RadarEcgDataset.open(join(root, 'out3'));
  t.equal(ds.manifest.sst.layout, 'windows');
  const b = ds.batches({ batchSize: 3, shuffle: false }).next().value!;
  t.same(b.xShape, [3, 2, 4, 120]);
  t.same(Array.from(b.ppi), [149, 150, 151]);
  t.equal(b.anchor[400], 1);
  t.equal(Math.max(...b.x.subarray(0, 480)), 1, 'normalised');
  t.ok(ds.recording('7').ecg.length === 2000, 'whole ECG from the raw trial');
  ds.close();
});
