/**
 * radarODE-MTL model: the full-scale parameter counts of the reference (from the spec, without
 * allocating 38 M parameters), and real ci / small models run forward and backward.
 */
import t from 'tap';
import type * as TF from '@tensorflow/tfjs';
import { loadBackend } from '../../src/tf/backend.js';
import { registerExtraWasmKernels } from '../../src/tf/wasm-kernels-extra.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { createRadarOdeModel, resolveRadarOdeConfig } from '../../src/tasks/radar-ecg/model.js';
import { RADAR_ECG_PRESETS } from '../../src/tasks/radar-ecg/presets.js';
import { buildRadarOdeSpec, countSpec, leaves, RADAR_ECG_TASKS } from '../../src/tasks/radar-ecg/spec.js';

const { tf, name: backend } = await loadBackend();
if (backend === 'wasm') registerExtraWasmKernels(tf);

const paper = { channels: 50, bins: 71, frames: 120, width: 1 };

t.test('full-scale parameter counts match the reference (§1.2–1.8)', async (t) => {
  const spec = buildRadarOdeSpec({ ...paper, ode: false });
  const c = countSpec(spec);
  t.equal(c.encoder.params, 23_251_508, 'encoder (backbone + squeeze)');
  t.equal(c.encoder.buffers, 5_740, 'encoder BN buffers (running mean/var + num_batches_tracked)');
  t.equal(c.heads.ECG_shape.params, 3_519_867, 'ECG_shape head, active temporal path');
  t.equal(c.heads.PPI.params, 4_866_052, 'PPI head');
  t.equal(c.heads.Anchor.params, 3_580_587, 'Anchor head');
  t.same(spec.inputShape, [71, 120, 50]);
  t.same(spec.encoder.outShape, [31, 1024], 'representation 1024 × 31 (channels-last)');
  t.same([spec.heads.ECG_shape.outShape, spec.heads.PPI.outShape, spec.heads.Anchor.outShape], [[200], [260], [800]]);
  const withOde = countSpec(buildRadarOdeSpec({ ...paper, ode: true }));
  t.equal(withOde.heads.ECG_shape.params, 6_014_814, 'ECG_shape head with the ODE branch instantiated');
  t.equal(withOde.total.params, 37_712_961, 'total as the authors’ notebook prints');
  // Shapes of the reference table.
  const shapes = Object.fromEntries(leaves(spec.encoder).map((l) => [l.name, l.outShape]));
  t.same(shapes['encoder.stage0.conv'], [72, 120, 128]);
  t.same(shapes['encoder.downsample0.conv'], [36, 61, 128]);
  t.same(shapes['encoder.downsample1.conv'], [19, 31, 256]);
  t.same(shapes['encoder.downsample2.conv'], [10, 31, 512]);
  t.same(shapes['encoder.downsample3.conv'], [6, 31, 1024]);
  const dcn0 = leaves(spec.encoder).find((l) => l.name === 'encoder.stage0.block.dcn')!;
  t.same(
    dcn0.params.map((p) => p.shape.reduce((a, b) => a * b, 1)),
    [22_500, 8_100, 18],
    'DCN: sampling conv (no bias) 22,500 + offset conv 8,118',
  );
  const offsets = leaves(spec.encoder).filter((l) => l.layer.kind === 'dcn').reduce((a, l) => a + l.params.slice(1).reduce((b, p) => b + p.shape.reduce((x, y) => x * y, 1), 0), 0);
  t.equal(offsets, 153_324, 'offset convs');
  const last = (name: string): string => {
    const l = leaves(spec.heads[name as 'Anchor']).filter((x) => x.params.length).at(-1)!;
    return `${l.layer.kind} k${'k' in l.layer ? String(l.layer.k) : ''}`;
  };
  t.equal(last('ECG_shape'), 'conv1d k2');
  t.equal(last('Anchor'), 'conv1d k2');
  t.ok(c.total.flops > 1.2e10 && c.total.flops < 1.3e10, `forward FLOPs per sample ${(c.total.flops / 1e9).toFixed(2)} G`);
});

