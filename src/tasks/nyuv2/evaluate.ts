/**
 * Tensor plumbing of the NYUv2 task: batches from the reader as tensors (the trainer's
 * `{x, targets}` in model task order), and whole-split evaluation (eval-mode forward, the three
 * losses and the nine metrics of metrics.ts).
 */
import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '../../rng.js';
import type { NyuBatch, NyuBatchReader } from '../../../datasets/nyuv2/loader.js';
import { segmentationLoss, depthLoss, normalLoss } from './losses.js';
import { NyuMetricAccumulator, type NyuMetricDetails } from './metrics.js';
import type { NyuModel } from './model.js';

type Tf = typeof TF;

export interface NyuTensorBatch {
  /** Images [B, H, W, 3]. */
  readonly x: TF.Tensor4D;
  /** [labels [B, H, W] int32, depth [B, H, W, 1], normals [B, H, W, 3]]. */
  readonly targets: readonly [TF.Tensor3D, TF.Tensor4D, TF.Tensor4D];
}

export function nyuBatchTensors(tf: Tf, b: NyuBatch): NyuTensorBatch {
  const { size: n, height: h, width: w } = b;
  return {
    x: tf.tensor4d(b.image, [n, h, w, 3]),
    targets: [tf.tensor3d(b.label, [n, h, w], 'int32'), tf.tensor4d(b.depth, [n, h, w, 1]), tf.tensor4d(b.normal, [n, h, w, 3])],
  };
}

/** A batch source for the trainer: epoch e's shuffled batches as tensors (the trainer disposes them). */
export function nyuBatchSource(tf: Tf, reader: NyuBatchReader): (epoch: number, rng: Rng) => Iterable<NyuTensorBatch> {
  return function* (_epoch, rng) {
    for (const b of reader.epoch(rng)) yield nyuBatchTensors(tf, b);
  };
}

export interface NyuEvaluation {
  readonly metrics: NyuMetricDetails;
  /** Mean loss per task over the batches, weighted by batch size (LibMTL's meter), task order. */
  readonly losses: Float64Array;
  readonly samples: number;
}

/**
 * Evaluate on every sample of the reader in order (its shuffle/dropLast settings are ignored):
 * eval-mode forward, losses averaged over batches weighted by batch size, metrics over the split.
 */
export async function evaluateNyu(tf: Tf, model: NyuModel, reader: NyuBatchReader, opts: { batchSize?: number; median?: 'exact' | 'histogram' } = {}): Promise<NyuEvaluation> {
  const acc = new NyuMetricAccumulator({ median: opts.median ?? 'exact' });
  const bs = opts.batchSize ?? reader.options.batchSize;
  const losses = new Float64Array(3);
  let samples = 0;
  for (let s = 0; s < reader.indices.length; s += bs) {
    const batch = reader.batch(reader.indices.slice(s, s + bs));
    const t = nyuBatchTensors(tf, batch);
    const out = tf.tidy(() => {
      const [seg, dep, nor] = model.predict(t.x);
      const l = tf.stack([segmentationLoss(tf, seg!, t.targets[0]), depthLoss(tf, dep!, t.targets[1]), normalLoss(tf, nor!, t.targets[2])]);
      return { l, cls: tf.argMax(seg!, 3), dep: dep!, nor: nor! };
    });
    const [l, cls, dep, nor] = await Promise.all([out.l.data(), out.cls.data(), out.dep.data(), out.nor.data()]);
    for (const x of [t.x, ...t.targets, out.l, out.cls, out.dep, out.nor]) x.dispose();
    for (let k = 0; k < 3; k++) losses[k]! += (l[k] as number) * batch.size;
    samples += batch.size;
    acc.addSegmentation(cls as Int32Array, batch.label);
    acc.addDepth(dep as Float32Array, batch.depth);
    acc.addNormal(nor as Float32Array, batch.normal);
  }
  for (let k = 0; k < 3; k++) losses[k]! /= samples;
  return { metrics: acc.result(), losses, samples };
}
