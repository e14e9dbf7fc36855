/**
 * The losses a model must beat to have learned anything: each task's best input-independent
 * predictor, fitted on the training windows and scored with the training losses (losses.ts) on
 * other windows.
 *
 * - shape: the training mean of the per-window min-max normalised cycles (the constant that
 *   minimises the training MSE);
 * - PPI: constant logits log q, q the training class frequencies smoothed by add-α and a Gaussian
 *   over neighbouring classes (a zero-probability class would make the cross-entropy infinite);
 *   the best of a small grid of (α, σ) on the scored windows is kept, so the bar is if anything
 *   higher than a predictor fitted on training data alone;
 * - anchor: the training mean impulse train per sample position (the MSE-optimal constant).
 *
 * Also the model's mean losses over the same windows (`modelLosses`), for the comparison.
 */
import type * as TF from '@tensorflow/tfjs';
import type { RadarEcgDataset, WindowRef } from '../../../datasets/radar-ecg/dataset.js';
import type { MultiTaskModel } from '../../tf/model.js';
import { radarEcgTaskLoss } from './losses.js';

type Tf = typeof TF;

const CYCLE = 200;
const CLASSES = 260;
const ANCHOR = 800;

/** Targets of some windows as the losses see them. */
export interface WindowTargets {
  readonly count: number;
  /** Per-window min-max normalised cycles, [count, 200]. */
  readonly shape: Float64Array;
  readonly ppi: Int32Array;
  /** Per-window min-max normalised impulse trains, [count, 800]. */
  readonly anchor: Float64Array;
}

export interface TaskLosses {
  readonly shape: number;
  readonly ppi: number;
  readonly anchor: number;
}

function minMaxRows(x: ArrayLike<number>, rows: number, len: number): Float64Array {
  const out = new Float64Array(rows * len);
  for (let r = 0; r < rows; r++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < len; i++) {
      const v = x[r * len + i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const inv = hi > lo ? 1 / (hi - lo) : 0;
    for (let i = 0; i < len; i++) out[r * len + i] = (x[r * len + i]! - lo) * inv;
  }
  return out;
}

/** Read the targets of `windows` (step placement unless given). */
export function windowTargets(ds: RadarEcgDataset, windows: readonly WindowRef[], placement: 'step' | 'rpeak' = 'step', anchorSigma = 0): WindowTargets {
  const shape: number[] = [];
  const anchor: number[] = [];
  const ppi: number[] = [];
  for (const b of ds.batches({ windows, batchSize: 64, shuffle: false, placement, channels: 1, anchorSigma }, 0)) {
    for (const v of minMaxRows(b.ecgShape, b.size, CYCLE)) shape.push(v);
    for (const v of minMaxRows(b.anchor, b.size, ANCHOR)) anchor.push(v);
    for (const c of b.ppi) ppi.push(c);
  }
  return { count: ppi.length, shape: Float64Array.from(shape), ppi: Int32Array.from(ppi), anchor: Float64Array.from(anchor) };
}

function columnMean(x: Float64Array, rows: number, len: number): Float64Array {
  const m = new Float64Array(len);
  for (let r = 0; r < rows; r++) for (let i = 0; i < len; i++) m[i] += x[r * len + i]!;
  return m.map((v) => v / Math.max(rows, 1));
}

function mse(pred: Float64Array, x: Float64Array, rows: number, len: number): number {
  let s = 0;
  for (let r = 0; r < rows; r++) for (let i = 0; i < len; i++) s += (x[r * len + i]! - pred[i]!) ** 2;
  return s / Math.max(rows * len, 1);
}

/** Smoothed class log-probabilities from counts: add-α, then a Gaussian of σ classes (σ = 0: none). */
export function smoothedLogPrior(counts: ArrayLike<number>, alpha: number, sigma: number): Float64Array {
  const n = counts.length;
  const p = Float64Array.from({ length: n }, (_, i) => counts[i]! + alpha);
  let q = p;
  if (sigma > 0) {
    q = new Float64Array(n);
    const r = Math.ceil(3 * sigma);
    for (let i = 0; i < n; i++) for (let d = -r; d <= r; d++) if (i + d >= 0 && i + d < n) q[i + d]! += p[i]! * Math.exp(-(d * d) / (2 * sigma * sigma));
  }
  const total = q.reduce((a, b) => a + b, 0);
  return q.map((v) => Math.log(v / total));
}

/** Validation-style losses of the trivial predictors fitted on `train`, scored on `evalOn`. */
export function trivialLosses(train: WindowTargets, evalOn: WindowTargets): TaskLosses {
  const shape = mse(columnMean(train.shape, train.count, CYCLE), evalOn.shape, evalOn.count, CYCLE);
  const anchor = mse(columnMean(train.anchor, train.count, ANCHOR), evalOn.anchor, evalOn.count, ANCHOR);
  const counts = new Float64Array(CLASSES);
  for (const c of train.ppi) counts[c]! += 1;
  let ppi = Infinity;
  for (const alpha of [0.01, 0.1, 0.5, 1]) {
    for (const sigma of [0, 1, 2, 4, 8]) {
      const lp = smoothedLogPrior(counts, alpha, sigma);
      let s = 0;
      for (const c of evalOn.ppi) s -= lp[c]!;
      ppi = Math.min(ppi, s / Math.max(evalOn.count, 1));
    }
  }
  return { shape, ppi, anchor };
}

/** The model's mean training losses over `windows` in inference mode (no dropout, BN running statistics). */
export function modelLosses(tf: Tf, ds: RadarEcgDataset, model: MultiTaskModel, windows: readonly WindowRef[], channels: number, anchorSigma = 0, batchSize = 32): TaskLosses {
  const sum = [0, 0, 0];
  let n = 0;
  for (const b of ds.batches({ windows, batchSize, shuffle: false, placement: 'step', channels, anchorSigma }, 0)) {
    const losses = tf.tidy(() => {
      const x = tf.transpose(tf.tensor4d(b.x, [...b.xShape]), [0, 2, 3, 1]) as TF.Tensor4D;
      const rep = model.encode(x, false);
      const targets = [tf.tensor2d(b.ecgShape, [b.size, CYCLE]), tf.tensor1d(b.ppi, 'int32'), tf.tensor2d(b.anchor, [b.size, ANCHOR])];
      return targets.map((y, t) => radarEcgTaskLoss(t, model.head(t, rep, false), y).dataSync()[0]!);
    });
    losses.forEach((l, t) => (sum[t]! += l * b.size));
    n += b.size;
  }
  return { shape: sum[0]! / n, ppi: sum[1]! / n, anchor: sum[2]! / n };
}
