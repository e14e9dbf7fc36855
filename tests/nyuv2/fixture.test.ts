import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../datasets/npy.js';
import { FIXTURE_CLASS_NAMES, fixtureIntrinsics, fixtureSampleSeed, renderNyuScene, writeNyuv2Fixture } from '../../datasets/nyuv2/fixture.js';
import { openNyuv2, type NyuSample } from '../../datasets/nyuv2/loader.js';

const H = 96;
const W = 128;
const FLOOR = FIXTURE_CLASS_NAMES.indexOf('floor');
const CEILING = FIXTURE_CLASS_NAMES.indexOf('ceiling');
const WALL = FIXTURE_CLASS_NAMES.indexOf('wall');

type V3 = [number, number, number];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const nrm = (s: NyuSample, p: number): V3 => [s.normal[3 * p]!, s.normal[3 * p + 1]!, s.normal[3 * p + 2]!];

/** Back-projected camera-frame point of pixel (i, j). */
function point(s: NyuSample, i: number, j: number): V3 {
  const K = fixtureIntrinsics(s.height, s.width);
  const d = s.depth[i * s.width + j]!;
  return [(d * (j + 0.5 - K.cx)) / K.fx, (d * (i + 0.5 - K.cy)) / K.fy, d];
}

const scenes = [0, 1, 2, 3, 4, 5].map((k) => renderNyuScene(`test-${k}`, H, W));

t.test('deterministic per seed', async (t) => {
  const a = renderNyuScene('test-0', H, W);
  t.same(Buffer.from(a.image.buffer), Buffer.from(scenes[0]!.image.buffer));
  t.same(Buffer.from(a.depth.buffer), Buffer.from(scenes[0]!.depth.buffer));
  t.same(Buffer.from(a.label.buffer), Buffer.from(scenes[0]!.label.buffer));
  t.same(Buffer.from(a.normal.buffer), Buffer.from(scenes[0]!.normal.buffer));
  t.notSame(Buffer.from(scenes[1]!.depth.buffer), Buffer.from(scenes[0]!.depth.buffer));
});

t.test('value ranges and invalid pixels as the real data', async (t) => {
  const classes = new Set<number>();
  for (const s of scenes) {
    let depthInvalid = 0;
    let unlabelled = 0;
    for (let p = 0; p < H * W; p++) {
      const n = nrm(s, p);
      const zero = n[0] === 0 && n[1] === 0 && n[2] === 0;
      if (s.depth[p] === 0) depthInvalid++;
      if ((s.depth[p] === 0) !== zero) t.fail(`pixel ${p}: depth and normal validity disagree`);
      if (!zero && Math.abs(Math.hypot(...n) - 1) > 1e-5) t.fail(`pixel ${p}: normal not unit`);
      if (!zero && dot(n, point(s, Math.floor(p / W), p % W)) >= 0) t.fail(`pixel ${p}: normal faces away from the camera`);
      if (s.label[p]! < 0) unlabelled++;
      else classes.add(s.label[p]!);
    }
    t.ok(s.image.every((v) => v >= 0 && v <= 1), 'image in [0, 1]');
    t.ok(s.depth.every((v) => v === 0 || (v > 0.05 && v < 10)), 'depth in metres');
    t.ok(depthInvalid > 0 || unlabelled > 0, 'some invalid pixels');
    t.ok(depthInvalid < 0.3 * H * W && unlabelled < 0.2 * H * W, 'mostly valid');
  }
  t.ok(classes.size >= 8, `many classes over six scenes (${classes.size})`);
  for (const c of [FLOOR, WALL]) t.ok(classes.has(c));
});

t.test('normals from depth gradients agree with rendered normals on planes', async (t) => {
  const angles: number[] = [];
  for (const s of scenes) {
    for (let i = 1; i < H - 1; i++) {
      for (let j = 1; j < W - 1; j++) {
        const p = i * W + j;
        const n0 = nrm(s, p);
        if (s.depth[p] === 0) continue;
        let flat = true;
        for (let di = -1; di <= 1 && flat; di++) {
          for (let dj = -1; dj <= 1 && flat; dj++) {
            const q = p + di * W + dj;
            const nq = nrm(s, q);
            if (s.depth[q] === 0 || Math.abs(nq[0] - n0[0]) + Math.abs(nq[1] - n0[1]) + Math.abs(nq[2] - n0[2]) > 1e-5) flat = false;
          }
        }
        // Neighbourhoods with one normal (a few straddle parallel faces of two boxes: the tail).
        if (!flat) continue;
        const a = point(s, i, j + 1).map((v, k) => v - point(s, i, j - 1)[k]!) as V3;
        const b = point(s, i + 1, j).map((v, k) => v - point(s, i - 1, j)[k]!) as V3;
        let g: V3 = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
        const len = Math.hypot(...g);
        g = g.map((v) => v / len) as V3;
        if (dot(g, point(s, i, j)) > 0) g = g.map((v) => -v) as V3;
        angles.push((Math.acos(Math.min(1, dot(g, n0))) * 180) / Math.PI);
      }
    }
  }
  angles.sort((x, y) => x - y);
  const q = (f: number): number => angles[Math.floor(f * (angles.length - 1))]!;
  t.ok(angles.length > 0.5 * scenes.length * H * W, `most pixels lie inside planes (${angles.length})`);
  t.ok(q(0.5) < 0.05, `median angle ${q(0.5).toFixed(4)}° (float32 depth)`);
  t.ok(q(0.99) < 1, `99th percentile ${q(0.99).toFixed(4)}°`);
});

