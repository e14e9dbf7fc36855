/**
 * NYUv2 task losses as LibMTL's `examples/nyu/utils.py` (mtl-methods.md §5), on NHWC tensors.
 * Each is a mean over the valid pixels of the whole batch (not a mean of per-image means):
 * - segmentation: cross-entropy of the logits [B, H, W, 13] against labels [B, H, W] (int32),
 *   pixels labelled −1 ignored (PyTorch `CrossEntropyLoss(ignore_index=-1)`);
 * - depth: Σ |pred − gt| over pixels with gt ≠ 0, divided by their count;
 * - normal: pred normalised to unit length, 1 − Σ pred·gt over valid pixels (gt not all zero) /
 *   their count.
 * A prediction at a lower resolution than its target is upsampled first (bilinear,
 * align_corners = true, as `process_preds`).
 *
 * Deviations: with no valid pixel in the batch the loss is 0 (PyTorch gives NaN); the prediction's
 * norm gets a 1e-12 floor before dividing (PyTorch divides by 0 and gives NaN); normal validity
 * is "some component ≠ 0", where LibMTL tests "components do not sum to 0".
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../../errors.js';
import type { TaskLossFn } from '../../tf/model.js';
import { upsampleTo } from './model.js';

type Tf = typeof TF;

function matchSize(tf: Tf, pred: TF.Tensor, target: TF.Tensor, what: string): TF.Tensor4D {
  if (pred.rank !== 4) throw new ShapeError(`${what} prediction`, ['B', 'H', 'W', 'C'], pred.shape);
  if (pred.shape[0] !== target.shape[0]) throw new ShapeError(`${what} prediction batch`, [target.shape[0]!], [pred.shape[0]!]);
  return upsampleTo(tf, pred, target.shape[1]!, target.shape[2]!);
}

/** Cross-entropy over pixels with label ≥ 0. logits [B, h, w, C], labels [B, H, W] int32. */
export function segmentationLoss(tf: Tf, logits: TF.Tensor, labels: TF.Tensor): TF.Scalar {
  return tf.tidy(() => {
    if (labels.rank !== 3) throw new ShapeError('segmentation labels', ['B', 'H', 'W'], labels.shape);
    const z = matchSize(tf, logits, labels, 'segmentation');
    const c = z.shape[3];
    const lab = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
    // oneHot of −1 is all zeros, so ignored pixels drop out of the sum.
    const oh = tf.oneHot(tf.reshape(lab, [-1]), c);
    const logp = tf.logSoftmax(tf.reshape(z, [-1, c]));
    const nll = tf.neg(tf.sum(tf.mul(oh, logp)));
    const count = tf.sum(oh);
    return tf.div(nll, tf.maximum(count, 1)) as TF.Scalar;
  });
}

/** L1 over pixels with gt ≠ 0. pred [B, h, w, 1], gt [B, H, W, 1] (or [B, H, W]). */
export function depthLoss(tf: Tf, pred: TF.Tensor, gt: TF.Tensor): TF.Scalar {
  return tf.tidy(() => {
    const g = gt.rank === 3 ? tf.expandDims(gt, 3) : gt;
    if (g.rank !== 4 || g.shape[3] !== 1) throw new ShapeError('depth target', ['B', 'H', 'W', 1], gt.shape);
    const p = matchSize(tf, pred, g, 'depth');
    const mask = tf.cast(tf.notEqual(g, 0), 'float32');
    const err = tf.sum(tf.mul(tf.abs(tf.sub(p, g)), mask));
    return tf.div(err, tf.maximum(tf.sum(mask), 1)) as TF.Scalar;
  });
}

/** 1 − mean cosine over pixels whose gt is not all zero. pred [B, h, w, 3], gt [B, H, W, 3]. */
export function normalLoss(tf: Tf, pred: TF.Tensor, gt: TF.Tensor): TF.Scalar {
  return tf.tidy(() => {
    if (gt.rank !== 4 || gt.shape[3] !== 3) throw new ShapeError('normal target', ['B', 'H', 'W', 3], gt.shape);
    const p = matchSize(tf, pred, gt, 'normal');
    const unit = tf.mul(p, tf.rsqrt(tf.maximum(tf.sum(tf.square(p), 3, true), 1e-24)));
    const mask = tf.cast(tf.any(tf.notEqual(gt, 0), 3, true), 'float32');
    const dot = tf.sum(tf.mul(tf.mul(unit, gt), mask));
    return tf.sub(1, tf.div(dot, tf.maximum(tf.sum(mask), 1))) as TF.Scalar;
  });
}

/** The task losses in model task order [segmentation, depth, normal], as a TaskLossFn. */
export function nyuTaskLoss(tf: Tf): TaskLossFn {
  return (task, pred, target) => {
    switch (task) {
      case 0:
        return segmentationLoss(tf, pred, target);
      case 1:
        return depthLoss(tf, pred, target);
      case 2:
        return normalLoss(tf, pred, target);
      default:
        throw new ConfigError('nyuv2 task index', task, '0 (segmentation), 1 (depth) or 2 (normal)');
    }
  };
}