t.test('scaling keeps the structure and the task sizes', async (t) => {
  const full = buildRadarOdeSpec({ ...paper, ode: true });
  for (const [name, p] of Object.entries(RADAR_ECG_PRESETS)) {
    for (const ode of [false, true]) {
      const s = buildRadarOdeSpec({ ...p, ode });
      t.same([s.heads.ECG_shape.outShape, s.heads.PPI.outShape, s.heads.Anchor.outShape], [[200], [260], [800]], `${name} ode=${ode}: outputs 200 / 260 / 800`);
      if (ode) t.same(leaves(s.encoder).map((l) => l.name), leaves(full.encoder).map((l) => l.name), `${name}: same encoder layers`);
    }
  }
  // Fewer frames: shorter heads, whose last layer becomes an upsampling transposed conv.
  const short = buildRadarOdeSpec({ channels: 8, bins: 16, frames: 64, width: 1 / 32, ode: false });
  t.same(short.encoder.outShape, [17, 32]);
  const lastKind = (h: 'ECG_shape' | 'Anchor'): string => leaves(short.heads[h]).filter((x) => x.params.length).at(-1)!.layer.kind;
  t.equal(lastKind('ECG_shape'), 'convT1d');
  t.equal(lastKind('Anchor'), 'convT1d');
  const sq = leaves(short.encoder).find((l) => l.name === 'encoder.squeeze.conv')!;
  t.same((sq.layer as { k: number[] }).k, [2, 1], 'the squeeze kernel height follows the encoder output height');
  t.throws(() => buildRadarOdeSpec({ ...paper, frames: 16, ode: false }), ConfigError, 'too few frames for the PPI convs');
  t.throws(() => buildRadarOdeSpec({ ...paper, width: 0, ode: false }), ConfigError);
  t.throws(() => resolveRadarOdeConfig({ preset: 'huge' as never }), ConfigError);
});

function randomBatch(shape: readonly number[], b: number, seed: number): TF.Tensor {
  return tf.randomUniform([b, ...shape], 0, 1, 'float32', seed);
}

t.test('ci model: forward / backward shapes, gradients, buffers, no leaks', async (t) => {
  const m = createRadarOdeModel({ preset: 'ci', seed: 1 });
  t.same(m.taskNames, ['ECG_shape', 'PPI', 'Anchor']);
  t.equal(m.shared.length + m.heads.flat().length, leaves(m.spec.encoder).concat(...RADAR_ECG_TASKS.map((k) => leaves(m.spec.heads[k]))).reduce((a, l) => a + l.params.length, 0));
  const nShared = m.shared.reduce((a, v) => a + v.size, 0);
  t.equal(nShared, m.counts.encoder.params, 'shared variables = encoder parameter count');
  const groups = m.layerGroups();
  t.equal(groups[0]![0], 0);
  t.equal(groups.at(-1)![1], nShared, 'layer groups cover θ');
  t.ok(
    groups.every((g, i) => g[1] > g[0] && (i === 0 || g[0] === groups[i - 1]![1])),
    'contiguous, non-empty',
  );
  t.equal(groups.length, 25, '4 × (DCN sampling, DCN offset, BN, conv, down conv, down BN) + squeeze');

  const B = 4;
  const x = randomBatch(m.spec.inputShape, B, 7);
  t.throws(() => m.encode(tf.zeros([B, 3, 3, 3]), false), ShapeError);
  const vars = [...m.shared, ...m.heads.flat()];
  const step = (): { loss: number; grads: TF.Tensor[] } => {
    const { value, grads } = tf.variableGrads(() => {
      const { rep, outputs } = m.forward(x, true);
      t.same(rep.shape, [B, ...m.spec.encoder.outShape]);
      t.same(
        outputs.map((o) => o.shape),
        [
          [B, 200],
          [B, 260],
          [B, 800],
        ],
      );
      return tf.addN(outputs.map((o) => tf.mean(tf.square(o)))) as TF.Scalar;
    }, vars);
    const loss = value.dataSync()[0]!;
    value.dispose();
    return { loss, grads: vars.map((v) => grads[v.name]!) };
  };
  const first = step();
  t.equal(first.grads.filter((g) => g).length, vars.length, 'every variable gets a gradient');
  t.ok(
    tf.tidy(() => first.grads.every((g) => tf.all(tf.isFinite(g)).dataSync()[0] === 1)),
    'finite gradients',
  );
  const dcnOffset = m.layerParams('encoder.stage0.block.dcn')[1]!;
  t.ok(tf.max(tf.abs(first.grads[vars.indexOf(dcnOffset)]!)).dataSync()[0]! > 0, 'the offset conv learns (nonzero gradient through the bilinear weights)');
  tf.dispose(first.grads);
  const bnMean = m.buffers[0]!;
  const before = Array.from(bnMean.dataSync());
  t.same(Array.from(bnMean.dataSync()), before, 'the forward did not touch the running statistics');
  m.commitBuffers();
  t.notSame(Array.from(bnMean.dataSync()), before, 'commitBuffers applied the moving average');
  t.equal(m.buffers[2]!.dataSync()[0], 1, 'num_batches_tracked');

  const n0 = tf.memory().numTensors;
  tf.dispose(step().grads);
  m.commitBuffers();
  t.equal(tf.memory().numTensors, n0, 'no tensors leak across forward + backward + commit');
  const e0 = tf.memory().numTensors;
  const a = tf.tidy(() => m.forward(x, false).outputs.map((o) => o.dataSync()));
  const b2 = tf.tidy(() => m.forward(x, false).outputs.map((o) => o.dataSync()));
  t.same(a, b2, 'eval forward is deterministic');
  t.equal(tf.memory().numTensors, e0, 'no leaks in eval');

  // A few SGD steps on one batch: the loss falls.
  const opt = tf.train.sgd(0.05);
  const targets = [tf.fill([B, 200], 0.5), tf.fill([B, 260], -0.5), tf.fill([B, 800], 0.25)];
  const losses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const l = opt.minimize(() => tf.addN(m.forward(x, true).outputs.map((o, k) => tf.mean(tf.square(tf.sub(o, targets[k]!))))) as TF.Scalar, true, vars)!;
    losses.push(l.dataSync()[0]!);
    l.dispose();
    m.commitBuffers();
  }
  t.ok(losses.at(-1)! < losses[0]! * 0.9, `training loss falls: ${losses.map((v) => v.toFixed(3)).join(' → ')}`);
  tf.dispose([x, ...targets]);
  opt.dispose();
  m.dispose();
});

