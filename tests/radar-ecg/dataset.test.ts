import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RadarEcgDataset, synthesizeDataset, type SynthParams } from '../../datasets/radar-ecg/dataset.js';
import { readNpy } from '../../datasets/npy.js';
import { cutWindow } from '../../datasets/radar-ecg/windows.js';

const root = mkdtempSync(join(tmpdir(), 'mtl-radar-ds-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const small: SynthParams = { subjects: 3, minutes: 0.25, seed: 11, channels: 4, bins: 16, frames: 32 };
const dirA = join(root, 'a');
const genA = synthesizeDataset(small, dirA);

t.test('manifest: shapes, trials, subjects, splits, seed, fingerprint', async (t) => {
  const m = genA.manifest;
  t.comment(`generated 3 × 15 s (4 ch, 16 bins, 32 frames) in ${genA.seconds.toFixed(2)} s`);
  t.same(m.shapes.input, [4, 16, 32]);
  t.equal(m.window.frameRate, 8, '32 frames per 4 s');
  t.equal(m.sst.frequencies!.length, 16);
  t.equal(m.trials.length, 3);
  t.equal(m.subjects.length, 3);
  t.equal(m.source.seed, 11);
  t.same(m.placements, ['step', 'rpeak']);
  t.match(m.fingerprint.value, /^[0-9a-f]{64}$/);
  const subj = m.splits.subject!;
  const subjectOf = (id: string): string => m.trials.find((x) => x.id === id)!.subject;
  const trainSubjects = new Set(subj.train.map(subjectOf));
  t.ok(subj.test.every((id) => !trainSubjects.has(subjectOf(id))), 'subject split: no subject on both sides');
  t.same([...subj.train, ...subj.test].sort(), m.trials.map((x) => x.id).sort());
  t.ok(m.splits.trial!.test.length >= 1);
  for (const tr of m.trials) t.equal(tr.windows.step, Math.floor((tr.samples - 800) / 160));
});

t.test('deterministic for a seed; the fingerprint tracks content', async (t) => {
  const b = synthesizeDataset(small, join(root, 'b'));
  t.equal(b.manifest.fingerprint.value, genA.manifest.fingerprint.value, 'same seed, same shards');
  const c = synthesizeDataset({ ...small, seed: 12 }, join(root, 'c'));
  t.not(c.manifest.fingerprint.value, genA.manifest.fingerprint.value, 'another seed');
  // Change one byte of a shard: verification fails and names the file.
  const ds = RadarEcgDataset.open(join(root, 'b'));
  t.ok(ds.verify().ok);
  const shard = join(root, 'b', ds.manifest.trials[0]!.files.sst!);
  const bytes = readFileSync(shard);
  bytes[bytes.length - 3] ^= 0xff;
  writeFileSync(shard, bytes);
  const v = ds.verify();
  t.notOk(v.ok);
  t.not(v.actual, v.expected);
  t.same(v.changed, [ds.manifest.trials[0]!.files.sst]);
  ds.close();
});

t.test('round trip: batches equal windows cut from the stored SST, targets equal the labels', async (t) => {
  const ds = RadarEcgDataset.open(dirA);
  const trial = ds.manifest.trials[1]!;
  const sst = readNpy(join(dirA, trial.files.sst!));
  t.same(sst.shape, [trial.frames, 4, 16]);
  const refs = ds.windowRefs([trial.id]);
  const batch = ds.batches({ windows: refs.slice(0, 5), batchSize: 5, shuffle: false }).next().value!;
  t.same(batch.xShape, [5, 4, 16, 32]);
  const meta = ds.windowMeta(trial.id);
  const ppi = readNpy(join(dirA, trial.files.placements.step!.ppi));
  const shape = readNpy(join(dirA, trial.files.placements.step!.ecgShape));
  for (let i = 0; i < 5; i++) {
    const want = new Float32Array(4 * 16 * 32);
    cutWindow(sst.data as Float32Array, 4, 16, meta.frameStart[i]!, 32, want);
    t.same(batch.x.subarray(i * want.length, (i + 1) * want.length), want, `window ${i} input`);
    t.equal(batch.ppi[i], (ppi.data as Int32Array)[i]);
    t.same(batch.ecgShape.subarray(i * 200, (i + 1) * 200), (shape.data as Float32Array).subarray(i * 200, (i + 1) * 200));
    const anchors = batch.anchor.subarray(i * 800, (i + 1) * 800).reduce((a: number, v: number) => a + v, 0);
    t.ok(anchors >= 2, `${anchors} R peaks in window ${i}`);
    t.ok(batch.ecgMax[i]! > batch.ecgMin[i]!);
  }
  // Whole recording: ECG and R peaks consistent with the labels.
  const rec = ds.recording(trial.id);
  t.equal(rec.ecg.length, trial.samples);
  t.equal(rec.rPeaks.length, trial.beats);
  t.ok([...meta.cycleRPeak].every((r) => rec.rPeaks.includes(r)), 'every target cycle starts at a stored R peak');
  t.same(batch.x.subarray(0, 4 * 16 * 32), ds.readWindow(refs[0]!));
  ds.close();
});

t.test('reader: deterministic shuffles per (seed, epoch), full coverage, dropLast, channel subset', async (t) => {
  const ds = RadarEcgDataset.open(dirA);
  const order = (seed: number, epoch: number): string[] => [...ds.batches({ batchSize: 7, seed }, epoch)].flatMap((b) => b.refs.map((r) => `${r.trial}#${r.index}`));
  const e0 = order(1, 0);
  t.same(order(1, 0), e0, 'same seed and epoch → same order');
  t.not(order(1, 1).join(), e0.join(), 'next epoch → new order');
  t.not(order(2, 0).join(), e0.join(), 'another seed → new order');
  const all = ds.windowRefs().map((r) => `${r.trial}#${r.index}`);
  t.same([...e0].sort(), [...all].sort(), 'each window once per epoch');
  const sizes = [...ds.batches({ batchSize: 7, dropLast: true, seed: 1 })].map((b) => b.size);
  t.ok(sizes.every((s) => s === 7));
  t.equal(sizes.length, Math.floor(all.length / 7));
  t.equal(ds.batchCount({ batchSize: 7, dropLast: true }), sizes.length);
  const two = ds.batches({ batchSize: 3, channels: 2, shuffle: false }).next().value!;
  t.same(two.xShape, [3, 2, 16, 32]);
  t.same(two.x.subarray(0, 2 * 16 * 32), ds.readWindow({ trial: ds.trialIds[0]!, index: 0 }).subarray(0, 2 * 16 * 32));
  const rp = ds.batches({ batchSize: 4, placement: 'rpeak', shuffle: false }).next().value!;
  t.ok([...Array(4).keys()].every((i) => rp.anchor[i * 800 + 400] === 1 || ds.windowMeta(rp.refs[i]!.trial, 'rpeak').start[rp.refs[i]!.index] === 1), 'R peak at 400');
  ds.close();
});

t.test('splits and validation hold-out', async (t) => {
  const ds = RadarEcgDataset.open(dirA);
  const { train } = ds.split('subject');
  const h = ds.holdOut(train, { fraction: 0.5, seed: 3 });
  t.equal(h.valTrials.length, 1);
  t.same([...h.trainTrials, ...h.valTrials].sort(), [...train].sort());
  t.ok(h.val.every((r) => h.valTrials.includes(r.trial)) && h.train.every((r) => h.trainTrials.includes(r.trial)));
  t.same(ds.holdOut(train, { fraction: 0.5, seed: 3 }).valTrials, h.valTrials, 'seeded');
  const w = ds.holdOut(ds.trialIds, { by: 'window', fraction: 0.2, seed: 1 });
  t.equal(w.val.length + w.train.length, ds.windowRefs().length);
  const loso = ds.leaveSubjectOut(ds.manifest.subjects[0]!.id);
  t.same(loso.test, ds.manifest.subjects[0]!.trials);
  t.throws(() => ds.split('nope'), /split/);
  ds.close();
});

t.test('noise from the reader: seeded, per window, only when asked', async (t) => {
  const ds = RadarEcgDataset.open(dirA);
  const opts = { batchSize: 4, shuffle: false, noise: { kind: 'constant', snrDb: 0 } as const, noiseSeed: 5 };
  const a = ds.batches(opts).next().value!;
  const b = ds.batches(opts).next().value!;
  const clean = ds.batches({ batchSize: 4, shuffle: false }).next().value!;
  t.same(a.x, b.x, 'same noise seed → same noise');
  let sig = 0;
  let noise = 0;
  for (let i = 0; i < a.x.length; i++) {
    sig += clean.x[i]! ** 2;
    noise += (a.x[i]! - clean.x[i]!) ** 2;
  }
  t.ok(Math.abs(10 * Math.log10(sig / noise)) < 0.3, 'about 0 dB');
  const other = ds.batches({ ...opts, noiseSeed: 6 }).next().value!;
  t.not(other.x[10], a.x[10]);
  ds.close();
});

t.test('body movement is baked into the SST and recorded in the manifest', async (t) => {
  const g = synthesizeDataset({ ...small, subjects: 1, noise: { kind: 'body-movement', ratePerMin: 12, maxStepMm: 10 }, noiseSeed: 'bm' }, join(root, 'bm'));
  t.equal(g.manifest.noise.appliedAt, 'radar');
  t.equal(g.manifest.noise.seed, 'bm');
  const events = g.manifest.trials[0]!.extra!.bodyMovements as unknown[];
  t.ok(Array.isArray(events) && events.length >= 1, `${events.length} movements recorded`);
  t.not(g.manifest.fingerprint.value, synthesizeDataset({ ...small, subjects: 1 }, join(root, 'bm0')).manifest.fingerprint.value);
  t.throws(() => synthesizeDataset(small, dirA), /empty/, 'refuses a non-empty directory');
});
