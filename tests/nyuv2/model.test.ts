import t from 'tap';
import type * as TF from '@tensorflow/tfjs';
import { loadBackend } from '../../src/tf/backend.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { NYU_MODEL_PRESETS, batchToSpace, createNyuModel, encoderChannels, outputStride, spaceToBatch } from '../../src/tasks/nyuv2/model.js';

const { tf } = await loadBackend();

t.test('paper-scale configuration: ResNet-50 dilated (OS 8) + three DeepLab heads, built for real', async (t) => {
  const cfg = NYU_MODEL_PRESETS.paper;
  t.equal(outputStride(cfg), 8);
  t.equal(encoderChannels(cfg), 2048);
  const before = tf.memory().numTensors;
  const m = createNyuModel(tf, 'paper', Rng.fromSeed(0), { inputHeight: 32, inputWidth: 32 });
  const count = m.parameterCount();
  // torchvision resnet50: 25,557,032 parameters, of which fc holds 2048·1000 + 1000.
  t.equal(count.shared, 25_557_032 - 2_049_000, 'encoder = ResNet-50 without fc');
  // DeepLabHead(2048, C): ASPP 1×1 (2048·256) + three 3×3 (9·2048·256) + pooling 1×1 (2048·256)
  // + projection (1280·256), 3×3 refine (9·256·256), six ASPP BNs and one head BN (2·256 each),
  // and the 1×1 classifier with bias (256·C + C).
  const head = (c: number): number => 2048 * 256 * 2 + 3 * 9 * 2048 * 256 + 1280 * 256 + 9 * 256 * 256 + 7 * 512 + 257 * c;
  t.same(count.heads, [head(13), head(1), head(3)]);
  t.equal(count.total, 71_888_721);
  t.comment(`paper-scale parameters: ${count.total.toLocaleString('en')} (encoder ${count.shared.toLocaleString('en')}, heads ${count.heads.map((h) => h.toLocaleString('en')).join(' / ')})`);
  t.equal(m.paramNames.shared.length, m.shared.length);
  t.equal(new Set([...m.paramNames.shared, ...m.paramNames.heads.flat()]).size, m.shared.length + m.heads.flat().length, 'unique names');
  const i = m.paramNames.shared.indexOf('encoder.layer4.2.conv3.weight');
  t.same(m.shared[i]!.shape, [1, 1, 512, 2048]);
  const groups = m.layerGroups();
  t.equal(groups.at(-1)![1], count.shared, 'layer groups tile θ');
  t.ok(groups.every((g, k) => k === 0 || g[0] === groups[k - 1]![1]));
  // Buffers: running mean and variance of every BN.
  t.equal(m.buffers.length, 2 * (53 + 3 * 7));
  const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1) as TF.Tensor4D;
  const rep = tf.tidy(() => m.encode(x, false));
  t.same(rep.shape, [1, 4, 4, 2048], 'output stride 8, 2048 channels');
  const out = m.predict(x);
  t.same(
    out.map((o) => o.shape),
    [
      [1, 32, 32, 13],
      [1, 32, 32, 1],
      [1, 32, 32, 3],
    ],
    'predictions at input resolution',
  );
  t.ok(out.every((o) => Array.from(o.dataSync()).every(Number.isFinite)));
  for (const o of [x, rep, ...out]) o.dispose();
  m.dispose();
  t.equal(tf.memory().numTensors, before, 'dispose frees every variable');
});

t.test('dilated conv via space-to-batch equals conv2d with dilations; its gradient equals the zero-inserted kernel', async (t) => {
  const m = createNyuModel(tf, 'ci', Rng.fromSeed(0));
  const conv = (m as unknown as { conv(x: TF.Tensor4D, c: object): TF.Tensor4D }).conv.bind(m);
  for (const [h, w, r] of [
    [9, 13, 2],
    [8, 12, 3],
    [5, 11, 6],
    [4, 6, 12],
    [7, 7, 1],
  ] as const) {
    const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', h) as TF.Tensor4D;
    const k = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', w) as TF.Tensor4D;
    const layer = { kind: 'conv', name: 'test', w: k, b: null, k: 3, stride: 1, dilation: r };
    const ref = tf.conv2d(x, k, 1, r, 'NHWC', r);
    const got = conv(x, layer);
    t.same(got.shape, ref.shape);
    t.ok(tf.max(tf.abs(tf.sub(got, ref))).dataSync()[0]! < 1e-4, `forward ${h}×${w} rate ${r}`);
    // Dense kernel with r−1 zeros between taps: same function, ordinary conv gradient.
    const dense = (kk: TF.Tensor4D): TF.Tensor4D => {
      const size = 2 * r + 1;
      const rows: TF.Tensor[] = [];
      for (let i = 0; i < size; i++) {
        const cols: TF.Tensor[] = [];
        for (let j = 0; j < size; j++) cols.push(i % r === 0 && j % r === 0 ? tf.slice(kk, [i / r, j / r, 0, 0], [1, 1, 3, 4]) : tf.zeros([1, 1, 3, 4]));
        rows.push(tf.concat(cols, 1));
      }
      return tf.concat(rows, 0) as TF.Tensor4D;
    };
    const up = tf.randomNormal(ref.shape, 0, 1, 'float32', 3);
    const [gx1, gk1] = tf.grads((a: TF.Tensor, b: TF.Tensor) => tf.sum(tf.mul(conv(a as TF.Tensor4D, { ...layer, w: b }), up)))([x, k]);
    const [gx2, gk2] = tf.grads((a: TF.Tensor, b: TF.Tensor) => tf.sum(tf.mul(tf.conv2d(a as TF.Tensor4D, dense(b as TF.Tensor4D), 1, r), up)))([x, k]);
    t.ok(tf.max(tf.abs(tf.sub(gx1!, gx2!))).dataSync()[0]! < 1e-3, `dx ${h}×${w} rate ${r}`);
    t.ok(tf.max(tf.abs(tf.sub(gk1!, gk2!))).dataSync()[0]! < 1e-3, `dw ${h}×${w} rate ${r}`);
  }
  // Round trip of the layout helpers (no conv in between: kernel 1 → hq·r ≥ h).
  const x = tf.randomNormal([2, 7, 10, 3], 0, 1, 'float32', 9) as TF.Tensor4D;
  const back = batchToSpace(tf, spaceToBatch(tf, x, 3, 2, 0, 0), 3, 2, 2, 7, 10);
  t.equal(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0], 0, 'space-to-batch round trip');
  m.dispose();
});