t.test('init is seeded and follows PyTorch defaults', async (t) => {
  const a = createRadarOdeModel({ preset: 'ci', seed: 3 });
  const b = createRadarOdeModel({ preset: 'ci', seed: 3 });
  const c = createRadarOdeModel({ preset: 'ci', seed: 4 });
  const d = createRadarOdeModel({ preset: 'ci', seed: 3, ode: true });
  // Compare as strings (tap's deep comparison of long arrays is slow).
  const vals = (vs: readonly TF.Variable[]): string => vs.map((v) => Array.from(v.dataSync()).join(',')).join(';');
  t.ok(vals(a.shared) === vals(b.shared), 'same seed, same parameters');
  t.ok(vals(a.heads.flat()) === vals(b.heads.flat()));
  t.ok(vals(a.shared) !== vals(c.shared), 'another seed, other parameters');
  t.ok(vals(a.shared) === vals(d.shared), 'the ODE switch leaves the encoder as it is');
  t.ok(d.counts.heads.ECG_shape.params > a.counts.heads.ECG_shape.params, 'the ODE branch adds parameters');
  const bad: string[] = [];
  for (const leaf of [...leaves(a.spec.encoder), ...RADAR_ECG_TASKS.flatMap((k) => leaves(a.spec.heads[k]))]) {
    a.layerParams(leaf.name).forEach((v, i) => {
      const init = leaf.params[i]!.init;
      const data = v.dataSync();
      const ok = init.type === 'uniform' ? data.every((x) => Math.abs(x) <= init.bound) && (data.length < 16 || data.some((x) => Math.abs(x) > init.bound / 2)) : data.every((x) => x === (init.type === 'ones' ? 1 : 0));
      if (!ok) bad.push(`${leaf.name}.${leaf.params[i]!.name}`);
    });
  }
  t.same(bad, [], 'every parameter within ±1/√fan_in (and using the range), or its constant');
  t.ok(a.layerParams('encoder.stage1.block.dcn')[1]!.dataSync().every((x) => x === 0), 'offset conv weight 0');
  for (const m of [a, b, c, d]) m.dispose();
});

t.test('ODE branch: forward and backward through the fused shape head', async (t) => {
  const m = createRadarOdeModel({ preset: 'ci', ode: true, seed: 2 });
  const x = randomBatch(m.spec.inputShape, 3, 9);
  const n0 = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(m.head(0, m.encode(x, true), true))) as TF.Scalar, [...m.shared, ...m.heads[0]!]);
  t.equal(Object.keys(grads).length, m.shared.length + m.heads[0]!.length, 'gradients for the encoder and the whole shape head');
  t.ok(
    tf.tidy(() => Object.values(grads).every((g) => tf.all(tf.isFinite(g)).dataSync()[0] === 1)),
    'finite',
  );
  tf.dispose([value, ...Object.values(grads)]);
  m.commitBuffers();
  t.equal(tf.memory().numTensors, n0, 'no leaks');
  const y = tf.tidy(() => m.head(0, m.encode(x, false), false));
  t.same(y.shape, [3, 200]);
  tf.dispose([x, y]);
  m.dispose();
});

t.test('small preset: forward and backward at batch 2', async (t) => {
  const m = createRadarOdeModel({ preset: 'small' });
  t.same(m.spec.inputShape, [71, 120, 50]);
  t.same(m.spec.encoder.outShape, [31, 128]);
  const x = randomBatch(m.spec.inputShape, 2, 5);
  const n0 = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => tf.addN(m.forward(x, true).outputs.map((o) => tf.mean(tf.square(o)))) as TF.Scalar, [...m.shared, ...m.heads.flat()]);
  t.ok(Number.isFinite(value.dataSync()[0]!), 'finite loss');
  t.equal(Object.keys(grads).length, m.shared.length + m.heads.flat().length);
  tf.dispose([value, ...Object.values(grads)]);
  m.commitBuffers();
  t.equal(tf.memory().numTensors, n0, 'no leaks');
  const outs = tf.tidy(() => m.forward(x, false).outputs.map((o) => o.shape));
  t.same(outs, [
    [2, 200],
    [2, 260],
    [2, 800],
  ]);
  x.dispose();
  m.dispose();
});
