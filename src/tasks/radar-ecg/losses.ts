/**
 * radarODE-MTL task losses in TF.js (radarode-mtl.md §3.1, `Projects/radarODE_plus/utils/utils.py`),
 * in the task order [shape, PPI, anchor]. Each takes a batch and returns the batch-mean scalar.
 *
 * - shape (`shapeLoss`): MSE between the raw prediction (B×1×200 or B×200) and the ground-truth
 *   cycle min-max normalised **per sample** to [0, 1]; the prediction is not normalised, so the
 *   model learns a [0, 1]-scaled shape (the mV scale returns only at evaluation, via the truth's
 *   range).
 * - PPI (`ppiLoss`): cross-entropy with probability targets over the 260 logits,
 *   mean_b −Σ_c q_bc · log softmax(z_b)_c. The reference's target is softmax of a vector holding
 *   1000 at the true class (cycle length − 1) and 0 elsewhere ({@link ppiSoftTarget}); at 1000 this
 *   is one-hot to float precision, so the loss is −log softmax(z)[class]. `peakLogit` exposes the
 *   width: 10 (used in the evaluation notebook's copy) gives q_true = e¹⁰/(e¹⁰ + 259) ≈ 0.988.
 * - anchor (`anchorLoss`): MSE between the raw prediction (B×1×800) and the per-sample min-max
 *   normalised target; the binary impulse train is unchanged by the normalisation.
 *
 * Deviation: a constant target (max = min) normalises to zeros here; the reference divides by zero
 * and returns NaN (cannot happen for real 4-s anchor windows or ECG cycles).
 *
 * The functions use the loaded backend (`loadBackend()` first).
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../../errors.js';
import { currentBackend } from '../../tf/backend.js';
import type { TaskLossFn } from '../../tf/model.js';
import { RADAR_ECG_TASKS, type RadarEcgTask } from './metric-spec.js';

/** Number of PPI classes; class c means a cycle of c + 1 samples at 200 Hz. */
export const PPI_NUM_CLASSES = 260;
/** The reference's soft-target logit at the true class. */
export const PPI_PEAK_LOGIT = 1000;
/** Padding value of the reference's PPI target vector (the raw cycle padded to 260). */
export const PPI_PAD_VALUE = -10;

function tfjs(): typeof TF {
  return currentBackend().tf;
}

function checkSameShape(what: string, pred: TF.Tensor, target: TF.Tensor): void {
  if (pred.shape.length < 2) throw new ShapeError(`${what}: prediction`, ['B', '…'], pred.shape);
  if (pred.shape.length !== target.shape.length || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new ShapeError(`${what}: target`, pred.shape, target.shape);
  }
}

/** x min-max normalised per sample (over every axis but the first); constant samples become 0. */
function perSampleMinMax(tf: typeof TF, x: TF.Tensor): TF.Tensor {
  const axes = x.shape.map((_, i) => i).slice(1);
  const lo = tf.min(x, axes, true);
  const range = tf.sub(tf.max(x, axes, true), lo);
  const safe = tf.where(tf.greater(range, 0), range, tf.onesLike(range));
  return tf.div(tf.sub(x, lo), safe);
}

/** Shape loss: MSE(pred, minmax(target)) per sample. */
export function shapeLoss(pred: TF.Tensor, target: TF.Tensor): TF.Scalar {
  checkSameShape('shapeLoss', pred, target);
  const tf = tfjs();
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, perSampleMinMax(tf, tf.cast(target, 'float32')))) as TF.Scalar);
}

/** Anchor loss: MSE(pred, minmax(target)) per sample. */
export function anchorLoss(pred: TF.Tensor, target: TF.Tensor): TF.Scalar {
  checkSameShape('anchorLoss', pred, target);
  const tf = tfjs();
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, perSampleMinMax(tf, tf.cast(target, 'float32')))) as TF.Scalar);
}

/**
 * PPI loss: soft-target cross-entropy over the last axis, mean over the batch. The target is either
 * probabilities of the prediction's shape, or int32 classes [B] (turned into the reference's soft
 * target, peakLogit 1000).
 */
export function ppiLoss(pred: TF.Tensor, target: TF.Tensor): TF.Scalar {
  const tf = tfjs();
  const c = pred.shape[pred.shape.length - 1]!;
  const b = pred.size / c;
  const classes = target.dtype === 'int32' && target.size === b && target.shape.length <= pred.shape.length - 1;
  if (!classes) checkSameShape('ppiLoss', pred, target);
  return tf.tidy(() => {
    const z = tf.reshape(pred, [-1, c]);
    const q = classes
      ? tf.softmax(tf.mul(tf.oneHot(tf.reshape(target, [-1]) as TF.Tensor1D, c), PPI_PEAK_LOGIT))
      : tf.reshape(tf.cast(target, 'float32'), [-1, c]);
    return tf.neg(tf.mean(tf.sum(tf.mul(q, tf.logSoftmax(z)), 1))) as TF.Scalar;
  });
}

export interface PpiSoftTargetOptions {
  /** Default 260. */
  readonly numClasses?: number;
  /** Logit at the true class before the softmax. Default 1000 (the reference). */
  readonly peakLogit?: number;
}

/**
 * Soft PPI targets [B, numClasses] from integer classes (cycle length − 1): softmax of
 * peakLogit·onehot(class), i.e. q_true = 1/(1 + (C − 1)e^{−k}), q_other = e^{−k}/(1 + (C − 1)e^{−k}).
 */
export function ppiSoftTarget(classes: ArrayLike<number>, options: PpiSoftTargetOptions = {}): TF.Tensor2D {
  const numClasses = options.numClasses ?? PPI_NUM_CLASSES;
  const peakLogit = options.peakLogit ?? PPI_PEAK_LOGIT;
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new ConfigError('ppiSoftTarget: numClasses', numClasses, 'an integer ≥ 2');
  if (!Number.isFinite(peakLogit)) throw new ConfigError('ppiSoftTarget: peakLogit', peakLogit, 'a finite number');
  const idx = new Int32Array(classes.length);
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new ConfigError(`ppiSoftTarget: classes[${i}]`, c, `an integer class in [0, ${numClasses - 1}] (cycle length − 1)`);
    }
    idx[i] = c;
  }
  const tf = tfjs();
  return tf.tidy(() => tf.softmax(tf.mul(tf.oneHot(tf.tensor1d(idx, 'int32'), numClasses), peakLogit)) as TF.Tensor2D);
}

/** PPI class of one reference target row (the raw cycle padded with −10): count of real entries − 1. */
export function ppiClassFromPadded(row: ArrayLike<number>, pad = PPI_PAD_VALUE): number {
  let count = 0;
  for (let i = 0; i < row.length; i++) if (row[i] !== pad) count++;
  if (count < 1) throw new ConfigError('ppiClassFromPadded: row', 'all padding', 'at least one cycle sample');
  return count - 1;
}

export type RadarEcgLossFn = (pred: TF.Tensor, target: TF.Tensor) => TF.Scalar;

/** The three losses by task. */
export const radarEcgLosses: Readonly<Record<RadarEcgTask, RadarEcgLossFn>> = {
  shape: shapeLoss,
  ppi: ppiLoss,
  anchor: anchorLoss,
};

/** {@link TaskLossFn} over the task order [shape, PPI, anchor]. */
export const radarEcgTaskLoss: TaskLossFn = (task, pred, target) => {
  const name = RADAR_ECG_TASKS[task];
  if (name === undefined) throw new ConfigError('radar-ecg task', task, `an index in [0, ${RADAR_ECG_TASKS.length - 1}]`);
  return radarEcgLosses[name](pred, target);
};
