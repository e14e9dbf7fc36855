import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { writeNpy, encodeNpy } from '../../datasets/npy.js';
import { writeNyuv2Fixture } from '../../datasets/nyuv2/fixture.js';
import { NyuBatchReader, Nyuv2Split, holdOut, openNyuv2, resizeSample, type NyuSample } from '../../datasets/nyuv2/loader.js';

const H = 16;
const W = 24;

function freshRoot(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'nyuv2-loader-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeNyuv2Fixture({ out: dir, trainSamples: 5, valSamples: 2, height: H, width: W, seed: 11 });
  return dir;
}

t.test('opens a root, reads and validates samples', async (t) => {
  const root = freshRoot(t);
  const ds = openNyuv2(root);
  t.equal(ds.train.count, 5);
  t.equal(ds.test.count, 2);
  t.equal(ds.train.height, H);
  t.equal(ds.train.width, W);
  const s = ds.train.read(3);
  t.equal(s.image.length, H * W * 3);
  t.equal(s.label.length, H * W);
  t.equal(s.depth.length, H * W);
  t.equal(s.normal.length, H * W * 3);
  t.ok(s.label.every((v) => v >= -1 && v <= 12));
  t.throws(() => ds.train.read(5), ConfigError);
  t.throws(() => openNyuv2(root, { expectedSize: [288, 384] }), DataError);
});

t.test('accepts other dtypes the real data may use (f8 image, i8 label)', async (t) => {
  const root = freshRoot(t);
  const sp = Nyuv2Split.open(root, 'train');
  const s = sp.read(0);
  writeFileSync(sp.file('image', 0), encodeNpy(Float64Array.from(s.image), [H, W, 3]));
  // int64 labels, written by hand (encodeNpy has no i8).
  const head = encodeNpy(new Int32Array(H * W), [H, W]);
  const hdrLen = head.length - H * W * 4;
  const hdr = Buffer.from(head.subarray(0, hdrLen).toString('latin1').replace("'<i4'", "'<i8'"), 'latin1');
  const body = Buffer.from(BigInt64Array.from(s.label, (v) => BigInt(v)).buffer);
  writeFileSync(sp.file('label', 0), Buffer.concat([hdr, body]));
  const r = sp.read(0);
  t.same(Array.from(r.label), Array.from(s.label));
  t.same(Array.from(r.image.slice(0, 9)), Array.from(s.image.slice(0, 9)));
});

t.test('bad files throw DataError naming the file', async (t) => {
  const root = freshRoot(t);
  const sp = Nyuv2Split.open(root, 'train');
  const s = sp.read(1);
  const expectBad = (kind: 'image' | 'label' | 'depth' | 'normal', write: (file: string) => void, pattern: RegExp): void => {
    const file = sp.file(kind, 1);
    const original = readFileSync(file);
    write(file);
    try {
      sp.read(1);
      t.fail(`expected a DataError for ${kind}`);
    } catch (e) {
      t.type(e, DataError, `${kind}: DataError`);
      t.equal((e as DataError).file, file, `${kind}: names the file`);
      t.ok((e as Error).message.includes(file), 'message contains the path');
      t.match((e as Error).message, pattern);
    }
    writeFileSync(file, original);
  };
  expectBad('image', (f) => writeNpy(f, new Float32Array(H * W * 4), [H, W, 4]), /shape \[16, 24, 4\], expected \[16, 24, 3\]/);
  expectBad('image', (f) => writeNpy(f, new Int32Array(H * W * 3), [H, W, 3]), /dtype "<i4"/);
  expectBad('image', (f) => writeNpy(f, s.image.map((v, i) => (i === 5 ? 255 : v)), [H, W, 3]), /outside \[0, 1\]/);
  expectBad('label', (f) => writeNpy(f, Float32Array.from(s.label, (v, i) => (i === 7 ? 13 : v)), [H, W]), /label 13 at pixel \(row 0, col 7\) out of range/);
  expectBad('label', (f) => writeNpy(f, Float32Array.from(s.label, (v, i) => (i === 2 ? 1.5 : v)), [H, W]), /label 1.5/);
  expectBad('label', (f) => writeNpy(f, Float32Array.from(s.label, (v, i) => (i === 0 ? -2 : v)), [H, W]), /out of range/);
  expectBad('label', (f) => writeNpy(f, Float32Array.from(s.label), [H, W, 1]), /expected \[16, 24\]/);
  expectBad('depth', (f) => writeNpy(f, s.depth.map((v, i) => (i === 30 ? NaN : v)), [H, W, 1]), /non-finite depth NaN at pixel \(row 1, col 6\)/);
  expectBad('depth', (f) => writeNpy(f, s.depth.map((v, i) => (i === 3 ? -1 : v)), [H, W, 1]), /negative depth/);
  expectBad('depth', (f) => writeNpy(f, s.depth.map((v) => v * 1000), [H, W, 1]), /expected metres/);
  expectBad('depth', (f) => writeNpy(f, s.depth, [H, W]), /expected \[16, 24, 1\]/);
  expectBad('normal', (f) => writeNpy(f, s.normal.map((v) => v * 0.5), [H, W, 3]), /has length 0.5000/);
  expectBad('normal', (f) => writeFileSync(f, readFileSync(f).subarray(0, 500)), /truncated data/);
  expectBad('depth', (f) => writeFileSync(f, Buffer.from('not numpy')), /not a .npy file/);
  expectBad('normal', (f) => unlinkSync(f), /cannot read/);
});

