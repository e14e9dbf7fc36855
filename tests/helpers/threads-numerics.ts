/**
 * Child process of tests/threads.test.ts: loads the wasm backend with the thread count given,
 * computes a fixed set of forward and backward results and writes them as JSON.
 *
 *   node --import tsx tests/helpers/threads-numerics.ts THREADS OUT.json
 *
 * The set: a few layers large enough for XNNPACK to split them over threads (conv2d, a strided
 * conv2d, conv1d, conv2dTranspose, matMul; outputs and the gradients to every
 * input), then a training-mode forward of the CI-size radar-ECG model (batch 4) with its three
 * task losses and one backward of their sum to every variable.
 */
import { writeFileSync } from 'node:fs';
import type * as TF from '@tensorflow/tfjs';
import { Rng } from '../../src/rng.js';
import { radarEcgTaskLoss } from '../../src/tasks/radar-ecg/losses.js';
import { createRadarOdeModel } from '../../src/tasks/radar-ecg/model.js';
import { RADAR_ECG_PRESETS } from '../../src/tasks/radar-ecg/presets.js';
import { loadBackend } from '../../src/tf/backend.js';
import { RecordedForward } from '../../src/tf/tape.js';

const [threads, out] = [Number(process.argv[2]), process.argv[3]!];
const backend = await loadBackend('wasm', { threads });
const { tf } = backend;
const rng = Rng.fromSeed('threads-numerics');
const rand = (shape: number[]): TF.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
const results: Record<string, number[]> = {};
const keep = (name: string, t: TF.Tensor): void => {
  results[name] = Array.from(t.dataSync());
};

const layers: Record<string, { inputs: number[][]; f: (...xs: TF.Tensor[]) => TF.Tensor }> = {
  conv2d: { inputs: [[4, 24, 32, 16], [3, 3, 16, 32]], f: (x, w) => tf.conv2d(x as TF.Tensor4D, w as TF.Tensor4D, 1, 'same') },
  'conv2d-strided': { inputs: [[4, 24, 32, 16], [3, 3, 16, 32]], f: (x, w) => tf.conv2d(x as TF.Tensor4D, w as TF.Tensor4D, [2, 1], 'valid') },
  conv1d: { inputs: [[4, 128, 32], [5, 32, 64]], f: (x, w) => tf.conv1d(x as TF.Tensor3D, w as TF.Tensor3D, 1, 'same') },
  conv2dTranspose: { inputs: [[4, 16, 16, 32], [4, 4, 16, 32]], f: (x, w) => tf.conv2dTranspose(x as TF.Tensor4D, w as TF.Tensor4D, [4, 32, 32, 16], 2, 'same') },
  matMul: { inputs: [[96, 256], [256, 192]], f: (a, b) => tf.matMul(a as TF.Tensor2D, b as TF.Tensor2D) },
};
for (const [name, { inputs, f }] of Object.entries(layers)) {
  tf.tidy(() => {
    const xs = inputs.map(rand);
    const y = f(...xs);
    keep(`${name}/out`, y);
    // Gradients of a weighted sum, so that every output element counts differently.
    const weights = rand(y.shape);
    const grads = tf.grads((...a: TF.Tensor[]) => tf.sum(tf.mul(f(...a), weights)))(xs);
    grads.forEach((g, i) => keep(`${name}/grad${i}`, g));
  });
}

const p = RADAR_ECG_PRESETS.ci;
const batch = 4;
const model = createRadarOdeModel({ preset: 'ci', seed: 0 }, tf);
{
  const x = rand([batch, p.bins, p.frames, p.channels]);
  const targets = [
    tf.tensor2d(Float32Array.from({ length: batch * 200 }, (_, i) => Math.sin(i / 10)), [batch, 200]),
    tf.tensor1d(Int32Array.from({ length: batch }, () => 150 + rng.int(60)), 'int32'),
    tf.tensor2d(Float32Array.from({ length: batch * 800 }, (_, i) => (i % 160 === 0 ? 1 : 0)), [batch, 800]),
  ];
  const vars = [...model.shared, ...model.heads.flat()];
  const rec = RecordedForward.record(tf, () => {
    const rep = model.encode(x, true);
    const preds = model.taskNames.map((_, t) => model.head(t, rep, true));
    return { preds, losses: tf.stack(preds.map((pred, t) => radarEcgTaskLoss(t, pred, targets[t]!))) };
  });
  rec.outputs.preds.forEach((pred, t) => keep(`model/pred${t}`, pred));
  keep('model/losses', rec.outputs.losses);
  const grads = rec.backward(rec.outputs.losses, vars);
  grads.forEach((g, i) => keep(`model/grad${i}`, g));
  tf.dispose([x, ...targets, ...grads]);
  rec.dispose();
}
model.dispose();
writeFileSync(out, JSON.stringify({ threads: backend.threads, results }));