t.test('labels agree with geometry: one floor plane below the camera, ceiling above, upright walls and boxes', async (t) => {
  for (const s of scenes) {
    let up: V3 | null = null;
    let camHeight = 0;
    const heights: number[] = [];
    for (let p = 0; p < H * W; p++) {
      if (s.label[p] !== FLOOR || s.depth[p] === 0) continue;
      const n = nrm(s, p);
      if (!up) {
        up = n;
        camHeight = -dot(n, point(s, Math.floor(p / W), p % W));
      }
      if (Math.abs(dot(n, up) - 1) > 1e-6) t.fail('floor normals differ');
      heights.push(-dot(up, point(s, Math.floor(p / W), p % W)));
    }
    t.ok(up, 'floor visible');
    if (!up) continue;
    t.ok(camHeight > 1.1 - 1e-3 && camHeight < 1.7 + 1e-3, `camera ${camHeight.toFixed(3)} m above the floor`);
    t.ok(Math.max(...heights.map((h) => Math.abs(h - camHeight))) < 1e-3, 'floor pixels on one plane');
    t.ok(up[1] < -0.8, 'floor normal points up (−y in the camera frame)');
    for (let p = 0; p < H * W; p++) {
      if (s.depth[p] === 0 || s.label[p]! < 0) continue;
      const n = nrm(s, p);
      const c = dot(n, up);
      const l = s.label[p]!;
      const hgt = camHeight + dot(up, point(s, Math.floor(p / W), p % W));
      if (hgt < -1e-3 || hgt > 3.0 + 1e-3) t.fail(`pixel ${p} (${FIXTURE_CLASS_NAMES[l]}) at height ${hgt}`);
      if (l === CEILING && Math.abs(c + 1) > 1e-5) t.fail('ceiling normal is not −up');
      if (l === CEILING && (hgt < 2.4 - 1e-3 || hgt > 3.0 + 1e-3)) t.fail(`ceiling at ${hgt} m`);
      if (l === WALL && Math.abs(c) > 1e-5) t.fail('wall not vertical');
      // Everything is upright: every face is horizontal or vertical.
      if (Math.min(Math.abs(c), Math.abs(Math.abs(c) - 1)) > 1e-5) t.fail(`${FIXTURE_CLASS_NAMES[l]} face tilted (${c})`);
      if (l !== FLOOR && l !== CEILING && Math.abs(c - 1) < 1e-5 && hgt < 0.02) t.fail('upward face at floor level that is not floor');
    }
  }
});

t.test('writes the on-disk layout; the same seed writes the same bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nyuv2-fixture-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = writeNyuv2Fixture({ out: join(dir, 'a'), trainSamples: 3, valSamples: 2, height: 24, width: 32, seed: 7 });
  writeNyuv2Fixture({ out: join(dir, 'b'), trainSamples: 3, valSamples: 2, height: 24, width: 32, seed: 7 });
  writeNyuv2Fixture({ out: join(dir, 'c'), trainSamples: 1, valSamples: 1, height: 24, width: 32, seed: 8 });
  t.same(a, { root: join(dir, 'a'), train: 3, val: 2, height: 24, width: 32 });
  for (const split of ['train', 'val']) {
    for (const kind of ['image', 'label', 'depth', 'normal']) {
      const files = readdirSync(join(dir, 'a', split, kind)).sort();
      t.same(files, split === 'train' ? ['0.npy', '1.npy', '2.npy'] : ['0.npy', '1.npy']);
      for (const f of files) t.ok(readFileSync(join(dir, 'a', split, kind, f)).equals(readFileSync(join(dir, 'b', split, kind, f))), `${split}/${kind}/${f} identical`);
    }
  }
  t.notOk(readFileSync(join(dir, 'a', 'train', 'depth', '0.npy')).equals(readFileSync(join(dir, 'c', 'train', 'depth', '0.npy'))), 'another seed differs');
  t.same(readNpy(join(dir, 'a', 'train', 'image', '0.npy')).shape, [24, 32, 3]);
  t.same(readNpy(join(dir, 'a', 'train', 'label', '0.npy')).shape, [24, 32]);
  t.same(readNpy(join(dir, 'a', 'train', 'depth', '0.npy')).shape, [24, 32, 1]);
  t.same(readNpy(join(dir, 'a', 'train', 'normal', '0.npy')).shape, [24, 32, 3]);
  // The loader accepts it and reads back what the renderer made.
  const ds = openNyuv2(join(dir, 'a'));
  const s = ds.test.read(1);
  const r = renderNyuScene(fixtureSampleSeed(7, 'val', 1), 24, 32);
  t.same(Array.from(s.label), Array.from(r.label));
  t.same(Array.from(s.depth), Array.from(r.depth));
});
