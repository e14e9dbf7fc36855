/**
 * NYUv2 metrics accumulated over a whole split, as LibMTL's `examples/nyu/utils.py`
 * (mtl-methods.md §5). Plain typed arrays (NHWC, row-major), float64 sums, no tfjs.
 *
 * - Segmentation: 13×13 confusion matrix C[gt][pred] over pixels with 0 ≤ gt < 13 (pred = argmax).
 *   IoU_c = C_cc / (row_c + col_c − C_cc); mIoU = mean of the 13 IoUs; pixAcc = trace / total.
 *   LibMTL's mean is `torch.mean`, so a class absent from both gt and predictions (0/0) makes mIoU
 *   NaN: `miou` reproduces that; `miouNanSkip` averages over the classes with a non-empty union.
 * - Depth over pixels with gt ≠ 0: absErr = Σ|p − g| / N, relErr = Σ(|p − g| / g) / N. LibMTL
 *   weights per-batch means by their valid counts, which is this global mean.
 * - Normal over pixels whose gt is not all zero: pred normalised, angle = acos(clamp(p·g, −1, 1))
 *   in degrees; mean, median (NumPy's: the mean of the two middle values for an even count) and
 *   the fractions below 11.25°, 22.5° and 30°.
 *
 * Deviations: a normal pixel is valid when some component of its gt is non-zero (as the loss, see
 * losses.ts), where LibMTL tests that the components do not sum to 0 (so a gt such as (1, −1, 0)/√2,
 * valid here, is skipped by LibMTL); a zero prediction vector counts as 90° (LibMTL divides by 0
 * and gets NaN); with
 * `median: 'histogram'` the median comes from 1/1000° bins (error ≤ 0.0005°) instead of keeping
 * every angle (≈ 4 bytes per valid pixel; 290 MB for the real test split).
 */
import { ConfigError, ShapeError } from '../../errors.js';

export const NYUV2_NUM_CLASSES = 13;

export interface NyuMetrics {
  readonly mIoU: number;
  readonly pixAcc: number;
  readonly absErr: number;
  readonly relErr: number;
  readonly normalMean: number;
  readonly normalMedian: number;
  readonly within11_25: number;
  readonly within22_5: number;
  readonly within30: number;
}

export interface NyuMetricDetails extends NyuMetrics {
  /** mIoU over the classes whose union is non-empty (NaN if none). */
  readonly mIoUNanSkip: number;
  readonly iou: Float64Array;
  readonly confusion: Float64Array;
  readonly segPixels: number;
  readonly depthPixels: number;
  readonly normalPixels: number;
}

/** 13×13 confusion (row gt, column pred) → IoU per class, mIoU (NaN-propagating), nan-skipping mIoU, pixAcc. */
export function segmentationScores(confusion: ArrayLike<number>, numClasses = NYUV2_NUM_CLASSES): { iou: Float64Array; miou: number; miouNanSkip: number; pixAcc: number } {
  const c = numClasses;
  if (confusion.length !== c * c) throw new ShapeError('confusion matrix', [c, c], [confusion.length]);
  const iou = new Float64Array(c);
  let trace = 0;
  let total = 0;
  for (let i = 0; i < c; i++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < c; j++) {
      row += confusion[i * c + j]!;
      col += confusion[j * c + i]!;
      total += confusion[i * c + j]!;
    }
    const d = confusion[i * c + i]!;
    trace += d;
    iou[i] = d / (row + col - d);
  }
  let sum = 0;
  let sumSkip = 0;
  let nSkip = 0;
  for (let i = 0; i < c; i++) {
    sum += iou[i]!;
    if (!Number.isNaN(iou[i]!)) {
      sumSkip += iou[i]!;
      nSkip++;
    }
  }
  return { iou, miou: sum / c, miouNanSkip: nSkip ? sumSkip / nSkip : NaN, pixAcc: trace / total };
}

/** Accumulates the nine NYUv2 metrics over batches; call {@link result} at the end of the split. */
export class NyuMetricAccumulator {
  readonly confusion = new Float64Array(NYUV2_NUM_CLASSES * NYUV2_NUM_CLASSES);
  private depthAbs = 0;
  private depthRel = 0;
  private depthN = 0;
  private angleSum = 0;
  private within = [0, 0, 0];
  private angleN = 0;
  private readonly angles: Float32Array[] = [];
  private readonly hist: Float64Array | null;

  constructor(readonly options: { readonly median?: 'exact' | 'histogram' } = {}) {
    const m = options.median ?? 'exact';
    if (m !== 'exact' && m !== 'histogram') throw new ConfigError('median', m, "'exact' or 'histogram'");
    this.hist = m === 'histogram' ? new Float64Array(180_000) : null;
  }