t.test('ci and small presets: shapes, input checks, train/eval modes', async (t) => {
  for (const preset of ['ci', 'small'] as const) {
    const cfg = NYU_MODEL_PRESETS[preset];
    const m = createNyuModel(tf, preset, Rng.fromSeed(1));
    const x = tf.randomUniform([2, cfg.inputHeight, cfg.inputWidth, 3]) as TF.Tensor4D;
    tf.tidy(() => {
      const rep = m.encode(x, true);
      t.same(rep.shape, [2, cfg.inputHeight / outputStride(cfg), cfg.inputWidth / outputStride(cfg), encoderChannels(cfg)], `${preset} representation`);
      const outs = [0, 1, 2].map((k) => m.head(k, rep, true));
      t.same(
        outs.map((o) => o.shape),
        [13, 1, 3].map((c) => [2, cfg.inputHeight, cfg.inputWidth, c]),
      );
      // head() = bilinear (align_corners) upsampling of the feature-resolution head.
      const f = m.headFeatures(1, rep, false);
      const ref = tf.image.resizeBilinear(f, [cfg.inputHeight, cfg.inputWidth], true);
      t.ok(tf.max(tf.abs(tf.sub(ref, m.head(1, rep, false)))).dataSync()[0]! < 1e-5);
    });
    m.discardBuffers();
    t.throws(() => m.encode(tf.zeros([1, 16, 16, 3]), false), ShapeError);
    t.comment(`${preset}: ${m.parameterCount().total.toLocaleString('en')} parameters`);
    m.dispose();
  }
  t.throws(() => createNyuModel(tf, 'huge' as 'ci', Rng.fromSeed(0)), ConfigError);
  t.throws(() => createNyuModel(tf, 'ci', Rng.fromSeed(0), { inputHeight: 1 }), ConfigError);
});

t.test('batch norm: statistics are written only by commitBuffers, with momentum 0.1; no leaks', async (t) => {
  const m = createNyuModel(tf, 'ci', Rng.fromSeed(2));
  const x = tf.randomUniform([4, 32, 48, 3], 0, 1, 'float32', 5) as TF.Tensor4D;
  const stemMean = m.buffers[0]!;
  const stemVar = m.buffers[1]!;
  t.equal(m.paramNames.buffers[0], 'encoder.bn1.running_mean');
  tf.tidy(() => {
    m.encode(x, true);
  });
  t.equal(tf.max(tf.abs(stemMean)).dataSync()[0], 0, 'forward leaves the running mean alone');
  m.commitBuffers();
  const conv = tf.conv2d(x, m.shared[0] as TF.Tensor4D, 2, 1);
  const { mean, variance } = tf.moments(conv, [0, 1, 2]);
  const n = conv.shape[0] * conv.shape[1] * conv.shape[2];
  t.ok(tf.max(tf.abs(tf.sub(stemMean, tf.mul(mean, 0.1)))).dataSync()[0]! < 1e-5, 'mean ← 0.9·0 + 0.1·batch mean');
  t.ok(tf.max(tf.abs(tf.sub(stemVar, tf.add(0.9, tf.mul(variance, (0.1 * n) / (n - 1)))))).dataSync()[0]! < 1e-4, 'var ← 0.9·1 + 0.1·unbiased batch var');
  // Training steps do not leak tensors.
  const opt = tf.train.adam(1e-3);
  const vars = [...m.shared, ...m.heads.flat()];
  const step = (): void => {
    const cost = opt.minimize(() => {
      const rep = m.encode(x, true);
      return tf.addN([0, 1, 2].map((k) => tf.mean(tf.square(m.head(k, rep, true))))) as TF.Scalar;
    }, true, vars);
    m.commitBuffers();
    cost?.dispose();
  };
  step();
  const before = tf.memory().numTensors;
  step();
  step();
  t.equal(tf.memory().numTensors, before, 'steady tensor count');
  opt.dispose();
  m.dispose();
});

t.test('dropout masks come from the model Rng: same seed, same training forward', async (t) => {
  const x = tf.randomUniform([2, 72, 96, 3], 0, 1, 'float32', 7) as TF.Tensor4D;
  const run = (seed: number): Float32Array => {
    const m = createNyuModel(tf, 'small', Rng.fromSeed(seed));
    const y = tf.tidy(() => m.head(0, m.encode(x, true), true));
    const v = y.dataSync() as Float32Array;
    y.dispose();
    m.dispose();
    return v;
  };
  const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  t.ok(bytes(run(3)).equals(bytes(run(3))), 'same seed: identical');
  t.notOk(bytes(run(3)).equals(bytes(run(4))), 'other seed: different');
});