t.test('missing files and folders are named when the split opens', async (t) => {
  const root = freshRoot(t);
  const gone = join(root, 'train', 'depth', '2.npy');
  unlinkSync(gone);
  t.throws(() => Nyuv2Split.open(root, 'train'), { name: 'DataError', file: gone });
  t.throws(() => Nyuv2Split.open(join(root, 'nowhere'), 'val'), { name: 'DataError', file: join(root, 'nowhere', 'val') });
  rmSync(join(root, 'val', 'normal'), { recursive: true });
  t.throws(() => Nyuv2Split.open(root, 'val'), { name: 'DataError', file: join(root, 'val', 'normal') });
});

t.test('validation hold-out is seeded and disjoint', async (t) => {
  const a = holdOut(20, 5, Rng.fromSeed(1));
  const b = holdOut(20, 5, Rng.fromSeed(1));
  t.same(a, b);
  t.equal(a.val.length, 5);
  t.equal(a.train.length, 15);
  t.same([...a.train, ...a.val].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  t.notSame(holdOut(20, 5, Rng.fromSeed(2)).val, a.val);
  t.throws(() => holdOut(5, 5, Rng.fromSeed(1)), ConfigError);
});

t.test('batches stream with a seeded shuffle, drop the last partial batch, downscale', async (t) => {
  const root = freshRoot(t);
  const ds = openNyuv2(root);
  const r = new NyuBatchReader(ds.train, [0, 1, 2, 3, 4], { batchSize: 2, size: { height: 8, width: 12 } });
  t.equal(r.stepsPerEpoch, 2);
  const e1 = [...r.epoch(Rng.fromSeed(5))];
  const e2 = [...r.epoch(Rng.fromSeed(5))];
  t.equal(e1.length, 2);
  t.same(
    e1.map((b) => b.indices),
    e2.map((b) => b.indices),
  );
  const b = e1[0]!;
  t.equal(b.size, 2);
  t.equal(b.image.length, 2 * 8 * 12 * 3);
  t.equal(b.label.length, 2 * 8 * 12);
  t.equal(b.depth.length, 2 * 8 * 12);
  t.equal(b.normal.length, 2 * 8 * 12 * 3);
  const all = new NyuBatchReader(ds.train, [0, 1, 2, 3, 4], { batchSize: 2, shuffle: false, dropLast: false });
  const batches = [...all.epoch()];
  t.same(
    batches.map((x) => x.indices),
    [[0, 1], [2, 3], [4]],
  );
  t.throws(() => [...r.epoch()], ConfigError, 'shuffling needs an Rng');
  t.throws(() => new NyuBatchReader(ds.train, [0], { batchSize: 1, size: { height: 32, width: 48 } }), ConfigError, 'no upscaling');
});

t.test('downscaling: area image, nearest label/depth, renormalised normals', async (t) => {
  // 4×4 → 2×2 by hand.
  const n = 16;
  const image = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) image.fill(p / 16, 3 * p, 3 * p + 3);
  const label = Int32Array.from({ length: n }, (_, p) => (p % 4 < 2 ? 3 : -1));
  const depth = Float32Array.from({ length: n }, (_, p) => (p === 5 ? 0 : 1 + p));
  const normal = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    const a = (p % 2) * 0.3;
    normal.set([Math.sin(a), 0, -Math.cos(a)], 3 * p);
  }
  normal.fill(0, 3 * 15, 3 * 16);
  const s: NyuSample = { height: 4, width: 4, image, label, depth, normal };
  const r = resizeSample(s, 2, 2);
  // Image: mean of each 2×2 block of p/16.
  t.ok(Math.abs(r.image[0]! - (0 + 1 + 4 + 5) / 64) < 1e-6);
  t.ok(Math.abs(r.image[3 * 3]! - (10 + 11 + 14 + 15) / 64) < 1e-6);
  // Nearest at centres floor((o + ½)·2) = 1, 3: sources (1,1), (1,3), (3,1), (3,3).
  t.same(Array.from(r.depth), [0, 1 + 7, 1 + 13, 1 + 15]);
  t.same(Array.from(r.label), [3, -1, 3, -1]);
  for (let p = 0; p < 4; p++) {
    const v = [r.normal[3 * p]!, r.normal[3 * p + 1]!, r.normal[3 * p + 2]!];
    const len = Math.hypot(...v);
    if (p === 3) t.equal(len, 0, 'nearest source normal invalid → invalid');
    else t.ok(Math.abs(len - 1) < 1e-6, 'unit');
  }
  // Block 0 averages angles 0 and 0.3 equally: the renormalised mean points at 0.15 rad.
  t.ok(Math.abs(Math.atan2(r.normal[0]!, -r.normal[2]!) - 0.15) < 1e-6);
  t.equal(resizeSample(s, 4, 4), s);
  t.throws(() => resizeSample(s, 5, 4), ConfigError);
  // Non-integer ratio keeps the image mean (area weights sum to 1).
  const r3 = resizeSample(s, 3, 3);
  const mean = (a: Float32Array): number => a.reduce((x, y) => x + y, 0) / a.length;
  t.ok(Math.abs(mean(r3.image) - mean(s.image)) < 1e-6);
});

t.test('CLI: data nyuv2 fixture writes a root, check validates it and names a bad file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nyuv2-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]): { status: number; out: string } => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'mtl-bench.js'), ...args], { encoding: 'utf8' });
    return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };
  const made = cli(['data', 'nyuv2', 'fixture', '--out', dir, '--samples', '3', '--val-samples', '2', '--height', '12', '--width', '16', '--seed', '4']);
  t.equal(made.status, 0, made.out);
  t.match(made.out, /train 3, val 2 samples of 12×16/);
  const ok = cli(['data', 'nyuv2', 'check', '--root', dir]);
  t.equal(ok.status, 0, ok.out);
  t.match(ok.out, /train: 3 samples of 12×16 \(the standard split has 795\)/);
  t.match(ok.out, /val: 2 samples/);
  t.match(ok.out, /\nok\n/);
  const bad = join(dir, 'val', 'label', '1.npy');
  writeNpy(bad, new Float32Array(12 * 16).fill(40), [12, 16]);
  const failed = cli(['data', 'nyuv2', 'check', '--root', dir]);
  t.equal(failed.status, 2);
  t.ok(failed.out.includes(`DataError: ${bad}: 1 invalid sample(s); first: label 40`), failed.out);
});