  /** pred: class indices (argmax), gt: labels −1..12; same length (B·H·W). */
  addSegmentation(pred: ArrayLike<number>, gt: ArrayLike<number>): void {
    if (pred.length !== gt.length) throw new ShapeError('segmentation prediction', [gt.length], [pred.length]);
    const c = NYUV2_NUM_CLASSES;
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i]!;
      if (g < 0 || g >= c) continue;
      const p = pred[i]!;
      if (!(p >= 0 && p < c)) throw new ConfigError(`segmentation prediction[${i}]`, p, `a class in 0..${c - 1}`);
      this.confusion[g * c + p]! += 1;
    }
  }

  /** Class scores [N·C] (logits or probabilities) → argmax per pixel, then {@link addSegmentation}. */
  addSegmentationScores(scores: ArrayLike<number>, gt: ArrayLike<number>): void {
    const c = NYUV2_NUM_CLASSES;
    if (scores.length !== gt.length * c) throw new ShapeError('segmentation scores', [gt.length, c], [scores.length]);
    this.addSegmentation(argmaxLast(scores, c), gt);
  }

  /** pred and gt: depth per pixel (B·H·W); gt 0 = invalid. */
  addDepth(pred: ArrayLike<number>, gt: ArrayLike<number>): void {
    if (pred.length !== gt.length) throw new ShapeError('depth prediction', [gt.length], [pred.length]);
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i]!;
      if (g === 0) continue;
      const e = Math.abs(pred[i]! - g);
      this.depthAbs += e;
      this.depthRel += e / g;
      this.depthN++;
    }
  }

  /** pred and gt: 3 components per pixel (B·H·W·3); gt all-zero = invalid. */
  addNormal(pred: ArrayLike<number>, gt: ArrayLike<number>): void {
    if (pred.length !== gt.length || gt.length % 3 !== 0) throw new ShapeError('normal prediction', [gt.length / 3, 3], [pred.length]);
    const n = gt.length / 3;
    const buf = this.hist ? null : new Float32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const gx = gt[3 * i]!;
      const gy = gt[3 * i + 1]!;
      const gz = gt[3 * i + 2]!;
      if (gx === 0 && gy === 0 && gz === 0) continue;
      const px = pred[3 * i]!;
      const py = pred[3 * i + 1]!;
      const pz = pred[3 * i + 2]!;
      const len = Math.hypot(px, py, pz);
      const cos = len > 0 ? (px * gx + py * gy + pz * gz) / len : 0;
      const a = (Math.acos(Math.min(1, Math.max(-1, cos))) * 180) / Math.PI;
      this.angleSum += a;
      if (a < 11.25) this.within[0]!++;
      if (a < 22.5) this.within[1]!++;
      if (a < 30) this.within[2]!++;
      this.angleN++;
      if (buf) buf[k++] = a;
      else this.hist![Math.min(179_999, Math.floor(a * 1000))]! += 1;
    }
    if (buf && k > 0) this.angles.push(buf.subarray(0, k));
  }

  private median(): number {
    const n = this.angleN;
    if (n === 0) return NaN;
    const lo = Math.floor((n - 1) / 2);
    const hi = Math.floor(n / 2);
    if (this.hist) {
      const at = (k: number): number => {
        let cum = 0;
        for (let b = 0; b < this.hist!.length; b++) {
          cum += this.hist![b]!;
          if (cum > k) return (b + 0.5) / 1000;
        }
        return 180;
      };
      return (at(lo) + at(hi)) / 2;
    }
    const all = new Float64Array(n);
    let o = 0;
    for (const a of this.angles) {
      all.set(a, o);
      o += a.length;
    }
    all.sort();
    return (all[lo]! + all[hi]!) / 2;
  }

  result(): NyuMetricDetails {
    const seg = segmentationScores(this.confusion);
    const n = this.angleN;
    let segPixels = 0;
    for (const v of this.confusion) segPixels += v;
    return {
      mIoU: seg.miou,
      pixAcc: seg.pixAcc,
      absErr: this.depthAbs / this.depthN,
      relErr: this.depthRel / this.depthN,
      normalMean: this.angleSum / n,
      normalMedian: this.median(),
      within11_25: this.within[0]! / n,
      within22_5: this.within[1]! / n,
      within30: this.within[2]! / n,
      mIoUNanSkip: seg.miouNanSkip,
      iou: seg.iou,
      confusion: Float64Array.from(this.confusion),
      segPixels,
      depthPixels: this.depthN,
      normalPixels: n,
    };
  }
}

/** Index of the largest of each group of `c` consecutive values (first one on ties, as torch). */
export function argmaxLast(scores: ArrayLike<number>, c: number): Int32Array {
  const n = scores.length / c;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = scores[i * c]!;
    for (let k = 1; k < c; k++) {
      const v = scores[i * c + k]!;
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}
